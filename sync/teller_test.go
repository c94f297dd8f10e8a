package sync_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/bank"
	"lingqian/bank/banktest"
	"lingqian/device"
	"lingqian/emv"
	"lingqian/emv/oda"
	"lingqian/issuance"
	desksync "lingqian/sync"
	"lingqian/wallet"
)

// One issuer for the whole test binary: its keys take a while to make.
var tellerIssuer = sync.OnceValues(func() (*issuance.Issuer, error) { return issuance.New(issuance.Options{}) })

// branch is the real bank on loopback with a teller desk enrolled at it.
type branch struct {
	t      *testing.T
	ctx    context.Context
	bank   *bank.Bank
	srv    *httptest.Server
	base   string
	ca     []byte
	teller *desksync.Teller
	shop   *banktest.Desk
	kernel *emv.Kernel
}

func newBranch(t *testing.T) *branch {
	t.Helper()
	iss, err := tellerIssuer()
	if err != nil {
		t.Fatal(err)
	}
	b, err := bank.Open(t.TempDir(), bank.Options{Keys: true, Issuer: iss, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := b.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(b.Handler())
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(func() {
		srv.Close()
		if err := b.Close(); err != nil {
			t.Error(err)
		}
	})
	br := &branch{t: t, ctx: context.Background(), bank: b, srv: srv, base: srv.URL, ca: b.PKI().CAPEM}
	br.teller = br.client(br.desk("BRANCH1", true)).Teller()
	br.shop = br.desk("M001", false)
	k, err := emv.NewKernel(func() emv.Terminal { t := emv.DefaultTerminal(); t.Keys = oda.NewStore(); return t }())
	if err != nil {
		t.Fatal(err)
	}
	br.kernel = k
	return br
}

func (b *branch) desk(merchant string, teller bool) *banktest.Desk {
	b.t.Helper()
	code, err := b.bank.NewTerminalCode(b.ctx, merchant, teller)
	if err != nil {
		b.t.Fatal(err)
	}
	return banktest.Enroll(b.t, b.base, b.ca, code)
}

// client is the desk's own client with d's certificate.
func (b *branch) client(d *banktest.Desk) *desksync.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(b.ca)
	return newClient(b.t, desksync.Config{BaseURL: b.base, Retries: 2, AttemptTimeout: 5 * time.Second,
		TLS:     &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{d.Cert}, MinVersion: tls.VersionTLS12},
		Backoff: desksync.Backoff{Min: 5 * time.Millisecond, Max: 20 * time.Millisecond}})
}

// customer has a deposit and a wallet with load fen on it.
func (b *branch) customer(user string, deposit, load int64) *wallet.Card {
	b.t.Helper()
	if err := b.bank.AddCustomer(b.ctx, user, "s3cret-"+user, deposit); err != nil {
		b.t.Fatal(err)
	}
	return banktest.Login(b.t, b.base, b.ca, user, "s3cret-"+user).NewWallet(b.t, b.t.TempDir(), load)
}

// arqc taps the phone and has it make an ARQC for amount; the card
// session stays open for the bank's answer.
func (b *branch) arqc(w *wallet.Card, amount int64) (emv.Card, emv.LoadStart) {
	b.t.Helper()
	r := device.NewLoopback("Loopback 00 00")
	r.Tap(w, device.Leave{})
	card, err := r.Connect(b.ctx, "Loopback 00 00")
	if err != nil {
		b.t.Fatal(err)
	}
	b.t.Cleanup(func() { _ = card.Close() })
	st, err := b.kernel.StartLoad(b.ctx, card, emv.Load{Amount: amount})
	if err != nil {
		b.t.Fatal(err)
	}
	return card, st
}

func loadOf(st emv.LoadStart, user, operator string) app.BankLoad {
	return app.BankLoad{PAN: st.Wallet.PAN, PSN: st.Wallet.PSN, ATC: st.ATC, ARQC: st.ARQC, CDOL1Data: st.CDOL1Data,
		IAD: st.IAD, Amount: app.Money(st.Amount), Customer: user, Balance: app.Money(st.Wallet.Balance), Operator: operator}
}

func bankCode(err error) string {
	var be *app.BankError
	if errors.As(err, &be) {
		return be.Code
	}
	return ""
}

func TestTeller_LoadThroughTheRealBank(t *testing.T) {
	// Given alice's wallet with 500.00 and 1000.00 left on her deposit
	b := newBranch(t)
	w := b.customer("alice", 150000, 50000)

	// When the teller looks the wallet up
	info, err := b.teller.Wallet(b.ctx, w.PAN(), "")
	if err != nil {
		t.Fatal(err)
	}
	if info.Customer != "alice" || info.Balance != 50000 || info.Hotlisted() || info.PSN != w.PSN() {
		t.Errorf("lookup %+v", info)
	}

	// And loads 200.00 against the phone's ARQC
	card, st := b.arqc(w, 20000)
	key := "load-" + banktest.NewKey("t")
	ans, err := b.teller.Load(b.ctx, key, loadOf(st, "alice", "li.na"))
	if err != nil {
		t.Fatal(err)
	}
	fin, err := b.kernel.FinishLoad(b.ctx, card, st, emv.IssuerAnswer{ARPC: ans.ARPC, ARC: ans.ARC, Script: ans.Script})
	if err != nil {
		t.Fatal(err)
	}

	// Then the phone holds 700.00, as the bank says
	if w.Balance() != 70000 || ans.Balance != 70000 || fin.Balance != 70000 {
		t.Errorf("phone %d, bank's script %d, read after %d", w.Balance(), ans.Balance, fin.Balance)
	}

	// And the same request again is answered the same, not loaded twice
	again, err := b.teller.Load(b.ctx, key, loadOf(st, "alice", "li.na"))
	if err != nil || again.Balance != ans.Balance || string(again.ARPC) != string(ans.ARPC) {
		t.Errorf("the load sent again: %+v, %v", again, err)
	}

	// And the statement shows the load with the operator
	s, err := b.teller.Statement(b.ctx, w.PAN(), w.PSN())
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, l := range s.Entries {
		if l.Kind == "load" && l.Amount == 20000 && l.ATC == st.ATC {
			found = l.Operator == "li.na" && l.Balance != nil && *l.Balance == 70000 && !l.At.IsZero()
		}
	}
	if !found || s.Balance != 70000 || s.Customer != "alice" {
		t.Errorf("statement %+v", s)
	}
	if info, _ := b.teller.Wallet(b.ctx, w.PAN(), w.PSN()); info.Balance != 70000 {
		t.Errorf("the bank owes %d after the load", info.Balance)
	}
}

func TestTeller_RefusalsCarryTheBanksCode(t *testing.T) {
	b := newBranch(t)
	w := b.customer("alice", 60000, 50000)
	b.customer("bob", 10000, 1000)
	_, used := b.arqc(w, 100)
	if _, err := b.teller.Load(b.ctx, banktest.NewKey("load"), loadOf(used, "alice", "li.na")); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		call   func() error
		status int
		code   string
	}{
		{"more than the deposit", func() error {
			_, st := b.arqc(w, 20000)
			_, err := b.teller.Load(b.ctx, banktest.NewKey("load"), loadOf(st, "alice", "li.na"))
			return err
		}, http.StatusPaymentRequired, app.BankCodeInsufficientFunds},
		{"an ARQC answered already", func() error {
			_, err := b.teller.Load(b.ctx, banktest.NewKey("load"), loadOf(used, "alice", "li.na"))
			return err
		}, http.StatusConflict, app.BankCodeAnswered},
		{"another customer's wallet", func() error {
			_, st := b.arqc(w, 100)
			_, err := b.teller.Load(b.ctx, banktest.NewKey("load"), loadOf(st, "bob", "li.na"))
			return err
		}, http.StatusForbidden, app.BankCodeForbidden},
		{"no operator", func() error {
			_, st := b.arqc(w, 100)
			_, err := b.teller.Load(b.ctx, banktest.NewKey("load"), loadOf(st, "alice", ""))
			return err
		}, http.StatusBadRequest, app.BankCodeBadRequest},
		{"an unload of more than the wallet holds", func() error {
			_, err := b.teller.Unload(b.ctx, banktest.NewKey("unload"),
				app.BankUnload{PAN: w.PAN(), PSN: w.PSN(), Amount: 999999, Customer: "alice", Operator: "li.na", CustomerPassword: "s3cret-alice"})
			return err
		}, http.StatusPaymentRequired, app.BankCodeInsufficientFunds},
		{"a wallet the bank does not have", func() error {
			_, err := b.teller.Wallet(b.ctx, "6231990000000018", "")
			return err
		}, http.StatusNotFound, app.BankCodeNotFound},
		{"a statement of a wallet the bank does not have", func() error {
			_, err := b.teller.Statement(b.ctx, "6231990000000018", "00")
			return err
		}, http.StatusNotFound, app.BankCodeNotFound},
		{"an exception that does not exist", func() error {
			_, err := b.teller.Resolve(b.ctx, banktest.NewKey("resolve"), "li.na", 99999, "checked")
			return err
		}, http.StatusNotFound, app.BankCodeNotFound},
		{"a hotlist without a reason", func() error {
			_, err := b.teller.Hotlist(b.ctx, banktest.NewKey("hot"), "li.na", w.PAN(), "")
			return err
		}, http.StatusBadRequest, app.BankCodeBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var be *app.BankError
			var api *desksync.APIError
			if !errors.As(err, &be) || !errors.As(err, &api) {
				t.Fatalf("error %v (%T), want an app.BankError around the APIError", err, err)
			}
			if be.Status != tc.status || be.Code != tc.code {
				t.Errorf("%d %s (%v), want %d %s", be.Status, be.Code, err, tc.status, tc.code)
			}
		})
	}

	// And a shop's desk is not let in at all
	_, err := b.client(b.shop).Teller().Wallet(b.ctx, w.PAN(), "")
	if code := bankCode(err); code != app.BankCodeForbidden {
		t.Errorf("a shop's desk: %v", err)
	}
}

func TestTeller_UnloadHotlistExceptionsReentry(t *testing.T) {
	// Given alice's wallet with 500.00
	b := newBranch(t)
	w := b.customer("alice", 60000, 50000)

	// When the teller re-enters a phone that shows 100.00 more than the bank owes
	n, err := b.teller.ReEnter(b.ctx, banktest.NewKey("reentry"),
		app.ReEntry{PAN: w.PAN(), PSN: w.PSN(), ATC: w.ATC(), Balance: app.Money(w.Balance() + 10000), Operator: "li.na", Note: "phone reinstalled"})
	if err != nil || n != 0 {
		t.Fatalf("re-entry: %d, %v", n, err)
	}

	// Then the difference is an open exception the teller can resolve once
	open, err := b.teller.Exceptions(b.ctx, app.ExceptionsOpen)
	if err != nil || len(open) != 1 || !open[0].Open() || open[0].PAN != w.PAN() || open[0].At.IsZero() {
		t.Fatalf("open exceptions %+v, %v", open, err)
	}
	done, err := b.teller.Resolve(b.ctx, banktest.NewKey("resolve"), "li.na", open[0].ID, "unloaded at the customer's request; 已核实")
	if err != nil || done.Open() || done.ResolvedBy != "li.na" || done.Resolution != "unloaded at the customer's request; 已核实" {
		t.Fatalf("resolved %+v, %v", done, err)
	}
	_, err = b.teller.Resolve(b.ctx, banktest.NewKey("resolve"), "li.na", open[0].ID, "again")
	if code := bankCode(err); code != app.BankCodeConflict {
		t.Errorf("resolving twice: %v", err)
	}
	for state, want := range map[app.ExceptionState]int{app.ExceptionsOpen: 0, app.ExceptionsResolved: 1, app.ExceptionsAll: 1} {
		if list, err := b.teller.Exceptions(b.ctx, state); err != nil || len(list) != want {
			t.Errorf("%s: %d items, %v", state, len(list), err)
		}
	}

	// When 100.00 is unloaded, alice signing, the same request sent twice
	key := banktest.NewKey("unload")
	un := app.BankUnload{PAN: w.PAN(), PSN: w.PSN(), Amount: 10000, Customer: "alice", Operator: "li.na", CustomerPassword: "s3cret-alice"}
	first, err := b.teller.Unload(b.ctx, key, un)
	if err != nil {
		t.Fatal(err)
	}
	second, err := b.teller.Unload(b.ctx, key, un)

	// Then it is held once, for the bank's settlement window, the wallet still owing it until then
	if err != nil || first != second || first.State != app.UnloadHeld || first.Amount != 10000 || first.Balance != 50000 ||
		first.PaysAt.Before(time.Now().Add(23*time.Hour)) {
		t.Errorf("unload: %+v then %+v, %v", first, second, err)
	}
	// And the wallet is hotlisted by it
	if info, err := b.teller.Wallet(b.ctx, w.PAN(), ""); err != nil || !info.Hotlisted() {
		t.Errorf("after the unload: %+v, %v", info, err)
	}

	// When the teller hotlists it too, with the reason
	v, err := b.teller.Hotlist(b.ctx, banktest.NewKey("hot"), "li.na", w.PAN(), "lost phone 手机丢失")
	if err != nil || v < 1 {
		t.Fatalf("hotlist %d, %v", v, err)
	}

	// Then the lookup says so, and a load is refused as hotlisted
	if info, err := b.teller.Wallet(b.ctx, w.PAN(), ""); err != nil || !info.Hotlisted() {
		t.Errorf("after the hotlist: %+v, %v", info, err)
	}
	_, st := b.arqc(w, 100)
	_, err = b.teller.Load(b.ctx, banktest.NewKey("load"), loadOf(st, "alice", "li.na"))
	if code := bankCode(err); code != app.BankCodeHotlisted {
		t.Errorf("a load of a hotlisted wallet: %v", err)
	}
}

func TestTeller_AnUnreachableBankSaysSo(t *testing.T) {
	// Given a bank that has gone away
	b := newBranch(t)
	b.srv.Close()

	// When the teller looks a wallet up, or writes
	_, err1 := b.teller.Wallet(b.ctx, "6231990000000018", "")
	_, err2 := b.teller.Hotlist(b.ctx, banktest.NewKey("hot"), "li.na", "6231990000000018", "lost")

	// Then both say the bank cannot be reached
	for _, err := range []error{err1, err2} {
		if !errors.Is(err, app.ErrBankUnavailable) || !desksync.Unavailable(err) {
			t.Errorf("%v", err)
		}
	}
	// And a write without an Idempotency-Key never leaves
	if _, err := b.teller.Unload(b.ctx, "", app.BankUnload{}); err == nil {
		t.Error("an unload without a key was sent")
	}
}
