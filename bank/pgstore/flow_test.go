package pgstore_test

import (
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"lingqian/bank"
	"lingqian/bank/banktest"
	"lingqian/bank/pgstore"
	"lingqian/internal/pgtest"
	"lingqian/issuance"
)

// One issuer for the whole test binary: its keys take a while to make.
var sharedIssuer = sync.OnceValues(func() (*issuance.Issuer, error) { return issuance.New(issuance.Options{}) })

// process is one bank process: a bank on its own connections to the
// database, serving HTTPS on loopback.
type process struct {
	b     *bank.Bank
	store *pgstore.Store
	base  string
	ca    []byte
}

// bankProcess starts a bank process on the database at dsn with the keys
// in dir, as lingqian-bank serve does: several on one dsn and dir are
// several processes of one bank.
func bankProcess(t testing.TB, dsn, dir string) *process {
	t.Helper()
	iss, err := sharedIssuer()
	if err != nil {
		t.Fatal(err)
	}
	st := open(t, dsn)
	b, err := bank.New(st, bank.Options{Issuer: iss})
	if err != nil {
		t.Fatal(err)
	}
	pki, err := bank.LoadOrCreatePKI(dir, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b.SetPKI(pki)
	cfg, err := b.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(b.Handler())
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return &process{b: b, store: st, base: srv.URL, ca: pki.CAPEM}
}

func (p *process) desk(t testing.TB, merchant string) *banktest.Desk {
	t.Helper()
	code, err := p.b.NewTerminalCode(ctx, merchant, false)
	if err != nil {
		t.Fatal(err)
	}
	return banktest.Enroll(t, p.base, p.ca, code)
}

func (p *process) balance(t *testing.T, account string) int64 {
	t.Helper()
	v, err := p.b.Ledger().Balance(ctx, account)
	if err != nil && !errors.Is(err, bank.ErrNotFound) {
		t.Fatal(err)
	}
	return v
}

func TestPostgreSQL_PurchaseClearsThroughTheBank(t *testing.T) {
	// Given a bank on PostgreSQL serving over HTTPS, alice with 1000.00
	// on deposit, her phone's wallet of 500.00 and a desk of M001
	p := bankProcess(t, pgtest.NewDB(t, cluster), t.TempDir())
	if err := p.b.AddCustomer(ctx, "alice", "s3cret-alice", 100000); err != nil {
		t.Fatal(err)
	}
	phone := banktest.Login(t, p.base, p.ca, "alice", "s3cret-alice")
	w := phone.NewWallet(t, t.TempDir(), 50000)
	desk := p.desk(t, "M001")

	// When the desk sells 12.50 offline, forwards it twice, and the phone
	// uploads its log
	sale := desk.Purchase(t, w, 1250)
	first := desk.Send(t, sale)
	second := desk.Send(t, sale)
	up := phone.Upload(t, w)

	// Then it is posted once and confirmed by the phone
	if r := first[0]; r.Status != bank.StatusAccepted || r.State != string(bank.StatePosted) {
		t.Fatalf("first: %+v", r)
	}
	if r := second[0]; r.Status != bank.StatusDuplicate || r.State != string(bank.StatePosted) {
		t.Fatalf("sent again: %+v", r)
	}
	if up.Accepted != 1 || len(up.Rejected) != 0 {
		t.Fatalf("upload: %+v", up)
	}
	// And the desk's feed and the bank's report say so
	posted := bank.Totals{Count: 1, Amount: 1250}
	if got := desk.Reconciliation(t).Totals; got.Posted != posted || got.Pending != (bank.Totals{}) || got.Rejected != (bank.Totals{}) {
		t.Errorf("the desk's feed: %+v", got)
	}
	rep, err := p.b.Report(ctx, bank.ReportFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Posted != posted || rep.AwaitingDesk != (bank.Totals{}) {
		t.Errorf("the bank's report: %+v", rep)
	}
	// And the money moved from the wallet's e-cash to the merchant, the
	// books balanced
	for account, want := range map[string]int64{"deposit:alice": 50000, "ecash:" + w.PAN() + "/" + w.PSN(): 50000 - 1250,
		"settlement:M001": 1250, bank.CashAccount: 100000} {
		if got := p.balance(t, account); got != want {
			t.Errorf("%s: %d, want %d", account, got, want)
		}
	}
	if err := p.b.Ledger().Balanced(ctx); err != nil {
		t.Fatal(err)
	}
}
