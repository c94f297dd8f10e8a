package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/desk"
)

// runCLI runs a lingqian command in process, with stdin lines.
func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errs bytes.Buffer
	code = Run(context.Background(), args, strings.NewReader(stdin), &out, &errs)
	return code, out.String(), errs.String()
}

// seedJournal records n purchases in the desk in dir, as the checkout would.
func seedJournal(t *testing.T, dir string, n int) {
	t.Helper()
	ctx := context.Background()
	d, err := desk.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for i := 1; i <= n; i++ {
		_, err := d.DB.Append(ctx, app.Entry{Kind: app.KindPurchase, At: time.Now(), IdempotencyKey: fmt.Sprintf("%s-%d", d.Terminal, i),
			Operator: "li.na", TerminalID: d.Terminal, MerchantID: d.Merchant, Amount: app.Money(100 * i), Currency: "156",
			TxnDate: time.Now(), AID: []byte{0xA0, 0, 0, 3, 0x33, 1, 1, 1}, PAN: "6231990000000019", PSN: "00",
			ATC: uint16(i), CID: 0x40, AC: []byte{1, 2, 3, 4, 5, 6, 7, byte(i)}, TVR: make([]byte, 5), UN: []byte{1, 2, 3, 4}})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func sqlite(t *testing.T, db, sql string) {
	t.Helper()
	out, err := exec.Command("sqlite3", db, sql).CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3 %q: %v\n%s", sql, err, out)
	}
}

func TestJournalVerify_FindsTampering(t *testing.T) {
	// The journal's triggers refuse changes through the desk; someone with
	// the sqlite3 tool can drop them, and the hash chain still shows it.
	dropTriggers := "DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete;"
	cases := []struct {
		name string
		sql  string
		want string
	}{
		{"untouched", "", "journal intact: entries 1 to 5"},
		{"an amount edited", dropTriggers + "UPDATE journal SET amount = 1 WHERE seq = 3;", "BROKEN at entry 3"},
		{"a row deleted", dropTriggers + "DELETE FROM journal WHERE seq = 2;", "BROKEN at entry 2"},
		{"two rows swapped", dropTriggers + `UPDATE journal SET seq = 100 WHERE seq = 4;
			UPDATE journal SET seq = 4 WHERE seq = 5; UPDATE journal SET seq = 5 WHERE seq = 100;`, "BROKEN at entry 4"},
		{"the last row deleted", dropTriggers + "DELETE FROM journal WHERE seq = 5;", "BROKEN at entry 5"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a journal of five purchases, changed behind the desk's back
			dir := t.TempDir()
			seedJournal(t, dir, 5)
			if tc.sql != "" {
				sqlite(t, filepath.Join(dir, "desk.db"), "PRAGMA foreign_keys=OFF; "+tc.sql)
			}

			// When the owner runs `lingqian journal verify`
			code, out, errs := runCLI(t, "", "journal", "verify", "--data", dir)

			// Then it says where the chain breaks
			if !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, out %q, err %q; want %q", code, out, errs, tc.want)
			}
			if broken := strings.Contains(tc.want, "BROKEN"); broken != (code == 1) {
				t.Errorf("exit %d for %q", code, out)
			}
		})
	}
}

func TestOperatorCommands(t *testing.T) {
	dir := t.TempDir()
	// Given a fresh desk, the first operator must be an admin
	if code, _, errs := runCLI(t, "1234\n", "operator", "add", "--data", dir, "--id", "li.na", "--name", "Li Na", "--role", "cashier"); code == 0 {
		t.Fatalf("first operator as cashier accepted: %s", errs)
	}
	if code, _, errs := runCLI(t, "9876\n", "operator", "add", "--data", dir, "--id", "boss", "--name", "Zhang", "--role", "admin"); code != 0 {
		t.Fatalf("first admin: %s", errs)
	}
	// When the admin adds a supervisor and a cashier
	if code, _, errs := runCLI(t, "9876\n5555\n", "operator", "add", "--data", dir, "--id", "wang.wei", "--name", "Wang Wei", "--role", "supervisor", "--by", "boss"); code != 0 {
		t.Fatalf("add supervisor: %s", errs)
	}
	if code, _, errs := runCLI(t, "0000\n1234\n", "operator", "add", "--data", dir, "--id", "li.na", "--name", "Li Na", "--by", "boss"); code == 0 {
		t.Fatalf("added with a wrong admin PIN: %s", errs)
	}
	// Then the list shows them
	_, out, _ := runCLI(t, "", "operator", "list", "--data", dir)
	for _, want := range []string{"boss", "wang.wei", "supervisor", "admin"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	// And a supervisor who gets the PIN wrong five times is locked until an admin resets it
	for i := 0; i < 5; i++ {
		runCLI(t, "0000\n", "report", "--data", dir, "--z", "--by", "wang.wei")
	}
	if code, _, errs := runCLI(t, "5555\n", "report", "--data", dir, "--z", "--by", "wang.wei"); code == 0 || !strings.Contains(errs, "locked") {
		t.Fatalf("locked supervisor closed the day: %d %s", code, errs)
	}
	if code, _, errs := runCLI(t, "9876\n4321\n", "operator", "passwd", "--data", dir, "--id", "wang.wei", "--by", "boss"); code != 0 {
		t.Fatalf("passwd: %s", errs)
	}
	if code, _, errs := runCLI(t, "4321\n", "report", "--data", dir, "--z", "--by", "wang.wei"); code != 0 {
		t.Fatalf("after the reset: %s", errs)
	}
}

func TestReportCommands(t *testing.T) {
	// Given a desk with three purchases and a supervisor
	dir := t.TempDir()
	seedJournal(t, dir, 3)
	runCLI(t, "9876\n", "operator", "add", "--data", dir, "--id", "boss", "--role", "admin")

	// When the X report is asked for as JSON
	code, out, errs := runCLI(t, "", "report", "--data", dir, "--x", "--format", "json")
	if code != 0 {
		t.Fatalf("x report: %s", errs)
	}
	// Then it carries posted, pending and rejected with counts and amounts in fen
	var x map[string]any
	if err := json.Unmarshal([]byte(out), &x); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	pending, _ := x["pending"].(map[string]any)
	if pending["count"] != 3.0 || pending["amount"] != 600.0 {
		t.Errorf("pending %v, want 3 purchases of 600 fen", x["pending"])
	}
	for _, k := range []string{"posted", "rejected"} {
		if _, ok := x[k].(map[string]any); !ok {
			t.Errorf("no %q in %s", k, out)
		}
	}

	// When the day is closed twice, then the Z reports are numbered and reprint unchanged
	_, z1, errs := runCLI(t, "9876\n", "report", "--data", dir, "--z", "--by", "boss", "--format", "json")
	_, z2, _ := runCLI(t, "9876\n", "report", "--data", dir, "--z", "--by", "boss", "--format", "json")
	_, again, _ := runCLI(t, "", "report", "--data", dir, "--z", "--number", "1", "--format", "json")
	if !strings.Contains(z1, `"number": 1`) || !strings.Contains(z2, `"number": 2`) || again != z1 {
		t.Fatalf("z1 %s\nz2 %s\nreprint %s\n%s", z1, z2, again, errs)
	}
	// And CSV and text work
	for _, f := range []string{"csv", "text"} {
		if code, out, errs := runCLI(t, "", "report", "--data", dir, "--x", "--format", f); code != 0 || out == "" {
			t.Errorf("%s: %d %s", f, code, errs)
		}
	}
}
