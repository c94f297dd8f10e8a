package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lingqian/app"
)

func TestCanonicalEncodingIsPinned(t *testing.T) {
	// Given a fixed entry
	e := purchase("T0000001-00112233445566778899aabbccddeeff", 1250, "li.na", t0)
	e.Seq, e.Ref, e.Note = 7, 3, "note"

	// When it is hashed after the zero hash
	sum, _ := chainHash(nil, nil, zeroHash, &e)

	// Then the hash is the one this format has always given: a change here
	// breaks every journal already on a desk
	const want = "07979f220ad0ab66e90a9a3a1368dcec35769e40e367311b86001e043ee7e184"
	if got := hex.EncodeToString(sum); got != want {
		t.Errorf("chain hash %s, want %s", got, want)
	}
}

func TestCanonicalEncodingIsTheDocumentedOne(t *testing.T) {
	// Given a small entry, when it is encoded, then the bytes are exactly
	// the ones the format comment in chain.go describes, built here by hand
	e := app.Entry{Seq: 2, Kind: app.KindTorn, At: time.Unix(0, 0x0102030405060708), IdempotencyKey: "k",
		Ref: 1, Amount: 0x1234, TxnType: 9, AID: []byte{0xA0}, ATC: 0x0506, CID: 0x80, UN: []byte{1, 2}}
	var want []byte
	want = append(want, "lingqian.journal.v1\x00"...)
	want = append(want, 0, 0, 0, 0, 0, 0, 0, 2) // seq
	want = append(want, 0, 0, 0, 4, 't', 'o', 'r', 'n')
	want = append(want, 1, 1, 2, 3, 4, 5, 6, 7, 8) // at
	want = append(want, 0, 0, 0, 1, 'k')
	want = append(want, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) // operator, terminal, merchant
	want = append(want, 0, 0, 0, 0, 0, 0, 0, 1)             // ref
	want = append(want, 0, 0, 0, 0)                         // note
	want = append(want, 0, 0, 0, 0, 0, 0, 0x12, 0x34)       // amount
	want = append(want, 0, 0, 0, 0)                         // currency
	want = append(want, 0)                                  // no transaction date
	want = append(want, 9)                                  // type
	want = append(want, 0, 0, 0, 1, 0xA0)                   // AID
	want = append(want, 0, 0, 0, 0, 0, 0, 0, 0)             // PAN, PSN
	want = append(want, 5, 6, 0x80)                         // ATC, CID
	want = append(want, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) // AC, IAD, TVR
	want = append(want, 0, 0, 0, 2, 1, 2)                   // UN
	want = append(want, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) // PDOL, CDOL1, GENERATE AC response
	if got := canonical(nil, &e); !bytes.Equal(got, want) {
		t.Errorf("canonical\n%x\nwant\n%x", got, want)
	}
	prev := bytes.Repeat([]byte{0xEE}, 32)
	sum, _ := chainHash(nil, nil, prev, &e)
	if h := sha256.Sum256(append(prev, want...)); !bytes.Equal(sum, h[:]) {
		t.Error("chain hash is not SHA-256(prev ‖ canonical)")
	}
}

func TestCanonicalEncodingSeparatesFields(t *testing.T) {
	// Given entries whose fields hold the same bytes split differently
	base := purchase("k", 1, "li.na", t0)
	a, b := base, base
	a.Note, a.PAN = "ab", "c"
	b.Note, b.PAN = "a", "bc"
	c, d := base, base
	c.TxnDate = time.Time{}
	d.TxnDate = time.Unix(0, 0)

	// When they are encoded, then no two encode alike
	for _, pair := range [][2]app.Entry{{a, b}, {c, d}} {
		if string(canonical(nil, &pair[0])) == string(canonical(nil, &pair[1])) {
			t.Errorf("two different entries encode alike: %+v", pair)
		}
	}
}

func TestVerifyHoldsOnAnIntactJournal(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	// Given an empty journal, then a journal of 50 entries with states
	// and a Z report, when it is verified, then the chain holds
	if brk, err := db.Verify(ctx); err != nil || brk != nil {
		t.Fatalf("empty journal: %+v %v", brk, err)
	}
	list := appendPurchases(t, db, 50)
	if err := db.SetState(ctx, list[0].Seq, app.StatePosted, "", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CloseDay(ctx, "wang.wei", "T1", "M1", t0); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, db, purchase("after", 1, "li.na", t0))
	if brk, err := db.Verify(ctx); err != nil || brk != nil {
		t.Fatalf("verify: %+v %v", brk, err)
	}
}

func TestAppendOnlyTablesRefuseUpdateAndDelete(t *testing.T) {
	// Given a store with a row in every append-only table
	db := openTemp(t)
	ctx := context.Background()
	appendPurchases(t, db, 2)
	if _, err := db.CloseDay(ctx, "wang.wei", "T1", "M1", t0); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"UPDATE journal SET amount = 1 WHERE seq = 1",
		"DELETE FROM journal WHERE seq = 2",
		"UPDATE outbox SET state = 'posted'",
		"DELETE FROM outbox",
		"DELETE FROM outbox_last",
		"UPDATE audit SET detail = ''",
		"DELETE FROM audit",
		"UPDATE z_report SET body = '{}'",
		"DELETE FROM z_report",
	} {
		// When the application's own connection tries to change it
		_, err := db.w.ExecContext(ctx, q)
		// Then the trigger aborts the statement
		if err == nil || !strings.Contains(err.Error(), "cannot be") {
			t.Errorf("%s: %v, want the trigger's refusal", q, err)
		}
	}
	if brk, err := db.Verify(ctx); err != nil || brk != nil {
		t.Fatalf("verify: %+v %v", brk, err)
	}
}

const dropTriggers = "DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete; " +
	"DROP TRIGGER outbox_no_update; DROP TRIGGER outbox_no_delete; DROP TRIGGER outbox_last_no_delete; " +
	"DROP TRIGGER z_report_no_update; DROP TRIGGER z_report_no_delete;"

// Every column but seq, to move a row's contents between seqs.
const contentCols = "kind, at, idem_key, operator, terminal_id, merchant_id, ref, note, amount, currency, txn_date, " +
	"txn_type, aid, pan, psn, atc, cid, ac, iad, tvr, un, pdol_data, cdol1_data, genac_response, prev_hash, hash"

func TestVerifyFindsTamperingWithTheSQLiteTool(t *testing.T) {
	tests := []struct {
		name    string
		sql     string
		seq     int64
		because string
	}{
		{"an amount edited", "UPDATE journal SET amount = 1 WHERE seq = 5;", 5, "changed"},
		{"a PAN edited", "UPDATE journal SET pan = '6231990000000027' WHERE seq = 8;", 8, "changed"},
		{"a row deleted", "DELETE FROM journal WHERE seq = 5;", 5, "missing"},
		{"the first row deleted", "DELETE FROM journal WHERE seq = 1;", 1, "missing"},
		{"two rows' contents swapped", "CREATE TEMP TABLE a AS SELECT * FROM journal WHERE seq = 4; " +
			"CREATE TEMP TABLE b AS SELECT * FROM journal WHERE seq = 6; UPDATE journal SET idem_key = 'swap' WHERE seq = 6; " +
			"UPDATE journal SET (" + contentCols + ") = (SELECT " + contentCols + " FROM temp.b) WHERE seq = 4; " +
			"UPDATE journal SET (" + contentCols + ") = (SELECT " + contentCols + " FROM temp.a) WHERE seq = 6;", 4, "link"},
		{"rows renumbered to reorder them", "UPDATE journal SET seq = 100 WHERE seq = 3; UPDATE journal SET seq = 3 WHERE seq = 7; " +
			"UPDATE journal SET seq = 7 WHERE seq = 100;", 3, "link"},
		{"the last rows cut off", "DELETE FROM outbox WHERE seq >= 9; DELETE FROM outbox_last WHERE seq >= 9; DELETE FROM journal WHERE seq >= 9;", 9, "missing"},
		{"a row made unreadable", "UPDATE journal SET amount = 'lots' WHERE seq = 6;", 6, "cannot be read"},
		{"a hash cut short", "UPDATE journal SET hash = substr(hash, 1, 5) WHERE seq = 2;", 2, "changed"},
		{"a blob emptied", "UPDATE journal SET aid = X'' WHERE seq = 3;", 3, "changed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Given a journal of 10 entries, closed, with the triggers dropped
			db := openTemp(t)
			appendPurchases(t, db, 10)
			path := db.Path()

			// When someone changes it with the sqlite3 tool
			cli(t, path, "PRAGMA foreign_keys = OFF; "+dropTriggers+tt.sql)

			// Then Verify names the first entry that no longer holds, and why
			brk, err := db.Verify(context.Background())
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if brk == nil {
				t.Fatal("verify found nothing")
			}
			if brk.Seq != tt.seq || !strings.Contains(brk.Reason, tt.because) {
				t.Errorf("break at %d (%s), want %d (%s)", brk.Seq, brk.Reason, tt.seq, tt.because)
			}
		})
	}
}

func TestVerifyFindsAChainRewrittenAfterAZReport(t *testing.T) {
	// Given a day closed over 6 entries, then 2 more
	db := openTemp(t)
	ctx := context.Background()
	appendPurchases(t, db, 6)
	if _, err := db.CloseDay(ctx, "wang.wei", "T1", "M1", t0); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, db, purchase("x", 1, "li.na", t0))

	// When someone rewrites entries 4 onwards with hashes that chain again
	raw, err := sql.Open("sqlite3", db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(dropTriggers); err != nil {
		t.Fatal(err)
	}
	list, err := db.Entries(ctx, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	prev := list[2].Hash
	for _, e := range list[3:] {
		e.Amount = 1
		e.PrevHash = prev
		e.Hash, _ = chainHash(nil, nil, prev, &e)
		if _, err := raw.Exec("UPDATE journal SET amount = 1, prev_hash = ?, hash = ? WHERE seq = ?", e.PrevHash, e.Hash, e.Seq); err != nil {
			t.Fatal(err)
		}
		prev = e.Hash
	}

	// Then the chain alone holds, but the Z report's seal does not
	brk, err := db.Verify(ctx)
	if err != nil || brk == nil {
		t.Fatalf("verify: %+v %v", brk, err)
	}
	if brk.Seq != 1 || !strings.Contains(brk.Reason, "Z report 1") {
		t.Errorf("break %+v, want the range of Z report 1", brk)
	}
}

func TestVerifyDoesNotPanicOnACorruptFile(t *testing.T) {
	tests := []struct {
		name       string
		corrupt    func(b []byte)
		mustDetect bool
	}{
		{"garbage in the header", func(b []byte) { scribble(b, 20, 60) }, false},
		{"garbage over a page in the middle", func(b []byte) { scribble(b, len(b)/2, 4096) }, false},
		{"garbage over the end", func(b []byte) { scribble(b, len(b)-5000, 5000) }, false},
		// Every copy of every row's GENERATE AC response, which only the
		// journal table holds: live rows are among them.
		{"garbage in every row", func(b []byte) {
			mark := bytes.Repeat([]byte{0x77}, 120)
			for i := bytes.Index(b, mark); i >= 0; {
				scribble(b, i+10, 20)
				j := bytes.Index(b[i+len(mark):], mark)
				if j < 0 {
					break
				}
				i += len(mark) + j
			}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Given a journal whose file was damaged while the desk was off
			path := filepath.Join(t.TempDir(), "desk.db")
			db, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			appendPurchases(t, db, 300)
			db.Close()
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			tt.corrupt(b)
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}

			// When it is opened and verified, then there is an error or a
			// break, never a panic
			db, err = Open(path)
			if err != nil {
				t.Logf("open refused: %v", err)
				return
			}
			defer db.Close()
			brk, err := db.Verify(context.Background())
			t.Logf("verify: %+v %v", brk, err)
			if tt.mustDetect && err == nil && brk == nil {
				t.Fatal("a corrupt journal verified as intact")
			}
		})
	}
}

// scribble overwrites n bytes from off with pseudo-random garbage.
func scribble(b []byte, off, n int) {
	junk := sha256.Sum256([]byte{byte(off), byte(n)})
	for i := 0; i < n && off+i < len(b); i++ {
		b[off+i] = junk[i%32] ^ byte(i*7)
	}
}
