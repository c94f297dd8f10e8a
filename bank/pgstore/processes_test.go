package pgstore_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"lingqian/bank"
	"lingqian/bank/banktest"
	"lingqian/internal/pgtest"
	"lingqian/wallet"
)

// Two bank processes on one database keep every promise of one. Each
// process here is a bank with its own connection pool and HTTPS server,
// as two lingqian-bank serve would be; they share only the database and
// the key folder.

func twoProcesses(t testing.TB) (a, b *process) {
	t.Helper()
	dsn, keys := pgtest.NewDB(t, cluster), t.TempDir()
	a = bankProcess(t, dsn, keys)
	b = bankProcess(t, dsn, keys)
	t.Cleanup(func() { t.Logf("write attempts run again: %d and %d", a.store.Retries(), b.store.Retries()) })
	return a, b
}

// atOnce runs each of fns in a goroutine of its own, released together.
func atOnce(fns ...func()) {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for _, fn := range fns {
		ready.Add(1)
		done.Go(func() {
			ready.Done()
			<-start
			fn()
		})
	}
	ready.Wait()
	close(start)
	done.Wait()
}

// send forwards a batch to the process at base as desk d, without
// failing the test from another goroutine.
func send(d *banktest.Desk, p *process, key string, msgs []bank.WireMessage) ([]bank.Result, error) {
	var resp bank.BatchResponse
	_, err := banktest.NewClient(p.base, p.ca, &d.Cert).Call(ctx, "POST", "/v1/desk/batches", key,
		bank.BatchRequest{Messages: msgs}, &resp)
	return resp.Results, err
}

// customer gives alice a deposit and her phone a wallet with load fen.
func customer(t *testing.T, p *process, load int64) (*wallet.Card, *banktest.Client) {
	t.Helper()
	if err := p.b.AddCustomer(ctx, "alice", "s3cret-alice", 2*load); err != nil {
		t.Fatal(err)
	}
	phone := banktest.Login(t, p.base, p.ca, "alice", "s3cret-alice")
	return phone.NewWallet(t, t.TempDir(), load), phone
}

func TestTwoProcesses_ClearOneWalletsPurchasesAtOnce(t *testing.T) {
	// Given two bank processes, a wallet of 5000.00, and two desks of
	// M001 (one enrolled at each) that sold from it in turn
	a, b := twoProcesses(t)
	w, _ := customer(t, a, 500000)
	d1, d2 := a.desk(t, "M001"), b.desk(t, "M001")
	var sold [2][]bank.WireMessage
	for i := range 20 {
		d := []*banktest.Desk{d1, d2}[i%2]
		sold[i%2] = append(sold[i%2], d.Purchase(t, w, int64(100+i)))
	}

	// When each desk forwards its sales in batches of five, the first to
	// one process and the second to the other, at the same time
	var results [2][]bank.Result
	var errs [2]error
	forward := func(i int, d *banktest.Desk, p *process) func() {
		return func() {
			for j := 0; j < len(sold[i]) && errs[i] == nil; j += 5 {
				var rs []bank.Result
				rs, errs[i] = send(d, p, banktest.NewKey("batch"), sold[i][j:j+5])
				results[i] = append(results[i], rs...)
			}
		}
	}
	atOnce(forward(0, d1, a), forward(1, d2, b))

	// Then every sale is posted, once
	if err := errors.Join(errs[:]...); err != nil {
		t.Fatal(err)
	}
	var total int64
	for i, rs := range results {
		for j, r := range rs {
			if r.Status != bank.StatusAccepted || r.State != string(bank.StatePosted) {
				t.Errorf("desk %d sale %d: %+v", i+1, j, r)
			}
			total += sold[i][j].Amount
		}
	}
	rep, err := b.b.Report(ctx, bank.ReportFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Posted != (bank.Totals{Count: 20, Amount: total}) {
		t.Errorf("posted %+v, want 20 of %d", rep.Posted, total)
	}
	// And the wallet's balance chain and the books agree
	if got := a.balance(t, "ecash:"+w.PAN()+"/"+w.PSN()); got != 500000-total {
		t.Errorf("e-cash %d, want %d", got, 500000-total)
	}
	if got := b.balance(t, "settlement:M001"); got != total {
		t.Errorf("settlement %d, want %d", got, total)
	}
	if err := a.b.Ledger().Balanced(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestTwoProcesses_OneBatchSentToBothIsClearedOnce(t *testing.T) {
	// Given a desk's batch of three sales
	a, b := twoProcesses(t)
	w, _ := customer(t, a, 50000)
	d := a.desk(t, "M001")
	batch := []bank.WireMessage{d.Purchase(t, w, 100), d.Purchase(t, w, 200), d.Purchase(t, w, 300)}

	// When it reaches both processes at once under one Idempotency-Key
	key := banktest.NewKey("batch")
	var answers [2][]bank.Result
	var errs [2]error
	atOnce(func() { answers[0], errs[0] = send(d, a, key, batch) },
		func() { answers[1], errs[1] = send(d, b, key, batch) })

	// Then both answer alike, every sale posted, and posted once
	if err := errors.Join(errs[:]...); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(answers[0]) != fmt.Sprint(answers[1]) {
		t.Errorf("answers differ:\n%+v\n%+v", answers[0], answers[1])
	}
	for _, r := range answers[0] {
		if r.Status != bank.StatusAccepted || r.State != string(bank.StatePosted) {
			t.Errorf("sale %d: %+v", r.Seq, r)
		}
	}
	if rep, err := a.b.Report(ctx, bank.ReportFilter{}); err != nil || rep.Posted != (bank.Totals{Count: 3, Amount: 600}) {
		t.Errorf("posted %+v %v, want 3 of 600", rep.Posted, err)
	}
	if err := b.b.Ledger().Balanced(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestTwoProcesses_ACloneIsCaughtWhenBothClearItsHalves(t *testing.T) {
	// Given a wallet copied, each copy having spent the same ATC at a
	// desk of its own
	a, b := twoProcesses(t)
	w, _ := customer(t, a, 50000)
	clone := copyWallet(t, w)
	d1, d2 := a.desk(t, "M001"), b.desk(t, "M002")
	spent, spentAgain := d1.Purchase(t, w, 1000), d2.Purchase(t, clone, 2000)
	if spent.ATC != spentAgain.ATC {
		t.Fatalf("ATCs %d and %d", spent.ATC, spentAgain.ATC)
	}

	// When each desk forwards its sale to another process at once
	var got [2][]bank.Result
	var errs [2]error
	atOnce(func() { got[0], errs[0] = send(d1, a, banktest.NewKey("batch"), []bank.WireMessage{spent}) },
		func() { got[1], errs[1] = send(d2, b, banktest.NewKey("batch"), []bank.WireMessage{spentAgain}) })
	if err := errors.Join(errs[:]...); err != nil {
		t.Fatal(err)
	}

	// Then both are posted, each once: a good cryptogram is paid to its
	// merchant, the second on the slot from the loss account
	for i, rs := range got {
		if r := rs[0]; r.Status != bank.StatusAccepted || r.State != string(bank.StatePosted) {
			t.Errorf("desk %d: %+v", i+1, r)
		}
	}
	first, second := a.balance(t, "settlement:M001"), b.balance(t, "settlement:M002")
	if first != 1000 || second != 2000 {
		t.Errorf("settled %d and %d, want 1000 and 2000", first, second)
	}
	ecash, losses := a.balance(t, "ecash:"+w.PAN()+"/"+w.PSN()), b.balance(t, bank.LossAccount)
	if !(ecash == 50000-1000 && losses == 2000 || ecash == 50000-2000 && losses == 1000) {
		t.Errorf("e-cash %d and losses %d: not one cryptogram from each", ecash, losses)
	}
	// And the wallet is flagged cloned and hotlisted once, with one
	// exception to look at
	err := b.store.Read(ctx, func(tx bank.Tx) error {
		wal, err := tx.Wallet(w.PAN(), w.PSN())
		if err != nil {
			return err
		}
		version, list, err := tx.Hotlist()
		if err != nil {
			return err
		}
		es, err := tx.Exceptions(0)
		clones := 0
		for _, e := range es {
			if e.Kind == bank.ReasonClonedWallet {
				clones++
			}
		}
		if wal.Status != bank.WalletCloned || version != 1 || len(list) != 1 || clones != 1 {
			t.Errorf("wallet %s, hotlist version %d of %d, %d cloned_wallet exceptions", wal.Status, version, len(list), clones)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.b.Ledger().Balanced(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestTwoProcesses_AnEnrolmentCodeEnrolsOneDesk(t *testing.T) {
	// Given a code made by one process
	a, b := twoProcesses(t)
	code, err := a.b.NewTerminalCode(ctx, "M001", false)
	if err != nil {
		t.Fatal(err)
	}

	// When two desks enrol with it at once, one at each process
	var status [2]int
	var errs [2]error
	enrol := func(i int, p *process) func() {
		return func() {
			var r banktest.Response
			r, errs[i] = banktest.NewClient(p.base, p.ca, nil).Raw(ctx, "POST", "/v1/enroll", banktest.NewKey("enroll"),
				[]byte(fmt.Sprintf(`{"code":%q,"csr":%q}`, code, newCSR(t))))
			status[i] = r.Status
		}
	}
	atOnce(enrol(0, a), enrol(1, b))

	// Then one is enrolled and the other refused
	if err := errors.Join(errs[:]...); err != nil {
		t.Fatal(err)
	}
	if ok := (status[0] == http.StatusOK) != (status[1] == http.StatusOK); !ok || status[0]+status[1] != http.StatusOK+http.StatusForbidden {
		t.Errorf("answers %d and %d, want one 200 and one 403", status[0], status[1])
	}
}

// newCSR is a desk's certificate request for a new P-256 key.
func newCSR(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "desk"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// copyWallet is a second phone holding a copy of w's file: a clone.
func copyWallet(t *testing.T, w *wallet.Card) *wallet.Card {
	t.Helper()
	data, err := os.ReadFile(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "clone.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := wallet.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
