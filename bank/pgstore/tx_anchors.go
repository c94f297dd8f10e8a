package pgstore

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"lingqian/bank"
)

// Chain anchors: plain reads and one insert; the rules are in bank's
// anchor.go.

const anchorCols = `terminal_id, chain, epoch, seq, hash, at`

func scanAnchor(r pgx.Row) (bank.ChainAnchor, error) {
	var a bank.ChainAnchor
	var at int64
	err := r.Scan(&a.TerminalID, &a.Chain, &a.Epoch, &a.Seq, &a.Hash, &at)
	a.At = fromNanos(at)
	return a, err
}

func (t *pgTx) NewestAnchor(terminalID, chain string) (bank.ChainAnchor, error) {
	a, err := scanAnchor(t.row(`SELECT `+anchorCols+` FROM chain_anchors WHERE terminal_id = $1 AND chain = $2
		ORDER BY epoch DESC, seq DESC LIMIT 1`, terminalID, chain))
	return a, one(err, fmt.Sprintf("anchor of %s's %s", terminalID, chain))
}

func (t *pgTx) AnchorAt(terminalID, chain string, epoch, seq int64) (bank.ChainAnchor, error) {
	a, err := scanAnchor(t.row(`SELECT `+anchorCols+` FROM chain_anchors
		WHERE terminal_id = $1 AND chain = $2 AND epoch = $3 AND seq = $4`, terminalID, chain, epoch, seq))
	return a, one(err, fmt.Sprintf("anchor of %s's %s at %d", terminalID, chain, seq))
}

func (t *pgTx) AddAnchor(a bank.ChainAnchor) error {
	hash := a.Hash
	if hash == nil {
		hash = []byte{} // an empty chain's: NOT NULL
	}
	tag, err := t.exec(`INSERT INTO chain_anchors (`+anchorCols+`) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		a.TerminalID, a.Chain, a.Epoch, a.Seq, hash, nanos(a.At))
	return inserted(tag, err, 1, fmt.Sprintf("anchor of %s's %s at %d", a.TerminalID, a.Chain, a.Seq))
}

func (t *pgTx) NewestException(terminalID, kind, messageKey string) (bank.Exception, error) {
	e, err := scanException(t.row(`SELECT `+exceptionCols+` FROM exceptions
		WHERE terminal_id = $1 AND kind = $2 AND message_key = $3 ORDER BY id DESC LIMIT 1`, terminalID, kind, messageKey))
	return e, one(err, fmt.Sprintf("%s exception of %s", kind, terminalID))
}
