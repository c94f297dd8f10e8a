package bank_test

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"lingqian/bank"
	"lingqian/bank/banktest"
)

func TestUnload_NeedsTheCustomerOrASecondTeller(t *testing.T) {
	// Given alice's wallet with 500.00 and a teller desk
	e := newEnv(t)
	e.customer("alice", 100000)
	w, _ := e.wallet("alice", 50000)
	tl := teller{e.desk("BRANCH1", true), e}
	body := func(extra map[string]any) map[string]any {
		b := map[string]any{"pan": w.PAN(), "psn": "00", "amount": 1000, "user": "alice", "operator": "t1"}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	cases := []struct {
		name   string
		extra  map[string]any
		status int
		code   string
	}{
		{"the teller alone", nil, http.StatusForbidden, bank.CodeUnloadUnauthorised},
		{"a wrong customer password", map[string]any{"customer_password": "guess"}, http.StatusUnauthorized, bank.CodeWrongPassword},
		{"approved by the same teller", map[string]any{"approver": "t1"}, http.StatusForbidden, bank.CodeUnloadUnauthorised},
		{"approved by the same teller, in capitals", map[string]any{"approver": "T1"}, http.StatusForbidden, bank.CodeUnloadUnauthorised},
		{"an approver that is no operator id", map[string]any{"approver": "t 2"}, http.StatusBadRequest, bank.CodeBadRequest},
		{"an approver named as the customer", map[string]any{"approver": "customer"}, http.StatusBadRequest, bank.CodeBadRequest},
		{"both a password and an approver", map[string]any{"approver": "t2", "customer_password": "s3cret-alice"},
			http.StatusBadRequest, bank.CodeBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// When the unload is asked so
			r, err := tl.Client.Call(e.ctx, "POST", "/v1/teller/unloads", banktest.NewKey("unload"), body(tc.extra), nil)
			// Then it is refused, and the wallet is neither held nor blocked
			if r.Status != tc.status || r.Code() != tc.code {
				t.Fatalf("%d %s (%v), want %d %s", r.Status, r.Body, err, tc.status, tc.code)
			}
		})
	}
	if st := tl.statement(t, w.PAN()); len(st.HeldUnloads) != 0 || st.Status != "active" {
		t.Fatalf("after refusals: %s, held %+v", st.Status, st.HeldUnloads)
	}

	// When a second teller approves, and then the customer signs with her password
	for _, extra := range []map[string]any{{"approver": "t2"}, {"customer_password": "s3cret-alice"}} {
		var un bank.UnloadResponse
		if _, err := tl.Client.Call(e.ctx, "POST", "/v1/teller/unloads", banktest.NewKey("unload"), body(extra), &un); err != nil {
			t.Fatal(err)
		}
		if un.State != bank.UnloadHeld || un.Amount != 1000 || un.PaysAt == "" {
			t.Errorf("%v: %+v", extra, un)
		}
	}

	// Then both are held, each with who authorised it, and the wallet is blocked
	st := tl.statement(t, w.PAN())
	if len(st.HeldUnloads) != 2 || st.HeldUnloads[0].Approver != "t2" || st.HeldUnloads[1].Approver != bank.ApproverCustomer ||
		st.HeldUnloads[0].State != bank.UnloadHeld || st.Status != "hotlisted" {
		t.Errorf("%s, held %+v", st.Status, st.HeldUnloads)
	}
	// And once paid, the statement's unloads say who authorised them
	e.clock.advance(bank.DefaultSettlementWindow)
	if n := e.settle(t); n != 2 {
		t.Fatalf("paid %d", n)
	}
	ops := map[string]bool{}
	for _, x := range tl.statement(t, w.PAN()).Entries {
		if x.Kind == "unload" {
			ops[x.Operator] = true
		}
	}
	if !ops["t1, approved by t2"] || !ops["t1, signed by the customer"] {
		t.Errorf("unload operators %v", ops)
	}
	e.balanced()
}

func TestUnload_AskedTwiceIsHeldAndPaidOnce(t *testing.T) {
	// Given a wallet with 500.00 and a teller desk
	e := newEnv(t)
	e.customer("alice", 100000)
	w, _ := e.wallet("alice", 50000)
	tl := teller{e.desk("BRANCH1", true), e}
	body := map[string]any{"pan": w.PAN(), "psn": "00", "amount": 20000, "user": "alice", "operator": "t1",
		"customer_password": "s3cret-alice"}

	// When the same unload is sent twice under its key
	key := banktest.NewKey("unload")
	var first, second bank.UnloadResponse
	if _, err := tl.Client.Call(e.ctx, "POST", "/v1/teller/unloads", key, body, &first); err != nil {
		t.Fatal(err)
	}
	if _, err := tl.Client.Call(e.ctx, "POST", "/v1/teller/unloads", key, body, &second); err != nil {
		t.Fatal(err)
	}

	// Then the answer is the same, one unload is held, and it pays once
	if first != second || len(tl.statement(t, w.PAN()).HeldUnloads) != 1 {
		t.Fatalf("answers %+v and %+v", first, second)
	}
	// And more than the wallet holds besides what is held is refused
	r, _ := tl.Client.Call(e.ctx, "POST", "/v1/teller/unloads", banktest.NewKey("unload"),
		map[string]any{"pan": w.PAN(), "psn": "00", "amount": 30001, "user": "alice", "operator": "t1", "approver": "t2"}, nil)
	if r.Status != http.StatusPaymentRequired || r.Code() != bank.CodeInsufficientFunds {
		t.Errorf("unload past what is free: %d %s", r.Status, r.Body)
	}
	e.clock.advance(bank.DefaultSettlementWindow + time.Second)
	e.settle(t)
	if e.balance("deposit:alice") != 50000+20000 || e.balance("ecash:"+w.PAN()+"/00") != 30000 {
		t.Errorf("deposit %d, e-cash %d", e.balance("deposit:alice"), e.balance("ecash:"+w.PAN()+"/00"))
	}
	e.balanced()
}

func TestUnload_SettlementWindowIsAtLeastADay(t *testing.T) {
	iss, err := sharedIssuer()
	if err != nil {
		t.Fatal(err)
	}
	for window, ok := range map[time.Duration]bool{0: true, 24 * time.Hour: true, 30 * 24 * time.Hour: true, 23 * time.Hour: false, time.Minute: false} {
		b, err := bank.Open(filepath.Join(t.TempDir(), "b"), bank.Options{Issuer: iss, SettlementWindow: window})
		if (err == nil) != ok {
			t.Errorf("window %s: %v", window, err)
		}
		if b != nil {
			b.Close()
		}
	}
}
