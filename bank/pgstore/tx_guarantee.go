package pgstore

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"lingqian/bank"
)

// The merchant guarantee's tables: a PAN's hotlist entry, and the unloads
// held for the settlement window (migration 3).

func (t *pgTx) HotlistEntry(pan string) (bank.HotlistEntry, error) {
	e := bank.HotlistEntry{PAN: pan}
	var at int64
	err := t.row(`SELECT reason, version, at FROM hotlist WHERE pan = $1`, pan).Scan(&e.Reason, &e.Version, &at)
	e.At = fromNanos(at)
	return e, one(err, "hotlist entry of "+bank.MaskPAN(pan))
}

func (t *pgTx) AddHeldUnload(u *bank.HeldUnload) error {
	if err := t.row(`INSERT INTO held_unloads (pan, psn, customer, amount, terminal_id, operator, approver, at, pays_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		u.PAN, u.PSN, u.Customer, u.Amount, u.TerminalID, u.Operator, u.Approver, nanos(u.At), nanos(u.PaysAt)).Scan(&u.ID); err != nil {
		return fmt.Errorf("held unload of %s: %w", bank.MaskPAN(u.PAN), err)
	}
	return nil
}

const heldCols = `id, pan, psn, customer, amount, terminal_id, operator, approver, at, pays_at, paid_at, paid, load_id`

func scanHeld(r pgx.Row) (bank.HeldUnload, error) {
	var u bank.HeldUnload
	var at, paysAt, paidAt int64
	err := r.Scan(&u.ID, &u.PAN, &u.PSN, &u.Customer, &u.Amount, &u.TerminalID, &u.Operator, &u.Approver,
		&at, &paysAt, &paidAt, &u.Paid, &u.LoadID)
	u.At, u.PaysAt, u.PaidAt = fromNanos(at), fromNanos(paysAt), fromNanos(paidAt)
	return u, err
}

func (t *pgTx) HeldUnloads(pan, psn string) ([]bank.HeldUnload, error) {
	return list(t, "held unloads", scanHeld, `SELECT `+heldCols+` FROM held_unloads WHERE pan = $1 AND psn = $2 ORDER BY id`, pan, psn)
}

// DueUnloads takes limit as SQLite's LIMIT does: none for 0, all when
// negative.
func (t *pgTx) DueUnloads(at time.Time, limit int) ([]bank.HeldUnload, error) {
	var lim any = int64(limit)
	if limit < 0 {
		lim = nil
	}
	return list(t, "held unloads", scanHeld, `SELECT `+heldCols+` FROM held_unloads WHERE paid_at = 0 AND pays_at <= $1
		ORDER BY pays_at, id LIMIT $2`, nanos(at), lim)
}

// PayHeldUnload records the payout once: only an unload still held
// changes.
func (t *pgTx) PayHeldUnload(u bank.HeldUnload) error {
	what := fmt.Sprintf("held unload %d", u.ID)
	if u.PaidAt.IsZero() {
		return fmt.Errorf("%s: a payout needs its time", what)
	}
	tag, err := t.exec(`UPDATE held_unloads SET paid_at = $1, paid = $2, load_id = $3 WHERE id = $4 AND paid_at = 0`,
		nanos(u.PaidAt), u.Paid, u.LoadID, u.ID)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var paidAt int64
	if err := one(t.row(`SELECT paid_at FROM held_unloads WHERE id = $1`, u.ID).Scan(&paidAt), what); err != nil {
		return err
	}
	return fmt.Errorf("%s was paid already: %w", what, bank.ErrExists)
}
