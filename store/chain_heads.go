package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"lingqian/app"
)

// ChainHeads are the ends of the journal's and the audit log's chains,
// read in one snapshot: what the desk sends the bank to anchor.
func (db *DB) ChainHeads(ctx context.Context) ([]app.ChainHead, error) {
	heads := []app.ChainHead{{Name: app.ChainJournal}, {Name: app.ChainAudit}}
	err := db.read(ctx, func(tx *sql.Tx) error {
		for i, q := range []string{
			"SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1",
			"SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
		} {
			err := tx.QueryRowContext(ctx, q).Scan(&heads[i].Seq, &heads[i].Hash)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("%s: %w", heads[i].Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: chain heads: %w", err)
	}
	return heads, nil
}

// ChainHash is the hash the desk holds now at link seq of the chain
// named; app.ErrNotFound when the chain has no such link.
func (db *DB) ChainHash(ctx context.Context, chain string, seq int64) ([]byte, error) {
	var q string
	switch chain {
	case app.ChainJournal:
		q = "SELECT hash FROM journal WHERE seq = ?"
	case app.ChainAudit:
		q = "SELECT hash FROM audit WHERE id = ?"
	default:
		return nil, fmt.Errorf("store: chain %q: %w", chain, app.ErrNotFound)
	}
	var h []byte
	err := db.r.QueryRowContext(ctx, q, seq).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && len(h) == 0) {
		return nil, fmt.Errorf("store: %s link %d: %w", chain, seq, app.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: %s link %d: %w", chain, seq, err)
	}
	return h, nil
}
