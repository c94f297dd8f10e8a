package bank_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"lingqian/bank"
	"lingqian/bank/banktest"
)

// FuzzBatch sends hostile batch bodies through the whole desk path —
// decoding, field checks, cryptogram and signature checks, clearing and
// SQLite — as an enrolled desk. Whatever the body, the bank answers with
// one of its statuses and JSON, never panics, and its ledger balances.
func FuzzBatch(f *testing.F) {
	e := newEnv(f)
	e.customer("alice", 100000)
	w, _ := e.wallet("alice", 50000)
	d := e.desk("M001", false)
	genuine := d.Purchase(f, w, 1250)
	leaf, err := x509.ParseCertificate(d.Cert.Certificate[0])
	if err != nil {
		f.Fatal(err)
	}
	h := e.b.Handler()

	seed := func(msgs ...bank.WireMessage) []byte {
		b, _ := json.Marshal(bank.BatchRequest{Messages: msgs})
		return b
	}
	void := d.Void(genuine)
	odd := genuine
	odd.GenACResponse = "77" + strings.Repeat("FF", 40)
	f.Add(seed(genuine))
	f.Add(seed(genuine, void))
	f.Add(seed(void, genuine))
	f.Add(seed(odd))
	f.Add([]byte(`{"messages":[{"key":"k","seq":1,"cid":99999,"txn_type":"ZZ"}]}`))
	f.Add([]byte(`{"messages":null}`))
	f.Add([]byte(`[]`))

	n := 0
	f.Fuzz(func(t *testing.T, body []byte) {
		n++
		r := httptest.NewRequest("POST", "/v1/desk/batches", bytes.NewReader(body))
		r.Header.Set("Idempotency-Key", banktest.NewKey("fuzz"))
		r.TLS = &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{leaf}}}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("not JSON: %s", rec.Body)
		}
		if rec.Code == http.StatusOK {
			var resp bank.BatchResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
				t.Fatal(err)
			}
		}
		// Checking the whole ledger is slow: now and then is enough.
		if n%16 == 1 {
			if err := e.b.Ledger().Balanced(e.ctx); err != nil {
				t.Fatal(err)
			}
		}
	})
}
