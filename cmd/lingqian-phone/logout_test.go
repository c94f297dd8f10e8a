package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lingqian/bank"
	"lingqian/bank/banktest"
	"lingqian/wallet"
)

func TestLogout_EndsTheSessionKeptBesideTheWallet(t *testing.T) {
	// Given the bank over HTTPS, and a wallet whose link holds alice's session
	ctx := context.Background()
	b, err := bank.Open(t.TempDir(), bank.Options{Keys: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	if err := b.AddCustomer(ctx, "alice", "s3cret", 0); err != nil {
		t.Fatal(err)
	}
	cfg, err := b.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(b.Handler())
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, b.PKI().CAPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	token := banktest.Login(t, srv.URL, b.PKI().CAPEM, "alice", "s3cret").Token
	w := filepath.Join(dir, "W.json")
	link := &wallet.BankLink{Bank: srv.URL, CA: ca, User: "alice", Token: token, AtBank: []uint16{}}
	if err := link.Save(w); err != nil {
		t.Fatal(err)
	}

	// When the phone logs out
	code, out, errs := phone("logout", "--wallet", w)

	// Then the bank refuses the token and the link no longer holds it
	if code != 0 || !strings.Contains(out, "logged out") {
		t.Fatalf("logout: %d %s %s", code, out, errs)
	}
	c := banktest.NewClient(srv.URL, b.PKI().CAPEM, nil)
	c.Token = token
	if r, err := c.Raw(ctx, "POST", "/v1/wallet/uploads", banktest.NewKey("u"), []byte(`{}`)); err != nil || r.Status != http.StatusUnauthorized {
		t.Errorf("the ended token: %v %d %s", err, r.Status, r.Body)
	}
	if got, err := wallet.ReadLink(w); err != nil || got.Token != "" || got.User != "alice" {
		t.Errorf("link after logout: %+v %v", got, err)
	}
	// And logging out again has nothing to end
	if code, out, _ := phone("logout", "--wallet", w); code != 0 || !strings.Contains(out, "no bank session") {
		t.Errorf("again: %d %s", code, out)
	}
}
