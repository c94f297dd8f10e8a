package systest

import (
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"lingqian/internal/faultproxy"
)

// Forwarding through every network fault, against the real bank.
//
// What is real here: `lingqian-bank serve` (its own process, its own
// SQLite, mutual TLS), the desk's `lingqian enroll`, `lingqian charge`
// (through the real pcscd, with `lingqian-phone tap` on the reader),
// `lingqian sync` and the reports of both sides. What is injected: a TCP
// proxy (internal/faultproxy) between the desk and the bank, which the
// desk was enrolled through, so its stored bank URL is the proxy's; and,
// for the two faults that need to be seen inside TLS (500 and 429), a
// stand-in server the test runs on the bank's address with the bank's own
// server certificate while the real bank is stopped (httpFault).
//
// Every case adds a few purchases, breaks the network its way, lets the
// desk recover, and then the end state must be the same: every purchase
// posted exactly once on both sides, nothing pending, the ledger balanced.
func TestForwardFaults_RealBank(t *testing.T) {
	w := newFaultWorld(t)
	for _, c := range forwardFaultCases {
		ok := t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			c.run(t, w)
			w.checkSettled(t)
			t.Logf("%s: %v", c.name, time.Since(start).Round(10*time.Millisecond))
		})
		if !ok {
			t.Fatalf("case %q failed: the cases after it share its bank and desk", c.name)
		}
	}
}

// batchBytes is how much a desk has sent on a connection once a batch of
// four or more purchases is going through: the TLS handshake and a pass's
// GETs come to about 2.5 KB, each message of a batch adds about 950 bytes.
const batchBytes = 4500

var forwardFaultCases = []struct {
	name string
	run  func(t *testing.T, w *faultWorld)
}{
	{"bank down for a whole run, then back", func(t *testing.T, w *faultWorld) {
		// Given new purchases and nothing listening at the bank's address
		w.charge(t, 4)
		w.setFault(t, faultproxy.Fault{Kind: faultproxy.Refuse})

		// When the desk syncs, then it exits 1 and says what is left
		s, r := w.sync(t, "--retries", "2")
		w.expectExit(t, r, exitNotSent, "4 sales")
		if s.Delivered || len(s.Errors) == 0 || !strings.Contains(s.Errors[0], "cannot be reached") {
			t.Errorf("summary %+v", s)
		}
		// And the purchases stay in the journal, pending
		w.expectDeskPending(t, 4)

		// When the bank is back, then the next sync posts them all
		w.setFault(t, faultproxy.Fault{})
		w.expectSynced(t, 4)
	}},
	{"connections accepted and reset", func(t *testing.T, w *faultWorld) {
		// Given new purchases and a network that resets the next two connections
		w.charge(t, 4)
		before := w.proxy.Stats().Faulted
		w.setFault(t, faultproxy.Fault{Kind: faultproxy.Reset, Conns: 2})

		// When the desk syncs, then its retries get through in the same run
		w.expectSynced(t, 4)
		if f := w.proxy.Stats().Faulted - before; f != 2 {
			t.Errorf("%d connections reset, want 2", f)
		}
	}},
	{"500 from the bank for a whole run", func(t *testing.T, w *faultWorld) {
		// Given new purchases and, instead of the bank, a server answering 500
		w.charge(t, 4)
		w.bank.stop(t, syscall.SIGTERM)
		f := startHTTPFault(t, w.bank, func(rw http.ResponseWriter, _ int) {
			faultAnswer(rw, http.StatusInternalServerError, "internal", "the bank had a problem")
		})

		// When the desk syncs with two retries, then it asks three times and exits 1
		_, r := w.sync(t, "--retries", "2")
		w.expectExit(t, r, exitNotSent, "answered 500")
		if n := len(f.hits()); n != 3 {
			t.Errorf("the desk asked %d times, want 3", n)
		}
		w.expectDeskPending(t, 4)

		// When the real bank is back, then the next sync posts them
		f.stop()
		w.bank.start(t)
		w.expectSynced(t, 4)
	}},
	{"429 with Retry-After, then the bank answers in the same run", func(t *testing.T, w *faultWorld) {
		// Given new purchases and a server answering 429 Retry-After: 1
		// twice, after which the test puts the real bank back
		w.charge(t, 4)
		w.bank.stop(t, syscall.SIGTERM)
		second := make(chan struct{}, 1)
		f := startHTTPFault(t, w.bank, func(rw http.ResponseWriter, n int) {
			rw.Header().Set("Retry-After", "1")
			faultAnswer(rw, http.StatusTooManyRequests, "rate_limited", "slow down")
			if n == 2 {
				second <- struct{}{}
			}
		})
		swapped := make(chan error, 1)
		go func() {
			select {
			case <-second:
				swapped <- w.bank.swapBack(f)
			case <-time.After(30 * time.Second):
				swapped <- errors.New("the desk did not ask twice")
			}
		}()

		// When the desk syncs once with its default retries
		w.expectSynced(t, 4)

		// Then it waited the second the bank asked for between attempts
		if err := <-swapped; err != nil {
			t.Fatal(err)
		}
		hits := f.hits()
		if len(hits) != 2 || hits[1].Sub(hits[0]) < 950*time.Millisecond {
			t.Errorf("attempts at %v: want two, a second apart", hits)
		}
	}},
	{"slow answer within the desk's patience", func(t *testing.T, w *faultWorld) {
		// Given new purchases and a bank whose answer takes 1.5 s to come
		w.charge(t, 4)
		w.setFault(t, faultproxy.Fault{Kind: faultproxy.Slow, Request: batchBytes, Delay: 1500 * time.Millisecond, Conns: 1})

		// When the desk syncs, then it waits for the answer and posts them
		start := time.Now()
		w.expectSynced(t, 4)
		if took := time.Since(start); took < 1500*time.Millisecond {
			t.Errorf("sync took %v: the answer was not held", took)
		}
	}},
	{"slow answer past the desk's patience", func(t *testing.T, w *faultWorld) {
		// Given new purchases and a bank whose answer takes 4 s to come
		w.charge(t, 4)
		before := w.bank.report(t).Posted
		w.setFault(t, faultproxy.Fault{Kind: faultproxy.Slow, Request: batchBytes, Delay: 4 * time.Second, Conns: 1})

		// When the desk gives up after 1 s, then it exits 1 saying why
		_, r := w.sync(t, "--timeout", "1s")
		w.expectExit(t, r, exitNotSent, "did not answer in the time allowed")

		// And the bank has posted what the desk still holds as pending
		w.expectBankPostedMore(t, before, 4)
		w.expectDeskPending(t, 4)

		// When the desk syncs again, then the bank's first answer settles them
		w.expectSynced(t, 4)
	}},
	{"answer cut in the middle", func(t *testing.T, w *faultWorld) {
		// Given new purchases and a network that cuts the next answer halfway
		w.charge(t, 5)
		before := w.proxy.Stats().Faulted
		w.setFault(t, faultproxy.Fault{Kind: faultproxy.CutAnswer, Request: batchBytes, Conns: 1})

		// When the desk syncs, then its retry gets the bank's first answer again
		s := w.expectSynced(t, 5)
		if f := w.proxy.Stats().Faulted - before; f != 1 || s.Accepted != 5 {
			t.Errorf("%d answers cut, %d accepted", f, s.Accepted)
		}
	}},
	{"reset after the bank committed, before the desk read the answer", func(t *testing.T, w *faultWorld) {
		// Given new purchases and a network that drops the next answer and resets
		w.charge(t, 4)
		before := w.bank.report(t).Posted
		// (a second of silence marks the answer complete: the bank has committed by then)
		w.setFault(t, faultproxy.Fault{Kind: faultproxy.DropAnswer, Request: batchBytes, Quiet: time.Second, Conns: 1})

		// When the desk syncs without retries, then it exits 1
		_, r := w.sync(t, "--retries", "0")
		w.expectExit(t, r, exitNotSent, "not yet posted")

		// And the bank posted them, while the desk holds them as sent
		w.expectBankPostedMore(t, before, 4)
		w.expectDeskPending(t, 4)

		// When the desk syncs again, then nothing is posted twice
		w.expectSynced(t, 4)
	}},
	{"desk killed mid-batch and restarted", func(t *testing.T, w *faultWorld) {
		// Given new purchases, `lingqian sync` running, and its batch's answer held
		w.charge(t, 4)
		fired := make(chan struct{}, 1)
		w.setFault(t, faultproxy.Fault{Kind: faultproxy.Slow, Request: batchBytes, Delay: 10 * time.Second, Conns: 1,
			OnFire: func() { fired <- struct{}{} }})
		desk := w.startSync(t)

		// When the desk is killed while its batch is at the bank
		before := w.bank.report(t).Posted
		waitFired(t, fired)
		desk.kill(t)
		w.expectDeskPending(t, 4)
		t.Logf("the desk was killed with its batch at the bank; the bank had posted %d of the 4 by then",
			w.bank.report(t).Posted.Count-before.Count)

		// Then a new `lingqian sync` posts them, and stops cleanly when asked
		desk = w.startSync(t)
		w.waitDeskPosted(t)
		if code := desk.stop(t); code != 0 {
			t.Errorf("sync exited %d after SIGTERM:\n%s", code, desk.out.String())
		}
	}},
	{"bank killed mid-batch and restarted", func(t *testing.T, w *faultWorld) {
		// Given new purchases and `lingqian sync --once` whose batch reached the bank
		w.charge(t, 5)
		fired := make(chan struct{}, 1)
		w.setFault(t, faultproxy.Fault{Kind: faultproxy.Slow, Request: batchBytes, Delay: 300 * time.Millisecond, Conns: 1,
			OnFire: func() { fired <- struct{}{} }})
		answered := w.bank.answeredBatches(t)
		done := make(chan faultRun, 1)
		go func() { done <- w.runCmd("lingqian", "sync", "--data", w.desk, "--once", "--json") }()

		// When the bank is killed as it clears the batch, and started again
		waitFired(t, fired)
		w.bank.stop(t, syscall.SIGKILL)
		t.Logf("the bank was killed as the batch reached it, having answered it: %v", w.bank.answeredBatches(t) > answered)
		w.bank.start(t)

		// Then the desk's retries reach the restarted bank and everything posts
		r := <-done
		w.expectExit(t, r, 0, "")
	}},
	{"a desk whose certificate another CA signed", func(t *testing.T, w *faultWorld) {
		// Given a copy of the desk with new purchases and a certificate
		// for the same terminal and merchant from another CA
		w.charge(t, 2)
		before := w.bank.report(t)
		forged := copyDeskFolder(t, w.desk)
		certPEM, keyPEM := foreignDeskCertificate(t, w.terminal, "M001")
		setDeskIdentity(t, forged, certPEM, keyPEM)

		// When it syncs, then the bank refuses it and it exits 2 saying so, once
		_, r := w.runSync(t, forged)
		w.expectExit(t, r, exitError, "certificate")
		if n := strings.Count(r.stderr, "the bank refused this desk"); n != 1 {
			t.Errorf("the refusal was said %d times", n)
		}

		// And the bank posted nothing of it
		if after := w.bank.report(t); after.Posted != before.Posted || after.Rejected != before.Rejected {
			t.Errorf("bank posted %+v rejected %+v, before %+v %+v", after.Posted, after.Rejected, before.Posted, before.Rejected)
		}

		// When the real desk syncs, then its purchases post
		w.expectSynced(t, 2)
	}},
	{"a desk using another desk's certificate, of another merchant", func(t *testing.T, w *faultWorld) {
		// Given a second desk, of merchant M002, and a copy of the first
		// desk, with new purchases, made to show the second's certificate
		other := w.enrolDesk(t, "M002")
		w.charge(t, 2)
		before := w.bank.report(t)
		stolen := copyDeskFolder(t, w.desk)
		copyDeskIdentity(t, other, stolen)

		// When it syncs, then the bank refuses both purchases as not the
		// certificate's merchant, and the desk says so and keeps them
		// unsent rather than losing them as rejected
		s, r := w.runSync(t, stolen)
		t.Logf("exit %d, sent %d, accepted %d: %s", r.code, s.Sent, s.Accepted, r.stderr)
		w.expectExit(t, r, 2, "another merchant")
		if s.Sent != 2 || s.Accepted != 0 {
			t.Errorf("summary %s", r.stdout)
		}
		// And the bank posts nothing of it: it keeps both, rejected, under
		// the certificate's own merchant, so the cryptograms stay the
		// first desk's to post
		after := w.bank.report(t)
		if after.Posted != before.Posted || after.Rejected.Count != before.Rejected.Count+2 {
			t.Errorf("bank posted %+v rejected %+v, before %+v %+v", after.Posted, after.Rejected, before.Posted, before.Rejected)
		}
		w.bankRejected += 2

		// When the real desk syncs, then its purchases post
		w.expectSynced(t, 2)
	}},
}
