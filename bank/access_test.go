package bank_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"lingqian/bank"
	"lingqian/bank/banktest"
)

func TestLogin_WrongPasswordsLockTheCustomer(t *testing.T) {
	// Given a customer
	e := newEnv(t)
	e.customer("alice", 0)
	c := banktest.NewClient(e.base, e.ca, nil)
	login := func(user, password string) banktest.Response {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"user": user, "password": password})
		r, err := c.Raw(e.ctx, "POST", "/v1/login", "", body)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	// An unknown user and a wrong password look the same
	if r := login("nobody", "x"); r.Status != http.StatusUnauthorized || r.Code() != bank.CodeWrongPassword {
		t.Errorf("unknown user: %d %s", r.Status, r.Body)
	}
	// When the password is wrong five times
	for i := range bank.MaxFailures {
		if r := login("alice", "wrong"); r.Status != http.StatusUnauthorized || r.Code() != bank.CodeWrongPassword {
			t.Fatalf("attempt %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	// Then even the right one is refused for fifteen minutes, as a wrong
	// one is: the answer does not tell that the user exists
	if r := login("alice", "s3cret-alice"); r.Status != http.StatusUnauthorized || r.Code() != bank.CodeWrongPassword {
		t.Fatalf("locked: %d %s", r.Status, r.Body)
	}
	e.clock.advance(bank.LockFor + time.Second)
	r := login("alice", "s3cret-alice")
	var resp bank.LoginResponse
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &resp) != nil || len(resp.Token) < 40 {
		t.Fatalf("after the lock: %d %s", r.Status, r.Body)
	}
	// And the token works until it expires
	c.Token = resp.Token
	probe := func() int {
		r, err := c.Raw(e.ctx, "POST", "/v1/wallet/uploads", banktest.NewKey("u"), []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		return r.Status
	}
	if got := probe(); got != http.StatusBadRequest {
		t.Errorf("with the token: %d", got)
	}
	e.clock.advance(bank.TokenValidity)
	if got := probe(); got != http.StatusUnauthorized {
		t.Errorf("after expiry: %d", got)
	}
	c.Token = "made-up"
	if got := probe(); got != http.StatusUnauthorized {
		t.Errorf("made-up token: %d", got)
	}
}

func csrPEM(t *testing.T, key any) string {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "x"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

func TestEnroll_CodesAreSingleUseAndExpire(t *testing.T) {
	e := newEnv(t)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	good := csrPEM(t, ec)
	anon := banktest.NewClient(e.base, e.ca, nil)
	enroll := func(key, code, csr string) banktest.Response {
		t.Helper()
		body, _ := json.Marshal(map[string]string{"code": code, "csr": csr})
		r, err := anon.Raw(e.ctx, "POST", "/v1/enroll", key, body)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	code, err := e.b.NewTerminalCode(e.ctx, "M001", false)
	if err != nil {
		t.Fatal(err)
	}
	// A code enrols one desk, with the terminal id and merchant in its certificate
	r := enroll("e1", code, good)
	var resp bank.EnrollResponse
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &resp) != nil {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	cert, err := x509.ParseCertificate(mustPEM(t, resp.Certificate))
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != resp.TerminalID || cert.Subject.OrganizationalUnit[0] != "M001" || resp.Teller {
		t.Errorf("certificate %v for %+v", cert.Subject, resp)
	}
	if cert.NotAfter.Sub(cert.NotBefore) < 2*365*24*time.Hour {
		t.Errorf("valid %v", cert.NotAfter.Sub(cert.NotBefore))
	}
	// The same request again (a lost answer) gets the same certificate
	if again := enroll("e1", code, good); again.Status != http.StatusOK || string(again.Body) != string(r.Body) {
		t.Errorf("replay: %d %s", again.Status, again.Body)
	}
	cases := []struct {
		name, code, csr string
		status          int
		errCode         string
	}{
		{"a used code", code, good, http.StatusForbidden, bank.CodeInvalidCode},
		{"an unknown code", "AAAA-BBBB-CCCC-DDDD-EEEE", good, http.StatusForbidden, bank.CodeInvalidCode},
		{"no code", "", good, http.StatusForbidden, bank.CodeInvalidCode},
		{"not a CSR", "AAAA", "hello", http.StatusBadRequest, bank.CodeBadRequest},
		{"an RSA key", "AAAA", csrPEM(t, rsaKey), http.StatusBadRequest, bank.CodeBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := enroll(banktest.NewKey("e"), tc.code, tc.csr)
			if r.Status != tc.status || r.Code() != tc.errCode {
				t.Errorf("%d %s, want %d %s", r.Status, r.Body, tc.status, tc.errCode)
			}
		})
	}
	// A code not used within a day expires
	late, err := e.b.NewTerminalCode(e.ctx, "M001", true)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.advance(bank.CodeValidity)
	if r := enroll("e9", late, good); r.Status != http.StatusForbidden || r.Code() != bank.CodeInvalidCode {
		t.Errorf("expired: %d %s", r.Status, r.Body)
	}
	// Bad merchant ids are refused at the source
	if _, err := e.b.NewTerminalCode(e.ctx, "M 001", false); err == nil {
		t.Error("a merchant id with a space was taken")
	}
}

func mustPEM(t *testing.T, s string) []byte {
	t.Helper()
	b, _ := pem.Decode([]byte(s))
	if b == nil {
		t.Fatal("no PEM")
	}
	return b.Bytes
}

func TestEnroll_ManyWrongCodesAreRateLimited(t *testing.T) {
	e := newEnv(t)
	anon := banktest.NewClient(e.base, e.ca, nil)
	limited := false
	for range 60 {
		r, err := anon.Raw(e.ctx, "POST", "/v1/enroll", banktest.NewKey("e"), []byte(`{"code":"X","csr":"x"}`))
		if err != nil {
			t.Fatal(err)
		}
		if r.Status == http.StatusTooManyRequests && r.Code() == bank.CodeRateLimited {
			limited = true
			break
		}
	}
	if !limited {
		t.Error("60 enrolment attempts in a row were all let through")
	}
}

func TestOpen_DataFolderIsTheBanksUsersOnly(t *testing.T) {
	// Given a bank opened on an empty folder
	e := newEnv(t)
	// Then every file is 0600 and every folder 0700
	err := filepath.Walk(e.dir, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s is %v, want %v", path, fi.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// And the TLS certificate names the loopback addresses, signed by the CA
	p := e.b.PKI()
	leaf := p.TLS.Leaf
	for _, h := range []string{"127.0.0.1", "::1", "localhost"} {
		if err := leaf.VerifyHostname(h); err != nil {
			t.Error(err)
		}
	}
	if err := leaf.CheckSignatureFrom(p.CA); err != nil {
		t.Error(err)
	}
	if d := p.CA.NotAfter.Sub(p.CA.NotBefore); d < 10*365*24*time.Hour {
		t.Errorf("CA valid %v", d)
	}
	// And opening the folder again keeps the same CA
	again, err := bank.LoadOrCreatePKI(e.dir, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !again.CA.Equal(p.CA) || again.Serial.Cmp(p.Serial) != 0 {
		t.Error("the CA or TLS certificate changed on reopening")
	}
}
