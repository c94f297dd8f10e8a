package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"time"

	"lingqian/app"
)

// Settings and operators are rows a desk changes in place, so they cannot
// be chained themselves. Instead every change writes, in the same
// transaction, an audit row naming the row (its subject) and the digest
// of the whole row as the change left it. Verify then compares each
// current row with the digest of its last audited change: a row edited,
// added or removed with the sqlite3 tool no longer matches, and the audit
// row cannot be changed to match without breaking the audit chain.
//
//	digest = SHA-256( tag ‖ for each column in order: 0xFF for NULL,
//	                  else 0x01 ‖ 4-byte big-endian length ‖ its bytes )
//
// where the bytes are the column as SQLite gives it as text or blob
// (integers in decimal). Every column is covered, the sign-in counters
// too: each sign-in writes its audit row anyway.
const (
	settingTag  = "lingqian.setting.v1\x00"
	operatorTag = "lingqian.operator.v1\x00"

	settingRowCols  = "key, value, changed, changed_by"
	operatorRowCols = "id, name, role, pin_kdf, pin_salt, pin_hash, kdf_time, kdf_memory, kdf_threads, failures, locked, created, last_seen"

	subjectSetting  = "setting:"
	subjectOperator = "operator:"

	// auditOperatorRow is the action of the row the store writes when an
	// operator's row changes outside a sign-in: the admin's own row, by
	// name, follows from app.Staff.
	auditOperatorRow app.AuditAction = "operator_row"
	// auditBy is who the store's own rows are by.
	auditBy = "system"
)

// rowDigest is the digest of one scanned row.
func rowDigest(tag string, cols []sql.RawBytes) []byte {
	h := sha256.New()
	h.Write([]byte(tag))
	var n [4]byte
	for _, c := range cols {
		if c == nil {
			h.Write([]byte{0xFF})
			continue
		}
		binary.BigEndian.PutUint32(n[:], uint32(len(c)))
		h.Write([]byte{0x01})
		h.Write(n[:])
		h.Write(c)
	}
	return h.Sum(nil)
}

// digests reads the digest of every row of a table, by subject.
func digests(ctx context.Context, q querier, table, cols, prefix, tag, where string, args ...any) (map[string][]byte, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+cols+" FROM "+table+" "+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ncol := strings.Count(cols, ",") + 1
	raw := make([]sql.RawBytes, ncol)
	dest := make([]any, ncol)
	for i := range raw {
		dest[i] = &raw[i]
	}
	out := map[string][]byte{}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		out[prefix+string(raw[0])] = rowDigest(tag, raw)
	}
	return out, rows.Err()
}

// recordChange writes the audit row of a change of one setting or
// operator, carrying the digest of the row as it is now in tx.
func recordChange(ctx context.Context, tx *sql.Tx, e app.AuditEvent, subject string) error {
	var d map[string][]byte
	var err error
	switch {
	case strings.HasPrefix(subject, subjectSetting):
		d, err = digests(ctx, tx, "setting", settingRowCols, subjectSetting, settingTag, "WHERE key = ?", strings.TrimPrefix(subject, subjectSetting))
	case strings.HasPrefix(subject, subjectOperator):
		d, err = digests(ctx, tx, "operator", operatorRowCols, subjectOperator, operatorTag, "WHERE id = ?", strings.TrimPrefix(subject, subjectOperator))
	default:
		return fmt.Errorf("audit subject %q", subject)
	}
	if err != nil {
		return fmt.Errorf("digest of %s: %w", subject, err)
	}
	return recordAuditOf(ctx, tx, e, subject, d[subject]) // nil: the row is gone
}

// lastAudited is the digest of each subject's last audited change (nil
// for a change that removed the row) and that audit row's id.
func lastAudited(ctx context.Context, tx *sql.Tx) (map[string][]byte, map[string]int64, error) {
	// SQLite gives the bare columns of the row holding max(id).
	rows, err := tx.QueryContext(ctx, "SELECT subject, digest, max(id) FROM audit WHERE subject <> '' GROUP BY subject")
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	dig, ids := map[string][]byte{}, map[string]int64{}
	for rows.Next() {
		var s string
		var d []byte
		var id int64
		if err := rows.Scan(&s, &d, &id); err != nil {
			return nil, nil, err
		}
		dig[s], ids[s] = d, id
	}
	return dig, ids, rows.Err()
}

// checkSubjects compares every setting and operator row with the digest
// of its last audited change, and every audited row with the table.
func checkSubjects(ctx context.Context, tx *sql.Tx) (*AuditBreak, error) {
	audited, ids, err := lastAudited(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("read the audited changes: %w", err)
	}
	now := map[string][]byte{}
	for _, t := range []struct{ table, cols, prefix, tag string }{
		{"setting", settingRowCols, subjectSetting, settingTag},
		{"operator", operatorRowCols, subjectOperator, operatorTag},
	} {
		d, err := digests(ctx, tx, t.table, t.cols, t.prefix, t.tag, "")
		if err != nil {
			return nil, fmt.Errorf("read the %s rows: %w", t.table, err)
		}
		for s, v := range d {
			now[s] = v
		}
	}
	subjects := make([]string, 0, len(now)+len(audited))
	for s := range now {
		subjects = append(subjects, s)
	}
	for s := range audited {
		if _, ok := now[s]; !ok {
			subjects = append(subjects, s)
		}
	}
	sort.Strings(subjects)
	for _, s := range subjects {
		what := strings.Replace(s, ":", " ", 1)
		have, inTable := now[s]
		want, ok := audited[s]
		switch {
		case !ok:
			return &AuditBreak{Reason: what + " has no audited change: it was added outside the desk"}, nil
		case !inTable && want != nil:
			return &AuditBreak{Row: ids[s], Reason: fmt.Sprintf("%s is gone, but audit row %d recorded it: it was removed outside the desk", what, ids[s])}, nil
		case inTable && !bytes.Equal(have, want):
			return &AuditBreak{Row: ids[s], Reason: fmt.Sprintf("%s is not as its last audited change (audit row %d) left it: it was changed outside the desk", what, ids[s])}, nil
		}
	}
	return nil, nil
}

// finishChainUpgrade chains the audit rows a database had before schema
// 3, once, and records every setting and operator as found, so that
// their later changes have something to follow. Open runs it: until it
// has, nothing else writes.
func (db *DB) finishChainUpgrade(ctx context.Context) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		var pending int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM chain_upgrade").Scan(&pending); err != nil {
			return err
		}
		if pending == 0 {
			return nil
		}
		if err := chainOldAudit(ctx, tx); err != nil {
			return err
		}
		now := time.Now()
		for _, t := range []struct{ table, cols, prefix, tag, action string }{
			{"setting", settingRowCols, subjectSetting, settingTag, string(app.AuditSettings)},
			{"operator", operatorRowCols, subjectOperator, operatorTag, string(auditOperatorRow)},
		} {
			d, err := digests(ctx, tx, t.table, t.cols, t.prefix, t.tag, "")
			if err != nil {
				return fmt.Errorf("read the %s rows: %w", t.table, err)
			}
			subjects := make([]string, 0, len(d))
			for s := range d {
				subjects = append(subjects, s)
			}
			sort.Strings(subjects)
			for _, s := range subjects {
				err := appendAudit(ctx, tx, auditRow{At: now.UnixNano(), Operator: auditBy, Action: t.action,
					Detail: strings.Replace(s, ":", " ", 1) + " as found when the audit log was first chained", Subject: s, Digest: d[s]})
				if err != nil {
					return fmt.Errorf("record %s: %w", s, err)
				}
			}
		}
		_, err := tx.ExecContext(ctx, "DELETE FROM chain_upgrade")
		return err
	})
	if err != nil {
		return fmt.Errorf("store: chain the audit log: %w", err)
	}
	return nil
}

// chainOldAudit fills in the hashes of the rows written before schema 3,
// a page at a time, in id order.
func chainOldAudit(ctx context.Context, tx *sql.Tx) error {
	prev := zeroHash
	after := int64(0)
	for {
		rows, err := tx.QueryContext(ctx, "SELECT "+auditCols+" FROM audit WHERE id > ? ORDER BY id LIMIT 1000", after)
		if err != nil {
			return err
		}
		raw := newRawAudit()
		var page []auditRow
		for rows.Next() {
			if err := rows.Scan(raw.dest[:]...); err != nil {
				rows.Close()
				return err
			}
			var r auditRow
			if err := raw.decode(&r); err != nil {
				rows.Close()
				return fmt.Errorf("audit row %d: %w", r.ID, err)
			}
			r.Digest = bytes.Clone(r.Digest) // the scan's buffer; the hashes are not kept
			page = append(page, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		for i := range page {
			r := &page[i]
			r.PrevHash = prev
			r.Hash, _ = auditHash(nil, nil, prev, r)
			if _, err := tx.ExecContext(ctx, "UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?", r.PrevHash, r.Hash, r.ID); err != nil {
				return fmt.Errorf("chain audit row %d: %w", r.ID, err)
			}
			prev = r.Hash
		}
		after = page[len(page)-1].ID
	}
}
