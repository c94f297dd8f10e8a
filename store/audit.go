package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"lingqian/app"
)

var _ app.Audit = (*DB)(nil)

// Bounds on an audit row: it is for a reviewer to read, and its operator
// may be whatever someone typed at a sign-in prompt.
const (
	maxAuditOperator = 64
	maxAuditAction   = 64
	maxAuditDetail   = 8 << 10
)

// Record appends an event to the audit log. A zero At is now.
func (db *DB) Record(ctx context.Context, e app.AuditEvent) error {
	err := db.write(ctx, func(tx *sql.Tx) error { return recordAudit(ctx, tx, e) })
	if err != nil {
		return fmt.Errorf("store: audit %s by %q: %w", e.Action, e.Operator, err)
	}
	return nil
}

// recordAudit appends one audit row, chained, in the caller's
// transaction, so that an event and what it records commit together.
func recordAudit(ctx context.Context, q querier, e app.AuditEvent) error {
	return recordAuditOf(ctx, q, e, "", nil)
}

// recordAuditOf is recordAudit for the change of a setting or operator
// row: subject names it, digest is the row as the change left it (nil
// when it removed the row). See chain_state.go.
func recordAuditOf(ctx context.Context, q querier, e app.AuditEvent, subject string, digest []byte) error {
	if e.Action == "" || len(e.Action) > maxAuditAction {
		return fmt.Errorf("%w: action %q", ErrInvalid, e.Action)
	}
	if e.Ref < 0 {
		return fmt.Errorf("%w: ref %d", ErrInvalid, e.Ref)
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	at, err := nanos(e.At)
	if err != nil {
		return err
	}
	return appendAudit(ctx, q, auditRow{At: at, Operator: clip(e.Operator, maxAuditOperator), Action: string(e.Action),
		Ref: e.Ref, Detail: clip(e.Detail, maxAuditDetail), Subject: subject, Digest: digest})
}

// clip shortens s to at most n bytes without cutting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}

// AuditLog is the events at or after since, oldest first, at most limit
// of them (all when limit <= 0). Page on with since = the last one's At,
// skipping the IDs already seen.
func (db *DB) AuditLog(ctx context.Context, since time.Time, limit int) ([]app.AuditEvent, error) {
	from := int64(-1 << 63)
	if !since.IsZero() {
		var err error
		if from, err = nanos(since); err != nil {
			return nil, fmt.Errorf("store: audit log: %w", err)
		}
	}
	if limit <= 0 {
		limit = -1
	}
	rows, err := db.r.QueryContext(ctx, `SELECT id, at, operator, action, ref, detail FROM audit
		WHERE at >= ? ORDER BY at, id LIMIT ?`, from, limit)
	if err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	defer rows.Close()
	var list []app.AuditEvent
	for rows.Next() {
		var e app.AuditEvent
		var at int64
		var action string
		if err := rows.Scan(&e.ID, &at, &e.Operator, &action, &e.Ref, &e.Detail); err != nil {
			return nil, fmt.Errorf("store: audit log: %w", err)
		}
		e.At, e.Action = fromNanos(at), app.AuditAction(action)
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: audit log: %w", err)
	}
	return list, nil
}
