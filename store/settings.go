package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"lingqian/app"
)

// maxSetting bounds a setting's value; settings are short: a URL, a limit, a name.
const maxSetting = 4 << 10

// validKey: 1–64 of a-z 0-9 . _ -
func validKey(key string) error {
	if len(key) == 0 || len(key) > 64 {
		return fmt.Errorf("%w: setting key must be 1 to 64 characters", ErrInvalid)
	}
	for _, c := range []byte(key) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("%w: setting key %q: use only a-z, 0-9, '.', '_' and '-'", ErrInvalid, key)
		}
	}
	return nil
}

// Setting is a setting's value; app.ErrNotFound when it was never set.
func (db *DB) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := db.r.QueryRowContext(ctx, "SELECT value FROM setting WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: setting %q: %w", key, app.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store: setting %q: %w", key, err)
	}
	return v, nil
}

// SetSetting sets a value and, in the same transaction, writes an audit
// row "settings" with the old and the new value and the digest of the
// row it leaves (chain_state.go). Values are in the audit
// log in clear: keep secrets (keys, passwords) out of settings.
func (db *DB) SetSetting(ctx context.Context, key, value, operator string) error {
	if err := validKey(key); err != nil {
		return fmt.Errorf("store: set setting: %w", err)
	}
	if len(value) > maxSetting {
		return fmt.Errorf("store: set setting %q: %w: value is %d bytes, at most %d", key, ErrInvalid, len(value), maxSetting)
	}
	if operator == "" {
		return fmt.Errorf("store: set setting %q: %w: no operator", key, ErrInvalid)
	}
	now := time.Now()
	err := db.write(ctx, func(tx *sql.Tx) error {
		var old sql.NullString
		err := tx.QueryRowContext(ctx, "SELECT value FROM setting WHERE key = ?", key).Scan(&old)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if old.Valid && old.String == value {
			return nil // nothing changes, nothing to audit
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO setting (key, value, changed, changed_by) VALUES (?, ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, changed = excluded.changed, changed_by = excluded.changed_by`,
			key, value, now.UnixNano(), operator)
		if err != nil {
			return err
		}
		was := "(unset)"
		if old.Valid {
			was = strconv.Quote(old.String)
		}
		return recordChange(ctx, tx, app.AuditEvent{At: now, Operator: operator, Action: app.AuditSettings,
			Detail: fmt.Sprintf("%s: %s → %s", key, was, strconv.Quote(value))}, subjectSetting+key)
	})
	if err != nil {
		return fmt.Errorf("store: set setting %q: %w", key, err)
	}
	return nil
}
