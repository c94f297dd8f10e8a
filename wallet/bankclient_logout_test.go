package wallet_test

import (
	"context"
	"net/http/httptest"
	"testing"

	"lingqian/bank"
	"lingqian/bank/banktest"
	"lingqian/wallet"
)

func TestBankClient_LogoutEndsTheSession(t *testing.T) {
	// Given the bank over HTTPS and a customer logged in on a phone
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
	phone, err := wallet.NewBankClient(srv.URL, b.PKI().CAPEM)
	if err != nil {
		t.Fatal(err)
	}
	s, err := phone.Login(ctx, "alice", "s3cret")
	if err != nil {
		t.Fatal(err)
	}

	// When the phone logs out
	if err := phone.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	// Then a copy of its token is refused, and logging out again is done
	// already
	raw := banktest.NewClient(srv.URL, b.PKI().CAPEM, nil)
	raw.Token = s.Token
	if r, err := raw.Raw(ctx, "POST", "/v1/wallet/uploads", banktest.NewKey("u"), []byte(`{}`)); err != nil || r.Code() != bank.CodeUnauthenticated {
		t.Errorf("the ended token: %v %d %s", err, r.Status, r.Body)
	}
	copyOf, _ := wallet.NewBankClient(srv.URL, b.PKI().CAPEM)
	copyOf.SetToken(s.Token)
	if err := copyOf.Logout(ctx); err != nil {
		t.Errorf("a second logout: %v", err)
	}
	if err := phone.Logout(ctx); err == nil {
		t.Error("a client without a session logged out")
	}
}
