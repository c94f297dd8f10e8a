package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"lingqian/app"
)

// maxReason bounds a state's reason: the bank's message, not a document.
const maxReason = 4 << 10

// SetState appends a state to a forwarded entry's timeline. It refuses
// entries that do not go to the bank and any change out of a final state
// (ErrFinalState); the same final state again is a no-op, so a forwarder
// that marks a batch twice after a crash does no harm. A zero at is now.
func (db *DB) SetState(ctx context.Context, seq int64, state app.OutboxState, reason string, at time.Time) error {
	return db.SetStates(ctx, []app.StateChange{{Seq: seq, State: state, Reason: reason, At: at}})
}

// SetStates appends many states in one transaction, in the order given:
// all of them or, when one is refused, none.
func (db *DB) SetStates(ctx context.Context, changes []app.StateChange) error {
	if len(changes) == 0 {
		return nil
	}
	now := time.Now()
	err := db.write(ctx, func(tx *sql.Tx) error {
		cur, err := tx.PrepareContext(ctx, "SELECT state FROM outbox_last WHERE seq = ?")
		if err != nil {
			return fmt.Errorf("store: set outbox states: %w", err)
		}
		defer cur.Close()
		ins, err := tx.PrepareContext(ctx, "INSERT INTO outbox (seq, state, reason, at) VALUES (?, ?, ?, ?)")
		if err != nil {
			return fmt.Errorf("store: set outbox states: %w", err)
		}
		defer ins.Close()
		for _, c := range changes {
			if err := setState(ctx, tx, cur, ins, c, now); err != nil {
				return fmt.Errorf("store: set state of entry %d to %s: %w", c.Seq, c.State, err)
			}
		}
		return nil
	})
	return err
}

func setState(ctx context.Context, tx *sql.Tx, cur, ins *sql.Stmt, c app.StateChange, now time.Time) error {
	if !validState(c.State) {
		return fmt.Errorf("%w: unknown state %q", ErrInvalid, c.State)
	}
	if len(c.Reason) > maxReason {
		return fmt.Errorf("%w: reason is %d bytes, at most %d", ErrInvalid, len(c.Reason), maxReason)
	}
	if c.At.IsZero() {
		c.At = now
	}
	at, err := nanos(c.At)
	if err != nil {
		return err
	}
	var have string
	err = cur.QueryRowContext(ctx, c.Seq).Scan(&have)
	if errors.Is(err, sql.ErrNoRows) {
		return notForwarded(ctx, tx, c.Seq)
	}
	if err != nil {
		return err
	}
	if old := app.OutboxState(have); old.Final() {
		if old == c.State {
			return nil
		}
		return fmt.Errorf("%w: it is %s already", ErrFinalState, old)
	}
	if _, err := ins.ExecContext(ctx, c.Seq, string(c.State), c.Reason, at); err != nil {
		return err
	}
	return nil
}

func validState(s app.OutboxState) bool {
	switch s {
	case app.StateCaptured, app.StateQueued, app.StateSent, app.StateAcknowledged,
		app.StatePosted, app.StateRejected, app.StateDuplicate:
		return true
	}
	return false
}

// Timeline is every state of a forwarded entry, oldest first.
func (db *DB) Timeline(ctx context.Context, seq int64) ([]app.StateChange, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT state, reason, at FROM outbox WHERE seq = ? ORDER BY id", seq)
	if err != nil {
		return nil, fmt.Errorf("store: timeline of entry %d: %w", seq, err)
	}
	defer rows.Close()
	var list []app.StateChange
	for rows.Next() {
		var state string
		var at int64
		c := app.StateChange{Seq: seq}
		if err := rows.Scan(&state, &c.Reason, &at); err != nil {
			return nil, fmt.Errorf("store: timeline of entry %d: %w", seq, err)
		}
		c.State, c.At = app.OutboxState(state), fromNanos(at)
		list = append(list, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: timeline of entry %d: %w", seq, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("store: timeline of entry %d: %w", seq, notForwarded(ctx, db.r, seq))
	}
	return list, nil
}

// Unsent are the forwarded entries the bank has not acknowledged (latest
// state captured, queued or sent), oldest first, at most limit of them
// (all when limit <= 0).
func (db *DB) Unsent(ctx context.Context, limit int) ([]app.Entry, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	list, err := queryEntries(ctx, db.r, "SELECT "+entryColsJ+` FROM outbox_last o JOIN journal j ON j.seq = o.seq
		WHERE o.final = 0 AND o.state IN ('captured', 'queued', 'sent') ORDER BY o.seq LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: unsent entries: %w", err)
	}
	return list, nil
}
