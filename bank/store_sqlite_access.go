package bank

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Customers, sessions, enrolment codes, desks, idempotency records and the
// admin log: who may call the bank, what it already answered them, and
// who changed what from its administrative commands.

func (t *sqlTx) CreateCustomer(c *Customer) error {
	res, err := t.exec(`INSERT INTO customers (username, password_hash, created_at) VALUES (?, ?, ?)`,
		c.User, c.PasswordHash, nanos(c.Created))
	if err := unique(err, "customer "+c.User); err != nil {
		return err
	}
	c.ID, err = res.LastInsertId()
	return err
}

const customerCols = `id, username, password_hash, failures, locked_until, created_at`

func scanCustomer(r *sql.Row, what string) (Customer, error) {
	var c Customer
	var locked, created int64
	err := r.Scan(&c.ID, &c.User, &c.PasswordHash, &c.Failures, &locked, &created)
	c.LockedUntil, c.Created = fromNanos(locked), fromNanos(created)
	return c, one(err, what)
}

func (t *sqlTx) Customer(user string) (Customer, error) {
	return scanCustomer(t.row(`SELECT `+customerCols+` FROM customers WHERE username = ?`, user), "customer "+user)
}

func (t *sqlTx) CustomerByID(id int64) (Customer, error) {
	return scanCustomer(t.row(`SELECT `+customerCols+` FROM customers WHERE id = ?`, id), fmt.Sprintf("customer %d", id))
}

func (t *sqlTx) SetLoginFailures(id int64, failures int, lockedUntil time.Time) error {
	_, err := t.exec(`UPDATE customers SET failures = ?, locked_until = ? WHERE id = ?`, failures, nanos(lockedUntil), id)
	if err != nil {
		return fmt.Errorf("customer %d: %w", id, err)
	}
	return nil
}

func (t *sqlTx) CreateSession(tokenHash []byte, customerID int64, expires time.Time) error {
	_, err := t.exec(`INSERT INTO sessions (token_hash, customer_id, expires_at) VALUES (?, ?, ?)`,
		tokenHash, customerID, nanos(expires))
	return unique(err, "session")
}

func (t *sqlTx) Session(tokenHash []byte) (int64, time.Time, error) {
	var id, exp int64
	err := t.row(`SELECT customer_id, expires_at FROM sessions WHERE token_hash = ?`, tokenHash).Scan(&id, &exp)
	return id, fromNanos(exp), one(err, "session")
}

func (t *sqlTx) CreateCode(c EnrolCode) error {
	_, err := t.exec(`INSERT INTO enrolment_codes (code_hash, merchant_id, teller, expires_at) VALUES (?, ?, ?, ?)`,
		c.Hash, c.MerchantID, boolInt(c.Teller), nanos(c.Expires))
	return unique(err, "enrolment code")
}

func (t *sqlTx) Code(hash []byte) (EnrolCode, error) {
	c := EnrolCode{Hash: hash}
	var exp, used int64
	var teller int
	err := t.row(`SELECT merchant_id, teller, expires_at, used_at, terminal_id FROM enrolment_codes WHERE code_hash = ?`, hash).
		Scan(&c.MerchantID, &teller, &exp, &used, &c.TerminalID)
	c.Teller, c.Expires, c.Used = teller == 1, fromNanos(exp), fromNanos(used)
	return c, one(err, "enrolment code")
}

func (t *sqlTx) UseCode(hash []byte, terminalID string, at time.Time) error {
	res, err := t.exec(`UPDATE enrolment_codes SET used_at = ?, terminal_id = ? WHERE code_hash = ? AND used_at = 0`,
		nanos(at), terminalID, hash)
	if err != nil {
		return fmt.Errorf("enrolment code: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("enrolment code: unused one: %w", ErrNotFound)
	}
	return nil
}

func (t *sqlTx) NextTerminalNumber() (int64, error) {
	var n int64
	if err := t.row(`UPDATE meta SET value = value + 1 WHERE name = 'next_terminal' RETURNING value - 1`).Scan(&n); err != nil {
		return 0, fmt.Errorf("terminal number: %w", err)
	}
	return n, nil
}

func (t *sqlTx) CreateDesk(d Desk) error {
	_, err := t.exec(`INSERT INTO desks (terminal_id, merchant_id, teller, cert_serial, not_after, enrolled_at) VALUES (?, ?, ?, ?, ?, ?)`,
		d.TerminalID, d.MerchantID, boolInt(d.Teller), d.CertSerial, nanos(d.NotAfter), nanos(d.Enrolled))
	return unique(err, "desk "+d.TerminalID)
}

func scanDesk(r *sql.Row, what string) (Desk, error) {
	var d Desk
	var teller int
	var notAfter, enrolled, revoked int64
	err := r.Scan(&d.TerminalID, &d.MerchantID, &teller, &d.CertSerial, &notAfter, &enrolled, &revoked)
	d.Teller, d.NotAfter, d.Enrolled, d.Revoked = teller == 1, fromNanos(notAfter), fromNanos(enrolled), fromNanos(revoked)
	return d, one(err, what)
}

const deskCols = `terminal_id, merchant_id, teller, cert_serial, not_after, enrolled_at, revoked_at`

func (t *sqlTx) DeskBySerial(serial string) (Desk, error) {
	return scanDesk(t.row(`SELECT `+deskCols+` FROM desks WHERE cert_serial = ?`, serial), "desk certificate "+serial)
}

func (t *sqlTx) Desk(terminalID string) (Desk, error) {
	return scanDesk(t.row(`SELECT `+deskCols+` FROM desks WHERE terminal_id = ?`, terminalID), "desk "+terminalID)
}

func (t *sqlTx) RevokeDesk(terminalID string, at time.Time) error {
	res, err := t.exec(`UPDATE desks SET revoked_at = ? WHERE terminal_id = ? AND revoked_at = 0`, nanos(at), terminalID)
	if err != nil {
		return fmt.Errorf("desk %s: %w", terminalID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("desk %s (not revoked yet): %w", terminalID, ErrNotFound)
	}
	return nil
}

func (t *sqlTx) Idempotent(client, key string) (IdemRecord, error) {
	r := IdemRecord{Client: client, Key: key}
	var at int64
	err := t.row(`SELECT body_hash, status, response, at FROM idempotency WHERE client = ? AND key = ?`, client, key).
		Scan(&r.BodyHash, &r.Status, &r.Response, &at)
	r.At = fromNanos(at)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	return r, one(err, "idempotency key")
}

func (t *sqlTx) SaveIdempotent(r IdemRecord) error {
	_, err := t.exec(`INSERT INTO idempotency (client, key, body_hash, status, response, at) VALUES (?, ?, ?, ?, ?, ?)`,
		r.Client, r.Key, r.BodyHash, r.Status, r.Response, nanos(r.At))
	return unique(err, "idempotency key")
}

// Ending sessions, and the admin log.

func (t *sqlTx) EndSession(tokenHash []byte) error {
	res, err := t.exec(`DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
	if err != nil {
		return fmt.Errorf("session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("session: %w", ErrNotFound)
	}
	return nil
}

func (t *sqlTx) EndSessions(customerID int64) (int, error) {
	res, err := t.exec(`DELETE FROM sessions WHERE customer_id = ?`, customerID)
	if err != nil {
		return 0, fmt.Errorf("sessions of customer %d: %w", customerID, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func (t *sqlTx) EndExpiredSessions(now time.Time) (int, error) {
	res, err := t.exec(`DELETE FROM sessions WHERE expires_at <= ?`, nanos(now))
	if err != nil {
		return 0, fmt.Errorf("expired sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func (t *sqlTx) AddAdminEntry(e *AdminEntry) error {
	res, err := t.exec(`INSERT INTO admin_log (at, by_whom, command, target, detail) VALUES (?, ?, ?, ?, ?)`,
		nanos(e.At), e.By, e.Command, e.Target, e.Detail)
	if err != nil {
		return fmt.Errorf("admin log: %w", err)
	}
	e.ID, err = res.LastInsertId()
	return err
}

// AdminLog lists the newest first; limit <= 0 lists it all.
func (t *sqlTx) AdminLog(limit int) ([]AdminEntry, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := t.query(`SELECT id, at, by_whom, command, target, detail FROM admin_log ORDER BY id DESC LIMIT ?`, int64(limit))
	if err != nil {
		return nil, fmt.Errorf("admin log: %w", err)
	}
	defer rows.Close()
	var out []AdminEntry
	for rows.Next() {
		var e AdminEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.By, &e.Command, &e.Target, &e.Detail); err != nil {
			return nil, fmt.Errorf("admin log: %w", err)
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("admin log: %w", err)
	}
	return out, nil
}
