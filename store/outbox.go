package store

import (
	"context"
	"database/sql"
	"encoding/json"
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
//
// The batch is checked in Go against the entries' latest states, read in
// one query, and appended by one INSERT … SELECT over a JSON array: the
// outbox's triggers cost several times more run once per statement than
// once per row of one statement (a forwarder's batch of 500 went from
// about 50 µs a state to under 10).
func (db *DB) SetStates(ctx context.Context, changes []app.StateChange) error {
	if len(changes) == 0 {
		return nil
	}
	now := time.Now()
	rows := make([][4]any, 0, len(changes))
	seqs := make([]int64, 0, len(changes))
	for _, c := range changes {
		row, err := stateRow(c, now)
		if err != nil {
			return fmt.Errorf("store: set state of entry %d to %s: %w", c.Seq, c.State, err)
		}
		rows = append(rows, row)
		seqs = append(seqs, c.Seq)
	}
	seqJSON, err := json.Marshal(seqs)
	if err != nil {
		return fmt.Errorf("store: set outbox states: %w", err)
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		latest, err := latestStates(ctx, tx, seqJSON)
		if err != nil {
			return fmt.Errorf("store: set outbox states: %w", err)
		}
		keep := rows[:0:0]
		for i, c := range changes {
			have, ok := latest[c.Seq]
			if !ok {
				return fmt.Errorf("store: set state of entry %d to %s: %w", c.Seq, c.State, notForwarded(ctx, tx, c.Seq))
			}
			if have.Final() {
				if have == c.State {
					continue // the same final state again: done already
				}
				return fmt.Errorf("store: set state of entry %d to %s: %w: it is %s already", c.Seq, c.State, ErrFinalState, have)
			}
			latest[c.Seq] = c.State
			keep = append(keep, rows[i])
		}
		if len(keep) == 0 {
			return nil
		}
		body, err := json.Marshal(keep)
		if err != nil {
			return fmt.Errorf("store: set outbox states: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (seq, state, reason, at)
			SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]')
			FROM json_each(?) ORDER BY key`, string(body)); err != nil {
			return fmt.Errorf("store: set outbox states: %w", err)
		}
		return nil
	})
}

// stateRow checks a change and makes its outbox row.
func stateRow(c app.StateChange, now time.Time) ([4]any, error) {
	if !validState(c.State) {
		return [4]any{}, fmt.Errorf("%w: unknown state %q", ErrInvalid, c.State)
	}
	if len(c.Reason) > maxReason {
		return [4]any{}, fmt.Errorf("%w: reason is %d bytes, at most %d", ErrInvalid, len(c.Reason), maxReason)
	}
	if c.At.IsZero() {
		c.At = now
	}
	at, err := nanos(c.At)
	if err != nil {
		return [4]any{}, err
	}
	return [4]any{c.Seq, string(c.State), c.Reason, at}, nil
}

// latestStates reads the latest state of each entry the JSON array of
// seqs names; entries that do not go to the bank are not in it.
func latestStates(ctx context.Context, tx *sql.Tx, seqs []byte) (map[int64]app.OutboxState, error) {
	rs, err := tx.QueryContext(ctx, `SELECT o.seq, o.state FROM outbox_last o
		WHERE o.seq IN (SELECT value FROM json_each(?))`, string(seqs))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	latest := map[int64]app.OutboxState{}
	for rs.Next() {
		var seq int64
		var state string
		if err := rs.Scan(&seq, &state); err != nil {
			return nil, err
		}
		latest[seq] = app.OutboxState(state)
	}
	return latest, rs.Err()
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
	return db.UnsentAfter(ctx, 0, limit)
}

// UnsentVoidsOf are the unsent voids of the purchases fromSeq to toSeq,
// oldest first: a forwarder sends a void in the same batch as its
// purchase, as one that reaches the bank after the purchase comes too late.
func (db *DB) UnsentVoidsOf(ctx context.Context, fromSeq, toSeq int64) ([]app.Entry, error) {
	list, err := queryEntries(ctx, db.r, "SELECT "+entryColsJ+` FROM journal j JOIN outbox_last o ON o.seq = j.seq
		WHERE j.ref BETWEEN ? AND ? AND j.kind = 'void' AND o.final = 0 AND o.state IN ('captured', 'queued', 'sent')
		ORDER BY j.seq`, fromSeq, toSeq)
	if err != nil {
		return nil, fmt.Errorf("store: unsent voids of %d to %d: %w", fromSeq, toSeq, err)
	}
	return list, nil
}

// UnsentAfter is Unsent for the entries after afterSeq: a forwarder with
// batches on the wire reads on from the last of them.
func (db *DB) UnsentAfter(ctx context.Context, afterSeq int64, limit int) ([]app.Entry, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	list, err := queryEntries(ctx, db.r, "SELECT "+entryColsJ+` FROM outbox_last o JOIN journal j ON j.seq = o.seq
		WHERE o.final = 0 AND o.seq > ? AND o.state IN ('captured', 'queued', 'sent') ORDER BY o.seq LIMIT ?`, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("store: unsent entries: %w", err)
	}
	return list, nil
}
