package bank_test

import (
	"net/http"
	"strings"
	"testing"

	"lingqian/bank"
	"lingqian/bank/banktest"
)

func TestTeller_ALoadReturnedToTheDepositLeavesTheBalanceChain(t *testing.T) {
	cases := []struct {
		name string
		// returns sends the unload's returns_load_atc.
		returns bool
		// Then
		accepted  int
		rejection string
	}{
		{"returned with the load's ATC", true, 1, ""},
		{"unloaded without naming the load", false, 0, bank.ReasonBalanceChain},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a load of 200.00 the bank approved whose script never reached the phone (500.00)
			e := newEnv(t)
			e.customer("alice", 100000)
			w, phone := e.wallet("alice", 50000)
			teller := e.desk("BRANCH1", true)
			shop := e.desk("M001", false)
			o := startLoad(t, w, 20000)
			if _, err := teller.Client.Call(e.ctx, "POST", "/v1/teller/loads", banktest.NewKey("load"), o.request("alice", 20000), nil); err != nil {
				t.Fatal(err)
			}

			// When the teller's desk gives it back to the deposit: a return
			// at once, a plain unload (approved by a second teller) when its
			// settlement window has passed
			body := map[string]any{"pan": w.PAN(), "psn": w.PSN(), "amount": 20000, "user": "alice", "operator": "t1"}
			if tc.returns {
				body["returns_load_atc"] = o.atc
			} else {
				body["approver"] = "t2"
			}
			var un bank.UnloadResponse
			if _, err := teller.Client.Call(e.ctx, "POST", "/v1/teller/unloads", banktest.NewKey("return"), body, &un); err != nil {
				t.Fatal(err)
			}
			if tc.returns && (un.State != bank.UnloadPaid || un.Balance != 50000 || e.balance("deposit:alice") != 50000) {
				t.Fatalf("return %+v, deposit %d", un, e.balance("deposit:alice"))
			}
			if !tc.returns && (un.State != bank.UnloadHeld || un.Balance != 70000 || e.balance("deposit:alice") != 30000) {
				t.Fatalf("unload %+v, deposit %d", un, e.balance("deposit:alice"))
			}

			// And the phone spends 15.00 of its 500.00 and uploads
			one(t, shop.Send(t, shop.Purchase(t, w, 1500)), bank.StatusAccepted, "", "posted")
			up := phone.Upload(t, w)

			if !tc.returns {
				e.clock.advance(bank.DefaultSettlementWindow)
				if n, err := e.b.SettleUnloads(e.ctx); err != nil || n != 1 || e.balance("deposit:alice") != 50000 {
					t.Fatalf("settled %d (%v), deposit %d", n, err, e.balance("deposit:alice"))
				}
			}

			// Then the purchase chains only when the bank knows the load was returned
			if up.Accepted != tc.accepted {
				t.Errorf("upload %+v", up)
			}
			if tc.rejection != "" && (len(up.Rejected) != 1 || up.Rejected[0].Reason != tc.rejection) {
				t.Errorf("rejected %+v, want %s", up.Rejected, tc.rejection)
			}
			var q bank.ExceptionsResponse
			if _, err := teller.Client.Call(e.ctx, "GET", "/v1/teller/exceptions?state=open", "", nil, &q); err != nil {
				t.Fatal(err)
			}
			if tc.returns && len(q.Exceptions) != 0 {
				t.Errorf("exceptions after a return: %+v", q.Exceptions)
			}
			if got := e.balance("ecash:" + w.PAN() + "/" + w.PSN()); got != w.Balance() {
				t.Errorf("the bank owes %d, the phone holds %d", got, w.Balance())
			}
			e.balanced()
		})
	}
}

func TestTeller_AReturnIsDoneOnceAndOnlyForALoad(t *testing.T) {
	// Given a load of 200.00 at ATC n the phone never took, returned once
	e := newEnv(t)
	e.customer("alice", 100000)
	w, _ := e.wallet("alice", 50000)
	teller := e.desk("BRANCH1", true)
	o := startLoad(t, w, 20000)
	if _, err := teller.Client.Call(e.ctx, "POST", "/v1/teller/loads", banktest.NewKey("load"), o.request("alice", 20000), nil); err != nil {
		t.Fatal(err)
	}
	ret := func(atc any, amount int64) map[string]any {
		return map[string]any{"pan": w.PAN(), "psn": w.PSN(), "amount": amount, "user": "alice", "operator": "t1", "returns_load_atc": atc}
	}
	key := banktest.NewKey("return")
	if _, err := teller.Client.Call(e.ctx, "POST", "/v1/teller/unloads", key, ret(o.atc, 20000), nil); err != nil {
		t.Fatal(err)
	}
	posted := e.postings()

	cases := []struct {
		name   string
		key    string
		body   map[string]any
		status int
		code   string
	}{
		{"the same return again, same key", key, ret(o.atc, 20000), http.StatusOK, ""},
		{"the same return under another key (a desk enrolled again)", banktest.NewKey("return"), ret(o.atc, 20000), http.StatusConflict, bank.CodeAnswered},
		{"a load the wallet does not have", banktest.NewKey("return"), ret(o.atc+7, 20000), http.StatusConflict, bank.CodeConflict},
		{"an amount other than the load's", banktest.NewKey("return"), ret(o.atc, 100), http.StatusConflict, bank.CodeConflict},
		{"ATC 0", banktest.NewKey("return"), ret(0, 20000), http.StatusBadRequest, bank.CodeBadRequest},
		{"an ATC above 65535", banktest.NewKey("return"), ret(70000, 20000), http.StatusBadRequest, bank.CodeBadRequest},
		{"not a number", banktest.NewKey("return"), ret("5", 20000), http.StatusBadRequest, bank.CodeBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// When it is sent
			r, _ := teller.Client.Call(e.ctx, "POST", "/v1/teller/unloads", tc.key, tc.body, nil)
			// Then the bank answers so, and moves nothing more
			if r.Status != tc.status || (tc.code != "" && r.Code() != tc.code) {
				t.Fatalf("%d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
		})
	}
	if e.postings() != posted || e.balance("deposit:alice") != 50000 {
		t.Errorf("postings %d (was %d), deposit %d", e.postings(), posted, e.balance("deposit:alice"))
	}
	e.balanced()
}

func TestTeller_ALoadAskedAgainIsAnsweredAlreadyNotRefused(t *testing.T) {
	// Given a load the bank did, on a wallet hotlisted since
	e := newEnv(t)
	e.customer("alice", 100000)
	w, _ := e.wallet("alice", 50000)
	teller := e.desk("BRANCH1", true)
	o := startLoad(t, w, 20000)
	if _, err := teller.Client.Call(e.ctx, "POST", "/v1/teller/loads", banktest.NewKey("load"), o.request("alice", 20000), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := teller.Client.Call(e.ctx, "POST", "/v1/teller/hotlist", banktest.NewKey("hot"),
		map[string]string{"pan": w.PAN(), "reason": "lost phone", "operator": "t1"}, nil); err != nil {
		t.Fatal(err)
	}

	// When a desk enrolled again (its idempotency records are the old
	// identity's) asks the same load again
	again := e.desk("BRANCH1", true)
	r, _ := again.Client.Call(e.ctx, "POST", "/v1/teller/loads", banktest.NewKey("load"), o.request("alice", 20000), nil)

	// Then the bank says it was done, not a refusal that would mean "never done"
	if r.Status != http.StatusConflict || r.Code() != bank.CodeAnswered || !strings.Contains(string(r.Body), "answered already") {
		t.Errorf("asked again: %d %s", r.Status, r.Body)
	}

	// And an ARQC older than a load it did, which it never answered, is a plain conflict
	e.customer("bob", 100000)
	w2, _ := e.wallet("bob", 100)
	stale := startLoad(t, w2, 100)
	newer := startLoad(t, w2, 100)
	if _, err := teller.Client.Call(e.ctx, "POST", "/v1/teller/loads", banktest.NewKey("load"), newer.request("bob", 100), nil); err != nil {
		t.Fatal(err)
	}
	r, _ = teller.Client.Call(e.ctx, "POST", "/v1/teller/loads", banktest.NewKey("load"), stale.request("bob", 100), nil)
	if r.Status != http.StatusConflict || r.Code() != bank.CodeConflict {
		t.Errorf("a stale ARQC: %d %s", r.Status, r.Body)
	}
	e.balanced()
}

func TestTeller_ADeskFilesAnUnfinishedLoad(t *testing.T) {
	// Given a teller desk, a shop's desk and alice's wallet
	e := newEnv(t)
	e.customer("alice", 100000)
	w, _ := e.wallet("alice", 50000)
	teller := e.desk("BRANCH1", true)
	shop := e.desk("M001", false)
	body := func(change func(m map[string]any)) map[string]any {
		m := map[string]any{"operator": "li.na", "pan": w.PAN(), "psn": w.PSN(), "atc": 5, "amount": 20000,
			"detail": "cannot tell whether the phone took it: it shows ATC 9, last online ATC 7, balance 500.00"}
		if change != nil {
			change(m)
		}
		return m
	}

	// When the teller's desk files a load it could not settle, twice under its key
	key := banktest.NewKey("file")
	var first, second bank.ExceptionJSON
	if _, err := teller.Client.Call(e.ctx, "POST", "/v1/teller/exceptions", key, body(nil), &first); err != nil {
		t.Fatal(err)
	}
	if _, err := teller.Client.Call(e.ctx, "POST", "/v1/teller/exceptions", key, body(nil), &second); err != nil {
		t.Fatal(err)
	}

	// Then it is one open item of kind unfinished_load, with the amount, the teller and the desk
	var q bank.ExceptionsResponse
	if _, err := teller.Client.Call(e.ctx, "GET", "/v1/teller/exceptions?state=open", "", nil, &q); err != nil {
		t.Fatal(err)
	}
	if len(q.Exceptions) != 1 || second.ID != first.ID {
		t.Fatalf("queue %+v; filed %d then %d", q.Exceptions, first.ID, second.ID)
	}
	x := q.Exceptions[0]
	if x.Kind != bank.ExceptionUnfinishedLoad || x.PAN != w.PAN() || x.ATC != 5 || x.TerminalID != teller.TerminalID ||
		!strings.Contains(x.Detail, "200.00") || !strings.Contains(x.Detail, "li.na") || x.ResolvedAt != "" {
		t.Errorf("item %+v", x)
	}

	// And what is not a wallet's unfinished load, or not from a teller desk, is refused
	cases := []struct {
		name   string
		client *banktest.Client
		body   map[string]any
		status int
	}{
		{"a shop's desk", shop.Client, body(nil), http.StatusForbidden},
		{"a wallet the bank did not issue", teller.Client, body(func(m map[string]any) { m["pan"] = "6231990000000018" }), http.StatusNotFound},
		{"no detail", teller.Client, body(func(m map[string]any) { m["detail"] = " " }), http.StatusBadRequest},
		{"a detail too long", teller.Client, body(func(m map[string]any) { m["detail"] = strings.Repeat("长", 501) }), http.StatusBadRequest},
		{"a control character", teller.Client, body(func(m map[string]any) { m["detail"] = "a\u0000b" }), http.StatusBadRequest},
		{"no ATC", teller.Client, body(func(m map[string]any) { delete(m, "atc") }), http.StatusBadRequest},
		{"no amount", teller.Client, body(func(m map[string]any) { m["amount"] = 0 }), http.StatusBadRequest},
		{"no operator", teller.Client, body(func(m map[string]any) { m["operator"] = "" }), http.StatusBadRequest},
		{"an unknown field", teller.Client, body(func(m map[string]any) { m["kind"] = "cloned_wallet" }), http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := tc.client.Call(e.ctx, "POST", "/v1/teller/exceptions", banktest.NewKey("file"), tc.body, nil)
			if r.Status != tc.status {
				t.Errorf("%d %s, want %d", r.Status, r.Body, tc.status)
			}
		})
	}
	e.balanced()
}
