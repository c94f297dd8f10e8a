package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"lingqian/app"
)

// askedTap is a row of tap_asked: the torn entry a tap becomes if its
// answer is never recorded. Its own names, so that a change of app.Entry
// cannot silently drop what RECOVER AC needs.
type askedTap struct {
	Key       string    `json:"key"`
	At        time.Time `json:"at"`
	Operator  string    `json:"operator"`
	Terminal  string    `json:"terminal"`
	Merchant  string    `json:"merchant"`
	Amount    int64     `json:"amount"`
	Currency  string    `json:"currency"`
	TxnDate   time.Time `json:"txn_date"`
	TxnType   byte      `json:"txn_type"`
	AID       []byte    `json:"aid"`
	PAN       string    `json:"pan"`
	PSN       string    `json:"psn"`
	UN        []byte    `json:"un"`
	PDOLData  []byte    `json:"pdol_data"`
	CDOL1Data []byte    `json:"cdol1_data"`
}

func askedFrom(e app.Entry) askedTap {
	return askedTap{Key: e.IdempotencyKey, At: e.At, Operator: e.Operator, Terminal: e.TerminalID, Merchant: e.MerchantID,
		Amount: int64(e.Amount), Currency: e.Currency, TxnDate: e.TxnDate, TxnType: e.TxnType, AID: e.AID, PAN: e.PAN,
		PSN: e.PSN, UN: e.UN, PDOLData: e.PDOLData, CDOL1Data: e.CDOL1Data}
}

// torn is the torn entry the tap becomes, recorded now.
func (a askedTap) torn(now time.Time) app.Entry {
	return app.Entry{Kind: app.KindTorn, At: now, IdempotencyKey: a.Key, Operator: a.Operator, TerminalID: a.Terminal,
		MerchantID: a.Merchant, Note: "the desk stopped after asking the wallet to pay at " + a.At.Format(time.RFC3339),
		Amount: app.Money(a.Amount), Currency: a.Currency, TxnDate: a.TxnDate, TxnType: a.TxnType, AID: a.AID,
		PAN: a.PAN, PSN: a.PSN, UN: a.UN, PDOLData: a.PDOLData, CDOL1Data: a.CDOL1Data}
}

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
	b, err := json.Marshal(askedFrom(torn))
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
//
// When the tap is no longer there, another process at this desk took it
// for a stopped desk's and made it a torn entry meanwhile: a purchase
// then names that entry as the one it resolves, and the torn answer is
// that entry. A refusal leaves it open; the card's next tap settles it.
func (db *DB) Answer(ctx context.Context, key string, e *app.Entry) (app.Entry, error) {
	var row entryTimes
	if e != nil {
		var err error
		if row, err = prepare(e); err != nil {
			return app.Entry{}, err
		}
	}
	var taken int64 // the torn entry the tap became meanwhile
	err := db.write(ctx, func(tx *sql.Tx) error {
		r, err := tx.ExecContext(ctx, "DELETE FROM tap_asked WHERE idem_key = ?", key)
		if err != nil {
			return fmt.Errorf("store: answer %s: %w", key, err)
		}
		if n, err := r.RowsAffected(); err != nil || n == 0 {
			var kind string
			err := tx.QueryRowContext(ctx, "SELECT seq, kind FROM journal WHERE idem_key = ?", key).Scan(&taken, &kind)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				taken = 0
			case err != nil:
				return fmt.Errorf("store: answer %s: %w", key, err)
			case app.EntryKind(kind) != app.KindTorn:
				return fmt.Errorf("store: answer %s: %w: the key is entry %d's, a %s", key, ErrInvalid, taken, kind)
			case e != nil && e.IdempotencyKey == key:
				return nil
			case e != nil && e.Kind == app.KindPurchase && e.Ref == 0:
				e.Ref, taken = taken, 0
			default:
				taken = 0
			}
		}
		if e == nil {
			return nil
		}
		return insertEntry(ctx, tx, e, row)
	})
	switch {
	case err != nil:
		return app.Entry{}, err
	case taken != 0:
		return db.Entry(ctx, taken)
	case e == nil:
		return app.Entry{}, nil
	}
	return *e, nil
}

// tornFromAsked turns taps asked and never answered into torn entries:
// the desk stopped between asking the card and recording its answer, so
// the card may have paid. A row that cannot become an entry stays where
// it is, and the desk goes on selling.
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
			id  int64
			tap askedTap
		}
		var list []asked
		for rows.Next() {
			var a asked
			var text string
			if err := rows.Scan(&a.id, &text); err != nil {
				rows.Close()
				return fmt.Errorf("store: taps asked: %w", err)
			}
			if json.Unmarshal([]byte(text), &a.tap) == nil {
				list = append(list, a)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: taps asked: %w", err)
		}
		for _, a := range list {
			e := a.tap.torn(time.Now())
			row, err := prepare(&e)
			if err != nil {
				continue
			}
			if _, err := tx.ExecContext(ctx, "SAVEPOINT asked"); err != nil {
				return fmt.Errorf("store: tap asked %d: %w", a.id, err)
			}
			err = insertEntry(ctx, tx, &e, row)
			if err == nil {
				_, err = tx.ExecContext(ctx, "DELETE FROM tap_asked WHERE id = ?", a.id)
			}
			undo := "RELEASE asked"
			if err != nil {
				undo = "ROLLBACK TO asked; RELEASE asked"
			}
			if _, err := tx.ExecContext(ctx, undo); err != nil {
				return fmt.Errorf("store: tap asked %d: %w", a.id, err)
			}
		}
		return nil
	})
}
