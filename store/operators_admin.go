package store

import (
	"context"
	"database/sql"
	"fmt"

	"lingqian/app"
)

var _ app.OperatorAdmin = (*DB)(nil)

// SetRole gives an operator another role. Auditing is the caller's, as
// for AddOperator: it knows which admin did it.
func (db *DB) SetRole(ctx context.Context, id string, role app.Role) error {
	if !role.Valid() {
		return fmt.Errorf("store: role of %q: %w: role %q", id, ErrInvalid, role)
	}
	return db.updateOperator(ctx, id, "role of", "UPDATE operator SET role = ? WHERE id = ?", string(role), id)
}

// SetLocked locks an operator out, or lets them in again with the PIN
// they have, their count of wrong PINs forgotten. Auditing is the caller's.
func (db *DB) SetLocked(ctx context.Context, id string, locked bool) error {
	if locked {
		return db.updateOperator(ctx, id, "lock", "UPDATE operator SET locked = 1 WHERE id = ?", id)
	}
	return db.updateOperator(ctx, id, "unlock", "UPDATE operator SET locked = 0, failures = 0 WHERE id = ?", id)
}

// updateOperator runs one UPDATE of an operator; app.ErrNotFound when
// there is no such operator.
func (db *DB) updateOperator(ctx context.Context, id, what, query string, args ...any) error {
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("store: %s %q: %w", what, id, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("store: %s %q: %w", what, id, err)
		}
		if n == 0 {
			return fmt.Errorf("store: %s %q: %w", what, id, app.ErrNotFound)
		}
		return nil
	})
}
