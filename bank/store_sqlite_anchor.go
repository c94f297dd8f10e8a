package bank

import "fmt"

// Chain anchors on SQLite: plain reads and one insert; the rules are in
// anchor.go.

const anchorCols = `terminal_id, chain, epoch, seq, hash, at`

func scanAnchor(r scanner) (ChainAnchor, error) {
	var a ChainAnchor
	var at int64
	err := r.Scan(&a.TerminalID, &a.Chain, &a.Epoch, &a.Seq, &a.Hash, &at)
	a.At = fromNanos(at)
	return a, err
}

func (t *sqlTx) NewestAnchor(terminalID, chain string) (ChainAnchor, error) {
	a, err := scanAnchor(t.row(`SELECT `+anchorCols+` FROM chain_anchors WHERE terminal_id = ? AND chain = ?
		ORDER BY epoch DESC, seq DESC LIMIT 1`, terminalID, chain))
	return a, one(err, fmt.Sprintf("anchor of %s's %s", terminalID, chain))
}

func (t *sqlTx) AnchorAt(terminalID, chain string, epoch, seq int64) (ChainAnchor, error) {
	a, err := scanAnchor(t.row(`SELECT `+anchorCols+` FROM chain_anchors WHERE terminal_id = ? AND chain = ? AND epoch = ? AND seq = ?`,
		terminalID, chain, epoch, seq))
	return a, one(err, fmt.Sprintf("anchor of %s's %s at %d", terminalID, chain, seq))
}

func (t *sqlTx) AddAnchor(a ChainAnchor) error {
	hash := a.Hash
	if hash == nil {
		hash = []byte{}
	}
	_, err := t.exec(`INSERT INTO chain_anchors (`+anchorCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		a.TerminalID, a.Chain, a.Epoch, a.Seq, hash, nanos(a.At))
	return unique(err, fmt.Sprintf("anchor of %s's %s at %d", a.TerminalID, a.Chain, a.Seq))
}

func (t *sqlTx) NewestException(terminalID, kind, messageKey string) (Exception, error) {
	e, err := scanException(t.row(`SELECT `+exceptionCols+` FROM exceptions
		WHERE terminal_id = ? AND kind = ? AND message_key = ? ORDER BY id DESC LIMIT 1`, terminalID, kind, messageKey))
	return e, one(err, fmt.Sprintf("%s exception of %s", kind, terminalID))
}
