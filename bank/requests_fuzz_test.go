package bank_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"lingqian/bank"
	"lingqian/bank/banktest"
	"lingqian/emv/oda"
	"lingqian/emv/tlv"
	"lingqian/issuance"
	"lingqian/wallet"
)

// The fuzz targets here send hostile bodies to the calls a phone or a
// teller's desk makes, through the bank's whole path: decoding, field
// checks, cryptography, SQLite. Whatever the body, the bank answers a
// status below 500 with JSON and never panics; an answer of 200 is one
// the caller can use; the ledger balances.

// serve runs one request through the bank's handler.
func serve(h http.Handler, path string, body []byte, prepare func(*http.Request)) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", path, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Idempotency-Key", banktest.NewKey("fuzz"))
	prepare(r)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// answered checks what every answer must be, and decodes a 200 into out.
func answered(t *testing.T, rec *httptest.ResponseRecorder, out any) bool {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("status %d, not JSON: %s", rec.Code, rec.Body)
	}
	if rec.Code != http.StatusOK {
		return false
	}
	if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
		t.Fatalf("a 200 that does not decode: %v: %s", err, rec.Body)
	}
	return true
}

// balancedNowAndThen checks the whole ledger every 16th call: it is slow.
func balancedNowAndThen(t *testing.T, e *env, n int) {
	t.Helper()
	if n%16 == 1 {
		if err := e.b.Ledger().Balanced(e.ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func asPhone(token string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

func asDesk(tb testing.TB, d *banktest.Desk) func(*http.Request) {
	leaf, err := x509.ParseCertificate(d.Cert.Certificate[0])
	if err != nil {
		tb.Fatal(err)
	}
	return func(r *http.Request) { r.TLS = &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{leaf}}} }
}

// FuzzUpload: the phone's deducted voucher and purchase records. A 200
// accounts for every record sent: accepted, had already, or refused.
func FuzzUpload(f *testing.F) {
	e := newEnv(f)
	e.customer("alice", 100000)
	w, phone := e.wallet("alice", 50000)
	d := e.desk("M001", false)
	for _, amount := range []int64{300, 400, 500} {
		d.Purchase(f, w, amount)
	}
	upload := func(edit func(map[string]any)) []byte {
		m := map[string]any{"pan": w.PAN(), "psn": w.PSN(), "balance": w.Balance(), "atc": w.ATC(), "records": w.Log()}
		if edit != nil {
			edit(m)
		}
		b, _ := json.Marshal(m)
		return b
	}
	f.Add(upload(nil))
	f.Add(upload(func(m map[string]any) { m["records"] = w.Log()[:1] }))
	f.Add(upload(func(m map[string]any) {
		log := w.Log()
		log[1].AC, log[2].BalanceAfter = issuance.Hex{1, 2, 3, 4, 5, 6, 7, 8}, 1
		m["records"] = log
	}))
	f.Add(upload(func(m map[string]any) { m["balance"], m["atc"] = 999999999999999, 70000 }))
	f.Add(upload(func(m map[string]any) { m["pan"] = "6231990000000019" }))
	f.Add(upload(func(m map[string]any) { m["records"] = []wallet.LogEntry{{ATC: 9, Amount: 1, CID: issuance.Hex{0x40}}} }))
	f.Add([]byte(`{"pan":"1","psn":"0","balance":null,"records":[{}]}`))
	f.Add([]byte(`{"records":[{"atc":-1,"amount":1e99,"cid":"GG"}]}`))
	h := e.b.Handler()
	auth := asPhone(phone.Token)
	n := 0
	f.Fuzz(func(t *testing.T, body []byte) {
		n++
		var resp bank.UploadResponse
		if answered(t, serve(h, "/v1/wallet/uploads", body, auth), &resp) {
			var sent struct {
				Records []json.RawMessage `json:"records"`
			}
			_ = json.Unmarshal(body, &sent)
			if resp.Accepted < 0 || resp.Duplicate < 0 || resp.Accepted+resp.Duplicate+len(resp.Rejected) != len(sent.Records) {
				t.Fatalf("%d records sent, answered %+v", len(sent.Records), resp)
			}
		}
		balancedNowAndThen(t, e, n)
	})
}

// FuzzVoucherRequest: the phone's ICC public key and its first load. A
// 200 carries a personalisation that validates, for the key sent, and
// the CA key file the desk needs.
func FuzzVoucherRequest(f *testing.F) {
	e := newEnv(f)
	e.customer("alice", 100000000)
	phone := e.phone("alice")
	key, err := oda.GenerateKey(wallet.DefaultKeyBits, 3)
	if err != nil {
		f.Fatal(err)
	}
	mod := hexUp(key.Public().Modulus)
	f.Add([]byte(`{"icc_public_key":{"modulus":"` + mod + `","exponent":"03"},"load":100}`))
	f.Add([]byte(`{"icc_public_key":{"modulus":"` + mod + `","exponent":"03"},"load":0}`))
	f.Add([]byte(`{"icc_public_key":{"modulus":"` + mod + `","exponent":"010001"},"load":100}`))
	f.Add([]byte(`{"icc_public_key":{"modulus":"` + mod[:len(mod)-2] + `","exponent":"03"},"load":1}`))
	f.Add([]byte(`{"icc_public_key":{"modulus":"C0C1","exponent":"03"},"load":-1}`))
	f.Add([]byte(`{"icc_public_key":null,"load":1e30}`))
	f.Add([]byte(`{"load":5}`))
	h := e.b.Handler()
	auth := asPhone(phone.Token)
	n := 0
	f.Fuzz(func(t *testing.T, body []byte) {
		n++
		var resp bank.VoucherResponse
		if answered(t, serve(h, "/v1/vouchers", body, auth), &resp) {
			p := resp.Personalisation
			if p == nil {
				t.Fatal("a voucher without its personalisation")
			}
			if err := p.Validate(); err != nil {
				t.Fatalf("a voucher whose personalisation does not validate: %v", err)
			}
			var req struct {
				Key struct {
					Modulus string `json:"modulus"`
				} `json:"icc_public_key"`
			}
			_ = json.Unmarshal(body, &req)
			if !strings.EqualFold(hexUp(p.ICCModulus), req.Key.Modulus) {
				t.Fatalf("certified %X, the phone sent %s", p.ICCModulus, req.Key.Modulus)
			}
			if _, err := oda.ParseFile(resp.CAPK); err != nil {
				t.Fatalf("the CA key file with the voucher: %v", err)
			}
		}
		balancedNowAndThen(t, e, n)
	})
}

// FuzzTellerLoad: a teller's online load against the phone's ARQC. A 200
// carries an ARPC, its response code, and a script the phone can run.
func FuzzTellerLoad(f *testing.F) {
	e := newEnv(f)
	e.customer("alice", 100000000)
	w, _ := e.wallet("alice", 50000)
	teller := e.desk("BRANCH1", true)
	load := func(amount int64, edit func(map[string]any)) []byte {
		m := arqcFor(f, w, amount)
		m["amount"], m["user"], m["operator"] = amount, "alice", "t1"
		if edit != nil {
			edit(m)
		}
		b, _ := json.Marshal(m)
		return b
	}
	f.Add(load(20000, nil))
	f.Add(load(100, func(m map[string]any) { m["balance"] = 49000 }))
	f.Add(load(100, func(m map[string]any) { m["amount"] = 200 }))
	f.Add(load(100, func(m map[string]any) { m["user"] = "mallory" }))
	f.Add(load(100, func(m map[string]any) { m["arqc"] = "0000000000000000" }))
	f.Add(load(100, func(m map[string]any) { m["iad"] = "0FA501A0000000" }))
	f.Add([]byte(`{"pan":"6231990000000019","psn":"00","atc":70000,"arqc":"GG","cdol1_data":"","iad":"","amount":-5,"user":"","operator":""}`))
	f.Add([]byte(`{"balance":-1}`))
	h := e.b.Handler()
	auth := asDesk(f, teller)
	n := 0
	f.Fuzz(func(t *testing.T, body []byte) {
		n++
		var resp bank.LoadResponse
		if answered(t, serve(h, "/v1/teller/loads", body, auth), &resp) {
			arpc, err1 := hex.DecodeString(resp.ARPC)
			arc, err2 := hex.DecodeString(resp.ARC)
			script, err3 := hex.DecodeString(resp.Script)
			if err1 != nil || err2 != nil || err3 != nil || len(arpc) != 8 || len(arc) != 2 ||
				len(script) < 5 || int(script[4]) != len(script)-5 || resp.Balance < 0 || resp.Balance > 999_999_999_999 {
				t.Fatalf("a load answer the phone cannot be given: %+v", resp)
			}
		}
		balancedNowAndThen(t, e, n)
	})
}

// arqcFor has the wallet open an online load of amount, as a teller's
// desk does (SELECT, GPO, GENERATE AC asking for an ARQC), and returns
// the load request's card fields.
func arqcFor(tb testing.TB, w *wallet.Card, amount int64) map[string]any {
	tb.Helper()
	do := func(cmd []byte) []byte {
		r := w.Process(cmd)
		if len(r) < 2 || r[len(r)-2] != 0x90 {
			tb.Fatalf("% X answered % X", cmd, r)
		}
		return r[:len(r)-2]
	}
	p := w.Personalisation()
	w.Reset()
	do(apdu(0x00, 0xA4, 0x04, 0x00, p.AID))
	pdol, err := issuance.ParseDOL(p.PDOL)
	if err != nil {
		tb.Fatal(err)
	}
	do(apdu(0x80, 0xA8, 0, 0, tlv.Encode(0x83, make([]byte, pdol.Len()))))
	cdol1, err := issuance.ParseDOL(p.CDOL1)
	if err != nil {
		tb.Fatal(err)
	}
	amt, _ := issuance.Amount(amount)
	vals := map[tlv.Tag][]byte{0x9F02: amt, 0x5F2A: {0x01, 0x56}, 0x9F1A: {0x01, 0x56}, 0x9F37: {1, 2, 3, 4}}
	var data []byte
	for _, e := range cdol1 {
		v := make([]byte, e.Length)
		copy(v, vals[e.Tag])
		data = append(data, v...)
	}
	objs, err := tlv.Parse(do(apdu(0x80, 0xAE, 0x80, 0x00, data)))
	if err != nil || len(objs) != 1 {
		tb.Fatalf("the ARQC's answer: %v", err)
	}
	fields := objs[0].Children
	atc := tlv.Value(fields, 0x9F36)
	return map[string]any{"pan": w.PAN(), "psn": w.PSN(), "atc": int(atc[0])<<8 | int(atc[1]),
		"arqc": hexUp(tlv.Value(fields, 0x9F26)), "cdol1_data": hexUp(data), "iad": hexUp(tlv.Value(fields, 0x9F10))}
}
