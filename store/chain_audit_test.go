package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lingqian/app"
)

func TestAuditCanonicalEncodingIsTheDocumentedOne(t *testing.T) {
	// Given a small audit row, when it is encoded, then the bytes are the
	// ones the comment in chain_audit.go describes, built here by hand
	r := auditRow{ID: 3, At: 0x0102030405060708, Operator: "ab", Action: "void", Ref: 9, Detail: "d",
		Subject: "setting:k", Digest: []byte{0xDD}}
	var want []byte
	want = append(want, "lingqian.audit.v1\x00"...)
	want = append(want, 0, 0, 0, 0, 0, 0, 0, 3)
	want = append(want, 1, 2, 3, 4, 5, 6, 7, 8)
	want = append(want, 0, 0, 0, 2, 'a', 'b')
	want = append(want, 0, 0, 0, 4, 'v', 'o', 'i', 'd')
	want = append(want, 0, 0, 0, 0, 0, 0, 0, 9)
	want = append(want, 0, 0, 0, 1, 'd')
	want = append(want, 0, 0, 0, 9)
	want = append(want, "setting:k"...)
	want = append(want, 0, 0, 0, 1, 0xDD)
	if got := auditCanonical(nil, &r); !bytes.Equal(got, want) {
		t.Errorf("canonical\n%x\nwant\n%x", got, want)
	}
	// And the hash is SHA-256(prev ‖ canonical), pinned: a change here
	// breaks every audit log already on a desk
	sum, _ := auditHash(nil, nil, zeroHash, &r)
	if h := sha256.Sum256(append(bytes.Clone(zeroHash), want...)); !bytes.Equal(sum, h[:]) {
		t.Error("audit hash is not SHA-256(prev ‖ canonical)")
	}
	const pinned = "45f5132f2d6d9a4c6d3ead8553d08fc6891ce574ee714de82f573bd3982a86cf"
	if got := hex.EncodeToString(sum); got != pinned {
		t.Errorf("audit hash %s, want %s", got, pinned)
	}
}

// busyDesk is a store with an admin, a cashier who signed in once and got her
// PIN wrong once, and two settings: what a day's use leaves.
func busyDesk(t *testing.T) *DB {
	t.Helper()
	db := openTemp(t)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.AddOperator(ctx, app.Operator{ID: "boss", Name: "Zhang", Role: app.RoleAdmin}, "9876"))
	must(db.AddOperator(ctx, app.Operator{ID: "li.na", Name: "Li Na", Role: app.RoleCashier}, "2468"))
	must(db.SetRole(ctx, "li.na", app.RoleSupervisor))
	must(db.SetLocked(ctx, "li.na", true))
	must(db.SetLocked(ctx, "li.na", false))
	must(db.SetPIN(ctx, "li.na", "1357"))
	if _, err := db.Authenticate(ctx, "li.na", "1357"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Authenticate(ctx, "li.na", "0000"); !errors.Is(err, app.ErrWrongPIN) {
		t.Fatal(err)
	}
	must(db.SetSetting(ctx, "bank_url", "https://bank.example", "boss"))
	must(db.SetSetting(ctx, "limits.per_purchase", "50000", "boss"))
	must(db.SetSetting(ctx, "limits.per_purchase", "60000", "boss"))
	must(db.Record(ctx, app.AuditEvent{Operator: "boss", Action: app.AuditExport, Detail: "X report"}))
	appendPurchases(t, db, 3)
	return db
}

func TestEveryChangeThroughTheDeskVerifiesClean(t *testing.T) {
	// Given a desk whose operators and settings changed in every way the
	// desk changes them
	db := busyDesk(t)
	ctx := context.Background()

	// When it is verified
	r, err := db.VerifyAll(ctx)

	// Then everything holds, and every change left an audit row naming its row
	if err != nil || !r.Intact() {
		t.Fatalf("verify: %+v %v", r, err)
	}
	if r.JournalLast != 3 || r.AuditLast < 12 {
		t.Errorf("journal to %d, audit log to %d", r.JournalLast, r.AuditLast)
	}
	var subjects []string
	rows, err := db.r.Query("SELECT subject FROM audit WHERE subject <> '' AND digest IS NOT NULL ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		subjects = append(subjects, s)
	}
	want := "operator:boss operator:li.na operator:li.na operator:li.na operator:li.na operator:li.na operator:li.na operator:li.na " +
		"setting:bank_url setting:limits.per_purchase setting:limits.per_purchase"
	if got := strings.Join(subjects, " "); got != want {
		t.Errorf("audited subjects\n%s\nwant\n%s", got, want)
	}
}

// dropAuditTriggers lets the sqlite3 tool change the audit log.
const dropAuditTriggers = "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; DROP TRIGGER audit_chained; "

func TestVerifyFindsTheAuditLogTamperedWith(t *testing.T) {
	tests := []struct {
		name    string
		sql     string
		row     int64
		because string
	}{
		{"a detail edited", "UPDATE audit SET detail = 'nothing happened' WHERE id = 4;", 4, "changed"},
		{"who did it edited", "UPDATE audit SET operator = 'li.na' WHERE id = 9;", 9, "changed"},
		{"a row deleted", "DELETE FROM audit WHERE id = 5;", 5, "missing"},
		{"the last row deleted", "DELETE FROM audit WHERE id = (SELECT max(id) FROM audit);", 12, "missing"},
		{"a row inserted at the end", "INSERT INTO audit (at, operator, action, ref, detail, subject, digest, prev_hash, hash) " +
			"SELECT at, operator, action, ref, 'an extra void', subject, digest, prev_hash, hash FROM audit WHERE id = 12;", 13, "link"},
		{"two rows swapped", "UPDATE audit SET id = 100 WHERE id = 2; UPDATE audit SET id = 2 WHERE id = 3; UPDATE audit SET id = 3 WHERE id = 100;", 2, "link"},
		{"a row made unreadable", "UPDATE audit SET at = 'yesterday' WHERE id = 6;", 6, "cannot be read"},
		{"a hash removed", "UPDATE audit SET hash = NULL WHERE id = 7;", 7, "changed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Given a desk with an audit log of 12 rows, its triggers dropped
			db := busyDesk(t)
			if n := countAudit(t, db); n != 12 {
				t.Fatalf("%d audit rows, the cases assume 12", n)
			}

			// When someone changes the log with the sqlite3 tool
			cli(t, db.Path(), dropAuditTriggers+tt.sql)

			// Then Verify names the first row that no longer holds, and why
			r, err := db.VerifyAll(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if r.Audit == nil || r.Audit.Row != tt.row || !strings.Contains(r.Audit.Reason, tt.because) {
				t.Fatalf("found %+v, want row %d (%s)", r.Audit, tt.row, tt.because)
			}
			brk, err := db.Verify(context.Background())
			if err != nil || brk == nil || !strings.Contains(brk.Reason, "audit log row") {
				t.Errorf("Verify: %+v %v", brk, err)
			}
		})
	}
}

func TestVerifyFindsSettingsAndOperatorsChangedOutsideTheDesk(t *testing.T) {
	tests := []struct {
		name, sql, want string
	}{
		{"a setting edited", "UPDATE setting SET value = 'https://evil.example' WHERE key = 'bank_url';",
			"setting bank_url is not as its last audited change"},
		{"a limit raised", "UPDATE setting SET value = '99999999' WHERE key = 'limits.per_purchase';",
			"setting limits.per_purchase is not as its last audited change"},
		{"a setting added", "INSERT INTO setting VALUES ('reader', 'Evil Reader', 0, 'boss');",
			"setting reader has no audited change"},
		{"a setting removed", "DELETE FROM setting WHERE key = 'bank_url';",
			"setting bank_url is gone"},
		{"an operator made admin", "UPDATE operator SET role = 'admin' WHERE id = 'li.na';",
			"operator li.na is not as its last audited change"},
		{"a PIN hash copied from another operator", "UPDATE operator SET (pin_salt, pin_hash) = (SELECT pin_salt, pin_hash FROM operator WHERE id = 'boss') WHERE id = 'li.na';",
			"operator li.na is not as its last audited change"},
		{"a locked operator let in", "UPDATE operator SET locked = 0, failures = 0 WHERE id = 'li.na';",
			"operator li.na is not as its last audited change"},
		{"an operator added", "INSERT INTO operator (id, name, role, pin_kdf, pin_salt, pin_hash, kdf_time, kdf_memory, kdf_threads, created) " +
			"SELECT 'ghost', 'Ghost', 'admin', pin_kdf, pin_salt, pin_hash, kdf_time, kdf_memory, kdf_threads, created FROM operator WHERE id = 'boss';",
			"operator ghost has no audited change"},
		{"an operator removed", "DELETE FROM operator WHERE id = 'boss';", "operator boss is gone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Given a desk whose operators and settings changed through it
			db := busyDesk(t)
			ctx := context.Background()
			if _, err := db.Authenticate(ctx, "li.na", "0000"); !errors.Is(err, app.ErrWrongPIN) {
				t.Fatal(err)
			}

			// When someone changes a row with the sqlite3 tool, leaving
			// the audit log as it was
			cli(t, db.Path(), tt.sql)

			// Then Verify says which row and that it was changed outside the desk
			r, err := db.VerifyAll(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if r.Journal != nil || r.Audit == nil || !strings.Contains(r.Audit.Reason, tt.want) ||
				!strings.Contains(r.Audit.Reason, "outside the desk") {
				t.Fatalf("found %+v, want %q", r.Audit, tt.want)
			}
		})
	}
}

func TestADeskOfTheSchemaBeforeChainsUpgradesOnceAndVerifiesClean(t *testing.T) {
	// Given a desk database the release before chained audit logs wrote:
	// operators, settings, audit rows and purchases
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "desk.db")
	old := openAtVersion(t, path, 2)
	appendPurchases(t, old, 4)
	legacySetting(t, old, "terminal_id", "T0000001")
	legacySetting(t, old, "bank_url", "https://bank.example")
	if _, err := old.w.Exec(`INSERT INTO operator (id, name, role, pin_kdf, pin_salt, pin_hash, kdf_time, kdf_memory, kdf_threads, created)
		VALUES ('boss', 'Zhang', 'admin', 'argon2id', X'00112233445566778899AABBCCDDEEFF', X'AA', 2, 19456, 1, 1)`); err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"login", "login_failed", "void"} {
		if _, err := old.w.Exec(`INSERT INTO audit (at, operator, action, ref, detail) VALUES (1, 'boss', ?, 0, '')`, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	// When this release opens it, twice
	for range 2 {
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// Then every old row is chained, each setting and operator was
	// recorded as found, once, and the desk verifies clean
	r, err := db.VerifyAll(ctx)
	if err != nil || !r.Intact() {
		t.Fatalf("verify after the upgrade: %+v %v", r, err)
	}
	if r.AuditLast != 5+3 || r.JournalLast != 4 {
		t.Errorf("audit log to %d, journal to %d; want 8 and 4", r.AuditLast, r.JournalLast)
	}
	events, err := db.AuditLog(ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if last := events[len(events)-1]; last.Operator != "system" || !strings.Contains(last.Detail, "as found when the audit log was first chained") {
		t.Errorf("last row %+v", last)
	}
	// And the log goes on chained, and is append-only again
	if err := db.SetSetting(ctx, "bank_url", "https://bank2.example", "boss"); err != nil {
		t.Fatal(err)
	}
	if r, err := db.VerifyAll(ctx); err != nil || !r.Intact() || r.AuditLast != 9 {
		t.Errorf("verify after a change: %+v %v", r, err)
	}
	if _, err := db.w.Exec("UPDATE audit SET prev_hash = NULL, hash = NULL WHERE id = 1"); err == nil {
		t.Error("a chained row's hashes could be changed")
	}
	if _, err := db.w.Exec("INSERT INTO chain_upgrade VALUES (1)"); err == nil {
		t.Error("the upgrade could be asked for again")
	}
	if _, err := db.w.Exec("INSERT INTO audit (at, operator, action, detail) VALUES (1, 'x', 'void', '')"); err == nil {
		t.Error("an unchained row was appended")
	}
}

func TestChainHeadsAreTheLastLinks(t *testing.T) {
	// Given an empty desk, then one with purchases and audit rows
	db := openTemp(t)
	ctx := context.Background()
	heads, err := db.ChainHeads(ctx)
	if err != nil || len(heads) != 2 || heads[0].Seq != 0 || heads[0].Hash != nil || heads[1].Seq != 0 {
		t.Fatalf("empty desk: %+v %v", heads, err)
	}
	list := appendPurchases(t, db, 5)
	if err := db.Record(ctx, app.AuditEvent{Operator: "boss", Action: app.AuditExport}); err != nil {
		t.Fatal(err)
	}

	// When the heads and a link are read
	heads, err = db.ChainHeads(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// Then they are the journal's last entry and the audit log's last row
	if heads[0].Name != app.ChainJournal || heads[0].Seq != 5 || !bytes.Equal(heads[0].Hash, list[4].Hash) {
		t.Errorf("journal head %+v", heads[0])
	}
	if heads[1].Name != app.ChainAudit || heads[1].Seq != 1 || len(heads[1].Hash) != 32 {
		t.Errorf("audit head %+v", heads[1])
	}
	if h, err := db.ChainHash(ctx, app.ChainJournal, 3); err != nil || !bytes.Equal(h, list[2].Hash) {
		t.Errorf("journal link 3: %x %v", h, err)
	}
	if h, err := db.ChainHash(ctx, app.ChainAudit, 1); err != nil || !bytes.Equal(h, heads[1].Hash) {
		t.Errorf("audit link 1: %x %v", h, err)
	}
	for _, c := range []struct {
		chain string
		seq   int64
	}{{app.ChainJournal, 6}, {app.ChainAudit, 2}, {"ledger", 1}} {
		if _, err := db.ChainHash(ctx, c.chain, c.seq); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("%s link %d: %v", c.chain, c.seq, err)
		}
	}
}

func countAudit(t *testing.T, db *DB) int {
	t.Helper()
	var n int
	if err := db.r.QueryRow("SELECT count(*) FROM audit").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
