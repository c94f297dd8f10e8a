package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"lingqian/app"
)

// Ask writes down, durably, a tap whose card is about to be asked to pay:
// the torn entry it becomes if its answer is never recorded. Answer
// settles it; OpenTorn turns it into that torn entry when the desk
// stopped before.
func (db *DB) Ask(ctx context.Context, torn app.Entry) error {
	if torn.Kind != app.KindTorn {
		return fmt.Errorf("store: ask: %w: a tap is written down as torn, not %s", ErrInvalid, torn.Kind)
	}
	if _, err := prepare(&torn); err != nil {
		return err
	}
	b, err := json.Marshal(torn)
	if err != nil {
		return fmt.Errorf("store: ask: %w", err)
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO tap_asked (idem_key, entry) VALUES (?, ?)", torn.IdempotencyKey, string(b)); err != nil {
			return fmt.Errorf("store: ask %s: %w", torn.IdempotencyKey, err)
		}
		return nil
	})
}

// Answer settles the tap Ask wrote down under key: it appends e (the
// purchase the card approved, or the torn entry when no answer came) and
// forgets the tap, in one transaction. A nil e only forgets it: the card
// answered without paying.
func (db *DB) Answer(ctx context.Context, key string, e *app.Entry) (app.Entry, error) {
	var row entryTimes
	if e != nil {
		var err error
		if row, err = prepare(e); err != nil {
			return app.Entry{}, err
		}
	}
	err := db.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM tap_asked WHERE idem_key = ?", key); err != nil {
			return fmt.Errorf("store: answer %s: %w", key, err)
		}
		if e == nil {
			return nil
		}
		return insertEntry(ctx, tx, e, row)
	})
	if err != nil || e == nil {
		return app.Entry{}, err
	}
	return *e, nil
}

// tornFromAsked turns taps asked and never answered into torn entries:
// the desk stopped between asking the card and recording its answer, so
// the card may have paid. A row that does not read as an entry is left
// where it is for a person to see, and the desk goes on selling.
func (db *DB) tornFromAsked(ctx context.Context) error {
	var n int
	if err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM tap_asked").Scan(&n); err != nil {
		return fmt.Errorf("store: taps asked: %w", err)
	}
	if n == 0 {
		return nil
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, "SELECT id, entry FROM tap_asked ORDER BY id")
		if err != nil {
			return fmt.Errorf("store: taps asked: %w", err)
		}
		type asked struct {
			id int64
			e  app.Entry
		}
		var list []asked
		for rows.Next() {
			var a asked
			var text string
			if err := rows.Scan(&a.id, &text); err != nil {
				rows.Close()
				return fmt.Errorf("store: taps asked: %w", err)
			}
			if json.Unmarshal([]byte(text), &a.e) == nil && a.e.Kind == app.KindTorn && a.e.Ref == 0 {
				list = append(list, a)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: taps asked: %w", err)
		}
		for _, a := range list {
			a.e.Note = "the desk stopped after asking the wallet to pay"
			row, err := prepare(&a.e)
			if err == nil {
				err = insertEntry(ctx, tx, &a.e, row)
			}
			// Already in the journal: its answer was recorded after all.
			if err != nil && !errors.Is(err, ErrDuplicateKey) {
				return fmt.Errorf("store: tap asked %d: %w", a.id, err)
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM tap_asked WHERE id = ?", a.id); err != nil {
				return fmt.Errorf("store: tap asked %d: %w", a.id, err)
			}
		}
		return nil
	})
}
