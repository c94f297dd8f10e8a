package bank_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"lingqian/bank"
)

// syncBuffer is a log sink the workers may write to at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// processLog captures the process's default logger, where the workers
// write a panic's stack, until the test ends.
func processLog(t *testing.T) *syncBuffer {
	t.Helper()
	buf := &syncBuffer{}
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(buf, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	return buf
}

func TestClearingWorker_APanicFailsOneMessage(t *testing.T) {
	for _, n := range []int{1, 5} { // 1: verified in the handler's goroutine; 5: in workers
		t.Run(map[int]string{1: "alone", 5: "in a batch"}[n], func(t *testing.T) {
			// Given a desk with n good purchases of one wallet to forward
			e := newEnv(t)
			e.customer("erin", 100000)
			w, phone := e.wallet("erin", 50000)
			d := e.desk("M001", false)
			var msgs []bank.WireMessage
			for i := range n {
				msgs = append(msgs, d.Purchase(t, w, int64(100+i)))
			}
			// And verifying the last of them panics
			bad := msgs[n-1]
			log := processLog(t)
			bank.PanicVerifying(t, func(atc uint16, _ int64) bool { return int64(atc) == bad.ATC })

			// When the desk forwards them as one batch
			got := d.Send(t, msgs...)

			// Then that one gets no verdict (internal_error, kept nowhere)
			// and the others are posted
			var posted int64
			for i, r := range got {
				want := bank.Result{Status: bank.StatusAccepted, State: "posted"}
				if msgs[i].ATC == bad.ATC {
					want = bank.Result{Status: bank.StatusRejected, Reason: bank.ReasonInternal, State: "pending"}
				} else {
					posted += msgs[i].Amount
				}
				if r.Status != want.Status || r.Reason != want.Reason || r.State != want.State {
					t.Errorf("message %d: %s/%s/%s, want %s/%s/%s", i, r.Status, r.Reason, r.State, want.Status, want.Reason, want.State)
				}
			}
			if got := e.balance("settlement:M001"); got != posted {
				t.Errorf("settlement %d, want %d", got, posted)
			}
			e.balanced()
			// And the process's log says why, with the stack
			if s := log.String(); !strings.Contains(s, "internal error verifying") || !strings.Contains(s, "goroutine") ||
				!strings.Contains(s, "injected by the test") {
				t.Errorf("log %q", s)
			}

			// And the bank answers the next requests: the feed, and a batch
			if r := d.Reconciliation(t); r.Totals.Posted.Count != int64(n-1) {
				t.Errorf("reconciliation %+v", r.Totals)
			}
			one(t, d.Send(t, d.Purchase(t, w, 50)), bank.StatusAccepted, "", "posted")

			// When the bank is mended and the desk sends the same batch again
			bank.MendVerifying()
			again := d.Send(t, msgs...)

			// Then the purchase that got no verdict is posted, once, and
			// the others answer as duplicates
			for i, r := range again {
				want := bank.Result{Status: bank.StatusDuplicate, State: "posted"}
				if msgs[i].ATC == bad.ATC {
					want = bank.Result{Status: bank.StatusAccepted, State: "posted"}
				}
				if r.Status != want.Status || r.State != want.State {
					t.Errorf("again, message %d: %s/%s, want %s/%s", i, r.Status, r.State, want.Status, want.State)
				}
			}
			if got := e.balance("settlement:M001"); got != posted+bad.Amount+50 {
				t.Errorf("settlement %d, want %d", got, posted+bad.Amount+50)
			}
			e.balanced()
			_ = phone
		})
	}
}

func TestUploadWorker_APanicFailsOneRecord(t *testing.T) {
	// Given a phone with three purchases in its log
	e := newEnv(t)
	e.customer("finn", 100000)
	w, phone := e.wallet("finn", 50000)
	d := e.desk("M001", false)
	for _, amount := range []int64{300, 400, 500} {
		d.Purchase(t, w, amount)
	}
	// And verifying the record of 500 panics (the newest: an older one
	// missing would break the balance chain of those after it)
	log := processLog(t)
	bank.PanicVerifying(t, func(_ uint16, amount int64) bool { return amount == 500 })

	// When the phone uploads
	up := phone.Upload(t, w)

	// Then that record is refused as invalid, and the others are taken
	if up.Accepted != 2 || len(up.Rejected) != 1 || up.Rejected[0].Reason != bank.ReasonInvalid {
		t.Errorf("upload %+v", up)
	}
	if !strings.Contains(log.String(), "internal error verifying") {
		t.Errorf("log %q", log.String())
	}
	// And the bank goes on serving
	if r := d.Reconciliation(t); r.Totals.Posted.Count != 0 {
		t.Errorf("reconciliation %+v", r.Totals)
	}
}
