package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/argon2"

	"lingqian/app"
)

var _ app.Operators = (*DB)(nil)

// kdf is the argon2id cost a PIN hash was made with. It is stored with
// each hash, so raising defaultKDF later takes effect for an operator at
// their next successful sign-in without invalidating anyone's PIN.
type kdf struct {
	time    uint32
	memory  uint32 // KiB
	threads uint8
}

// defaultKDF costs about 30 ms on the desk's two cores (OWASP's second
// argon2id setting): cheap for a cashier, dear for someone trying all
// 10^4…10^12 PINs against a stolen file. A 4-digit PIN still falls to that
// in minutes, which is why the file is 0600 and the lockout is in the
// database, not the screen.
var defaultKDF = kdf{time: 2, memory: 19 * 1024, threads: 1}

const (
	saltLen     = 16
	pinHashLen  = 32
	maxFailures = 5   // wrong PINs in a row before the operator is locked
	maxName     = 100 // bytes
	kdfArgon2id = "argon2id"
)

// dummySalt is what an unknown operator's PIN is hashed with, so that
// "no such operator" takes as long as "wrong PIN".
var dummySalt = bytes.Repeat([]byte{0x5a}, saltLen)

func (k kdf) hash(pin string, salt []byte) []byte {
	return argon2.IDKey([]byte(pin), salt, k.time, k.memory, k.threads, pinHashLen)
}

// validID: 1–32 of a-z 0-9 . _ -
func validID(id string) error {
	if len(id) == 0 || len(id) > 32 {
		return fmt.Errorf("%w: operator id must be 1 to 32 characters, not %d", ErrInvalid, len(id))
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("%w: operator id %q: use only a-z, 0-9, '.', '_' and '-'", ErrInvalid, id)
		}
	}
	return nil
}

// validPIN: 4–12 digits.
func validPIN(pin string) error {
	if len(pin) < 4 || len(pin) > 12 {
		return fmt.Errorf("%w: a PIN has 4 to 12 digits, not %d characters", ErrInvalid, len(pin))
	}
	for _, c := range []byte(pin) {
		if c < '0' || c > '9' {
			return fmt.Errorf("%w: a PIN has only digits", ErrInvalid)
		}
	}
	return nil
}

// newPINHash salts and hashes a PIN with the current cost.
func newPINHash(pin string) (salt, sum []byte, err error) {
	salt = make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, nil, fmt.Errorf("salt: %w", err)
	}
	return salt, defaultKDF.hash(pin, salt), nil
}

// AddOperator adds an operator with a PIN. Created, when zero, is now;
// Locked and LastSeen are ignored. The store's audit row carries the new
// row's digest; the admin's own row is the caller's: it knows who did it.
func (db *DB) AddOperator(ctx context.Context, op app.Operator, pin string) error {
	if err := validID(op.ID); err != nil {
		return fmt.Errorf("store: add operator: %w", err)
	}
	switch {
	case !op.Role.Valid():
		return fmt.Errorf("store: add operator %s: %w: role %q", op.ID, ErrInvalid, op.Role)
	case len(op.Name) > maxName:
		return fmt.Errorf("store: add operator %s: %w: name is over %d bytes", op.ID, ErrInvalid, maxName)
	}
	if err := validPIN(pin); err != nil {
		return fmt.Errorf("store: add operator %s: %w", op.ID, err)
	}
	if op.Created.IsZero() {
		op.Created = time.Now()
	}
	created, err := nanos(op.Created)
	if err != nil {
		return fmt.Errorf("store: add operator %s: %w", op.ID, err)
	}
	salt, sum, err := newPINHash(pin)
	if err != nil {
		return fmt.Errorf("store: add operator %s: %w", op.ID, err)
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM operator WHERE id = ?", op.ID).Scan(&n); err != nil {
			return fmt.Errorf("store: add operator %s: %w", op.ID, err)
		}
		if n > 0 {
			return fmt.Errorf("store: add operator %s: %w: the id is taken", op.ID, ErrInvalid)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO operator (id, name, role, pin_kdf, pin_salt, pin_hash,
			kdf_time, kdf_memory, kdf_threads, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			op.ID, op.Name, string(op.Role), kdfArgon2id, salt, sum,
			defaultKDF.time, defaultKDF.memory, defaultKDF.threads, created)
		if err == nil {
			err = operatorChanged(ctx, tx, op.ID, fmt.Sprintf("%s added as %s", op.ID, op.Role))
		}
		if err != nil {
			return fmt.Errorf("store: add operator %s: %w", op.ID, err)
		}
		return nil
	})
}

const operatorCols = "id, name, role, locked, created, last_seen"

func scanOperator(row interface{ Scan(...any) error }) (app.Operator, error) {
	var op app.Operator
	var role string
	var created int64
	var seen sql.NullInt64
	if err := row.Scan(&op.ID, &op.Name, &role, &op.Locked, &created, &seen); err != nil {
		return app.Operator{}, err
	}
	op.Role, op.Created = app.Role(role), fromNanos(created)
	if seen.Valid {
		op.LastSeen = fromNanos(seen.Int64)
	}
	return op, nil
}

// Operators lists every operator by id.
func (db *DB) Operators(ctx context.Context) ([]app.Operator, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT "+operatorCols+" FROM operator ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("store: operators: %w", err)
	}
	defer rows.Close()
	var list []app.Operator
	for rows.Next() {
		op, err := scanOperator(rows)
		if err != nil {
			return nil, fmt.Errorf("store: operators: %w", err)
		}
		list = append(list, op)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: operators: %w", err)
	}
	return list, nil
}

// Operator is one operator; app.ErrNotFound when there is none.
func (db *DB) Operator(ctx context.Context, id string) (app.Operator, error) {
	op, err := scanOperator(db.r.QueryRowContext(ctx, "SELECT "+operatorCols+" FROM operator WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return app.Operator{}, fmt.Errorf("store: operator %q: %w", id, app.ErrNotFound)
	}
	if err != nil {
		return app.Operator{}, fmt.Errorf("store: operator %q: %w", id, err)
	}
	return op, nil
}

// SetPIN gives an operator a new PIN and unlocks them. Audited as for
// AddOperator.
func (db *DB) SetPIN(ctx context.Context, id, pin string) error {
	if err := validPIN(pin); err != nil {
		return fmt.Errorf("store: set PIN of %q: %w", id, err)
	}
	salt, sum, err := newPINHash(pin)
	if err != nil {
		return fmt.Errorf("store: set PIN of %q: %w", id, err)
	}
	return db.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE operator SET pin_kdf = ?, pin_salt = ?, pin_hash = ?,
			kdf_time = ?, kdf_memory = ?, kdf_threads = ?, failures = 0, locked = 0 WHERE id = ?`,
			kdfArgon2id, salt, sum, defaultKDF.time, defaultKDF.memory, defaultKDF.threads, id)
		if err != nil {
			return fmt.Errorf("store: set PIN of %q: %w", id, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("store: set PIN of %q: %w", id, err)
		}
		if n == 0 {
			return fmt.Errorf("store: set PIN of %q: %w", id, app.ErrNotFound)
		}
		if err := operatorChanged(ctx, tx, id, id+": new PIN, unlocked"); err != nil {
			return fmt.Errorf("store: set PIN of %q: %w", id, err)
		}
		return nil
	})
}

// operatorChanged writes the store's audit row of a change of operator
// id's row, with the row's new digest, in the change's transaction.
func operatorChanged(ctx context.Context, tx *sql.Tx, id, detail string) error {
	return recordChange(ctx, tx, app.AuditEvent{Operator: auditBy, Action: auditOperatorRow, Detail: detail}, subjectOperator+id)
}

// pinRecord is what signing in needs of an operator.
type pinRecord struct {
	op     app.Operator
	salt   []byte
	sum    []byte
	cost   kdf
	locked bool
}

// Authenticate checks an operator's PIN. After maxFailures wrong PINs in
// a row the operator is locked: every attempt then fails with
// app.ErrLocked, the right PIN too, until SetPIN. A success resets the
// count. An unknown operator gets app.ErrWrongPIN after the same work as
// a known one, so the answer does not tell which ids exist. Each attempt
// leaves an audit row: login, login_failed, and locked when it locks.
func (db *DB) Authenticate(ctx context.Context, id, pin string) (app.Operator, error) {
	fail := func(err error) (app.Operator, error) {
		return app.Operator{}, fmt.Errorf("store: sign in %q: %w", clip(id, maxAuditOperator), err)
	}
	rec, err := db.pinRecord(ctx, id)
	if err != nil {
		return fail(err)
	}
	if rec == nil {
		defaultKDF.hash(pin, dummySalt)
		err := db.Record(ctx, app.AuditEvent{Operator: id, Action: app.AuditLoginFailed, Detail: "no such operator"})
		return fail(errors.Join(app.ErrWrongPIN, err))
	}
	if rec.locked {
		err := db.Record(ctx, app.AuditEvent{Operator: id, Action: app.AuditLoginFailed, Detail: "operator is locked"})
		return fail(errors.Join(app.ErrLocked, err))
	}
	ok := subtle.ConstantTimeCompare(rec.cost.hash(pin, rec.salt), rec.sum) == 1
	var upgrade *[2][]byte // a new salt and hash at the current cost
	if ok && rec.cost != defaultKDF {
		if salt, sum, err := newPINHash(pin); err == nil {
			upgrade = &[2][]byte{salt, sum}
		}
	}

	now := time.Now()
	var result error
	err = db.write(ctx, func(tx *sql.Tx) error {
		// Read again inside the write: another sign-in or a SetPIN may have
		// come between the check above and this transaction.
		var locked bool
		var sum []byte
		err := tx.QueryRowContext(ctx, "SELECT locked, pin_hash FROM operator WHERE id = ?", id).Scan(&locked, &sum)
		if err != nil {
			return err
		}
		audit := func(action app.AuditAction, detail string) error {
			return recordAudit(ctx, tx, app.AuditEvent{At: now, Operator: id, Action: action, Detail: detail})
		}
		// A row this sign-in changed: the audit row carries its digest.
		changed := func(action app.AuditAction, detail string) error {
			return recordChange(ctx, tx, app.AuditEvent{At: now, Operator: id, Action: action, Detail: detail}, subjectOperator+id)
		}
		switch {
		case locked:
			result = app.ErrLocked
			return audit(app.AuditLoginFailed, "operator is locked")
		case !bytes.Equal(sum, rec.sum):
			result = app.ErrWrongPIN
			return audit(app.AuditLoginFailed, "the PIN was changed during the sign-in")
		case ok:
			result = nil
			rec.op.LastSeen = fromNanos(now.UnixNano())
			if _, err := tx.ExecContext(ctx, "UPDATE operator SET failures = 0, last_seen = ? WHERE id = ?", now.UnixNano(), id); err != nil {
				return err
			}
			if upgrade != nil {
				if _, err := tx.ExecContext(ctx, `UPDATE operator SET pin_kdf = ?, pin_salt = ?, pin_hash = ?,
					kdf_time = ?, kdf_memory = ?, kdf_threads = ? WHERE id = ?`, kdfArgon2id, upgrade[0], upgrade[1],
					defaultKDF.time, defaultKDF.memory, defaultKDF.threads, id); err != nil {
					return err
				}
			}
			return changed(app.AuditLogin, "")
		}
		var failures int
		var nowLocked bool
		err = tx.QueryRowContext(ctx, `UPDATE operator SET failures = failures + 1, locked = (failures + 1 >= ?)
			WHERE id = ? RETURNING failures, locked`, maxFailures, id).Scan(&failures, &nowLocked)
		if err != nil {
			return err
		}
		result = app.ErrWrongPIN
		if err := changed(app.AuditLoginFailed, fmt.Sprintf("wrong PIN, %d of %d in a row", failures, maxFailures)); err != nil {
			return err
		}
		if nowLocked {
			result = errors.Join(app.ErrWrongPIN, app.ErrLocked)
			return changed(app.AuditLocked, fmt.Sprintf("locked after %d wrong PINs in a row", failures))
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	if result != nil {
		return fail(result)
	}
	return rec.op, nil
}

// pinRecord reads an operator's PIN hash; nil when the id is not one.
func (db *DB) pinRecord(ctx context.Context, id string) (*pinRecord, error) {
	if validID(id) != nil {
		return nil, nil
	}
	var rec pinRecord
	var kdfName, role string
	var created int64
	var seen sql.NullInt64
	var t, m, p int64
	err := db.r.QueryRowContext(ctx, `SELECT id, name, role, created, last_seen, pin_kdf, pin_salt, pin_hash,
		kdf_time, kdf_memory, kdf_threads, locked FROM operator WHERE id = ?`, id).Scan(
		&rec.op.ID, &rec.op.Name, &role, &created, &seen, &kdfName, &rec.salt, &rec.sum, &t, &m, &p, &rec.locked)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if kdfName != kdfArgon2id || t < 1 || t > 100 || m < 8 || m > 4<<20 || p < 1 || p > 255 || len(rec.sum) == 0 {
		// A hash this release cannot check is refused, never skipped.
		return nil, fmt.Errorf("%w: PIN hash %s (t=%d m=%d p=%d) is not one this release checks", ErrInvalid, kdfName, t, m, p)
	}
	rec.cost = kdf{time: uint32(t), memory: uint32(m), threads: uint8(p)}
	rec.op.Role, rec.op.Created, rec.op.Locked = app.Role(role), fromNanos(created), rec.locked
	if seen.Valid {
		rec.op.LastSeen = fromNanos(seen.Int64)
	}
	return &rec, nil
}
