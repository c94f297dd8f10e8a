package app

import "time"

// Totals is a count of entries and their amount.
type Totals struct {
	Count  int   `json:"count"`
	Amount Money `json:"amount"`
}

// Add counts one more entry of the given amount.
func (t *Totals) Add(m Money) { t.Count++; t.Amount += m }

// Report is an X report (a look at the day so far) or a Z report (the
// day closed: numbered, stored, never changed, reprintable).
type Report struct {
	Kind     string    `json:"kind"`             // "X" or "Z"
	Number   int64     `json:"number,omitempty"` // Z reports: 1, 2, 3…
	Terminal string    `json:"terminal"`
	Merchant string    `json:"merchant"`
	Made     time.Time `json:"made"`
	// The journal entries covered: after the previous Z report up to LastSeq.
	FirstSeq int64 `json:"first_seq"`
	LastSeq  int64 `json:"last_seq"`

	// Purchases by where the bank says they stand. Voided purchases are
	// counted under Voided only.
	Posted   Totals `json:"posted"`
	Pending  Totals `json:"pending"` // captured, queued, sent or acknowledged
	Rejected Totals `json:"rejected"`
	Voided   Totals `json:"voided"`
	// Duplicate counts purchases the bank already had: they are also in
	// Posted, since the bank posted them once.
	Duplicate Totals `json:"duplicate"`

	ByCashier map[string]Totals `json:"by_cashier"` // approved purchases, not voided
	ByHour    [24]Totals        `json:"by_hour"`    // by the hour of the desk's clock

	// Hash seals a Z report: SHA-256 over its canonical JSON without Hash.
	Hash []byte `json:"hash,omitempty"`
}
