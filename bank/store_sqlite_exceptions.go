package bank

import (
	"fmt"
	"strings"
)

// The exception queue: what clearing could not settle by itself, and how
// a teller closed it.

func (t *sqlTx) AddException(e *Exception) error {
	res, err := t.exec(`INSERT INTO exceptions (at, kind, pan, psn, atc, terminal_id, merchant_id, message_key, detail,
		resolved_at, resolved_by, resolution) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		nanos(e.At), e.Kind, e.PAN, e.PSN, int(e.ATC), e.TerminalID, e.MerchantID, e.MessageKey, e.Detail,
		nanos(e.Resolved.At), e.Resolved.By, e.Resolved.Note)
	if err != nil {
		return fmt.Errorf("exception: %w", err)
	}
	e.ID, err = res.LastInsertId()
	return err
}

const exceptionCols = `id, at, kind, pan, psn, atc, terminal_id, merchant_id, message_key, detail,
	resolved_at, resolved_by, resolution`

func scanException(r scanner) (Exception, error) {
	var e Exception
	var at, resolved int64
	var atc int
	err := r.Scan(&e.ID, &at, &e.Kind, &e.PAN, &e.PSN, &atc, &e.TerminalID, &e.MerchantID, &e.MessageKey, &e.Detail,
		&resolved, &e.Resolved.By, &e.Resolved.Note)
	e.At, e.ATC, e.Resolved.At = fromNanos(at), uint16(atc), fromNanos(resolved)
	return e, err
}

// Exceptions lists the newest first; limit <= 0 lists them all.
func (t *sqlTx) Exceptions(limit int) ([]Exception, error) {
	return t.ExceptionQueue(ExceptionsAll, limit)
}

// ExceptionQueue lists the exceptions in state, the newest first; limit
// <= 0 lists them all.
func (t *sqlTx) ExceptionQueue(state ExceptionState, limit int) ([]Exception, error) {
	if limit <= 0 {
		limit = -1
	}
	var where string
	switch state {
	case ExceptionsOpen:
		where = `WHERE resolved_at = 0`
	case ExceptionsResolved:
		where = `WHERE resolved_at <> 0`
	case ExceptionsAll:
	default:
		return nil, fmt.Errorf("exceptions: no state %q", state)
	}
	rows, err := t.query(`SELECT `+exceptionCols+` FROM exceptions `+where+` ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("exceptions: %w", err)
	}
	defer rows.Close()
	var out []Exception
	for rows.Next() {
		e, err := scanException(rows)
		if err != nil {
			return nil, fmt.Errorf("exceptions: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (t *sqlTx) Exception(id int64) (Exception, error) {
	e, err := scanException(t.row(`SELECT `+exceptionCols+` FROM exceptions WHERE id = ?`, id))
	return e, one(err, fmt.Sprintf("exception %d", id))
}

func (t *sqlTx) ResolveException(id int64, r Resolution) error {
	res, err := t.exec(`UPDATE exceptions SET resolved_at = ?, resolved_by = ?, resolution = ? WHERE id = ? AND resolved_at = 0`,
		nanos(r.At), r.By, r.Note, id)
	if err != nil {
		return fmt.Errorf("exception %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	// Nothing changed: tell an unknown exception from a closed one.
	if _, err := t.Exception(id); err != nil {
		return err
	}
	return fmt.Errorf("exception %d: resolved already: %w", id, ErrExists)
}

func (t *sqlTx) ResolveWalletExceptions(pan, psn string, kinds []string, r Resolution) (int, error) {
	if len(kinds) == 0 {
		return 0, nil
	}
	args := []any{nanos(r.At), r.By, r.Note, pan, psn}
	for _, k := range kinds {
		args = append(args, k)
	}
	res, err := t.exec(`UPDATE exceptions SET resolved_at = ?, resolved_by = ?, resolution = ?
		WHERE pan = ? AND psn = ? AND resolved_at = 0 AND kind IN (?`+strings.Repeat(", ?", len(kinds)-1)+`)`, args...)
	if err != nil {
		return 0, fmt.Errorf("exceptions of wallet %s: %w", MaskPAN(pan), err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
