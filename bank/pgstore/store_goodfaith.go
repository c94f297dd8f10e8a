package pgstore

import (
	"fmt"
	"time"

	"lingqian/bank"
)

// Good faith without the desk's word (migration 6): plain reads and one
// upsert; the rules are in bank's goodfaith.go.

// PurchasesAt lists every purchase kept on any of slots, whichever desk
// sent it and however it was judged.
func (t *pgTx) PurchasesAt(slots []bank.ATCSlot) ([]bank.Message, error) {
	if len(slots) == 0 {
		return nil, nil
	}
	pans, psns, atcs := slotArrays(slots)
	return t.messages(`SELECT `+messageCols+`
		FROM unnest($1::text[], $2::text[], $3::int[]) AS want (want_pan, want_psn, want_atc)
		JOIN messages ON pan = want_pan AND psn = want_psn AND atc = want_atc AND kind = 'purchase'`, pans, psns, atcs)
}

func (t *pgTx) HotlistServed(terminalID string) (bank.ServedHotlist, error) {
	s := bank.ServedHotlist{TerminalID: terminalID}
	var at int64
	err := t.row(`SELECT version, at FROM hotlist_served WHERE terminal_id = $1`, terminalID).Scan(&s.Version, &at)
	s.At = fromNanos(at)
	return s, one(err, "hotlist served to "+terminalID)
}

func (t *pgTx) SetHotlistServed(s bank.ServedHotlist) error {
	_, err := t.exec(`INSERT INTO hotlist_served (terminal_id, version, at) VALUES ($1, $2, $3)
		ON CONFLICT (terminal_id) DO UPDATE SET version = excluded.version, at = excluded.at`,
		s.TerminalID, s.Version, nanos(s.At))
	if err != nil {
		return fmt.Errorf("hotlist served to %s: %w", s.TerminalID, err)
	}
	return nil
}

func (t *pgTx) FirstAnchorSince(terminalID, chain string, epoch int64, since time.Time) (bank.ChainAnchor, error) {
	a, err := scanAnchor(t.row(`SELECT `+anchorCols+` FROM chain_anchors
		WHERE terminal_id = $1 AND chain = $2 AND epoch = $3 AND at >= $4 ORDER BY seq LIMIT 1`,
		terminalID, chain, epoch, nanos(since)))
	return a, one(err, fmt.Sprintf("anchor of %s's %s since %s", terminalID, chain, since.Format(time.RFC3339)))
}

func (t *pgTx) LastAnchorUntil(terminalID, chain string, epoch int64, until time.Time) (bank.ChainAnchor, error) {
	a, err := scanAnchor(t.row(`SELECT `+anchorCols+` FROM chain_anchors
		WHERE terminal_id = $1 AND chain = $2 AND epoch = $3 AND at <= $4 ORDER BY seq DESC LIMIT 1`,
		terminalID, chain, epoch, nanos(until)))
	return a, one(err, fmt.Sprintf("anchor of %s's %s until %s", terminalID, chain, until.Format(time.RFC3339)))
}
