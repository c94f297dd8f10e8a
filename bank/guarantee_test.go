package bank_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"lingqian/bank"
	"lingqian/bank/banktest"
)

// set moves the bank's clock to t.
func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// sendHolding forwards msgs as a desk holding the hotlist's version v.
func sendHolding(t *testing.T, d *banktest.Desk, v int64, msgs ...bank.WireMessage) []bank.Result {
	t.Helper()
	var resp bank.BatchResponse
	if _, err := d.Client.Call(context.Background(), "POST", "/v1/desk/batches", banktest.NewKey("batch"),
		bank.BatchRequest{Messages: msgs, HotlistVersion: v}, &resp); err != nil {
		t.Fatal(err)
	}
	if len(resp.Results) != len(msgs) {
		t.Fatalf("%d results for %d messages", len(resp.Results), len(msgs))
	}
	return resp.Results
}

// pulledHotlist is the hotlist's version as a desk pulls it now.
func pulledHotlist(t *testing.T, d *banktest.Desk) int64 {
	t.Helper()
	var hl bank.HotlistResponse
	if _, err := d.Client.Call(context.Background(), "GET", "/v1/desk/hotlist", "", nil, &hl); err != nil {
		t.Fatal(err)
	}
	return hl.Version
}

// teller is a teller desk's calls, for the tests of blocking and unloads.
type teller struct {
	*banktest.Desk
	e *env
}

func (tl teller) hotlist(t *testing.T, pan string) int64 {
	t.Helper()
	var resp bank.HotlistAddResponse
	if _, err := tl.Client.Call(tl.e.ctx, "POST", "/v1/teller/hotlist", banktest.NewKey("hot"),
		map[string]string{"pan": pan, "reason": "lost phone", "operator": "t1"}, &resp); err != nil {
		t.Fatal(err)
	}
	return resp.Version
}

// unload asks for an unload of amount, authorised by the second teller t2.
func (tl teller) unload(t *testing.T, pan string, amount int64) bank.UnloadResponse {
	t.Helper()
	var resp bank.UnloadResponse
	if _, err := tl.Client.Call(tl.e.ctx, "POST", "/v1/teller/unloads", banktest.NewKey("unload"), map[string]any{
		"pan": pan, "psn": "00", "amount": amount, "user": "alice", "operator": "t1", "approver": "t2"}, &resp); err != nil {
		t.Fatal(err)
	}
	return resp
}

func (tl teller) statement(t *testing.T, pan string) bank.Statement {
	t.Helper()
	var st bank.Statement
	if _, err := tl.Client.Call(tl.e.ctx, "GET", "/v1/teller/wallets/"+pan+"/statement", "", nil, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func (e *env) settle(t *testing.T) int {
	t.Helper()
	n, err := e.b.SettleUnloads(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestGuarantee_APurchaseMadeBeforeTheBlockIsPaidAndTheUnloadWaitsForTheWindow(t *testing.T) {
	// Given alice's wallet with 500.00 (500.00 left on deposit), a shop and a teller
	e := newEnv(t)
	e.customer("alice", 100000)
	w, _ := e.wallet("alice", 50000)
	shop := e.desk("M001", false)
	tl := teller{e.desk("BRANCH1", true), e}
	ecash := "ecash:" + w.PAN() + "/00"
	// And the phone spends 120.00 and 30.00 offline at the shop, whose desk
	// has not forwarded them yet and has an old hotlist
	first, late := shop.Purchase(t, w, 12000), shop.Purchase(t, w, 3000)
	old := pulledHotlist(t, shop)

	// When the teller hotlists the wallet and unloads all 500.00 the bank knows of
	tl.hotlist(t, w.PAN())
	un := tl.unload(t, w.PAN(), 50000)

	// Then the unload is held for the window, and nothing moved yet
	if un.State != bank.UnloadHeld || un.Amount != 50000 || un.Balance != 50000 {
		t.Fatalf("unload %+v", un)
	}
	pays, err := time.Parse(time.RFC3339, un.PaysAt)
	if err != nil || pays.Sub(e.clock.now()).Round(time.Hour) != bank.DefaultSettlementWindow {
		t.Fatalf("pays at %q (%v)", un.PaysAt, err)
	}
	if e.balance("deposit:alice") != 50000 || e.settle(t) != 0 {
		t.Fatalf("deposit %d before the window", e.balance("deposit:alice"))
	}

	// When the desk forwards the first purchase with its old hotlist
	one(t, sendHolding(t, shop, old, first), bank.StatusAccepted, "", "posted")

	// Then the merchant is paid from the wallet's e-cash
	if e.balance("settlement:M001") != 12000 || e.balance(ecash) != 38000 || e.balance(bank.LossAccount) != 0 {
		t.Errorf("settled %d, e-cash %d, losses %d", e.balance("settlement:M001"), e.balance(ecash), e.balance(bank.LossAccount))
	}
	e.balanced()

	// When the window has passed and the sweeper runs, twice
	e.clock.advance(bank.DefaultSettlementWindow + time.Minute)
	paid, again := e.settle(t), e.settle(t)

	// Then the customer's deposit gets what the purchase left, once
	if paid != 1 || again != 0 || e.balance("deposit:alice") != 50000+38000 || e.balance(ecash) != 0 {
		t.Fatalf("paid %d then %d, deposit %d, e-cash %d", paid, again, e.balance("deposit:alice"), e.balance(ecash))
	}
	// And the statement shows the unload paid, who asked and who approved
	st := tl.statement(t, w.PAN())
	if len(st.HeldUnloads) != 1 || st.HeldUnloads[0].State != bank.UnloadPaid || *st.HeldUnloads[0].Paid != 38000 ||
		st.HeldUnloads[0].Approver != "t2" || st.HeldUnloads[0].PaysAt != un.PaysAt {
		t.Errorf("held unloads %+v", st.HeldUnloads)
	}
	var payout *bank.StatementEntry
	for i := range st.Entries {
		if st.Entries[i].Kind == "unload" {
			payout = &st.Entries[i]
		}
	}
	if payout == nil || payout.Amount != 38000 || *payout.Balance != 0 || payout.Operator != "t1, approved by t2" {
		t.Errorf("payout %+v", payout)
	}
	e.balanced()

	// When the second purchase arrives after the payout
	one(t, sendHolding(t, shop, old, late), bank.StatusAccepted, "", "posted")

	// Then the merchant is paid from the loss account, and a person is
	// asked to recover it from the customer
	if e.balance("settlement:M001") != 15000 || e.balance(bank.LossAccount) != 3000 {
		t.Errorf("settled %d, losses %d", e.balance("settlement:M001"), e.balance(bank.LossAccount))
	}
	rep := e.report(bank.ReportFilter{})
	if len(rep.Exceptions) != 1 || rep.Exceptions[0].Kind != bank.ExceptionShortfall || !strings.Contains(rep.Exceptions[0].Detail, "30.00 from the loss account") {
		t.Errorf("exceptions %+v", rep.Exceptions)
	}
	e.balanced()
}

func TestGuarantee_ADeskThatHeldTheEntryCarriesThePurchase(t *testing.T) {
	cases := []struct {
		name string
		// blockedAgo is how long before the purchase's day the teller
		// hotlisted and unloaded the wallet.
		blockedAgo time.Duration
		// holds: the desk sends the hotlist version of the block, not
		// the one before it.
		holds bool
		// Then
		status, reason, state string
		settled               int64
	}{
		{"the desk's hotlist is older than the entry", 72 * time.Hour, false, bank.StatusAccepted, "", "posted", 2000},
		{"signed on the day of the block", 0, true, bank.StatusAccepted, "", "posted", 2000},
		{"signed after the day of the block, the desk held the entry", 72 * time.Hour, true,
			bank.StatusRejected, bank.ReasonHotlisted, "rejected", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a wallet hotlisted and unloaded at a moment that many
			// days before its phone spends 20.00 offline
			e := newEnv(t)
			e.clock.set(time.Now().Add(-tc.blockedAgo))
			e.customer("alice", 100000)
			w, _ := e.wallet("alice", 50000)
			shop := e.desk("M001", false)
			tl := teller{e.desk("BRANCH1", true), e}
			before := pulledHotlist(t, shop)
			v := tl.hotlist(t, w.PAN())
			tl.unload(t, w.PAN(), 50000)
			e.clock.set(time.Now())
			m := shop.Purchase(t, w, 2000)

			// When the desk forwards it with the hotlist it holds
			held := before
			if tc.holds {
				held = v
			}
			got := sendHolding(t, shop, held, m)

			// Then the merchant is paid, or carries it
			one(t, got, tc.status, tc.reason, tc.state)
			if e.balance("settlement:M001") != tc.settled {
				t.Errorf("settled %d, want %d", e.balance("settlement:M001"), tc.settled)
			}
			e.balanced()
		})
	}
}

func TestGuarantee_ACryptogramBelongsToItsMerchant(t *testing.T) {
	// Given a purchase at merchant M001's desk, whose cryptogram signs its
	// merchant and terminal
	s := newShop(t)
	w := s.phone.NewWallet(t, t.TempDir(), 50000)
	genuine := s.deskA.Purchase(t, w, 1000)

	// When merchant M002's desk replays it under its own merchant id
	replay := genuine
	replay.MerchantID = "M002"
	got := s.deskB.Send(t, replay)

	// Then it is refused, and kept rejected under M002, the desk's merchant
	one(t, got, bank.StatusRejected, bank.ReasonWrongMerchant, "rejected")
	teller := s.desk("BRANCH1", true)
	var st bank.Statement
	if _, err := teller.Client.Call(s.ctx, "GET", "/v1/teller/wallets/"+w.PAN()+"/statement", "", nil, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Entries) != 2 || st.Entries[1].MerchantID != "M002" || st.Entries[1].TerminalID != s.deskB.TerminalID ||
		st.Entries[1].Reason != bank.ReasonWrongMerchant {
		t.Errorf("statement %+v", st.Entries)
	}
	if rep := s.report(bank.ReportFilter{MerchantID: "M002"}); rep.Rejected != (bank.Totals{Count: 1, Amount: 1000}) || rep.Posted.Count != 0 {
		t.Errorf("M002's report %+v", rep)
	}
	// And the cryptogram is still its own merchant's
	one(t, s.deskA.Send(t, genuine), bank.StatusAccepted, "", "posted")
	if s.balance("settlement:M001") != 1000 || s.balance("settlement:M002") != 0 {
		t.Errorf("settled M001 %d, M002 %d", s.balance("settlement:M001"), s.balance("settlement:M002"))
	}
	s.balanced()
}
