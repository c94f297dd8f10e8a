package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"hash"
	"strconv"
)

// The audit log's hash chain, built as the journal's (chain.go):
//
//	Hash(row n) = SHA-256( Hash(row n-1) ‖ auditCanonical(row n) )
//
// with 32 zero bytes before the first row, where auditCanonical is
//
//	"lingqian.audit.v1" 0x00
//	ID int · At int · Operator str · Action str · Ref int · Detail str ·
//	Subject str · Digest bytes
//
// in the journal's encodings (At is the stored nanoseconds as an int).
// Subject and Digest bind an audited change of a setting or an operator to
// the row it left behind (chain_state.go). A future format changes the
// tag, never this one.
const auditTag = "lingqian.audit.v1\x00"

// auditRow is one row of the audit log as the chain sees it.
type auditRow struct {
	ID       int64
	At       int64
	Operator string
	Action   string
	Ref      int64
	Detail   string
	Subject  string
	Digest   []byte
	PrevHash []byte
	Hash     []byte
}

// auditCanonical appends r's canonical encoding to buf.
func auditCanonical(buf []byte, r *auditRow) []byte {
	c := canon(append(buf, auditTag...))
	c.i64(r.ID)
	c.i64(r.At)
	c.str(r.Operator)
	c.str(r.Action)
	c.i64(r.Ref)
	c.str(r.Detail)
	c.str(r.Subject)
	c.bytes(r.Digest)
	return c
}

// auditHash is SHA-256(prev ‖ auditCanonical(r)); h and buf are reused
// when not nil.
func auditHash(h hash.Hash, buf []byte, prev []byte, r *auditRow) ([]byte, []byte) {
	return linkHash(h, buf, prev, r, auditCanonical)
}

// appendAudit inserts r at the end of the chain in the caller's
// transaction: its ID is the next one AUTOINCREMENT would give (never the
// ID of a row cut off the end), its PrevHash the last row's hash.
func appendAudit(ctx context.Context, q querier, r auditRow) error {
	var last int64
	var prev []byte
	err := q.QueryRowContext(ctx, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").Scan(&last, &prev)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		prev = zeroHash
	case err != nil:
		return fmt.Errorf("last audit row: %w", err)
	case len(prev) == 0:
		// Only before finishChainUpgrade, which Open runs first.
		return fmt.Errorf("audit row %d is not chained: the database's upgrade did not finish", last)
	}
	var hi sql.NullInt64
	err = q.QueryRowContext(ctx, "SELECT seq FROM sqlite_sequence WHERE name = 'audit'").Scan(&hi)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("highest audit id: %w", err)
	}
	r.ID = max(last, hi.Int64) + 1
	r.PrevHash = prev
	r.Hash, _ = auditHash(nil, nil, prev, &r)
	var digest any
	if r.Digest != nil {
		digest = r.Digest
	}
	_, err = q.ExecContext(ctx, `INSERT INTO audit (id, at, operator, action, ref, detail, subject, digest, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.At, r.Operator, r.Action, r.Ref, r.Detail, r.Subject, digest, r.PrevHash, r.Hash)
	return err
}

// auditCols are the audit log's columns in the order rawAudit decodes them.
const auditCols = "id, at, operator, action, ref, detail, subject, digest, prev_hash, hash"

var auditColNames = [...]string{"id", "at", "operator", "action", "ref", "detail", "subject", "digest", "prev_hash", "hash"}

// rawAudit scans an audit row as raw bytes, so that a row someone made
// unreadable is a finding instead of a failed query.
type rawAudit struct {
	cols [len(auditColNames)]sql.RawBytes
	dest [len(auditColNames)]any
}

func newRawAudit() *rawAudit {
	r := &rawAudit{}
	for i := range r.cols {
		r.dest[i] = &r.cols[i]
	}
	return r
}

// decode fills row from the scanned columns; its byte fields point into
// the scan's buffers, valid until the next Scan.
func (r *rawAudit) decode(row *auditRow) error {
	var err error
	num := func(i int) int64 {
		if err != nil {
			return 0
		}
		v, perr := strconv.ParseInt(string(r.cols[i]), 10, 64)
		if perr != nil || r.cols[i] == nil {
			err = fmt.Errorf("column %s holds %.40q, not a number", auditColNames[i], r.cols[i])
		}
		return v
	}
	str := func(i int) string {
		if len(r.cols[i]) > maxField && err == nil {
			err = fmt.Errorf("column %s is %d bytes long", auditColNames[i], len(r.cols[i]))
		}
		return string(r.cols[i])
	}
	row.ID = num(0)
	row.At = num(1)
	row.Operator = str(2)
	row.Action = str(3)
	row.Ref = num(4)
	row.Detail = str(5)
	row.Subject = str(6)
	row.Digest = r.cols[7]
	if len(row.Digest) == 0 {
		row.Digest = nil
	}
	row.PrevHash = r.cols[8]
	row.Hash = r.cols[9]
	return err
}

// AuditBreak says where the audit log's chain, or a row it vouches for,
// stops holding. Row is the audit row concerned (0 for a setting or an
// operator row that no audit row vouches for).
type AuditBreak struct {
	Row    int64
	Reason string
}

// walkAudit checks every audit row after row after against the one
// before, in id order, the first against prev (the hash of row after,
// verified before; the zero hash when after is 0), and the end of the log
// against the highest id SQLite ever gave; it returns the last id, all of
// whose chain held, and that row's hash.
func walkAudit(ctx context.Context, tx *sql.Tx, after int64, prev []byte) (*AuditBreak, int64, []byte, error) {
	rows, err := tx.QueryContext(ctx, "SELECT "+auditCols+" FROM audit WHERE id > ? ORDER BY id", after)
	if err != nil {
		return nil, 0, nil, err
	}
	defer rows.Close()
	raw := newRawAudit()
	h := sha256.New()
	var buf []byte
	want := after + 1
	for rows.Next() {
		if err := rows.Scan(raw.dest[:]...); err != nil {
			return &AuditBreak{Row: want, Reason: "the row cannot be read: " + err.Error()}, 0, nil, nil
		}
		var row auditRow
		derr := raw.decode(&row)
		switch {
		case row.ID > want: // id is INTEGER PRIMARY KEY: always readable
			return &AuditBreak{Row: want, Reason: fmt.Sprintf("audit row %d is missing: the next row is %d", want, row.ID)}, 0, nil, nil
		case derr != nil:
			return &AuditBreak{Row: want, Reason: "the row cannot be read: " + derr.Error()}, 0, nil, nil
		case !bytes.Equal(row.PrevHash, prev):
			return &AuditBreak{Row: want, Reason: "its previous-hash link does not match the row before it: " +
				"a row was deleted, inserted or moved here"}, 0, nil, nil
		}
		var sum []byte
		sum, buf = auditHash(h, buf, prev, &row)
		if !bytes.Equal(sum, row.Hash) {
			return &AuditBreak{Row: want, Reason: "its stored hash is not the hash of its contents: the row was changed"}, 0, nil, nil
		}
		prev = append(prev[:0:0], row.Hash...)
		want++
	}
	if err := rows.Err(); err != nil {
		if damaged(err) {
			return &AuditBreak{Row: want, Reason: "the file is damaged from here on: " + err.Error()}, 0, nil, nil
		}
		return nil, 0, nil, fmt.Errorf("after audit row %d: %w", want-1, err)
	}
	last := want - 1
	var hi sql.NullInt64
	err = tx.QueryRowContext(ctx, "SELECT seq FROM sqlite_sequence WHERE name = 'audit'").Scan(&hi)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, 0, nil, fmt.Errorf("read the highest audit id: %w", err)
	}
	if hi.Int64 > last {
		return &AuditBreak{Row: last + 1, Reason: fmt.Sprintf("audit rows after %d are missing: the log had reached %d", last, hi.Int64)}, 0, nil, nil
	}
	return nil, last, prev, nil
}
