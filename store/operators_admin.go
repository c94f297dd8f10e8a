package store

import (
	"context"
	"database/sql"
	"fmt"

	"lingqian/app"
)

var _ app.OperatorAdmin = (*DB)(nil)

// SetRole gives an operator another role. Audited as AddOperator is.
func (db *DB) SetRole(ctx context.Context, id string, role app.Role) error {
	if !role.Valid() {
		return fmt.Errorf("store: role of %q: %w: role %q", id, ErrInvalid, role)
	}
	return db.updateOperator(ctx, id, "role of", fmt.Sprintf("%s: role %s", id, role), "UPDATE operator SET role = ? WHERE id = ?", string(role), id)
}

// SetLocked locks an operator out, or lets them in again with the PIN
// they have, their count of wrong PINs forgotten. Audited as AddOperator is.
func (db *DB) SetLocked(ctx context.Context, id string, locked bool) error {
	if locked {
		return db.updateOperator(ctx, id, "lock", id+": locked", "UPDATE operator SET locked = 1 WHERE id = ?", id)
	}
	return db.updateOperator(ctx, id, "unlock", id+": unlocked", "UPDATE operator SET locked = 0, failures = 0 WHERE id = ?", id)
}

// updateOperator runs one UPDATE of an operator and writes the store's
// audit row of it (detail); app.ErrNotFound when there is no such operator.
func (db *DB) updateOperator(ctx context.Context, id, what, detail, query string, args ...any) error {
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
		if err := operatorChanged(ctx, tx, id, detail); err != nil {
			return fmt.Errorf("store: %s %q: %w", what, id, err)
		}
		return nil
	})
}
