package systest

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/bank"
	"lingqian/bank/banktest"
)

// Two lingqian-bank serve on one PostgreSQL database keep every promise of
// one: the real desk program forwards to both at once, to each after the
// other, and to the second when the first is SIGKILLed mid batch; every
// purchase is posted once and the books balance.
func TestTwoBankProcessesOnPostgres_EveryPurchasePostedOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("two banks, two desks and a few thousand purchases")
	}
	// Given two bank processes on one database, a customer, and a desk of
	// M001 enrolled at the first and one of M002 at the second
	a, b := twoBanks(t)
	work := t.TempDir()
	mustBinary(t, "lingqian-bank", a.flags("customer", "add", "--data", a.dir, "--user", "bench", "--password", "s3cret",
		"--deposit", "100000000")...)
	d1 := enrolDeskAt(t, a, filepath.Join(work, "desk1"), "M001")
	d2 := enrolDeskAt(t, b, filepath.Join(work, "desk2"), "M002")

	// When both desks forward their sales at once, each to its own process
	start := time.Now()
	d1.charge(t, a, 400)
	d2.charge(t, b, 400)
	t.Logf("%v: charged", time.Since(start))
	var runs [2]faultRun
	var wg sync.WaitGroup
	for i, d := range []*pgDesk{d1, d2} {
		wg.Go(func() { runs[i] = d.sync() })
	}
	wg.Wait()
	for i, r := range runs {
		if r.code != 0 {
			t.Fatalf("desk %d's sync: exit %d\n%s%s", i+1, r.code, r.stdout, r.stderr)
		}
	}

	t.Logf("%v: both forwarded at once", time.Since(start))

	// And each then forwards more to the other process
	d1.charge(t, a, 200)
	d2.charge(t, b, 200)
	d1.pointAt(t, b)
	d2.pointAt(t, a)
	d1.mustSync(t)
	d2.mustSync(t)

	// And the first desk forwards a long queue to the first process, which
	// is SIGKILLed once some of it is posted, mid batch (batches of 500,
	// two on the wire), and the desk then forwards to the second
	t.Logf("%v: each forwarded to the other", time.Since(start))
	d1.pointAt(t, a)
	d1.charge(t, a, 2000)
	t.Logf("%v: charged the queue", time.Since(start))
	before := merchantReport(t, b, "M001").Posted
	done := make(chan faultRun, 1)
	go func() { done <- d1.sync("--retries", "0") }()
	seen := waitPostedBeyond(t, b, "M001", before)
	a.stop(t, syscall.SIGKILL)
	first := <-done
	atKill := merchantReport(t, b, "M001").Posted
	t.Logf("the first process was killed with %d of the desk's queue posted as it was seen (%d at its end); the desk's sync then exited %d",
		seen-before.Count, atKill.Count-before.Count, first.code)
	if atKill.Count-before.Count >= 2000 {
		t.Log("the whole queue was posted before the kill: no batch was cut short this time")
	}
	d1.pointAt(t, b)
	d1.mustSync(t)
	t.Logf("%v: the queue forwarded to the other", time.Since(start))

	// Then every purchase is posted once: the bank's totals per merchant
	// are what each desk charged, and each desk sees them all posted
	for _, d := range []*pgDesk{d1, d2} {
		bankSide, deskSide := merchantReport(t, b, d.merchant), d.report(t)
		if bankSide.Posted != d.charged || bankSide.Pending.Count != 0 || bankSide.Rejected.Count != 0 {
			t.Errorf("%s: the bank has posted %+v pending %+v rejected %+v, the desk charged %+v",
				d.merchant, bankSide.Posted, bankSide.Pending, bankSide.Rejected, d.charged)
		}
		if deskSide.Posted != d.charged || deskSide.Pending.Count != 0 || deskSide.Rejected.Count != 0 {
			t.Errorf("%s: the desk sees posted %+v pending %+v rejected %+v of %+v",
				d.merchant, deskSide.Posted, deskSide.Pending, deskSide.Rejected, d.charged)
		}
	}
	total := b.report(t).Posted
	if want := (app.Totals{Count: d1.charged.Count + d2.charged.Count, Amount: d1.charged.Amount + d2.charged.Amount}); total != want {
		t.Errorf("the bank posted %+v in all, the desks charged %+v", total, want)
	}
	// And the books balance, each merchant's settlement holding its sales
	b.checkLedger(t, "M001", int64(d1.charged.Amount))
	b.checkLedger(t, "M002", int64(d2.charged.Amount))
}

// waitPostedBeyond waits until bank b's report counts more of merchant's
// purchases posted than before; the count it saw.
func waitPostedBeyond(t *testing.T, b *realBank, merchant string, before app.Totals) int {
	t.Helper()
	bk, err := bank.New(b.store(t), bank.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer bk.Close()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		rep, err := bk.Report(context.Background(), bank.ReportFilter{MerchantID: merchant})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Posted.Count > int64(before.Count) {
			return int(rep.Posted.Count)
		}
	}
	t.Fatal("nothing of the queue was posted in a minute")
	return 0
}

func TestTwoBankProcessesOnPostgres_KeysAndCodesHoldAcrossThem(t *testing.T) {
	// Given two bank processes on one database, and a customer
	a, b := twoBanks(t)
	work := t.TempDir()
	mustBinary(t, "lingqian-bank", a.flags("customer", "add", "--data", a.dir, "--user", "alice", "--password", "s3cret-alice",
		"--deposit", "100000")...)

	t.Run("an enrolment code used at one is refused at the other", func(t *testing.T) {
		// Given a code, and a desk enrolled with it at the first process
		code := strings.TrimSpace(mustBinary(t, "lingqian-bank", a.flags("terminal-code", "--data", a.dir, "--merchant", "M001")...))
		mustBinary(t, "lingqian", "enroll", "--data", filepath.Join(work, "first"), "--bank", "https://"+a.addr, "--ca", a.ca(), "--code", code)

		// When a second desk enrols with it at the second process
		r := runBinary("lingqian", "enroll", "--data", filepath.Join(work, "second"), "--bank", "https://"+b.addr, "--ca", b.ca(), "--code", code)

		// Then it is refused
		if r.code == 0 {
			t.Fatalf("the second enrolment was taken: %s", r.stdout)
		}
	})

	t.Run("a batch's Idempotency-Key is answered alike by both", func(t *testing.T) {
		// Given a desk enrolled at the first process, and a sale from a
		// wallet the second issued
		ca := readCA(t, a)
		code := strings.TrimSpace(mustBinary(t, "lingqian-bank", a.flags("terminal-code", "--data", a.dir, "--merchant", "M002")...))
		d := banktest.Enroll(t, "https://"+a.addr, ca, code)
		phone := banktest.Login(t, "https://"+b.addr, ca, "alice", "s3cret-alice")
		w := phone.NewWallet(t, t.TempDir(), 10000)
		sale := []bank.WireMessage{d.Purchase(t, w, 250), d.Purchase(t, w, 320)}

		// When the batch goes to the first process, and again under the
		// same key to the second (an answer lost on the way back)
		key := banktest.NewKey("batch")
		first := d.SendKey(t, key, sale...)
		d.Client = banktest.NewClient("https://"+b.addr, ca, &d.Cert)
		again := d.SendKey(t, key, sale...)

		// Then the second gives the first's answer (accepted, not
		// duplicate), and the sales are posted once
		if !reflect.DeepEqual(first, again) {
			t.Errorf("answers differ:\n%+v\n%+v", first, again)
		}
		for _, r := range again {
			if r.Status != bank.StatusAccepted {
				t.Errorf("sale %d: %+v", r.Seq, r)
			}
		}
		if rep := merchantReport(t, b, "M002"); rep.Posted != (app.Totals{Count: 2, Amount: 570}) {
			t.Errorf("posted %+v, want 2 of 5.70", rep.Posted)
		}
	})
}

// readCA is the bank's CA certificate, which both processes serve under.
func readCA(t *testing.T, b *realBank) []byte {
	t.Helper()
	data, err := os.ReadFile(b.ca())
	if err != nil {
		t.Fatal(err)
	}
	return data
}
