package bank_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"testing"

	"lingqian/bank"
)

// FuzzEnrolRequest: the public enrolment call, with a code and a desk's
// certificate request. A 200 carries a certificate for the key the
// request named, under the code's merchant.
func FuzzEnrolRequest(f *testing.F) {
	e := newEnv(f)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "desk"}}, key)
	if err != nil {
		f.Fatal(err)
	}
	csr := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
	enrol := func(code, csr string) []byte {
		b, _ := json.Marshal(map[string]string{"code": code, "csr": csr})
		return b
	}
	for i := range 3 {
		code, err := e.b.NewTerminalCode(e.ctx, fmt.Sprintf("M%03d", i+1), i == 2)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(enrol(code, csr))
	}
	f.Add(enrol("not-a-code", csr))
	f.Add(enrol("x", "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"))
	f.Add(enrol("x", csr[:len(csr)/2]))
	f.Add([]byte(`{"code":null,"csr":7}`))
	h := e.b.Handler()
	n := 0
	f.Fuzz(func(t *testing.T, body []byte) {
		n++
		var resp bank.EnrollResponse
		if answered(t, serve(h, "/v1/enroll", body, func(*http.Request) {}), &resp) {
			var req struct {
				CSR string `json:"csr"`
			}
			_ = json.Unmarshal(body, &req)
			blk, _ := pem.Decode([]byte(resp.Certificate))
			if blk == nil {
				t.Fatalf("an enrolment without a certificate: %+v", resp)
			}
			cert, err := x509.ParseCertificate(blk.Bytes)
			if err != nil {
				t.Fatalf("the desk's certificate: %v", err)
			}
			rb, _ := pem.Decode([]byte(req.CSR))
			if rb == nil {
				t.Fatalf("certified a request that is not PEM: %q", req.CSR)
			}
			asked, err := x509.ParseCertificateRequest(rb.Bytes)
			if err != nil {
				t.Fatalf("certified a request that does not parse: %v", err)
			}
			if !cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(asked.PublicKey) {
				t.Fatal("certified another key than the request's")
			}
			if resp.TerminalID == "" || resp.MerchantID == "" {
				t.Fatalf("an enrolment without its identity: %+v", resp)
			}
		}
		balancedNowAndThen(t, e, n)
	})
}

// FuzzTellerHoldsAndBlocks: a teller's unload and hotlist calls. An
// unload answered 200 is held or paid, for a positive amount, leaving a
// balance the bank can owe; a hotlist answered 200 names its new version.
func FuzzTellerHoldsAndBlocks(f *testing.F) {
	e := newEnv(f)
	e.customer("alice", 100000)
	w, _ := e.wallet("alice", 50000)
	teller := e.desk("BRANCH1", true)
	paths := []string{"/v1/teller/unloads", "/v1/teller/hotlist"}
	body := func(m map[string]any) []byte {
		b, _ := json.Marshal(m)
		return b
	}
	f.Add(uint8(0), body(map[string]any{"pan": w.PAN(), "psn": w.PSN(), "amount": 1000, "user": "alice", "operator": "t1", "approver": "t2"}))
	f.Add(uint8(0), body(map[string]any{"pan": w.PAN(), "psn": w.PSN(), "amount": 1000, "user": "alice", "operator": "t1", "customer_password": "s3cret-alice"}))
	f.Add(uint8(0), body(map[string]any{"pan": w.PAN(), "psn": w.PSN(), "amount": 1000, "user": "alice", "operator": "t1", "approver": "t1"}))
	f.Add(uint8(0), body(map[string]any{"pan": w.PAN(), "psn": w.PSN(), "amount": 999999999999, "user": "alice", "operator": "t1", "approver": "t2"}))
	f.Add(uint8(0), body(map[string]any{"pan": w.PAN(), "psn": w.PSN(), "amount": 1, "user": "alice", "operator": "t1", "returns_load_atc": 3}))
	f.Add(uint8(0), []byte(`{"pan":"6231990000000019","psn":"00","amount":-1,"user":"","operator":"","customer_password":"x","approver":"y"}`))
	f.Add(uint8(1), body(map[string]any{"pan": w.PAN(), "reason": "lost", "operator": "t1"}))
	f.Add(uint8(1), body(map[string]any{"pan": "6231990000000019", "reason": "", "operator": "t1"}))
	f.Add(uint8(1), []byte(`{"pan":"12","reason":"\u0000","operator":"\u202e"}`))
	h := e.b.Handler()
	auth := asDesk(f, teller)
	n := 0
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		n++
		switch path := paths[int(which)%len(paths)]; path {
		case "/v1/teller/unloads":
			var resp bank.UnloadResponse
			if answered(t, serve(h, path, b, auth), &resp) &&
				(resp.Amount <= 0 || resp.Balance < 0 || (resp.State != "held" && resp.State != "paid")) {
				t.Fatalf("an unload answered %+v", resp)
			}
		default:
			var resp bank.HotlistAddResponse
			if answered(t, serve(h, path, b, auth), &resp) && resp.Version < 1 {
				t.Fatalf("a hotlist entry answered version %d", resp.Version)
			}
		}
		balancedNowAndThen(t, e, n)
	})
}
