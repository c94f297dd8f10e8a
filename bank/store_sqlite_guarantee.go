package bank

import (
	"fmt"
	"time"
)

// The merchant guarantee's tables: a PAN's hotlist entry, and the unloads
// held for the settlement window (migration 3).

func (t *sqlTx) HotlistEntry(pan string) (HotlistEntry, error) {
	e := HotlistEntry{PAN: pan}
	var at int64
	err := t.row(`SELECT reason, version, at FROM hotlist WHERE pan = ?`, pan).Scan(&e.Reason, &e.Version, &at)
	e.At = fromNanos(at)
	return e, one(err, "hotlist entry of "+MaskPAN(pan))
}

func (t *sqlTx) AddHeldUnload(u *HeldUnload) error {
	res, err := t.exec(`INSERT INTO held_unloads (pan, psn, customer, amount, terminal_id, operator, approver, at, pays_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.PAN, u.PSN, u.Customer, u.Amount, u.TerminalID, u.Operator, u.Approver, nanos(u.At), nanos(u.PaysAt))
	if err != nil {
		return fmt.Errorf("held unload of %s: %w", MaskPAN(u.PAN), err)
	}
	if u.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("held unload of %s: %w", MaskPAN(u.PAN), err)
	}
	return nil
}

const heldCols = `id, pan, psn, customer, amount, terminal_id, operator, approver, at, pays_at, paid_at, paid, load_id`

func (t *sqlTx) HeldUnloads(pan, psn string) ([]HeldUnload, error) {
	return t.heldUnloads(`SELECT `+heldCols+` FROM held_unloads WHERE pan = ? AND psn = ? ORDER BY id`, pan, psn)
}

func (t *sqlTx) DueUnloads(at time.Time, limit int) ([]HeldUnload, error) {
	return t.heldUnloads(`SELECT `+heldCols+` FROM held_unloads WHERE paid_at = 0 AND pays_at <= ?
		ORDER BY pays_at, id LIMIT ?`, nanos(at), limit)
}

func (t *sqlTx) heldUnloads(q string, args ...any) ([]HeldUnload, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("held unloads: %w", err)
	}
	defer rows.Close()
	var out []HeldUnload
	for rows.Next() {
		var u HeldUnload
		var at, paysAt, paidAt int64
		if err := rows.Scan(&u.ID, &u.PAN, &u.PSN, &u.Customer, &u.Amount, &u.TerminalID, &u.Operator, &u.Approver,
			&at, &paysAt, &paidAt, &u.Paid, &u.LoadID); err != nil {
			return nil, fmt.Errorf("held unloads: %w", err)
		}
		u.At, u.PaysAt, u.PaidAt = fromNanos(at), fromNanos(paysAt), fromNanos(paidAt)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("held unloads: %w", err)
	}
	return out, nil
}

// PayHeldUnload records the payout once: only an unload still held
// changes.
func (t *sqlTx) PayHeldUnload(u HeldUnload) error {
	what := fmt.Sprintf("held unload %d", u.ID)
	if u.PaidAt.IsZero() {
		return fmt.Errorf("%s: a payout needs its time", what)
	}
	res, err := t.exec(`UPDATE held_unloads SET paid_at = ?, paid = ?, load_id = ? WHERE id = ? AND paid_at = 0`,
		nanos(u.PaidAt), u.Paid, u.LoadID, u.ID)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	} else if n == 1 {
		return nil
	}
	var paidAt int64
	err = t.row(`SELECT paid_at FROM held_unloads WHERE id = ?`, u.ID).Scan(&paidAt)
	if err := one(err, what); err != nil {
		return err
	}
	return fmt.Errorf("%s was paid already: %w", what, ErrExists)
}
