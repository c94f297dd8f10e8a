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

	"github.com/mattn/go-sqlite3"

	"lingqian/app"
)

// The journal's hash chain.
//
//	Hash(entry n) = SHA-256( Hash(entry n-1) ‖ canonical(entry n) )
//
// with 32 zero bytes in place of Hash(entry 0). canonical is, in this order:
//
//	"lingqian.journal.v1" 0x00
//	Seq int · Kind str · At time · IdempotencyKey str · Operator str ·
//	TerminalID str · MerchantID str · Ref int · Note str · Amount int ·
//	Currency str · TxnDate time · TxnType u8 · AID bytes · PAN str ·
//	PSN str · ATC u16 · CID u8 · AC bytes · IAD bytes · TVR bytes ·
//	UN bytes · PDOLData bytes · CDOL1Data bytes · GenACResponse bytes
//
// where int is 8 bytes big-endian two's complement; u16 is 2 bytes
// big-endian; u8 is one byte; str and bytes are a 4-byte big-endian length
// then the bytes (UTF-8 for str, as given: never normalised); time is 0x00
// for the zero time, else 0x01 and the int of its Unix nanoseconds (so UTC;
// the time zone a caller gave is not part of the entry). Every variable
// field carries its length, so no two different entries share an
// encoding. PrevHash and Hash themselves are not encoded. A future format
// changes the tag, never this one.
const chainTag = "lingqian.journal.v1\x00"

// maxField bounds one string or byte field: a detail message's parts are
// a few hundred bytes; anything near this is a bug, not a purchase.
const maxField = 64 << 10

var zeroHash = make([]byte, sha256.Size)

// canonical appends e's canonical encoding (see above) to buf.
func canonical(buf []byte, e *app.Entry) []byte {
	c := canon(append(buf, chainTag...))
	c.i64(e.Seq)
	c.str(string(e.Kind))
	c.time(e.At)
	c.str(e.IdempotencyKey)
	c.str(e.Operator)
	c.str(e.TerminalID)
	c.str(e.MerchantID)
	c.i64(e.Ref)
	c.str(e.Note)
	c.i64(int64(e.Amount))
	c.str(e.Currency)
	c.time(e.TxnDate)
	c.u8(e.TxnType)
	c.bytes(e.AID)
	c.str(e.PAN)
	c.str(e.PSN)
	c.u16(e.ATC)
	c.u8(e.CID)
	for _, b := range [][]byte{e.AC, e.IAD, e.TVR, e.UN, e.PDOLData, e.CDOL1Data, e.GenACResponse} {
		c.bytes(b)
	}
	return c
}

// chainHash is SHA-256(prev ‖ canonical(e)). h and buf are reused
// across calls when not nil, so that Verify does not allocate per row.
func chainHash(h hash.Hash, buf []byte, prev []byte, e *app.Entry) ([]byte, []byte) {
	return linkHash(h, buf, prev, e, canonical)
}

// entryCols are the journal's columns in the order rawEntry decodes them.
const entryCols = "seq, kind, at, idem_key, operator, terminal_id, merchant_id, ref, note, amount, currency, " +
	"txn_date, txn_type, aid, pan, psn, atc, cid, ac, iad, tvr, un, pdol_data, cdol1_data, genac_response, prev_hash, hash"

// entryColsJ is entryCols qualified by the alias j.
const entryColsJ = "j.seq, j.kind, j.at, j.idem_key, j.operator, j.terminal_id, j.merchant_id, j.ref, j.note, j.amount, j.currency, " +
	"j.txn_date, j.txn_type, j.aid, j.pan, j.psn, j.atc, j.cid, j.ac, j.iad, j.tvr, j.un, j.pdol_data, j.cdol1_data, j.genac_response, j.prev_hash, j.hash"

const nEntryCols = 27

// rawEntry scans a journal row as raw bytes and decodes it by hand, so
// that a row someone edited to hold the wrong type (text in an amount, a
// number out of range) is reported as unreadable instead of failing the
// whole query or panicking.
type rawEntry struct {
	cols [nEntryCols]sql.RawBytes
	dest [nEntryCols]any
}

func newRawEntry() *rawEntry {
	r := &rawEntry{}
	for i := range r.cols {
		r.dest[i] = &r.cols[i]
	}
	return r
}

var colNames = [nEntryCols]string{"seq", "kind", "at", "idem_key", "operator", "terminal_id", "merchant_id", "ref", "note",
	"amount", "currency", "txn_date", "txn_type", "aid", "pan", "psn", "atc", "cid", "ac", "iad", "tvr", "un",
	"pdol_data", "cdol1_data", "genac_response", "prev_hash", "hash"}

// decode copies the scanned row into an entry.
func (r *rawEntry) decode() (app.Entry, error) {
	var e app.Entry
	err := r.decodeInto(&e, true)
	return e, err
}

// decodeInto fills e from the scanned row. Without clone, e's byte
// fields point into the row's buffers, valid only until the next Scan:
// Verify hashes each row and moves on, and the copies cost a quarter of
// its time.
func (r *rawEntry) decodeInto(e *app.Entry, clone bool) error {
	var err error
	num := func(i int, lo, hi int64, null bool) int64 {
		if err != nil {
			return 0
		}
		if r.cols[i] == nil {
			if !null {
				err = fmt.Errorf("column %s is NULL", colNames[i])
			}
			return 0
		}
		v, perr := strconv.ParseInt(string(r.cols[i]), 10, 64)
		if perr != nil || v < lo || v > hi {
			err = fmt.Errorf("column %s holds %.40q, not a number in [%d, %d]", colNames[i], r.cols[i], lo, hi)
		}
		return v
	}
	str := func(i int) string {
		if len(r.cols[i]) > maxField && err == nil {
			err = fmt.Errorf("column %s is %d bytes long", colNames[i], len(r.cols[i]))
		}
		return string(r.cols[i])
	}
	byt := func(i int) []byte {
		if len(r.cols[i]) == 0 {
			return nil
		}
		if len(r.cols[i]) > maxField && err == nil {
			err = fmt.Errorf("column %s is %d bytes long", colNames[i], len(r.cols[i]))
		}
		if !clone {
			return r.cols[i]
		}
		return bytes.Clone(r.cols[i])
	}
	const maxI, minI = int64(^uint64(0) >> 1), -int64(^uint64(0)>>1) - 1
	e.Seq = num(0, 1, maxI, false)
	e.Kind = app.EntryKind(str(1))
	e.At = fromNanos(num(2, minI, maxI, false))
	e.IdempotencyKey = str(3)
	e.Operator = str(4)
	e.TerminalID = str(5)
	e.MerchantID = str(6)
	e.Ref = num(7, 0, maxI, true)
	e.Note = str(8)
	e.Amount = app.Money(num(9, minI, maxI, false))
	e.Currency = str(10)
	if r.cols[11] != nil {
		e.TxnDate = fromNanos(num(11, minI, maxI, true))
	}
	e.TxnType = byte(num(12, 0, 255, false))
	e.AID = byt(13)
	e.PAN = str(14)
	e.PSN = str(15)
	e.ATC = uint16(num(16, 0, 65535, false))
	e.CID = byte(num(17, 0, 255, false))
	e.AC = byt(18)
	e.IAD = byt(19)
	e.TVR = byt(20)
	e.UN = byt(21)
	e.PDOLData = byt(22)
	e.CDOL1Data = byt(23)
	e.GenACResponse = byt(24)
	e.PrevHash = byt(25)
	e.Hash = byt(26)
	return err
}

// Verify walks the journal in seq order and reports the first entry where
// the chain does not hold: a stored hash that is not the hash of the row
// (the row was changed), a previous-hash link that does not match the
// entry before (an entry was deleted, inserted or moved), or a missing
// seq. It also checks the end of the chain against the highest seq the
// database ever gave and against the hashes sealed in Z reports. Then it
// checks the audit log's chain and the settings and operators it vouches
// for (VerifyAll): a finding there has Seq 0 and says where in Reason.
// It returns nil when everything holds. Rows are streamed, never all held.
//
// A row someone made unreadable is a break, not an error; an error means
// the check itself could not run (the file is not a database any more,
// ctx was cancelled).
func (db *DB) Verify(ctx context.Context) (*app.ChainBreak, error) {
	r, err := db.VerifyAll(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case r.Journal != nil:
		return r.Journal, nil
	case r.Audit != nil && r.Audit.Row > 0:
		return &app.ChainBreak{Reason: fmt.Sprintf("audit log row %d: %s", r.Audit.Row, r.Audit.Reason)}, nil
	case r.Audit != nil:
		return &app.ChainBreak{Reason: "audit log: " + r.Audit.Reason}, nil
	}
	return nil, nil
}

// Integrity is what VerifyAll found: at most one break in each part, and
// how far each chain holds.
type Integrity struct {
	Journal     *app.ChainBreak // the journal's chain, its end and the Z report seals
	Audit       *AuditBreak     // the audit log's chain, and the settings and operators it vouches for
	JournalLast int64           // the last journal entry, when the journal holds
	AuditLast   int64           // the last audit row, when the audit log holds
}

// Intact says whether nothing was found.
func (i Integrity) Intact() bool { return i.Journal == nil && i.Audit == nil }

// VerifyAll checks the journal as Verify does, and, in the same snapshot,
// the audit log's chain and every setting and operator row against the
// digest of its last audited change.
func (db *DB) VerifyAll(ctx context.Context) (Integrity, error) {
	var out Integrity
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		var last int64
		out.Journal, last, _, err = walkChain(ctx, tx, 0, zeroHash)
		if err != nil {
			return err
		}
		if out.Journal == nil {
			if out.Journal, err = checkTail(ctx, tx, last); err != nil {
				return err
			}
		}
		if out.Journal == nil {
			out.JournalLast = last
		}
		if out.Audit, last, _, err = walkAudit(ctx, tx, 0, zeroHash); err != nil {
			return fmt.Errorf("audit log: %w", err)
		}
		if out.Audit != nil {
			return nil
		}
		out.AuditLast = last
		out.Audit, err = checkSubjects(ctx, tx)
		return err
	})
	if err != nil {
		return Integrity{}, fmt.Errorf("store: verify journal: %w", err)
	}
	return out, nil
}

// walkChain checks every row after entry after against the one before,
// the first against prev (the hash of entry after, verified before; the
// zero hash when after is 0); it returns the last seq, all of whose
// chain held, and that entry's hash.
func walkChain(ctx context.Context, tx *sql.Tx, after int64, prev []byte) (*app.ChainBreak, int64, []byte, error) {
	rows, err := tx.QueryContext(ctx, "SELECT "+entryCols+" FROM journal WHERE seq > ? ORDER BY seq", after)
	if err != nil {
		return nil, 0, nil, err
	}
	defer rows.Close()
	raw := newRawEntry()
	h := sha256.New()
	var buf []byte
	want := after + 1
	var e app.Entry
	for rows.Next() {
		if err := rows.Scan(raw.dest[:]...); err != nil {
			return &app.ChainBreak{Seq: want, Reason: "the row cannot be read: " + err.Error()}, 0, nil, nil
		}
		e = app.Entry{}
		derr := raw.decodeInto(&e, false)
		switch {
		case e.Seq > want: // seq is INTEGER PRIMARY KEY: always readable
			return &app.ChainBreak{Seq: want, Reason: fmt.Sprintf("entry %d is missing: the next entry is %d", want, e.Seq)}, 0, nil, nil
		case derr != nil:
			return &app.ChainBreak{Seq: want, Reason: "the row cannot be read: " + derr.Error()}, 0, nil, nil
		case !bytes.Equal(e.PrevHash, prev):
			return &app.ChainBreak{Seq: want, Reason: "its previous-hash link does not match the entry before it: " +
				"an entry was deleted, inserted or moved here"}, 0, nil, nil
		}
		var sum []byte
		sum, buf = chainHash(h, buf, prev, &e)
		if !bytes.Equal(sum, e.Hash) {
			return &app.ChainBreak{Seq: want, Reason: "its stored hash is not the hash of its contents: the row was changed"}, 0, nil, nil
		}
		prev = append(prev[:0:0], e.Hash...) // e.Hash is the row's buffer
		want++
	}
	if err := rows.Err(); err != nil {
		if damaged(err) {
			return &app.ChainBreak{Seq: want, Reason: "the file is damaged from here on: " + err.Error()}, 0, nil, nil
		}
		return nil, 0, nil, fmt.Errorf("after entry %d: %w", want-1, err)
	}
	return nil, want - 1, prev, nil
}

// damaged says whether SQLite found the file itself broken: that is a
// finding about the journal, not a failure to look at it.
func damaged(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrCorrupt || se.Code == sqlite3.ErrNotADB)
}

// checkTail catches entries cut off the end, which the chain alone cannot
// see, and a chain rewritten after a Z report sealed its last hash.
func checkTail(ctx context.Context, tx *sql.Tx, last int64) (*app.ChainBreak, error) {
	missing := func(what string, n int64) *app.ChainBreak {
		return &app.ChainBreak{Seq: last + 1, Reason: fmt.Sprintf("entries after %d are missing: %s %d", last, what, n)}
	}
	var hi sql.NullInt64
	err := tx.QueryRowContext(ctx, "SELECT seq FROM sqlite_sequence WHERE name = 'journal'").Scan(&hi)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("read highest seq: %w", err)
	}
	if hi.Valid && hi.Int64 > last {
		return missing("the journal had reached", hi.Int64), nil
	}
	for _, q := range []struct{ what, sql string }{
		{"the outbox names entry", "SELECT max(seq) FROM outbox"},
		{"the audit log names entry", "SELECT max(ref) FROM audit"},
		{"a Z report covers up to entry", "SELECT max(last_seq) FROM z_report"},
	} {
		var n sql.NullInt64
		if err := tx.QueryRowContext(ctx, q.sql).Scan(&n); err != nil {
			return nil, fmt.Errorf("check the end of the journal: %w", err)
		}
		if n.Valid && n.Int64 > last {
			return missing(q.what, n.Int64), nil
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT z.number, z.first_seq, z.last_seq, z.last_hash, j.hash
		FROM z_report z LEFT JOIN journal j ON j.seq = z.last_seq ORDER BY z.number`)
	if err != nil {
		return nil, fmt.Errorf("read Z report seals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var num, first, lastSeq int64
		var sealed, have []byte
		if err := rows.Scan(&num, &first, &lastSeq, &sealed, &have); err != nil {
			return nil, fmt.Errorf("read Z report seals: %w", err)
		}
		if lastSeq == 0 {
			continue // closed on an empty journal: nothing sealed
		}
		if !bytes.Equal(sealed, have) {
			return &app.ChainBreak{Seq: max(first, 1), Reason: fmt.Sprintf(
				"entries %d to %d were rewritten: Z report %d sealed a different hash for entry %d", first, lastSeq, num, lastSeq)}, nil
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read Z report seals: %w", err)
	}
	return nil, nil
}
