package bank_test

import (
	"bytes"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"testing"

	"lingqian/bank"
	"lingqian/bank/banktest"
	"lingqian/emv/oda"
)

func TestVoucher_IssuedOverHTTPSMovesTheDeposit(t *testing.T) {
	// Given a customer with 1000.00 on deposit
	e := newEnv(t)
	e.customer("alice", 100000)

	// When her phone logs in and has a wallet with 500.00 issued
	w, _ := e.wallet("alice", 50000)

	// Then the wallet holds 500.00, issued under the bank's BIN
	if w.Balance() != 50000 || w.PAN()[:6] != "623199" {
		t.Fatalf("wallet %s with %d", w.PAN(), w.Balance())
	}
	// And the money moved from the deposit to the wallet's e-cash
	if got := e.balance("deposit:alice"); got != 50000 {
		t.Errorf("deposit %d, want 50000", got)
	}
	if got := e.balance("ecash:" + w.PAN() + "/" + w.PSN()); got != 50000 {
		t.Errorf("e-cash %d, want 50000", got)
	}
	if got := e.balance("cash"); got != 100000 {
		t.Errorf("cash %d, want 100000", got)
	}
	e.balanced()
}

func TestVoucher_Refusals(t *testing.T) {
	e := newEnv(t)
	e.customer("bob", 1000)
	p := e.phone("bob")
	cases := []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"more than the deposit", `{"icc_public_key":{"modulus":"` + modulus(t) + `","exponent":"03"},"load":5000}`, http.StatusPaymentRequired, bank.CodeInsufficientFunds},
		{"no key", `{"load":100}`, http.StatusBadRequest, bank.CodeBadRequest},
		{"no load", `{"icc_public_key":{"modulus":"` + modulus(t) + `","exponent":"03"}}`, http.StatusBadRequest, bank.CodeBadRequest},
		{"even modulus", `{"icc_public_key":{"modulus":"C0C0","exponent":"03"},"load":100}`, http.StatusBadRequest, bank.CodeBadRequest},
		{"bad exponent", `{"icc_public_key":{"modulus":"` + modulus(t) + `","exponent":"05"},"load":100}`, http.StatusBadRequest, bank.CodeBadRequest},
		{"negative load", `{"icc_public_key":{"modulus":"` + modulus(t) + `","exponent":"03"},"load":-1}`, http.StatusBadRequest, bank.CodeBadRequest},
		{"unknown field", `{"icc_public_key":{"modulus":"` + modulus(t) + `","exponent":"03"},"load":1,"pan":"1"}`, http.StatusBadRequest, bank.CodeBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.postings()
			r, err := p.Raw(e.ctx, "POST", "/v1/vouchers", banktest.NewKey("v"), []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tc.status || r.Code() != tc.code {
				t.Fatalf("%d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
			if e.postings() != before {
				t.Error("something was posted")
			}
			e.balanced()
		})
	}
	// And without a token, no voucher
	anon := banktest.NewClient(e.base, e.ca, nil)
	r, err := anon.Raw(e.ctx, "POST", "/v1/vouchers", "k", []byte(`{}`))
	if err != nil || r.Status != http.StatusUnauthorized || r.Code() != bank.CodeUnauthenticated {
		t.Errorf("no token: %d %s %v", r.Status, r.Body, err)
	}
}

func TestVoucher_ReplayGivesTheSameCardWithItsKeys(t *testing.T) {
	// Given a voucher issued under an Idempotency-Key
	e := newEnv(t)
	e.customer("carol", 100000)
	p := e.phone("carol")
	body := []byte(`{"icc_public_key":{"modulus":"` + modulus(t) + `","exponent":"03"},"load":1000}`)
	first, err := p.Raw(e.ctx, "POST", "/v1/vouchers", "voucher-1", body)
	if err != nil || first.Status != http.StatusOK {
		t.Fatalf("%v %d %s", err, first.Status, first.Body)
	}
	// When the phone sends it again with the same key
	again, err := p.Raw(e.ctx, "POST", "/v1/vouchers", "voucher-1", body)
	if err != nil {
		t.Fatal(err)
	}
	// Then it gets the same answer, master keys included, and pays once
	if !bytes.Equal(first.Body, again.Body) {
		t.Errorf("the replay differs:\n%s\n%s", first.Body, again.Body)
	}
	if !bytes.Contains(again.Body, []byte(`"mk_ac":"`)) || bytes.Contains(again.Body, []byte(`"mk_ac":""`)) {
		t.Error("the replay lacks the card's keys")
	}
	if got := e.balance("deposit:carol"); got != 99000 {
		t.Errorf("deposit %d, want 99000", got)
	}
	// And another body under that key is a conflict
	other := bytes.Replace(body, []byte(`"load":1000`), []byte(`"load":2000`), 1)
	r, err := p.Raw(e.ctx, "POST", "/v1/vouchers", "voucher-1", other)
	if err != nil || r.Status != http.StatusConflict || r.Code() != bank.CodeConflict {
		t.Errorf("other body: %d %s %v", r.Status, r.Body, err)
	}
}

func TestBatch_PurchasePostedOnceReconciledAndReported(t *testing.T) {
	// Given a customer's wallet and an enrolled desk of merchant M001
	e := newEnv(t)
	e.customer("alice", 100000)
	w, phone := e.wallet("alice", 50000)
	d := e.desk("M001", false)

	// When the desk forwards a real approved purchase of 12.50
	msg := d.Purchase(t, w, 1250)
	one(t, d.SendKey(t, "batch-1", msg), bank.StatusAccepted, "", "posted")

	// Then it is posted: e-cash to the merchant's settlement account
	if got := e.balance("settlement:M001"); got != 1250 {
		t.Errorf("settlement %d, want 1250", got)
	}
	if got := e.balance("ecash:" + w.PAN() + "/00"); got != 50000-1250 {
		t.Errorf("e-cash %d", got)
	}
	e.balanced()
	posted := e.postings()

	// When the same message comes again in another batch, and the same batch again
	one(t, d.Send(t, msg), bank.StatusDuplicate, "", "posted")
	one(t, d.SendKey(t, "batch-1", msg), bank.StatusAccepted, "", "posted") // the first answer, replayed

	// Then nothing more is posted
	if e.postings() != posted {
		t.Error("posted twice")
	}
	// And the reconciliation feed and the report carry the desk's totals
	rec := d.Reconciliation(t)
	want := bank.Totals{Count: 1, Amount: 1250}
	if rec.Totals.Posted != want || len(rec.Messages) != 1 || rec.Messages[0].State != "posted" {
		t.Errorf("reconciliation %+v", rec)
	}
	if rep := e.report(bank.ReportFilter{}); rep.Posted != want || rep.AwaitingDesk.Count != 0 {
		t.Errorf("report %+v", rep)
	}
	if rep := e.report(bank.ReportFilter{MerchantID: "M001", Date: msg.TxnDate}); rep.Posted != want {
		t.Errorf("report of M001 on %s: %+v", msg.TxnDate, rep)
	}

	// When the phone uploads its log
	up := phone.Upload(t, w)

	// Then the record is accepted and confirms the desk's message
	if up.Accepted != 1 || up.Duplicate != 0 || len(up.Rejected) != 0 {
		t.Errorf("upload %+v", up)
	}
	st, err := e.b.Statement(e.ctx, w.PAN())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Entries) != 2 || !st.Entries[1].Confirmed || st.Balance != 48750 {
		t.Errorf("statement %+v", st)
	}
	// And uploading again changes nothing
	if up := phone.Upload(t, w); up.Accepted != 0 || up.Duplicate != 1 {
		t.Errorf("second upload %+v", up)
	}
	e.balanced()
}

func TestUpload_RecordsWithoutADeskMessageAwaitIt(t *testing.T) {
	// Given a purchase the desk has not forwarded yet
	e := newEnv(t)
	e.customer("dan", 100000)
	w, phone := e.wallet("dan", 50000)
	d := e.desk("M001", false)
	msg := d.Purchase(t, w, 700)

	// When the phone uploads first
	if up := phone.Upload(t, w); up.Accepted != 1 {
		t.Fatalf("upload %+v", up)
	}

	// Then the report shows it awaiting its desk, and nothing is posted
	rep := e.report(bank.ReportFilter{})
	if rep.AwaitingDesk != (bank.Totals{Count: 1, Amount: 700}) || rep.Posted.Count != 0 {
		t.Errorf("report %+v", rep)
	}
	// When the desk's message arrives
	one(t, d.Send(t, msg), bank.StatusAccepted, "", "posted")

	// Then it is posted, confirmed already, and no longer awaited
	rep = e.report(bank.ReportFilter{})
	if rep.AwaitingDesk.Count != 0 || rep.Posted.Amount != 700 {
		t.Errorf("report %+v", rep)
	}
	st, err := e.b.Statement(e.ctx, w.PAN())
	if err != nil {
		t.Fatal(err)
	}
	if !st.Entries[len(st.Entries)-1].Confirmed {
		t.Errorf("statement %+v", st)
	}
	e.balanced()
}

func TestUpload_BalanceChainAndOwnership(t *testing.T) {
	e := newEnv(t)
	e.customer("erin", 100000)
	e.customer("frank", 100000)
	w, phone := e.wallet("erin", 50000)
	d := e.desk("M001", false)
	d.Purchase(t, w, 1000)
	d.Purchase(t, w, 2000)

	// A phone that says a purchase left more than it did breaks the chain
	log := w.Log()
	log[1].BalanceAfter += 500
	var resp bank.UploadResponse
	_, err := phone.Call(e.ctx, "POST", "/v1/wallet/uploads", banktest.NewKey("u"), map[string]any{
		"pan": w.PAN(), "psn": w.PSN(), "balance": w.Balance(), "atc": w.ATC(), "records": log}, &resp)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Accepted != 1 || len(resp.Rejected) != 1 || resp.Rejected[0].Reason != bank.ReasonBalanceChain {
		t.Errorf("upload %+v", resp)
	}
	if exc := e.report(bank.ReportFilter{}).Exceptions; len(exc) == 0 || exc[len(exc)-1].Kind != bank.ReasonBalanceChain {
		t.Errorf("exceptions %+v", exc)
	}
	// A record whose cryptogram is forged is refused and not kept
	log = w.Log()
	log[0].AC[0] ^= 1
	log[0].ATC = 40
	_, err = phone.Call(e.ctx, "POST", "/v1/wallet/uploads", banktest.NewKey("u"), map[string]any{
		"pan": w.PAN(), "psn": w.PSN(), "balance": w.Balance(), "atc": w.ATC(), "records": log[:1]}, &resp)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Accepted != 0 || len(resp.Rejected) != 1 || resp.Rejected[0].Reason == "" {
		t.Errorf("forged upload %+v", resp)
	}
	// A phone that claims more than its loads and records leave is queued
	_, err = phone.Call(e.ctx, "POST", "/v1/wallet/uploads", banktest.NewKey("u"), map[string]any{
		"pan": w.PAN(), "psn": w.PSN(), "balance": w.Balance() + 100000, "atc": w.ATC(), "records": []any{}}, &resp)
	if err != nil {
		t.Fatal(err)
	}
	if exc := e.report(bank.ReportFilter{}).Exceptions; len(exc) < 2 || exc[0].Kind != bank.ExceptionBalanceMismatch {
		t.Errorf("exceptions %+v", exc)
	}
	// Another customer's phone cannot upload this wallet
	other := e.phone("frank")
	r, err := other.Raw(e.ctx, "POST", "/v1/wallet/uploads", banktest.NewKey("u"),
		[]byte(`{"pan":"`+w.PAN()+`","psn":"00","balance":0,"atc":1,"records":[]}`))
	if err != nil || r.Status != http.StatusForbidden || r.Code() != bank.CodeForbidden {
		t.Errorf("foreign upload: %d %s %v", r.Status, r.Body, err)
	}
	e.balanced()
}

// modulus is a valid 1024-bit ICC modulus for requests built by hand.
var iccModulus = sync.OnceValues(func() (string, error) {
	k, err := oda.GenerateKey(1024, 3)
	if err != nil {
		return "", err
	}
	return strings.ToUpper(hex.EncodeToString(k.Public().Modulus)), nil
})

func modulus(t *testing.T) string {
	t.Helper()
	m, err := iccModulus()
	if err != nil {
		t.Fatal(err)
	}
	return m
}
