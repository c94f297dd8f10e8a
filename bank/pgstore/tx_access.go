package pgstore

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"lingqian/bank"
)

// Customers, sessions, enrolment codes, desks, idempotency records and the
// admin log: who may call the bank, what it already answered them, and who
// changed what from its administrative commands.

func (t *pgTx) CreateCustomer(c *bank.Customer) error {
	err := t.row(`INSERT INTO customers (username, password_hash, created_at) VALUES ($1, $2, $3)
		ON CONFLICT DO NOTHING RETURNING id`, c.User, c.PasswordHash, nanos(c.Created)).Scan(&c.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("customer %s: %w", c.User, bank.ErrExists)
	}
	return one(err, "customer "+c.User)
}

const customerCols = `id, username, password_hash, failures, locked_until, created_at`

func scanCustomer(r pgx.Row, what string) (bank.Customer, error) {
	var c bank.Customer
	var locked, created int64
	err := r.Scan(&c.ID, &c.User, &c.PasswordHash, &c.Failures, &locked, &created)
	c.LockedUntil, c.Created = fromNanos(locked), fromNanos(created)
	return c, one(err, what)
}

func (t *pgTx) Customer(user string) (bank.Customer, error) {
	return scanCustomer(t.row(`SELECT `+customerCols+` FROM customers WHERE username = $1`, user), "customer "+user)
}

func (t *pgTx) CustomerByID(id int64) (bank.Customer, error) {
	return scanCustomer(t.row(`SELECT `+customerCols+` FROM customers WHERE id = $1`, id), fmt.Sprintf("customer %d", id))
}

func (t *pgTx) SetLoginFailures(id int64, failures int, lockedUntil time.Time) error {
	if _, err := t.exec(`UPDATE customers SET failures = $1, locked_until = $2 WHERE id = $3`,
		failures, nanos(lockedUntil), id); err != nil {
		return fmt.Errorf("customer %d: %w", id, err)
	}
	return nil
}

func (t *pgTx) CreateSession(tokenHash []byte, customerID int64, expires time.Time) error {
	tag, err := t.exec(`INSERT INTO sessions (token_hash, customer_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		tokenHash, customerID, nanos(expires))
	return inserted(tag, err, 1, "session")
}

func (t *pgTx) Session(tokenHash []byte) (int64, time.Time, error) {
	var id, exp int64
	err := t.row(`SELECT customer_id, expires_at FROM sessions WHERE token_hash = $1`, tokenHash).Scan(&id, &exp)
	return id, fromNanos(exp), one(err, "session")
}

func (t *pgTx) CreateCode(c bank.EnrolCode) error {
	tag, err := t.exec(`INSERT INTO enrolment_codes (code_hash, merchant_id, teller, expires_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`, c.Hash, c.MerchantID, c.Teller, nanos(c.Expires))
	return inserted(tag, err, 1, "enrolment code")
}

func (t *pgTx) Code(hash []byte) (bank.EnrolCode, error) {
	c := bank.EnrolCode{Hash: hash}
	var exp, used int64
	err := t.row(`SELECT merchant_id, teller, expires_at, used_at, terminal_id FROM enrolment_codes WHERE code_hash = $1`, hash).
		Scan(&c.MerchantID, &c.Teller, &exp, &used, &c.TerminalID)
	c.Expires, c.Used = fromNanos(exp), fromNanos(used)
	return c, one(err, "enrolment code")
}

func (t *pgTx) UseCode(hash []byte, terminalID string, at time.Time) error {
	tag, err := t.exec(`UPDATE enrolment_codes SET used_at = $1, terminal_id = $2 WHERE code_hash = $3 AND used_at = 0`,
		nanos(at), terminalID, hash)
	if err != nil {
		return fmt.Errorf("enrolment code: %w", err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("enrolment code: unused one: %w", bank.ErrNotFound)
	}
	return nil
}

func (t *pgTx) NextTerminalNumber() (int64, error) {
	var n int64
	if err := t.row(`UPDATE meta SET value = value + 1 WHERE name = 'next_terminal' RETURNING value - 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("terminal number: %w", err)
	}
	return n, nil
}

func (t *pgTx) CreateDesk(d bank.Desk) error {
	tag, err := t.exec(`INSERT INTO desks (terminal_id, merchant_id, teller, cert_serial, not_after, enrolled_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
		d.TerminalID, d.MerchantID, d.Teller, d.CertSerial, nanos(d.NotAfter), nanos(d.Enrolled))
	return inserted(tag, err, 1, "desk "+d.TerminalID)
}

const deskCols = `terminal_id, merchant_id, teller, cert_serial, not_after, enrolled_at, revoked_at`

func scanDesk(r pgx.Row, what string) (bank.Desk, error) {
	var d bank.Desk
	var notAfter, enrolled, revoked int64
	err := r.Scan(&d.TerminalID, &d.MerchantID, &d.Teller, &d.CertSerial, &notAfter, &enrolled, &revoked)
	d.NotAfter, d.Enrolled, d.Revoked = fromNanos(notAfter), fromNanos(enrolled), fromNanos(revoked)
	return d, one(err, what)
}

func (t *pgTx) DeskBySerial(serial string) (bank.Desk, error) {
	return scanDesk(t.row(`SELECT `+deskCols+` FROM desks WHERE cert_serial = $1`, serial), "desk certificate "+serial)
}

func (t *pgTx) Desk(terminalID string) (bank.Desk, error) {
	return scanDesk(t.row(`SELECT `+deskCols+` FROM desks WHERE terminal_id = $1`, terminalID), "desk "+terminalID)
}

func (t *pgTx) RevokeDesk(terminalID string, at time.Time) error {
	tag, err := t.exec(`UPDATE desks SET revoked_at = $1 WHERE terminal_id = $2 AND revoked_at = 0`, nanos(at), terminalID)
	if err != nil {
		return fmt.Errorf("desk %s: %w", terminalID, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("desk %s (not revoked yet): %w", terminalID, bank.ErrNotFound)
	}
	return nil
}

func (t *pgTx) Idempotent(client, key string) (bank.IdemRecord, error) {
	r := bank.IdemRecord{Client: client, Key: key}
	var at int64
	err := t.row(`SELECT body_hash, status, response, at FROM idempotency WHERE client = $1 AND key = $2`, client, key).
		Scan(&r.BodyHash, &r.Status, &r.Response, &at)
	r.At = fromNanos(at)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, bank.ErrNotFound // the common case: asked before every write, unwrapped as on SQLite
	}
	return r, one(err, "idempotency key")
}

func (t *pgTx) SaveIdempotent(r bank.IdemRecord) error {
	tag, err := t.exec(`INSERT INTO idempotency (client, key, body_hash, status, response, at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT DO NOTHING`, r.Client, r.Key, r.BodyHash, r.Status, r.Response, nanos(r.At))
	return inserted(tag, err, 1, "idempotency key")
}

func (t *pgTx) EndSession(tokenHash []byte) error {
	tag, err := t.exec(`DELETE FROM sessions WHERE token_hash = $1`, tokenHash)
	if err != nil {
		return fmt.Errorf("session: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("session: %w", bank.ErrNotFound)
	}
	return nil
}

func (t *pgTx) EndSessions(customerID int64) (int, error) {
	tag, err := t.exec(`DELETE FROM sessions WHERE customer_id = $1`, customerID)
	if err != nil {
		return 0, fmt.Errorf("sessions of customer %d: %w", customerID, err)
	}
	return int(tag.RowsAffected()), nil
}

func (t *pgTx) EndExpiredSessions(now time.Time) (int, error) {
	tag, err := t.exec(`DELETE FROM sessions WHERE expires_at <= $1`, nanos(now))
	if err != nil {
		return 0, fmt.Errorf("expired sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

func (t *pgTx) AddAdminEntry(e *bank.AdminEntry) error {
	if err := t.row(`INSERT INTO admin_log (at, by_whom, command, target, detail) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		nanos(e.At), e.By, e.Command, e.Target, e.Detail).Scan(&e.ID); err != nil {
		return fmt.Errorf("admin log: %w", err)
	}
	return nil
}

// AdminLog lists the newest first; limit <= 0 lists it all.
func (t *pgTx) AdminLog(limit int) ([]bank.AdminEntry, error) {
	return list(t, "admin log", func(r pgx.Row) (bank.AdminEntry, error) {
		var e bank.AdminEntry
		var at int64
		err := r.Scan(&e.ID, &at, &e.By, &e.Command, &e.Target, &e.Detail)
		e.At = fromNanos(at)
		return e, err
	}, `SELECT id, at, by_whom, command, target, detail FROM admin_log ORDER BY id DESC LIMIT $1`, noLimit(limit))
}
