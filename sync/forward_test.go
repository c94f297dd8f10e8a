package sync_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"testing"
	"time"

	"lingqian/app"
	desksync "lingqian/sync"
	"lingqian/sync/synctest"
)

const batches = "/v1/desk/batches"

func TestForward_PostsEverythingInBatches(t *testing.T) {
	// Given 1201 captured purchases and a bank that posts everything
	bank := synctest.Start(t, synctest.Options{})
	db := openJournal(t)
	entries := seed(t, db, 1201)
	c := newClient(t, fast(bank, t))

	// When the desk forwards
	var calls []desksync.Progress
	p, err := c.Forward(context.Background(), db, 0, func(p desksync.Progress) { calls = append(calls, p) })

	// Then three batches of at most 500 went, each entry is posted once
	// and its timeline went captured → sent → posted
	if err != nil {
		t.Fatal(err)
	}
	if p.Sent != 1201 || p.Accepted != 1201 || len(calls) != 3 {
		t.Fatalf("progress %+v after %d batches", p, len(calls))
	}
	var want app.Money
	for _, e := range entries {
		want += e.Amount
	}
	if got := p.ByState[app.StatePosted]; got.Count != 1201 || got.Amount != want {
		t.Errorf("posted %+v, want 1201 for %d", got, want)
	}
	checkPostedOnce(t, db, bank, entries)
	if tl := states(t, db, 700); !equalStates(tl, app.StateCaptured, app.StateSent, app.StatePosted) {
		t.Errorf("timeline %v", tl)
	}
	if keys := checkSameBodies(t, bank, batches); len(keys) != 3 {
		t.Errorf("%d batch keys, want 3", len(keys))
	}
}

func TestForward_RetriesUntilEveryMessageIsFinal(t *testing.T) {
	cases := []struct {
		name    string
		faults  []synctest.Fault
		atLeast time.Duration // the shortest the pass can have taken
	}{
		{"two 500s", []synctest.Fault{{Status: 500}, {Status: 500}}, 0},
		{"503 then 502", []synctest.Fault{{Status: 503}, {Status: 502}}, 0},
		{"429 with Retry-After: 1", []synctest.Fault{{Status: 429, RetryAfter: "1"}}, time.Second},
		{"an answer slower than the attempt timeout, handled meanwhile", []synctest.Fault{{Delay: 700 * time.Millisecond}}, 0},
		{"the connection cut after the bank handled the batch", []synctest.Fault{{Cut: true}, {Cut: true}}, 0},
		{"everything at once", []synctest.Fault{{Status: 500}, {Cut: true}, {Status: 429, RetryAfter: "1"}, {Delay: 700 * time.Millisecond}}, time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given 30 captured purchases and a bank that fails as scripted
			bank := synctest.Start(t, synctest.Options{})
			bank.Fail(batches, tc.faults...)
			db := openJournal(t)
			entries := seed(t, db, 30)
			cfg := fast(bank, t)
			cfg.AttemptTimeout = 300 * time.Millisecond
			c := newClient(t, cfg)

			// When the desk forwards
			start := time.Now()
			p, err := c.Forward(context.Background(), db, 0, nil)

			// Then every message ends final, the bank handled each key
			// once, and every attempt carried the same key and body
			if err != nil {
				t.Fatalf("forward: %v", err)
			}
			if took := time.Since(start); took < tc.atLeast {
				t.Errorf("took %v: Retry-After not honoured", took)
			}
			if p.Sent != 30 {
				t.Errorf("progress %+v", p)
			}
			checkPostedOnce(t, db, bank, entries)
			keys := checkSameBodies(t, bank, batches)
			if len(keys) != 1 {
				t.Fatalf("%d batch keys, want 1: %v", len(keys), keys)
			}
			for k, n := range keys {
				if n < len(tc.faults)+1 {
					t.Errorf("batch %s sent %d times, want at least %d", k, n, len(tc.faults)+1)
				}
			}
		})
	}
}

func TestForward_BankDownForAPassThenBack(t *testing.T) {
	// Given a bank that answers 500 to every attempt of the first pass
	bank := synctest.Start(t, synctest.Options{})
	db := openJournal(t)
	entries := seed(t, db, 3)
	cfg := fast(bank, t)
	cfg.Retries = 2
	bank.Fail(batches, synctest.Fault{Status: 500}, synctest.Fault{Status: 500}, synctest.Fault{Status: 500})
	c := newClient(t, cfg)

	// When the desk forwards, the pass fails as "try later", entries stay sent
	_, err := c.Forward(context.Background(), db, 0, nil)
	if !desksync.Unavailable(err) {
		t.Fatalf("first pass: %v, want unavailable", err)
	}
	if tl := states(t, db, 1); !equalStates(tl, app.StateCaptured, app.StateSent) {
		t.Fatalf("after the failed pass: %v", tl)
	}

	// And when the bank is back and the desk forwards again
	if _, err := c.Forward(context.Background(), db, 0, nil); err != nil {
		t.Fatal(err)
	}

	// Then the same batch went again, and the timelines did not grow twice
	checkPostedOnce(t, db, bank, entries)
	if keys := checkSameBodies(t, bank, batches); len(keys) != 1 {
		t.Errorf("%d batch keys, want 1", len(keys))
	}
	if tl := states(t, db, 1); !equalStates(tl, app.StateCaptured, app.StateSent, app.StatePosted) {
		t.Errorf("timeline %v", tl)
	}
}

func TestForward_AnswerLostThenResent(t *testing.T) {
	cases := []struct {
		name      string
		newSales  int // sales made before the desk tries again
		wantState app.OutboxState
		wantDup   int
	}{
		// The same batch again: the bank replays its first answer.
		{"as the same batch", 0, app.StatePosted, 0},
		// A batch with more in it: another key; the bank says duplicate per message.
		{"in a bigger batch", 2, app.StateDuplicate, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a batch the bank handled but whose answer was lost, and
			// a desk switched off before it could retry
			bank := synctest.Start(t, synctest.Options{})
			db := openJournal(t)
			entries := seed(t, db, 3)
			cfg := fast(bank, t)
			cfg.Retries = -1
			bank.Fail(batches, synctest.Fault{Cut: true})
			if _, err := newClient(t, cfg).Forward(context.Background(), db, 0, nil); !desksync.Unavailable(err) {
				t.Fatalf("first pass: %v", err)
			}
			entries = append(entries, seed(t, db, tc.newSales)...)

			// When the desk forwards again
			p, err := newClient(t, fast(bank, t)).Forward(context.Background(), db, 0, nil)

			// Then nothing is posted twice and the first three end as the bank said
			if err != nil {
				t.Fatal(err)
			}
			checkPostedOnce(t, db, bank, entries)
			checkSameBodies(t, bank, batches)
			if p.Duplicate != tc.wantDup {
				t.Errorf("duplicates %d, want %d", p.Duplicate, tc.wantDup)
			}
			for seq := int64(1); seq <= 3; seq++ {
				if s, _ := db.State(context.Background(), seq); s != tc.wantState {
					t.Errorf("entry %d is %s, want %s", seq, s, tc.wantState)
				}
			}
		})
	}
}

func TestForward_RecordsTheBanksVerdicts(t *testing.T) {
	// Given a bank that rejects entry 2, keeps entry 3 pending, and a
	// fourth entry recorded under another merchant
	bank := synctest.Start(t, synctest.Options{})
	bank.Decide = func(m desksync.Message) (string, string) {
		switch m.Seq {
		case 2:
			return desksync.BankRejected, "bad_cryptogram"
		case 3:
			return desksync.BankPending, ""
		}
		return desksync.BankPosted, ""
	}
	db := openJournal(t)
	seed(t, db, 3)
	other := seed(t, db, 1)[0]
	other.Seq, other.IdempotencyKey, other.MerchantID, other.PrevHash, other.Hash = 0, "other-merchant-1", "M999", nil, nil
	if _, err := db.Append(context.Background(), other); err != nil {
		t.Fatal(err)
	}

	// When the desk forwards
	p, err := newClient(t, fast(bank, t)).Forward(context.Background(), db, 0, nil)

	// Then it says that entries are not of its certificate's merchant
	if !errors.Is(err, desksync.ErrWrongMerchant) {
		t.Fatalf("error %v, want ErrWrongMerchant", err)
	}

	// And each entry's timeline ends as the bank said, with its reason,
	// but the other merchant's entry is kept unsent, not lost as rejected
	want := []struct {
		state  app.OutboxState
		reason string
	}{{app.StatePosted, ""}, {app.StateRejected, "bad_cryptogram"}, {app.StateAcknowledged, ""}, {app.StatePosted, ""}, {app.StateSent, ""}}
	for i, w := range want {
		tl, err := db.Timeline(context.Background(), int64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		last := tl[len(tl)-1]
		if last.State != w.state || last.Reason != w.reason {
			t.Errorf("entry %d: %s %q, want %s %q", i+1, last.State, last.Reason, w.state, w.reason)
		}
	}
	if p.Accepted != 3 || p.Rejected != 1 {
		t.Errorf("progress %+v", p)
	}
}

func TestMutualTLS_RefusedWithoutTheRightCertificates(t *testing.T) {
	other := synctest.Start(t, synctest.Options{}) // another bank, another CA
	cases := []struct {
		name        string
		requireCert bool
		tls         func(bank *synctest.Bank) desksync.Config
		wantStatus  int // 0: refused at the TLS layer
	}{
		{"no client certificate, refused at the handshake", true, func(bank *synctest.Bank) desksync.Config {
			cfg := fast(bank, t)
			cfg.TLS = mustTLS(t, bank.CAPEM(), nil, nil)
			return cfg
		}, 0},
		{"no client certificate, refused by the call", false, func(bank *synctest.Bank) desksync.Config {
			cfg := fast(bank, t)
			cfg.TLS = mustTLS(t, bank.CAPEM(), nil, nil)
			return cfg
		}, 401},
		{"a client certificate from another CA", true, func(bank *synctest.Bank) desksync.Config {
			cfg := fast(bank, t)
			cfg.TLS = other.DeskTLS(t, terminal, merchant)
			cfg.TLS.RootCAs = mustTLS(t, bank.CAPEM(), nil, nil).RootCAs
			return cfg
		}, 0},
		{"a server not signed by the pinned CA", false, func(bank *synctest.Bank) desksync.Config {
			cfg := fast(bank, t)
			cfg.TLS = other.DeskTLS(t, terminal, merchant)
			return cfg
		}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a bank and a desk without the right certificates
			bank := synctest.Start(t, synctest.Options{RequireClientCert: tc.requireCert})
			db := openJournal(t)
			seed(t, db, 2)
			c := newClient(t, tc.tls(bank))

			// When the desk forwards
			_, err := c.Forward(context.Background(), db, 0, nil)

			t.Logf("refused: %v", err)
			// Then it is refused at once, not retried, and not taken for "bank down"
			if err == nil {
				t.Fatal("forwarded without the right certificates")
			}
			if desksync.Unavailable(err) {
				t.Errorf("%v taken for a bank that is down", err)
			}
			var api *desksync.APIError
			switch {
			case tc.wantStatus != 0 && (!errors.As(err, &api) || api.Status != tc.wantStatus || api.Code != "unauthenticated"):
				t.Errorf("error %v, want %d unauthenticated", err, tc.wantStatus)
			case tc.wantStatus == 0 && errors.As(err, &api):
				t.Errorf("error %v: the call got through TLS", err)
			}
			if n := len(bank.Requests()); n > 1 {
				t.Errorf("the bank saw %d requests: a refusal was retried", n)
			}
			if len(bank.Handled()) != 0 {
				t.Error("the bank handled messages")
			}
		})
	}
}

func mustTLS(t *testing.T, ca, cert, key []byte) *tls.Config {
	t.Helper()
	cfg, err := desksync.DeskTLS(ca, cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestForward_AfterABatchFailsOnlyTheOneOnTheWireIsAnswered(t *testing.T) {
	// Given 1500 entries, a bank that fails every attempt of the first
	// batch and answers the second slowly
	bank := synctest.Start(t, synctest.Options{})
	db := openJournal(t)
	entries := seed(t, db, 1500)
	cfg := fast(bank, t)
	cfg.Retries = 1
	bank.Fail(batches,
		synctest.Fault{Status: 500, Contains: entries[0].IdempotencyKey},
		synctest.Fault{Status: 500, Contains: entries[0].IdempotencyKey},
		synctest.Fault{Delay: 500 * time.Millisecond, Contains: entries[500].IdempotencyKey})
	c := newClient(t, cfg)

	// When the desk forwards
	p, err := c.Forward(context.Background(), db, 0, nil)

	// Then the two first batches went at once: the first stays sent, the
	// second, on the wire when the first failed, is posted, and the third
	// was never cut
	if !desksync.Unavailable(err) || p.Sent != 500 {
		t.Fatalf("first pass: %+v, %v", p, err)
	}
	for seq, want := range map[int64]app.OutboxState{1: app.StateSent, 500: app.StateSent, 501: app.StatePosted,
		1000: app.StatePosted, 1001: app.StateCaptured, 1500: app.StateCaptured} {
		if s, _ := db.State(context.Background(), seq); s != want {
			t.Errorf("entry %d is %s, want %s", seq, s, want)
		}
	}

	// And when the bank is back, the first batch goes again with its key,
	// and every timeline has each step once
	if _, err := c.Forward(context.Background(), db, 0, nil); err != nil {
		t.Fatal(err)
	}
	checkPostedOnce(t, db, bank, entries)
	if keys := checkSameBodies(t, bank, batches); len(keys) != 3 {
		t.Errorf("%d batch keys, want 3", len(keys))
	}
	for _, seq := range []int64{1, 501, 1001, 1500} {
		if tl := states(t, db, seq); !equalStates(tl, app.StateCaptured, app.StateSent, app.StatePosted) {
			t.Errorf("entry %d: %v", seq, tl)
		}
	}
}

func TestForward_ABatchKeyTakenByAnotherBodyGoesUnderItsBodysKey(t *testing.T) {
	// Given a bank that holds this desk's batch key for another body
	bank := synctest.Start(t, synctest.Options{})
	db := openJournal(t)
	entries := seed(t, db, 3)
	cfg := fast(bank, t)
	other := seed(t, openJournal(t), 1)
	m, _ := desksync.MessageOf(other[0])
	m.Key = "elsewhere-1"
	stale, _ := desksync.NewBatch([]desksync.Message{m})
	stale.Key = desksync.BatchKey(entries[0].IdempotencyKey, entries[2].IdempotencyKey, 3)
	if _, err := newClient(t, cfg).SendBatch(context.Background(), stale); err != nil {
		t.Fatal(err)
	}

	// When the desk forwards
	_, err := newClient(t, cfg).Forward(context.Background(), db, 0, nil)

	// Then the batch went under another key and every message is posted once
	if err != nil {
		t.Fatal(err)
	}
	if keys := batchKeysExcept(bank, stale.Key); keys != 1 {
		t.Errorf("%d other batch keys, want 1", keys)
	}
	for _, e := range entries {
		if s, _ := db.State(context.Background(), e.Seq); s != app.StatePosted {
			t.Errorf("entry %d is %s", e.Seq, s)
		}
		if n := bank.Handled()[e.IdempotencyKey]; n != 1 {
			t.Errorf("entry %d handled %d times", e.Seq, n)
		}
	}
}

// batchKeysExcept counts the batch keys other than except.
func batchKeysExcept(bank *synctest.Bank, except string) int {
	keys := map[string]bool{}
	for _, r := range bank.Requests() {
		if r.Path == batches && r.Key != except {
			keys[r.Key] = true
		}
	}
	return len(keys)
}

func TestForward_AVoidGoesInTheBatchOfItsPurchase(t *testing.T) {
	// Given 600 captured purchases, then voids of purchases 450 and 100
	bank := synctest.Start(t, synctest.Options{})
	db := openJournal(t)
	entries := seed(t, db, 600)
	var voids []app.Entry
	for _, seq := range []int64{450, 100} {
		v := entries[seq-1]
		v.Seq, v.Kind, v.Ref, v.Note, v.PrevHash, v.Hash = 0, app.KindVoid, seq, "customer changed their mind", nil, nil
		v.IdempotencyKey = fmt.Sprintf("void-of-%d", seq)
		e, err := db.Append(context.Background(), v)
		if err != nil {
			t.Fatal(err)
		}
		voids = append(voids, e)
	}

	// When the desk forwards in batches of 500
	if _, err := newClient(t, fast(bank, t)).Forward(context.Background(), db, 0, nil); err != nil {
		t.Fatal(err)
	}

	// Then each void went in the first batch, with its purchase, and the
	// bank cancelled both purchases instead of posting them
	var first []byte
	for _, r := range bank.Requests() {
		if r.Path == batches && bytes.Contains(r.Body, []byte(entries[0].IdempotencyKey)) {
			first = r.Body
		}
	}
	for _, v := range voids {
		if !bytes.Contains(first, []byte(v.IdempotencyKey)) {
			t.Errorf("void %d was not in the batch of purchase %d", v.Seq, v.Ref)
		}
		if s, _ := db.State(context.Background(), v.Ref); s != app.StateRejected {
			t.Errorf("purchase %d is %s, want rejected (voided)", v.Ref, s)
		}
		if s, _ := db.State(context.Background(), v.Seq); s != app.StatePosted {
			t.Errorf("void %d is %s, want posted", v.Seq, s)
		}
	}
	if s, _ := db.State(context.Background(), 600); s != app.StatePosted {
		t.Errorf("purchase 600 is %s", s)
	}
}

func TestForward_AnEntryTheBankFailedOnStaysUnsentForTheNextPass(t *testing.T) {
	// Given a bank that fails inside on entry 2 (internal_error: no verdict)
	bank := synctest.Start(t, synctest.Options{})
	bank.Decide = func(m desksync.Message) (string, string) {
		if m.Seq == 2 {
			return desksync.BankRejected, "internal_error"
		}
		return desksync.BankPosted, ""
	}
	db := openJournal(t)
	seed(t, db, 3)

	// When the desk forwards
	p, err := newClient(t, fast(bank, t)).Forward(context.Background(), db, 0, nil)
	if err != nil {
		t.Fatal(err)
	}

	// Then entry 2 is not lost as rejected: it stays sent, to go again,
	// and the others are posted
	for seq, want := range map[int64]app.OutboxState{1: app.StatePosted, 2: app.StateSent, 3: app.StatePosted} {
		if s, _ := db.State(context.Background(), seq); s != want {
			t.Errorf("entry %d is %s, want %s", seq, s, want)
		}
	}
	if p.Rejected != 0 {
		t.Errorf("progress %+v", p)
	}
	if left, err := db.Unsent(context.Background(), 10); err != nil || len(left) != 1 || left[0].Seq != 2 {
		t.Errorf("unsent %v %v, want entry 2", left, err)
	}
}

func TestForward_AnEntryRefusedForTheCertificateStaysUnsentWhenTheBankAnswersItAgain(t *testing.T) {
	// Given a bank that refuses entry 1 as not of the certificate's
	// merchant, and keeps what the certificate sent
	bank := synctest.Start(t, synctest.Options{})
	bank.Decide = func(m desksync.Message) (string, string) { return desksync.BankRejected, "wrong_merchant" }
	db := openJournal(t)
	seed(t, db, 1)
	client := newClient(t, fast(bank, t))

	// When the desk forwards twice, the second time with a new sale in
	// the batch, so the batch is new and entry 1 answered as a duplicate
	// of the refusal
	for pass := 1; pass <= 2; pass++ {
		if pass == 2 {
			seed(t, db, 1)
		}
		_, err := client.Forward(context.Background(), db, 0, nil)

		// Then each time it says the certificate is the problem, and the
		// entry stays unsent, to go again under the desk's own certificate
		if !errors.Is(err, desksync.ErrWrongMerchant) {
			t.Fatalf("pass %d: error %v, want ErrWrongMerchant", pass, err)
		}
		if s, _ := db.State(context.Background(), 1); s.Final() {
			t.Fatalf("pass %d: the entry is %s, final", pass, s)
		}
	}
	if n := bank.Handled()[seedKey(t, db, 1)]; n != 1 {
		t.Errorf("handled %d times, want 1 (then answered as a duplicate)", n)
	}
}

func seedKey(t *testing.T, db interface {
	Entry(context.Context, int64) (app.Entry, error)
}, seq int64) string {
	t.Helper()
	e, err := db.Entry(context.Background(), seq)
	if err != nil {
		t.Fatal(err)
	}
	return e.IdempotencyKey
}
