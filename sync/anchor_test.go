package sync_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/bank"
	"lingqian/bank/banktest"
	"lingqian/emv"
	"lingqian/issuance"
	"lingqian/store"
	desksync "lingqian/sync"
	"lingqian/wallet"
)

// One issuer for these tests: its keys take a while to make.
var anchorIssuer = sync.OnceValues(func() (*issuance.Issuer, error) { return issuance.New(issuance.Options{}) })

// anchoredShop is the real bank on loopback, a shop desk enrolled at it
// with its real SQLite journal and data folder, and a customer's phone.
type anchoredShop struct {
	t      *testing.T
	ctx    context.Context
	bank   *bank.Bank
	desk   *banktest.Desk // the enrolled desk's certificate and kernel
	db     *store.DB
	dir    string
	client *desksync.Client
	phone  *wallet.Card

	mu      sync.Mutex
	batches []seenBatch // every POST /v1/desk/batches, in order
}

// seenBatch is a batch as the bank got it and how it answered.
type seenBatch struct {
	status int
	body   []byte
}

func newAnchoredShop(t *testing.T) *anchoredShop {
	t.Helper()
	iss, err := anchorIssuer()
	if err != nil {
		t.Fatal(err)
	}
	b, err := bank.Open(t.TempDir(), bank.Options{Keys: true, Issuer: iss, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	s := &anchoredShop{t: t, ctx: context.Background(), bank: b, dir: t.TempDir()}
	cfg, err := b.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(s.watch(b.Handler()))
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(func() {
		srv.Close()
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	ca := b.PKI().CAPEM
	code, err := b.NewTerminalCode(s.ctx, "M001", false)
	if err != nil {
		t.Fatal(err)
	}
	s.desk = banktest.Enroll(t, srv.URL, ca, code)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	s.client = newClient(t, desksync.Config{BaseURL: srv.URL, Retries: 2, AttemptTimeout: 10 * time.Second,
		TLS:     &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{s.desk.Cert}, MinVersion: tls.VersionTLS12},
		Backoff: desksync.Backoff{Min: 5 * time.Millisecond, Max: 20 * time.Millisecond}})
	if s.db, err = store.Open(filepath.Join(s.dir, "desk.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.db.Close() })
	if err := b.AddCustomer(s.ctx, "alice", "s3cret-alice", 100000); err != nil {
		t.Fatal(err)
	}
	s.phone = banktest.Login(t, srv.URL, ca, "alice", "s3cret-alice").NewWallet(t, t.TempDir(), 50000)
	return s
}

// watch keeps every batch the bank is sent, and its answer's status.
func (s *anchoredShop) watch(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/desk/batches" {
			next.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		s.mu.Lock()
		s.batches = append(s.batches, seenBatch{status: rec.status, body: body})
		s.mu.Unlock()
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *anchoredShop) seen() []seenBatch {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.batches)
}

// sell has the phone pay amount at the desk and records the purchase in
// the journal as the checkout does.
func (s *anchoredShop) sell(amount int64) app.Entry {
	s.t.Helper()
	out := s.desk.Tap(s.t, s.phone, amount)
	if out.Result != emv.Approved {
		s.t.Fatalf("purchase of %d: %v %s", amount, out.Result, out.Reason.Detail)
	}
	last, err := s.db.LastSeq(s.ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	e, err := s.db.Append(s.ctx, app.Entry{Kind: app.KindPurchase, At: time.Now(),
		IdempotencyKey: fmt.Sprintf("%s-%032d", s.desk.TerminalID, last+1), Operator: "li.na",
		TerminalID: s.desk.TerminalID, MerchantID: s.desk.MerchantID, Amount: app.Money(out.Amount), Currency: out.Currency,
		TxnDate: out.Date, TxnType: out.Type, AID: out.AID, PAN: out.PAN, PSN: out.PSN, ATC: out.ATC, CID: out.CID,
		AC: out.AC, IAD: out.IAD, TVR: out.TVR[:], UN: out.UN, PDOLData: out.PDOLData, CDOL1Data: out.CDOL1Data,
		GenACResponse: out.GenACResponse})
	if err != nil {
		s.t.Fatal(err)
	}
	return e
}

// forward is a pass of the desk's own forwarding, as the window's runs.
func (s *anchoredShop) forward(asked bool) (desksync.Progress, error) {
	return s.client.ForwardWith(s.ctx, s.db, desksync.ForwardOptions{Dir: s.dir, Asked: asked})
}

// bankHas says whether the bank's feed for the desk lists the entry.
func (s *anchoredShop) bankHas(e app.Entry) bool {
	s.t.Helper()
	return slices.ContainsFunc(s.desk.Reconciliation(s.t).Messages, func(m bank.ReconMessage) bool { return m.Key == e.IdempotencyKey })
}

// rewrite changes the amount of entry seq on disk, as someone with the
// sqlite3 tool would: the journal's triggers dropped, and every hash from
// there on recomputed (by a scratch journal appending the same entries),
// so that the desk's own check finds nothing.
func (s *anchoredShop) rewrite(seq int64, amount app.Money) {
	s.t.Helper()
	last, err := s.db.LastSeq(s.ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	list, err := s.db.Entries(s.ctx, 1, last)
	if err != nil {
		s.t.Fatal(err)
	}
	scratch, err := store.Open(filepath.Join(s.t.TempDir(), "scratch.db"))
	if err != nil {
		s.t.Fatal(err)
	}
	defer scratch.Close()
	raw, err := sql.Open("sqlite3", s.db.Path())
	if err != nil {
		s.t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec("DROP TRIGGER journal_no_update"); err != nil {
		s.t.Fatal(err)
	}
	for _, e := range list {
		if e.Seq == seq {
			e.Amount = amount
		}
		again := e
		again.Seq, again.PrevHash, again.Hash = 0, nil, nil
		got, err := scratch.Append(s.ctx, again)
		if err != nil || got.Seq != e.Seq {
			s.t.Fatalf("rehash entry %d: %v", e.Seq, err)
		}
		if _, err := raw.Exec("UPDATE journal SET amount = ?, prev_hash = ?, hash = ? WHERE seq = ?",
			int64(e.Amount), got.PrevHash, got.Hash, e.Seq); err != nil {
			s.t.Fatal(err)
		}
		if _, err := raw.Exec("UPDATE outbox_last SET amount = ? WHERE seq = ?", int64(e.Amount), e.Seq); err != nil {
			s.t.Fatal(err)
		}
	}
	if brk, err := s.db.Verify(s.ctx); err != nil || brk != nil {
		s.t.Fatalf("the rewritten journal does not verify: %+v %v", brk, err)
	}
}

func TestAnchoring_AJournalRewrittenWithFreshHashesIsRefusedAtTheNextBatch(t *testing.T) {
	// Given a desk that forwarded three purchases to the bank, posted
	s := newAnchoredShop(t)
	sold := []app.Entry{s.sell(1200), s.sell(3400), s.sell(560)}
	if p, err := s.forward(false); err != nil || p.Accepted != 3 {
		t.Fatalf("first pass: %+v %v", p, err)
	}
	if st, _ := desksync.ReadAnchors(s.dir); st.Anchors[app.ChainJournal] != 3 || st.Anchors[app.ChainAudit] != 0 {
		t.Fatalf("anchors kept after the first pass: %+v", st)
	}

	// When its journal is rewritten on disk, the amount of the second
	// purchase cut with every hash recomputed, and the desk sells again
	s.rewrite(sold[1].Seq, 340)
	next := s.sell(700)
	_, err := s.forward(true)

	// Then the bank refuses the batch as a forked chain
	if !desksync.Forked(err) {
		t.Fatalf("forward after the rewrite: %v, want chain_forked", err)
	}
	t.Log(err)
	batches := s.seen()
	if last := batches[len(batches)-1]; last.status != http.StatusConflict || !bytes.Contains(last.body, []byte(next.IdempotencyKey)) {
		t.Errorf("the last batch: %d", last.status)
	}
	// And nothing of the batch is posted: the new sale is not at the bank
	// and stays on the desk, unsent
	if s.bankHas(next) {
		t.Error("the refused batch's purchase reached the bank")
	}
	if st, err := s.db.State(s.ctx, next.Seq); err != nil || st.Final() {
		t.Errorf("the new sale is %s (%v), want it kept for later", st, err)
	}
	// And a person at the bank has an exception naming the desk
	var open []bank.Exception
	if err := s.bank.Store().Read(s.ctx, func(tx bank.Tx) error {
		open, err = tx.ExceptionQueue(bank.ExceptionsOpen, 0)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || open[0].Kind != bank.ExceptionChainForked || open[0].TerminalID != s.desk.TerminalID {
		t.Errorf("open exceptions %+v", open)
	}
	// And the desk's forwarding state says so, and a pass nobody asked
	// for does not reach the bank again
	st, err := desksync.ReadAnchors(s.dir)
	if err != nil || st.Forked == nil || st.Forked.Message == "" {
		t.Fatalf("forwarding state %+v %v", st, err)
	}
	if _, err := s.forward(false); !desksync.Forked(err) {
		t.Errorf("an automatic pass after the refusal: %v", err)
	}
	if n := len(s.seen()); n != len(batches) {
		t.Errorf("%d batches sent by a pass nobody asked for", n-len(batches))
	}

	// When a person at the bank resolves the exception, and someone at
	// the desk presses Forward now
	err = s.bank.Store().Write(s.ctx, func(tx bank.Tx) error {
		return tx.ResolveException(open[0].ID, bank.Resolution{At: time.Now(), By: "teller.wu", Note: "amount of entry 2 changed on the shop PC; reported"})
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.forward(true)

	// Then the desk's chain is anchored afresh, the held sale is posted,
	// and forwarding goes on
	if err != nil || p.Accepted != 1 || !s.bankHas(next) {
		t.Fatalf("forward after the resolution: %+v %v", p, err)
	}
	if st, err := desksync.ReadAnchors(s.dir); err != nil || st.Forked != nil || st.Anchors[app.ChainJournal] != 4 {
		t.Errorf("forwarding state after the resolution %+v %v", st, err)
	}
}

func TestAnchoring_ADeskThatLostItsAnchorsForwardsAgainWithoutAPerson(t *testing.T) {
	// Given a desk anchored at the bank, with hotlist version 4, which
	// then loses the file it keeps its anchors in
	s := newAnchoredShop(t)
	if err := os.WriteFile(filepath.Join(s.dir, desksync.HotlistFile), []byte(`{"version":4,"pans":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s.sell(1000)
	s.sell(2000)
	if p, err := s.forward(false); err != nil || p.Accepted != 2 {
		t.Fatalf("first pass: %+v %v", p, err)
	}
	if err := os.Remove(filepath.Join(s.dir, desksync.AnchorsFile)); err != nil {
		t.Fatal(err)
	}
	before := len(s.seen())

	// When it sells again and forwards by itself
	later := s.sell(3000)
	p, err := s.forward(false)

	// Then the bank asks once for its hash at the anchor, the desk sends
	// it, and the sale is posted
	if err != nil || p.Accepted != 1 || !s.bankHas(later) {
		t.Fatalf("forward without anchors: %+v %v", p, err)
	}
	var statuses []int
	for _, b := range s.seen()[before:] {
		statuses = append(statuses, b.status)
	}
	if !slices.Equal(statuses, []int{http.StatusConflict, http.StatusOK}) {
		t.Errorf("answers %v, want anchor_needed then accepted", statuses)
	}
	// And the anchors are kept again, and every batch named the
	// desk's chains and its hotlist version
	if st, err := desksync.ReadAnchors(s.dir); err != nil || st.Anchors[app.ChainJournal] != 3 || st.Forked != nil {
		t.Errorf("anchors after the pass: %+v %v", st, err)
	}
	for i, b := range s.seen() {
		var req struct {
			HotlistVersion int64                `json:"hotlist_version"`
			Chains         []desksync.ChainHead `json:"chains"`
		}
		if err := json.Unmarshal(b.body, &req); err != nil {
			t.Fatal(err)
		}
		if req.HotlistVersion != 4 || len(req.Chains) != 2 || req.Chains[0].Name != app.ChainJournal || req.Chains[1].Name != app.ChainAudit {
			t.Errorf("batch %d: hotlist %d, chains %+v", i+1, req.HotlistVersion, req.Chains)
		}
	}
}
