package bank_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"lingqian/bank"
	"lingqian/bank/banktest"
	"lingqian/issuance"
	"lingqian/wallet"
)

// One issuer for the whole test binary: its keys take a while to make.
var sharedIssuer = sync.OnceValues(func() (*issuance.Issuer, error) { return issuance.New(issuance.Options{}) })

// clock is a settable time for tests of expiry and lock-outs.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		return time.Now()
	}
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		c.t = time.Now()
	}
	c.t = c.t.Add(d)
}

// env is a bank in a temporary data folder serving HTTPS on loopback.
type env struct {
	t     testing.TB
	dir   string
	b     *bank.Bank
	base  string
	ca    []byte
	clock *clock
	ctx   context.Context
}

func newEnv(t testing.TB) *env {
	t.Helper()
	iss, err := sharedIssuer()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: t.TempDir(), clock: &clock{}, ctx: context.Background()}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	e.b, err = bank.Open(e.dir, bank.Options{Keys: true, Issuer: iss, Logger: log, Now: e.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := e.b.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(e.b.Handler())
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(func() {
		srv.Close()
		if err := e.b.Close(); err != nil {
			t.Error(err)
		}
	})
	e.base, e.ca = srv.URL, e.b.PKI().CAPEM
	return e
}

// customer adds a customer with a deposit.
func (e *env) customer(user string, deposit int64) {
	e.t.Helper()
	if err := e.b.AddCustomer(e.ctx, user, "s3cret-"+user, deposit); err != nil {
		e.t.Fatal(err)
	}
}

// phone logs the customer in.
func (e *env) phone(user string) *banktest.Client {
	e.t.Helper()
	return banktest.Login(e.t, e.base, e.ca, user, "s3cret-"+user)
}

// wallet gives user a new wallet with load fen, the phone's way.
func (e *env) wallet(user string, load int64) (*wallet.Card, *banktest.Client) {
	e.t.Helper()
	p := e.phone(user)
	return p.NewWallet(e.t, e.t.TempDir(), load), p
}

// desk enrols a desk of merchant.
func (e *env) desk(merchant string, teller bool) *banktest.Desk {
	e.t.Helper()
	code, err := e.b.NewTerminalCode(e.ctx, merchant, teller)
	if err != nil {
		e.t.Fatal(err)
	}
	return banktest.Enroll(e.t, e.base, e.ca, code)
}

// balanced fails the test unless the ledger balances.
func (e *env) balanced() {
	e.t.Helper()
	if err := e.b.Ledger().Balanced(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

// postings counts the ledger's postings.
func (e *env) postings() int64 {
	e.t.Helper()
	n, _, err := e.b.Ledger().Postings(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// balance is an account's balance; an account never used holds 0.
func (e *env) balance(account string) int64 {
	e.t.Helper()
	v, err := e.b.Ledger().Balance(e.ctx, account)
	if errors.Is(err, bank.ErrNotFound) {
		return 0
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return v
}

func (e *env) report(f bank.ReportFilter) bank.Report {
	e.t.Helper()
	r, err := e.b.Report(e.ctx, f)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// one expects a single result with status, reason and state.
func one(t *testing.T, got []bank.Result, status, reason, state string) {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("%d results", len(got))
	}
	r := got[0]
	if r.Status != status || r.Reason != reason || r.State != state {
		t.Fatalf("result %s/%s/%s, want %s/%s/%s", r.Status, r.Reason, r.State, status, reason, state)
	}
}
