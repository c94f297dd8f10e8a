package sync_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	stdsync "sync"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/assets"
	"lingqian/emv/oda"
	"lingqian/store"
	desksync "lingqian/sync"
	"lingqian/sync/synctest"
)

// Which answer a FuzzBankAnswers input is.
const (
	answerBatch = iota
	answerFeed
	answerHotlist
	answerCAPK
	answerEnrol
	answerKinds
)

// FuzzBankAnswers serves the desk, over HTTPS on loopback, whatever a
// hostile or broken bank might answer to a batch, a reconciliation pull,
// a hotlist or CA-key pull and an enrolment. Each answer is refused with
// an error or taken, never a panic; what is taken is what the desk
// promises: one result per message naming it, a reconciliation that
// stays within the journal, a hotlist of PANs, CA keys whose file reads
// back the same, an enrolment with its certificate.
func FuzzBankAnswers(f *testing.F) {
	template := pendingJournal(f)
	var mu stdsync.Mutex
	var body []byte
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		b := body
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	f.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	c, err := desksync.NewClient(desksync.Config{BaseURL: srv.URL, TLS: &tls.Config{RootCAs: pool},
		AttemptTimeout: 10 * time.Second, Retries: -1})
	if err != nil {
		f.Fatal(err)
	}
	msgs := make([]desksync.Message, 0, len(template.entries))
	for _, e := range template.entries {
		m, err := desksync.MessageOf(e)
		if err != nil {
			f.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	batch, err := desksync.NewBatch(msgs[:2])
	if err != nil {
		f.Fatal(err)
	}

	// Seeds: answers the bank gives, and near misses.
	results := func(rs ...desksync.Result) []byte {
		b, _ := json.Marshal(map[string]any{"results": rs})
		return b
	}
	f.Add(uint8(answerBatch), results(desksync.Result{Key: msgs[0].Key, Seq: msgs[0].Seq, Status: "accepted", State: "posted"},
		desksync.Result{Key: msgs[1].Key, Seq: msgs[1].Seq, Status: "rejected", Reason: "bad_cryptogram", State: "rejected"}))
	f.Add(uint8(answerBatch), results(desksync.Result{Status: "accepted"}))
	f.Add(uint8(answerBatch), results(desksync.Result{Key: "other", Status: "duplicate"}, desksync.Result{Status: "teleported"}))
	feed := func(ms ...desksync.BankMessage) []byte {
		b, _ := json.Marshal(desksync.Feed{Messages: ms, Totals: desksync.Totals{Posted: app.Totals{Count: 1, Amount: 100}}})
		return b
	}
	f.Add(uint8(answerFeed), feed(desksync.BankMessage{Seq: 1, Key: msgs[0].Key, Kind: "purchase", State: "posted", Amount: 100},
		desksync.BankMessage{Seq: 2, Key: msgs[1].Key, Kind: "purchase", State: "rejected", Reason: "replayed", Amount: 200},
		desksync.BankMessage{Seq: 99, Key: "stranger", State: "posted", Amount: 5}))
	f.Add(uint8(answerFeed), feed(desksync.BankMessage{Seq: 3, Key: msgs[2].Key, State: "duplicate", Amount: -1},
		desksync.BankMessage{Seq: 3, Key: "twice", State: "posted"}, desksync.BankMessage{Seq: -7}))
	f.Add(uint8(answerFeed), []byte(`{"messages":null,"totals":{}}`))
	f.Add(uint8(answerHotlist), []byte(`{"version":4,"pans":["6231990000000019"]}`))
	f.Add(uint8(answerHotlist), []byte(`{"version":4,"pans":["62319900"]}`))
	f.Add(uint8(answerCAPK), assets.DefaultCAPK)
	f.Add(uint8(answerCAPK), []byte(`{"keys":[]}`))
	f.Add(uint8(answerEnrol), []byte(`{"terminal_id":"T0000001","merchant_id":"M001","teller":false,"certificate":"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n","ca":"x"}`))
	f.Add(uint8(answerEnrol), []byte(`{"terminal_id":""}`))
	f.Add(uint8(answerBatch), []byte(`{"results":[]} trailing`))

	ctx := context.Background()
	n := 0
	f.Fuzz(func(t *testing.T, which uint8, answer []byte) {
		mu.Lock()
		body = answer
		mu.Unlock()
		switch which % answerKinds {
		case answerBatch:
			rs, err := c.SendBatch(ctx, batch)
			if err != nil {
				return
			}
			if len(rs) != len(batch.Messages) {
				t.Fatalf("%d results taken for %d messages", len(rs), len(batch.Messages))
			}
			for i, r := range rs {
				if (r.Key != "" && r.Key != batch.Messages[i].Key) || (r.Seq != 0 && r.Seq != batch.Messages[i].Seq) {
					t.Fatalf("result %d names %q/%d, the message is %q/%d", i, r.Key, r.Seq, batch.Messages[i].Key, batch.Messages[i].Seq)
				}
			}
		case answerFeed:
			n++
			db := template.open(t, n)
			defer db.Close()
			rep, err := c.Reconcile(ctx, db, 0)
			if err != nil {
				return
			}
			if rep.Through < 0 || rep.Through > int64(len(template.entries)) || rep.Updated > len(template.entries) {
				t.Fatalf("reconciled through %d, %d updated, of %d entries", rep.Through, rep.Updated, len(template.entries))
			}
			for i := 1; i < len(rep.Differences); i++ {
				if rep.Differences[i-1].Seq > rep.Differences[i].Seq {
					t.Fatalf("differences out of seq order: %+v", rep.Differences)
				}
			}
		case answerHotlist:
			h, err := c.Hotlist(ctx)
			if err != nil {
				return
			}
			if h.Version < 0 {
				t.Fatalf("hotlist version %d taken", h.Version)
			}
			for _, pan := range h.PANs {
				if !h.Contains(pan) || len(pan) < 12 || len(pan) > 19 {
					t.Fatalf("hotlist entry %q taken", pan)
				}
			}
		case answerCAPK:
			raw, keys, err := c.CAKeys(ctx)
			if err != nil {
				return
			}
			// What the desk saves (raw) is what it checked
			again, err := oda.ParseFile(raw)
			if err != nil || len(again) != len(keys) {
				t.Fatalf("the CA key file saved does not read as the keys taken: %v", err)
			}
			for i := range keys {
				if again[i].Checksum() != keys[i].Checksum() {
					t.Fatalf("key %d differs from the file saved", i)
				}
			}
		case answerEnrol:
			e, err := c.Enroll(ctx, "code", []byte("csr"))
			if err != nil {
				return
			}
			if e.TerminalID == "" || e.MerchantID == "" || e.Certificate == "" || e.CA == "" {
				t.Fatalf("an enrolment without its identity taken: %+v", e)
			}
		}
	})
}

// journalTemplate is a desk database with forwarded purchases the bank
// holds as pending, copied afresh for each reconciliation.
type journalTemplate struct {
	path    string
	entries []app.Entry
}

// pendingJournal forwards four purchases to a scripted bank that keeps
// them pending, and keeps the database as a template.
func pendingJournal(tb testing.TB) *journalTemplate {
	tb.Helper()
	bank := synctest.Start(tb, synctest.Options{})
	bank.Decide = func(desksync.Message) (string, string) { return desksync.BankPending, "" }
	path := filepath.Join(tb.TempDir(), "desk.db")
	db, err := store.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	entries := seed(tb, db, 4)
	if _, err := newClient(tb, fast(bank, tb)).Forward(context.Background(), db, 0, nil); err != nil {
		tb.Fatal(err)
	}
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
	return &journalTemplate{path: path, entries: entries}
}

// open copies the template to a database of its own.
func (j *journalTemplate) open(tb testing.TB, n int) *store.DB {
	tb.Helper()
	data, err := os.ReadFile(j.path)
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), fmt.Sprintf("desk-%d.db", n))
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	db, err := store.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	return db
}
