package sync_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lingqian/assets"
	"lingqian/emv/oda"
	desksync "lingqian/sync"
	"lingqian/sync/synctest"
)

// nextPass waits for the next end of a pass, skipping batch events.
func nextPass(t *testing.T, f *desksync.Forwarder) desksync.Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-f.Events():
			if ev.Kind == desksync.EventPass {
				return ev
			}
		case <-deadline:
			t.Fatal("no pass ended within 10 s")
		}
	}
}

// runForwarder runs f until the test ends and checks it stops promptly.
func runForwarder(t *testing.T, f *desksync.Forwarder) context.CancelFunc {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(3 * time.Second):
			t.Error("the forwarder did not stop within 3 s of its context being cancelled")
		}
	})
	return cancel
}

func TestForwarder_WakesOnPurchaseOnChannelAndOnRequest(t *testing.T) {
	// Given a bank with CA keys and a hotlist, and two sales waiting
	bank := synctest.Start(t, synctest.Options{})
	bank.SetCAPK(assets.DefaultCAPK)
	bank.SetHotlist(3, "6231990000000027")
	db := openJournal(t)
	seed(t, db, 2)
	dir := t.TempDir()
	wake := make(chan struct{})
	var pushed *desksync.Hotlist
	f := desksync.NewForwarder(newClient(t, fast(bank, t)), db, desksync.Options{
		Dir: dir, Interval: time.Hour, Settle: 10 * time.Millisecond, Wake: wake,
		OnHotlist: func(h *desksync.Hotlist) { pushed = h },
	})

	// When it starts, it forwards, reconciles and refreshes at once
	runForwarder(t, f)
	ev := nextPass(t, f)
	if !ev.Delivered || ev.Progress.Sent != 2 || ev.Report == nil || ev.Err() != nil {
		t.Fatalf("first pass %+v: %v", ev, ev.Err())
	}
	if ev.CAKeys == 0 || ev.Hotlist == nil || ev.Hotlist.Version != 3 || pushed == nil {
		t.Errorf("refresh: %d keys, hotlist %+v", ev.CAKeys, ev.Hotlist)
	}
	b, err := os.ReadFile(filepath.Join(dir, desksync.CAPKFile))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oda.ParseFile(b); err != nil {
		t.Errorf("capk.json: %v", err)
	}
	h, err := desksync.ReadHotlist(dir)
	if err != nil || !h.Contains("6231990000000027") || h.Contains("6231990000000019") {
		t.Errorf("hotlist.json: %+v, %v", h, err)
	}
	if cur, err := desksync.ReadCursor(dir); err != nil || cur.ReconciledThrough != 2 {
		t.Errorf("cursor %+v, %v", cur, err)
	}

	// And when a purchase is recorded, it forwards it alone
	seed(t, db, 3)
	f.Notify()
	if ev := nextPass(t, f); ev.Progress.Sent != 3 || ev.Report != nil {
		t.Errorf("after Notify: %+v", ev)
	}

	// And the same through the channel the desk may give it
	seed(t, db, 1)
	wake <- struct{}{}
	if ev := nextPass(t, f); ev.Progress.Sent != 1 {
		t.Errorf("after a wake on the channel: %+v", ev)
	}

	// And "forward now" reconciles too
	f.ForwardNow()
	if ev := nextPass(t, f); ev.Report == nil || ev.Report.Through != 6 {
		t.Errorf("after ForwardNow: %+v", ev.Report)
	}
}

func TestForwarder_NeverBlocksTheCheckout(t *testing.T) {
	// Given a bank that takes a second to answer, and nobody reading events
	bank := synctest.Start(t, synctest.Options{})
	bank.Fail(batches, synctest.Fault{Delay: time.Second}, synctest.Fault{Delay: time.Second})
	db := openJournal(t)
	seed(t, db, 5)
	f := desksync.NewForwarder(newClient(t, fast(bank, t)), db, desksync.Options{Interval: time.Hour, Settle: time.Millisecond})
	cancel := runForwarder(t, f)
	time.Sleep(50 * time.Millisecond) // the first pass is in flight

	// When the checkout says "new purchase" ten thousand times
	start := time.Now()
	for range 10000 {
		f.Notify()
		f.ForwardNow()
	}

	// Then it never waited for the network
	if took := time.Since(start); took > 200*time.Millisecond {
		t.Errorf("notifying took %v", took)
	}
	// And cancelling stops it mid-request (checked when the test ends)
	cancel()
}

func TestForwarder_WaitsOutABankThatIsDown(t *testing.T) {
	// Given a bank that fails every batch
	bank := synctest.Start(t, synctest.Options{})
	for range 50 {
		bank.Fail(batches, synctest.Fault{Status: 503})
	}
	db := openJournal(t)
	seed(t, db, 1)
	cfg := fast(bank, t)
	cfg.Retries = -1
	f := desksync.NewForwarder(newClient(t, cfg), db, desksync.Options{Interval: time.Hour, Settle: time.Millisecond})
	runForwarder(t, f)
	ev := nextPass(t, f)
	if ev.Delivered || !desksync.Unavailable(ev.ForwardErr) {
		t.Fatalf("first pass %+v", ev)
	}
	sent := len(checkSameBodies(t, bank, batches))
	before := countPath(bank, batches)

	// When purchases keep coming just after the failure
	for range 5 {
		f.Notify()
		time.Sleep(20 * time.Millisecond)
	}

	// Then they do not hammer the bank; "forward now" still goes at once
	if n := countPath(bank, batches); n != before {
		t.Errorf("%d more batch requests while waiting out the bank", n-before)
	}
	f.ForwardNow()
	nextPass(t, f)
	if n := countPath(bank, batches); n != before+1 {
		t.Errorf("ForwardNow: %d requests, want %d", n, before+1)
	}
	if sent != 1 {
		t.Errorf("%d batch keys", sent)
	}
}

func TestForwarder_KeepsTheOldKeysWhenTheNewOnesDoNotCheck(t *testing.T) {
	// Given a desk with CA keys, and a bank serving a key with a bad checksum
	bank := synctest.Start(t, synctest.Options{})
	bad := strings.Replace(string(assets.DefaultCAPK), `"checksum": "D`, `"checksum": "E`, 1)
	bank.SetCAPK([]byte(bad))
	dir := t.TempDir()
	old := filepath.Join(dir, desksync.CAPKFile)
	if err := os.WriteFile(old, assets.DefaultCAPK, 0o644); err != nil {
		t.Fatal(err)
	}
	db := openJournal(t)
	f := desksync.NewForwarder(newClient(t, fast(bank, t)), db, desksync.Options{Dir: dir})

	// When it refreshes
	ev := f.Pass(context.Background(), true, true)

	// Then the refresh fails with a reason, and capk.json is as it was
	if ev.RefreshErr == nil {
		t.Fatal("a bad key was taken")
	}
	if b, _ := os.ReadFile(old); !bytes.Equal(b, assets.DefaultCAPK) {
		t.Error("capk.json changed")
	}
	if ev.Hotlist == nil {
		t.Error("the hotlist was not pulled for the keys' sake")
	}
}

func countPath(bank *synctest.Bank, path string) int {
	n := 0
	for _, r := range bank.Requests() {
		if r.Path == path {
			n++
		}
	}
	return n
}
