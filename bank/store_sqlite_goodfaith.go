package bank

import (
	"fmt"
	"time"
)

// Good faith without the desk's word on SQLite (migration 6): plain
// reads and one upsert; the rules are in goodfaith.go.

// PurchasesAt lists every purchase kept on any of slots, whichever desk
// sent it and however it was judged.
func (t *sqlTx) PurchasesAt(slots []ATCSlot) ([]Message, error) {
	if len(slots) == 0 {
		return nil, nil
	}
	list, err := slotList(slots)
	if err != nil {
		return nil, fmt.Errorf("purchases at ATCs: %w", err)
	}
	// As in SlotHolders, the wanted slots stay outside so that each
	// probes messages_wallet on all three columns.
	return t.messages(`WITH want (want_pan, want_psn, want_atc) AS (
			SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?))
		SELECT `+messageCols+` FROM want CROSS JOIN messages
		WHERE pan = want_pan AND psn = want_psn AND atc = want_atc AND kind = 'purchase'`, list)
}

func (t *sqlTx) HotlistServed(terminalID string) (ServedHotlist, error) {
	s := ServedHotlist{TerminalID: terminalID}
	var at int64
	err := t.row(`SELECT version, at FROM hotlist_served WHERE terminal_id = ?`, terminalID).Scan(&s.Version, &at)
	s.At = fromNanos(at)
	return s, one(err, "hotlist served to "+terminalID)
}

func (t *sqlTx) SetHotlistServed(s ServedHotlist) error {
	_, err := t.exec(`INSERT INTO hotlist_served (terminal_id, version, at) VALUES (?, ?, ?)
		ON CONFLICT (terminal_id) DO UPDATE SET version = excluded.version, at = excluded.at`,
		s.TerminalID, s.Version, nanos(s.At))
	if err != nil {
		return fmt.Errorf("hotlist served to %s: %w", s.TerminalID, err)
	}
	return nil
}

func (t *sqlTx) FirstAnchorSince(terminalID, chain string, epoch int64, since time.Time) (ChainAnchor, error) {
	a, err := scanAnchor(t.row(`SELECT `+anchorCols+` FROM chain_anchors
		WHERE terminal_id = ? AND chain = ? AND epoch = ? AND at >= ? ORDER BY seq LIMIT 1`,
		terminalID, chain, epoch, nanos(since)))
	return a, one(err, fmt.Sprintf("anchor of %s's %s since %s", terminalID, chain, since.Format(time.RFC3339)))
}

func (t *sqlTx) LastAnchorUntil(terminalID, chain string, epoch int64, until time.Time) (ChainAnchor, error) {
	a, err := scanAnchor(t.row(`SELECT `+anchorCols+` FROM chain_anchors
		WHERE terminal_id = ? AND chain = ? AND epoch = ? AND at <= ? ORDER BY seq DESC LIMIT 1`,
		terminalID, chain, epoch, nanos(until)))
	return a, one(err, fmt.Sprintf("anchor of %s's %s until %s", terminalID, chain, until.Format(time.RFC3339)))
}
