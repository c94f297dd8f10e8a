package systest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/internal/pcsctest"
	"lingqian/store"
)

// span is when a process ran.
type span struct{ from, to time.Time }

func (s span) overlaps(o span) bool { return s.from.Before(o.to) && o.from.Before(s.to) }

// backupSummary is the part of `lingqian backup|restore --json` read here.
type backupSummary struct {
	File    string   `json:"file"`
	Bytes   int64    `json:"bytes"`
	Entries int64    `json:"entries"`
	LastSeq int64    `json:"last_seq"`
	Chain   string   `json:"chain"`
	Files   []string `json:"files"`
}

// xReport is the part of `lingqian report --x --format json` read here.
type xReport struct {
	Posted  app.Totals `json:"posted"`
	Pending app.Totals `json:"pending"`
}

// TestBackup_TakenWhileSellingRestoresAWorkingDesk is issue 13's show: a
// cashier sells 1.00 after 1.00 at an enrolled desk (`lingqian charge`
// processes, one after the other, through the real pcscd to the phone the
// bank issued) while `lingqian backup` runs again and again. Each backup
// restores into a fresh folder whose journal verifies and whose X report
// is exactly the backup's entries; the last restored desk then forwards
// them to the real bank with the key and certificate it got back, and the
// bank posts every one.
func TestBackup_TakenWhileSellingRestoresAWorkingDesk(t *testing.T) {
	// Given a bank, a desk enrolled with it, and a phone the bank issued
	// on the reader of a real pcscd
	d := pcsctest.Start(t)
	work := t.TempDir()
	bk := startRealBank(t, filepath.Join(work, "bank"))
	bankURL := "https://" + bk.addr
	desk, wallet := filepath.Join(work, "desk"), filepath.Join(work, "wallet.json")
	mustBinary(t, "lingqian-bank", "customer", "add", "--data", bk.dir, "--user", "alice", "--password", "s3cret", "--deposit", "100000")
	code := mustBinary(t, "lingqian-bank", "terminal-code", "--data", bk.dir, "--merchant", "M001")
	mustBinary(t, "lingqian", "enroll", "--data", desk, "--bank", bankURL, "--ca", bk.ca(), "--code", strings.TrimSpace(code))
	mustBinary(t, "lingqian-phone", "apply", "--wallet", wallet, "--bank", bankURL, "--ca", bk.ca(),
		"--user", "alice", "--password", "s3cret", "--load", "50000")
	phone := exec.Command(bin(t, "lingqian-phone"), "tap", "--wallet", wallet, "--vpcd", d.Addr())
	phone.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := phone.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = phone.Process.Signal(syscall.SIGTERM); _ = phone.Wait() })

	// And a cashier selling without a pause, each sale its own process
	var mu sync.Mutex
	var sales []span
	approved := map[int64]bool{}
	stop := make(chan struct{})
	sold := make(chan struct{}, 1000)
	var wg sync.WaitGroup
	var sellErr error
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			from := time.Now()
			r := runBinary("lingqian", "charge", "--data", desk, "--amount", "1.00", "--json", "--timeout", "20s")
			var c chargeJSON
			if err := json.Unmarshal([]byte(r.stdout), &c); err != nil || r.code != exitApproved || c.Outcome != "approved" {
				sellErr = fmt.Errorf("charge: exit %d: %s%s", r.code, r.stdout, r.stderr)
				return
			}
			mu.Lock()
			sales = append(sales, span{from, time.Now()})
			approved[c.Seq] = true
			mu.Unlock()
			sold <- struct{}{}
		}
	})
	stopSelling := func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}
	t.Cleanup(stopSelling)
	for range 2 {
		select {
		case <-sold:
		case <-time.After(60 * time.Second):
			stopSelling()
			t.Fatalf("no sale went through: %v", sellErr)
		}
	}

	// When backups are taken meanwhile
	rng := rand.New(rand.NewPCG(13, 13))
	type taken struct {
		span
		backupSummary
	}
	var backups []taken
	for i := range 4 {
		from := time.Now()
		out := mustBinary(t, "lingqian", "backup", "--data", desk, "--out", filepath.Join(work, fmt.Sprintf("backup-%d.tar", i)), "--json")
		b := taken{span: span{from, time.Now()}}
		if err := json.Unmarshal([]byte(out), &b.backupSummary); err != nil {
			t.Fatalf("backup %d: %v: %s", i, err, out)
		}
		backups = append(backups, b)
		time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
	}
	for range 2 {
		<-sold // sales go on after the last backup
	}
	stopSelling()
	if sellErr != nil {
		t.Fatal(sellErr)
	}

	// Then the backups were taken while sales were being made, and caught
	// the journal part-way
	overlapped := 0
	last := int64(0)
	for seq := range approved {
		last = max(last, seq)
	}
	for i, b := range backups {
		for _, s := range sales {
			if b.overlaps(s) {
				overlapped++
				break
			}
		}
		if b.Chain != "intact" || b.LastSeq < 2 || b.LastSeq >= last || b.Entries != b.LastSeq {
			t.Errorf("backup %d: %+v; the last sale is entry %d", i, b.backupSummary, last)
		}
	}
	if overlapped < len(backups)/2 {
		t.Errorf("only %d of %d backups ran while a sale was being made", overlapped, len(backups))
	}
	caught := make([]int64, len(backups))
	for i, b := range backups {
		caught[i] = b.LastSeq
	}
	t.Logf("%d sales; the backups end at entries %v; %d of them ran during a sale", len(approved), caught, overlapped)

	// And each restores into a fresh folder whose journal verifies and
	// whose X report is the backup's entries: every approved sale up to its
	// last entry, pending, 1.00 each
	var restored string
	for i, b := range backups {
		restored = filepath.Join(work, fmt.Sprintf("restored-%d", i))
		mustBinary(t, "lingqian", "restore", "--from", b.File, "--data", restored, "--json")
		if r := runBinary("lingqian", "journal", "verify", "--data", restored, "--lang", "en"); r.code != 0 {
			t.Fatalf("journal verify on restore %d: exit %d %s%s", i, r.code, r.stdout, r.stderr)
		}
		want := app.Totals{}
		for seq := int64(1); seq <= b.LastSeq; seq++ {
			if approved[seq] {
				want.Add(100)
			}
		}
		if want.Count != int(b.Entries) || journalPurchases(t, restored) != want {
			t.Errorf("restore %d: %d entries, %+v purchases in its journal, %+v approved up to entry %d",
				i, b.Entries, journalPurchases(t, restored), want, b.LastSeq)
		}
		if x := xOf(t, restored); x.Pending != want || x.Posted.Count != 0 {
			t.Errorf("restore %d: X report %+v, want %+v pending", i, x, want)
		}
	}

	// And the last restored desk is the enrolled desk it was: it forwards
	// its entries to the bank, which posts each one
	final := backups[len(backups)-1]
	if r := runBinary("lingqian", "sync", "--data", restored, "--once", "--json"); r.code != 0 {
		t.Fatalf("sync from the restored desk: exit %d %s%s", r.code, r.stdout, r.stderr)
	}
	x := xOf(t, restored)
	var bankSide xReport
	if err := json.Unmarshal([]byte(mustBinary(t, "lingqian-bank", "report", "--data", bk.dir, "--format", "json")), &bankSide); err != nil {
		t.Fatal(err)
	}
	if x.Posted.Count != int(final.Entries) || x.Posted.Amount != app.Money(100*final.Entries) || bankSide.Posted != x.Posted {
		t.Errorf("after forwarding: desk posted %+v, bank posted %+v, want %d entries", x.Posted, bankSide.Posted, final.Entries)
	}
}

// journalPurchases sums the purchases in the journal of the desk in dir.
func journalPurchases(t *testing.T, dir string) app.Totals {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(filepath.Join(dir, "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	last, err := db.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := db.Entries(ctx, 1, last)
	if err != nil {
		t.Fatal(err)
	}
	var sum app.Totals
	for _, e := range entries {
		if e.Kind == app.KindPurchase {
			sum.Add(e.Amount)
		}
	}
	return sum
}

func xOf(t *testing.T, dir string) xReport {
	t.Helper()
	var x xReport
	if err := json.Unmarshal([]byte(mustBinary(t, "lingqian", "report", "--data", dir, "--x", "--format", "json")), &x); err != nil {
		t.Fatal(err)
	}
	return x
}
