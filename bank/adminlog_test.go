package bank_test

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"lingqian/bank"
)

func TestAdminLog_OneLinePerCommandThatChangedTheBank(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	clk := &clock{}
	// admin runs one command as an administrative tool does: its own
	// bank, opened with its line, closed after.
	admin := func(e bank.AdminEntry, do func(*bank.Bank) error) error {
		b, err := bank.Open(dir, bank.Options{Admin: &e, Now: clk.now})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		return do(b)
	}

	// Given a customer added, and their sessions ended twice over
	err := admin(bank.AdminEntry{By: "li.wei", Command: "customer add", Target: "alice", Detail: "deposit 100 fen"},
		func(b *bank.Bank) error { return b.AddCustomer(ctx, "alice", "s3cret-alice", 100) })
	if err != nil {
		t.Fatal(err)
	}
	clk.advance(1)
	err = admin(bank.AdminEntry{By: "wang.fang", Command: "customer logout", Target: "alice"}, func(b *bank.Bank) error {
		if _, err := b.EndSessions(ctx, "alice"); err != nil {
			return err
		}
		_, err := b.EndSessions(ctx, "alice")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// And a command that failed
	err = admin(bank.AdminEntry{By: "li.wei", Command: "customer add", Target: "alice"},
		func(b *bank.Bank) error { return b.AddCustomer(ctx, "alice", "s3cret-alice", 0) })
	if err == nil {
		t.Fatal("a second alice was added")
	}

	// When the log is read
	b, err := bank.Open(dir, bank.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	log, err := b.AdminLog(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Then it holds one line for each command that changed something,
	// the newest first, with who and when
	if len(log) != 2 {
		t.Fatalf("%d lines: %+v", len(log), log)
	}
	if l := log[0]; l.By != "wang.fang" || l.Command != "customer logout" || l.Target != "alice" {
		t.Errorf("newest: %+v", l)
	}
	if l := log[1]; l.By != "li.wei" || l.Command != "customer add" || l.Detail != "deposit 100 fen" || l.At.IsZero() {
		t.Errorf("oldest: %+v", l)
	}
	var text bytes.Buffer
	if err := bank.WriteAdminLog(&text, log, "text"); err != nil || !strings.Contains(text.String(), "wang.fang") {
		t.Errorf("text: %v\n%s", err, &text)
	}

	// And the log cannot be changed behind the bank's back
	db, err := sql.Open("sqlite3", filepath.Join(dir, bank.DBFile))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{`DELETE FROM admin_log`, `UPDATE admin_log SET by_whom = 'nobody'`} {
		if _, err := db.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", q, err)
		}
	}
}
