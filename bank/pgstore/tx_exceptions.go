package pgstore

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"lingqian/bank"
)

// The exception queue: what clearing could not settle by itself, and how
// a teller closed it.

func (t *pgTx) AddException(e *bank.Exception) error {
	err := t.row(`INSERT INTO exceptions (at, kind, pan, psn, atc, terminal_id, merchant_id, message_key, detail,
		resolved_at, resolved_by, resolution) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		nanos(e.At), e.Kind, e.PAN, e.PSN, int32(e.ATC), e.TerminalID, e.MerchantID, e.MessageKey, e.Detail,
		nanos(e.Resolved.At), e.Resolved.By, e.Resolved.Note).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("exception: %w", err)
	}
	return nil
}

const exceptionCols = `id, at, kind, pan, psn, atc, terminal_id, merchant_id, message_key, detail,
	resolved_at, resolved_by, resolution`

func scanException(r pgx.Row) (bank.Exception, error) {
	var e bank.Exception
	var at, resolved int64
	var atc int32
	err := r.Scan(&e.ID, &at, &e.Kind, &e.PAN, &e.PSN, &atc, &e.TerminalID, &e.MerchantID, &e.MessageKey, &e.Detail,
		&resolved, &e.Resolved.By, &e.Resolved.Note)
	e.At, e.ATC, e.Resolved.At = fromNanos(at), uint16(atc), fromNanos(resolved)
	return e, err
}

// Exceptions lists the newest first; limit <= 0 lists them all.
func (t *pgTx) Exceptions(limit int) ([]bank.Exception, error) {
	return t.ExceptionQueue(bank.ExceptionsAll, limit)
}

// ExceptionQueue lists the exceptions in state, the newest first; limit
// <= 0 lists them all.
func (t *pgTx) ExceptionQueue(state bank.ExceptionState, limit int) ([]bank.Exception, error) {
	var where string
	switch state {
	case bank.ExceptionsOpen:
		where = `WHERE resolved_at = 0`
	case bank.ExceptionsResolved:
		where = `WHERE resolved_at <> 0`
	case bank.ExceptionsAll:
	default:
		return nil, fmt.Errorf("exceptions: no state %q", state)
	}
	return list(t, "exceptions", scanException, `SELECT `+exceptionCols+` FROM exceptions `+where+` ORDER BY id DESC LIMIT $1`,
		noLimit(limit))
}

func (t *pgTx) Exception(id int64) (bank.Exception, error) {
	e, err := scanException(t.row(`SELECT `+exceptionCols+` FROM exceptions WHERE id = $1`, id))
	return e, one(err, fmt.Sprintf("exception %d", id))
}

func (t *pgTx) ResolveException(id int64, r bank.Resolution) error {
	tag, err := t.exec(`UPDATE exceptions SET resolved_at = $1, resolved_by = $2, resolution = $3 WHERE id = $4 AND resolved_at = 0`,
		nanos(r.At), r.By, r.Note, id)
	if err != nil {
		return fmt.Errorf("exception %d: %w", id, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	// Nothing changed: tell an unknown exception from a closed one.
	if _, err := t.Exception(id); err != nil {
		return err
	}
	return fmt.Errorf("exception %d: resolved already: %w", id, bank.ErrExists)
}

func (t *pgTx) ResolveWalletExceptions(pan, psn string, kinds []string, r bank.Resolution) (int, error) {
	if len(kinds) == 0 {
		return 0, nil
	}
	tag, err := t.exec(`UPDATE exceptions SET resolved_at = $1, resolved_by = $2, resolution = $3
		WHERE pan = $4 AND psn = $5 AND resolved_at = 0 AND kind = ANY($6::text[])`,
		nanos(r.At), r.By, r.Note, pan, psn, kinds)
	if err != nil {
		return 0, fmt.Errorf("exceptions of wallet %s: %w", bank.MaskPAN(pan), err)
	}
	return int(tag.RowsAffected()), nil
}
