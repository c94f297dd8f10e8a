package systest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/bank"
	"lingqian/bank/pgstore"
	"lingqian/desk"
	"lingqian/internal/pgtest"
)

// The bank on PostgreSQL, as its own processes: lingqian-bank serve and
// every administrative command with --db, a private PostgreSQL cluster
// (internal/pgtest), HTTPS on loopback.

// flags is a lingqian-bank command line with the bank's --db, if any.
func (b *realBank) flags(args ...string) []string {
	if b.db == "" {
		return args
	}
	return append(args, "--db", b.db)
}

// store opens the bank's database from this process, beside the running
// servers, as an administrative command does; nil for SQLite, which
// bank.Open finds in the folder. The bank closes it.
func (b *realBank) store(tb testing.TB) bank.Store {
	tb.Helper()
	if b.db == "" {
		return nil
	}
	st, err := pgstore.Open(context.Background(), b.db)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

func TestSeedFlow_OnPostgres(t *testing.T) {
	seedFlow(t, "--db", pgtest.Start(t))
}

// twoBanks starts two lingqian-bank serve on one PostgreSQL database and
// one data folder. Each process logs beside its folder (realBank), so the
// second reaches the folder through a link of its own.
func twoBanks(t *testing.T) (a, b *realBank) {
	t.Helper()
	db, work := pgtest.Start(t), t.TempDir()
	folder, link := filepath.Join(work, "a", "B"), filepath.Join(work, "b", "B")
	if err := os.MkdirAll(filepath.Dir(link), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(folder, link); err != nil {
		t.Fatal(err)
	}
	a = startRealBankOn(t, folder, db)
	b = startRealBankOn(t, link, db)
	return a, b
}

// pgDesk is a desk folder enrolled with a merchant, and what it charged.
type pgDesk struct {
	dir, merchant string
	charged       app.Totals
}

// enrolDeskAt enrols a new desk of merchant at bank b, with a code the
// bank's command made.
func enrolDeskAt(t *testing.T, b *realBank, dir, merchant string) *pgDesk {
	t.Helper()
	code := strings.TrimSpace(mustBinary(t, "lingqian-bank", b.flags("terminal-code", "--data", b.dir, "--merchant", merchant)...))
	mustBinary(t, "lingqian", "enroll", "--data", dir, "--bank", "https://"+b.addr, "--ca", b.ca(), "--code", code)
	return &pgDesk{dir: dir, merchant: merchant}
}

// charge makes n purchases at the desk with wallets bank b issues, on the
// desk's own kernel and checkout (the loopback reader: chargeAll).
func (d *pgDesk) charge(t *testing.T, b *realBank, n int) {
	t.Helper()
	wallets := (n + purchasesPerWallet - 1) / purchasesPerWallet
	cards := issueWallets(t, b, filepath.Join(d.dir+"-wallets", fmt.Sprint(time.Now().UnixNano())), wallets, pgWalletLoad)
	amount := chargeAll(t, d.dir, cards, n)
	d.charged.Count += n
	d.charged.Amount += app.Money(amount)
}

// pgWalletLoad covers a wallet's purchasesPerWallet purchases of at most
// 1.99 (chargeAll).
const pgWalletLoad = purchasesPerWallet * 200

// pointAt makes b the desk's bank: the processes share one CA, so the
// desk's pinned CA and certificate serve with either.
func (d *pgDesk) pointAt(t *testing.T, b *realBank) { pointDeskAt(t, d.dir, "https://"+b.addr) }

// pointDeskAt sets the bank URL of the desk in dir.
func pointDeskAt(tb testing.TB, dir, url string) {
	tb.Helper()
	dk, err := desk.Open(context.Background(), dir)
	if err != nil {
		tb.Fatal(err)
	}
	defer dk.Close()
	if err := dk.DB.SetSetting(context.Background(), desk.SettingBankURL, url, "test"); err != nil {
		tb.Fatal(err)
	}
}

// sync runs `lingqian sync --once` with args to its end.
func (d *pgDesk) sync(args ...string) faultRun {
	return runBinary("lingqian", append([]string{"sync", "--data", d.dir, "--once", "--json"}, args...)...)
}

func (d *pgDesk) mustSync(t *testing.T) {
	t.Helper()
	if r := d.sync(); r.code != 0 {
		t.Fatalf("sync of %s: exit %d\n%s%s", d.merchant, r.code, r.stdout, r.stderr)
	}
}

// report is the desk's X report: posted, pending, rejected.
func (d *pgDesk) report(t *testing.T) bankTotals {
	t.Helper()
	var r bankTotals
	out := mustBinary(t, "lingqian", "report", "--data", d.dir, "--x", "--format", "json")
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("lingqian report printed %q: %v", out, err)
	}
	return r
}

// merchantReport is `lingqian-bank report --merchant` on bank b.
func merchantReport(t *testing.T, b *realBank, merchant string) bankTotals {
	t.Helper()
	var r bankTotals
	out := mustBinary(t, "lingqian-bank", b.flags("report", "--data", b.dir, "--merchant", merchant, "--format", "json")...)
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("lingqian-bank report printed %q: %v", out, err)
	}
	return r
}
