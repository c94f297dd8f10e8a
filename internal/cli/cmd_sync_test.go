package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/desk"
	desksync "lingqian/sync"
	"lingqian/sync/synctest"
)

// enrolledDesk is a desk enrolled with a scripted bank as T0000001 of M001.
func enrolledDesk(t *testing.T) (bank *synctest.Bank, dir string) {
	t.Helper()
	bank, ca := enrolledBank(t)
	dir = t.TempDir()
	if code, _, errs := runCLI(t, "", "enroll", "--data", dir, "--bank", bank.URL, "--ca", ca, "--code", "C-1"); code != 0 {
		t.Fatalf("enroll: %s", errs)
	}
	return bank, dir
}

type syncOut struct {
	Sent     int `json:"sent"`
	Accepted int `json:"accepted"`
	Posted   struct {
		Count  int   `json:"count"`
		Amount int64 `json:"amount"`
	} `json:"posted"`
	Duplicate   int               `json:"duplicate"`
	Differences []json.RawMessage `json:"differences"`
	Delivered   bool              `json:"delivered"`
	Reconciled  bool              `json:"reconciled"`
}

func TestSyncOnce_ForwardsReconcilesAndSummarises(t *testing.T) {
	// Given an enrolled desk with three sales (1.00, 2.00, 3.00)
	bank, dir := enrolledDesk(t)
	seedJournal(t, dir, 3)

	// When it syncs once
	code, out, errs := runCLI(t, "", "sync", "--data", dir, "--once", "--json")

	// Then all three are posted, the bank agrees, and the summary says so
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var s syncOut
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("%q: %v", out, err)
	}
	if s.Sent != 3 || s.Accepted != 3 || s.Posted.Count != 3 || s.Posted.Amount != 600 || len(s.Differences) != 0 || !s.Reconciled {
		t.Errorf("summary %s", out)
	}
	if len(bank.Handled()) != 3 {
		t.Errorf("the bank handled %d messages", len(bank.Handled()))
	}

	// And the desk's own report counts them posted
	code, out, _ = runCLI(t, "", "report", "--data", dir, "--x", "--format", "json")
	var rep app.Report
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || rep.Posted != (app.Totals{Count: 3, Amount: 600}) {
		t.Errorf("X report %q (%v)", out, err)
	}

	// And syncing again sends nothing and posts nothing twice
	code, out, errs = runCLI(t, "", "sync", "--data", dir, "--once", "--json")
	if err := json.Unmarshal([]byte(out), &s); code != 0 || err != nil || s.Sent != 0 {
		t.Errorf("second sync: exit %d, %q %s", code, out, errs)
	}
	for key, n := range bank.Handled() {
		if n != 1 {
			t.Errorf("%s handled %d times", key, n)
		}
	}
}

func TestSyncOnce_TextSummary(t *testing.T) {
	// Given an enrolled desk with two sales, one of which the bank rejects
	bank, dir := enrolledDesk(t)
	seedJournal(t, dir, 2)
	bank.Decide = func(m desksync.Message) (string, string) {
		if m.Seq == 2 {
			return "rejected", "bad_cryptogram"
		}
		return "posted", ""
	}

	// When it syncs once without --json
	code, out, errs := runCLI(t, "", "sync", "--data", dir, "--once")

	t.Logf("sync printed:\n%s", out)
	// Then the summary reads as sentences and names the rejection
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"sent 2 messages", "1 accepted", "1 rejected", "bank: posted 1 (1.00)", "entry 2: rejected by the bank: bad_cryptogram (2.00)", "hotlist version 2"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\r") {
		t.Error("a progress line was written to a non-terminal")
	}
}

func TestSyncOnce_ExitCodes(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T) (dir string)
		code  int
		want  string
	}{
		{"the bank is down", func(t *testing.T) string {
			bank, dir := enrolledDesk(t)
			seedJournal(t, dir, 2)
			bank.Close()
			return dir
		}, 1, "2 sales (3.00) are not yet posted"},
		{"the bank refuses the desk", func(t *testing.T) string {
			bank, dir := enrolledDesk(t)
			seedJournal(t, dir, 1)
			bank.Fail("/v1/desk/batches", synctest.Fault{Status: 403})
			return dir
		}, 2, "the bank refused this desk"},
		{"the bank too slow for --timeout", func(t *testing.T) string {
			bank, dir := enrolledDesk(t)
			seedJournal(t, dir, 1)
			bank.Fail("/v1/desk/batches", synctest.Fault{Delay: time.Second})
			return dir
		}, 1, "did not answer in the time allowed"},
		{"a desk never enrolled", func(t *testing.T) string {
			dir := t.TempDir()
			seedJournal(t, dir, 1)
			return dir
		}, 2, "is not enrolled with a bank: run `lingqian enroll"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a desk and a bank as the case has them
			dir := tc.setup(t)

			// When the desk syncs once
			code, _, errs := runCLI(t, "", "sync", "--data", dir, "--once", "--retries", "1", "--timeout", "300ms")

			// Then the exit code tells a script what to do, and a person why
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d saying %q", code, errs, tc.code, tc.want)
			}
		})
	}
}

func TestSync_RunsUntilInterrupted(t *testing.T) {
	// Given an enrolled desk syncing in the background every 50 ms
	bank, dir := enrolledDesk(t)
	seedJournal(t, dir, 2)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errs lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"sync", "--data", dir, "--json", "--interval", "50ms"}, strings.NewReader(""), &out, &errs)
	}()

	// When sales keep coming, and then, once they are through, the desk is closed
	waitFor(t, func() bool { return len(bank.Handled()) == 2 })
	more := seedMore(t, dir, 3)
	waitFor(t, func() bool { return sentIn(t, out.String()) == 2+more })
	cancel()

	// Then it stops with exit 0, having printed a JSON line per busy pass
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d: %s", code, errs.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("sync did not stop when interrupted")
	}
	if sent := sentIn(t, out.String()); sent != 5 || len(bank.Handled()) != 5 {
		t.Errorf("the passes sent %d in all, want 5:\n%s", sent, out.String())
	}
}

// sentIn adds up "sent" over the JSON lines printed so far.
func sentIn(t *testing.T, out string) int {
	t.Helper()
	sent := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var s syncOut
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		sent += s.Sent
	}
	return sent
}

// lockedBuffer is written by the command's goroutine and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// seedMore records n more purchases of 1.00 after whatever is there.
func seedMore(t *testing.T, dir string, n int) int {
	t.Helper()
	ctx := context.Background()
	d, err := desk.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for i := 1; i <= n; i++ {
		_, err := d.DB.Append(ctx, app.Entry{Kind: app.KindPurchase, At: time.Now(), IdempotencyKey: fmt.Sprintf("%s-more-%d", d.Terminal, i),
			Operator: "li.na", TerminalID: d.Terminal, MerchantID: d.Merchant, Amount: 100, Currency: "156",
			TxnDate: time.Now(), AID: []byte{0xA0, 0, 0, 3, 0x33, 1, 1, 1}, PAN: "6231990000000019", PSN: "00",
			ATC: uint16(100 + i), CID: 0x40, AC: []byte{9, 9, 9, 9, 9, 9, 9, byte(i)}, TVR: make([]byte, 5), UN: []byte{1, 2, 3, 4}})
		if err != nil {
			t.Fatal(err)
		}
	}
	return n
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
