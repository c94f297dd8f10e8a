package bank_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"lingqian/bank/banktest"
)

// FuzzTellerWrites sends hostile bodies to the teller's re-entry,
// resolve and file-an-unfinished-load calls as an enrolled teller desk, through decoding, field
// checks and SQLite. Whatever the body, the bank answers with one of the
// statuses those calls have and JSON, never panics, and its ledger
// balances: none of these calls moves money.
func FuzzTellerWrites(f *testing.F) {
	e := newEnv(f)
	e.customer("alice", 100000)
	w, _ := e.wallet("alice", 50000)
	teller := e.desk("BRANCH1", true)
	leaf, err := x509.ParseCertificate(teller.Cert.Certificate[0])
	if err != nil {
		f.Fatal(err)
	}
	h := e.b.Handler()
	paths := []string{"/v1/teller/reentries", "/v1/teller/exceptions/1/resolve", "/v1/teller/exceptions"}

	reentry := fmt.Sprintf(`{"pan":%q,"psn":"00","atc":0,"balance":50000,"operator":"t1","note":"日志丢失"}`, w.PAN())
	f.Add(uint8(0), []byte(reentry))
	f.Add(uint8(0), []byte(`{"pan":"6231990000000018","psn":"00","atc":65535,"balance":999999999999,"operator":"a","note":"x"}`))
	f.Add(uint8(0), []byte(`{"pan":"","psn":"","atc":-1,"balance":1e30,"operator":null,"note":7}`))
	f.Add(uint8(1), []byte(`{"operator":"t1","note":"已处理"}`))
	f.Add(uint8(1), []byte(`{"operator":"t1","note":"\u202e\u0000"}`))
	f.Add(uint8(1), []byte(`{"operator":"t1","note":"ok"} {}`))
	f.Add(uint8(1), []byte(`[]`))
	f.Add(uint8(2), []byte(fmt.Sprintf(`{"operator":"t1","pan":%q,"psn":"00","atc":5,"amount":20000,"detail":"无法判断"}`, w.PAN())))
	f.Add(uint8(2), []byte(`{"operator":"t1","pan":"6231990000000018","psn":"00","atc":0,"amount":-1,"detail":""}`))
	f.Add(uint8(2), []byte(`{"operator":"t1","pan":"6231990000000018","psn":"00","atc":65536,"amount":1e30,"detail":"\u202e"}`))

	n := 0
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		n++
		path := paths[int(which)%len(paths)]
		r := httptest.NewRequest("POST", path, bytes.NewReader(body))
		r.Header.Set("Idempotency-Key", banktest.NewKey("fuzz"))
		r.TLS = &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{leaf}}}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusConflict,
			http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("%s: status %d: %s", path, rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s: not JSON: %s", path, rec.Body)
		}
		if n%16 == 1 {
			if err := e.b.Ledger().Balanced(e.ctx); err != nil {
				t.Fatal(err)
			}
		}
	})
}
