package app

import (
	"context"
	"errors"
	"time"
)

// Money is an amount in minor units (fen).
type Money int64

// EntryKind is what a journal entry records.
type EntryKind string

const (
	// KindPurchase is an approved offline purchase: a detail message the
	// bank must receive and post.
	KindPurchase EntryKind = "purchase"
	// KindVoid cancels a purchase not yet forwarded (Ref names it); it is
	// forwarded too, so the bank knows not to expect or to reverse it.
	KindVoid EntryKind = "void"
	// KindTorn records a tap that tore after GENERATE AC: the card may
	// have charged itself. It is resolved by a later entry whose Ref names it.
	KindTorn EntryKind = "torn"
	// KindTornCleared says the card confirmed a torn tap never completed.
	KindTornCleared EntryKind = "torn_cleared"
)

// Forwarded says whether entries of this kind go to the bank.
func (k EntryKind) Forwarded() bool { return k == KindPurchase || k == KindVoid }

// Entry is one row of the desk's journal. Rows are appended, never
// changed: a void or a torn tap's resolution is a new row naming the old.
type Entry struct {
	Seq  int64 // desk sequence number: 1, 2, 3… without gaps
	Kind EntryKind
	At   time.Time // when the desk recorded it
	// IdempotencyKey is fixed when the entry is made and never changes:
	// the bank posts each key once however often it is sent.
	IdempotencyKey string
	Operator       string // the cashier on duty
	TerminalID     string
	MerchantID     string
	Ref            int64  // the entry a void or a torn resolution refers to
	Note           string // a void's reason; a torn tap's last error

	// The detail message: what clearing needs, exactly as exchanged.
	Amount        Money
	Currency      string // ISO 4217 numeric, three digits
	TxnDate       time.Time
	TxnType       byte
	AID           []byte
	PAN           string // stored whole; shown masked (MaskPAN)
	PSN           string
	ATC           uint16
	CID           byte
	AC            []byte
	IAD           []byte
	TVR           []byte
	UN            []byte
	PDOLData      []byte
	CDOL1Data     []byte
	GenACResponse []byte

	// Hash chains the row to the one before: SHA-256 over the previous
	// hash and this row's canonical bytes. It shows tampering.
	PrevHash []byte
	Hash     []byte
}

// OutboxState is where a forwarded entry stands on its way to the bank.
type OutboxState string

const (
	StateCaptured     OutboxState = "captured"     // in the journal, not yet picked up
	StateQueued       OutboxState = "queued"       // in a batch waiting to be sent
	StateSent         OutboxState = "sent"         // sent, no answer yet
	StateAcknowledged OutboxState = "acknowledged" // the bank has it
	StatePosted       OutboxState = "posted"       // the bank posted it to its ledger
	StateRejected     OutboxState = "rejected"     // the bank refused it (Reason says why)
	StateDuplicate    OutboxState = "duplicate"    // the bank had it already
)

// Final says whether nothing more will happen to the entry.
func (s OutboxState) Final() bool {
	return s == StatePosted || s == StateRejected || s == StateDuplicate
}

// StateChange is one step of an entry's timeline.
type StateChange struct {
	Seq    int64
	State  OutboxState
	Reason string
	At     time.Time
}

// Pending summarises what the bank has not posted yet, for the offline limits.
type Pending struct {
	Count  int
	Amount Money
	Oldest time.Time // zero when nothing is pending
}

// ChainBreak says where the journal's hash chain stops holding.
type ChainBreak struct {
	Seq    int64  // the first row that does not verify, or that is missing
	Reason string // what is wrong there
}

// Journal is what the checkout needs of the desk's storage.
type Journal interface {
	// Append records an entry durably (committed and synced) and gives it
	// its sequence number and hashes; a forwarded kind starts as captured.
	Append(ctx context.Context, e Entry) (Entry, error)
	// Ask writes down durably a tap whose card is about to be asked to
	// pay: the torn entry it becomes if its answer is never recorded.
	Ask(ctx context.Context, torn Entry) error
	// Answer settles a tap Ask wrote down under key: it appends e and
	// forgets the tap in one transaction; a nil e only forgets it.
	Answer(ctx context.Context, key string, e *Entry) (Entry, error)
	Entry(ctx context.Context, seq int64) (Entry, error)
	// Pending sums purchases (less their voids) not yet in a final state.
	Pending(ctx context.Context) (Pending, error)
	// OpenTorn lists torn taps without a resolution, newest first; taps
	// asked and never answered are torn taps too.
	OpenTorn(ctx context.Context) ([]Entry, error)
	// State is the latest outbox state of an entry.
	State(ctx context.Context, seq int64) (OutboxState, error)
	// Voided says whether a void names the entry.
	Voided(ctx context.Context, seq int64) (bool, error)
}

// ErrNotFound is returned for an entry, operator or report that does not exist.
var ErrNotFound = errors.New("not found")

// MaskPAN shows the first six and last four digits, as receipts do.
func MaskPAN(pan string) string {
	if len(pan) < 11 {
		return pan
	}
	out := []byte(pan)
	for i := 6; i < len(out)-4; i++ {
		out[i] = '*'
	}
	return string(out)
}
