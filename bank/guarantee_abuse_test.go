package bank_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"lingqian/bank"
	"lingqian/bank/banktest"
)

// The merchant guarantee against a hostile desk: a copy's cryptogram sent
// again, a desk claiming an older hotlist than it has, a desk's clock set
// back, and copies of a wallet spending under an unload one at a time.

// anchoredDesk is a desk that sends its journal's head with every batch,
// as lingqian's forwarder does; its journal's seqs are its messages'.
type anchoredDesk struct {
	*banktest.Desk
	anchor int64 // the bank's newest anchor of the journal, as last answered
}

// send forwards msgs naming hotlist version v, with the journal's head at
// the highest seq sent so far.
func (d *anchoredDesk) send(t *testing.T, v int64, msgs ...bank.WireMessage) []bank.Result {
	t.Helper()
	top := d.anchor
	for _, m := range msgs {
		top = max(top, m.Seq)
	}
	anchorHash := ""
	if d.anchor > 0 {
		anchorHash = link(d.anchor)
	}
	body, err := json.Marshal(bank.BatchRequest{Messages: msgs, HotlistVersion: v,
		Chains: head(top, link(top), d.anchor, anchorHash)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.Client.Raw(t.Context(), "POST", "/v1/desk/batches", banktest.NewKey("batch"), body)
	if err != nil || r.Status != http.StatusOK {
		t.Fatalf("batch: %v %d %s", err, r.Status, r.Body)
	}
	var ans struct {
		bank.BatchResponse
		Anchors []bank.AnchorJSON `json:"anchors"`
	}
	if err := json.Unmarshal(r.Body, &ans); err != nil || len(ans.Results) != len(msgs) || len(ans.Anchors) != 1 {
		t.Fatalf("answer %s: %v", r.Body, err)
	}
	d.anchor = ans.Anchors[0].Seq
	return ans.Results
}

func TestGuarantee_ACopysCryptogramIsPaidOnceHoweverOftenItIsSent(t *testing.T) {
	// Given a wallet and two copies of its file, each spending 300.00 on
	// the same ATC at merchant M002's desk after the wallet itself spent
	// it at M001's
	s := newShop(t)
	w := s.phone.NewWallet(t, t.TempDir(), 50000)
	copy1, copy2 := copyWallet(t, w), copyWallet(t, w)
	genuine := s.deskA.Purchase(t, w, 30000)
	copied := s.deskB.Purchase(t, copy1, 30000)
	second := s.deskB.Purchase(t, copy2, 30000)
	one(t, s.deskA.Send(t, genuine), bank.StatusAccepted, "", "posted")
	// And the first copy's message paid, from the loss account
	one(t, s.deskB.Send(t, copied), bank.StatusAccepted, "", "posted")

	seq := int64(1000)
	again := func(m bank.WireMessage) bank.WireMessage {
		seq++
		m.Key, m.Seq = banktest.NewKey("again"), seq
		return m
	}
	cases := []struct {
		name string
		desk *banktest.Desk
		msgs []bank.WireMessage
		// Then
		reasons []string
	}{
		{"under a new key and seq", s.deskB, []bank.WireMessage{again(copied)}, []string{bank.ReasonReplayed}},
		{"once more under another", s.deskB, []bank.WireMessage{again(copied)}, []string{bank.ReasonReplayed}},
		{"twice in one batch", s.deskB, []bank.WireMessage{again(copied), again(copied)},
			[]string{bank.ReasonReplayed, bank.ReasonReplayed}},
		{"under the seq it was paid under, with a new key", s.deskB, []bank.WireMessage{func() bank.WireMessage {
			m := copied
			m.Key = banktest.NewKey("again")
			return m
		}()}, []string{bank.ReasonReplayed}},
		{"by another merchant's desk", s.deskA, []bank.WireMessage{func() bank.WireMessage {
			m := again(copied)
			m.MerchantID = "M001"
			return m
		}()}, []string{bank.ReasonWrongMerchant}}, // the cryptogram names M002's desk
		{"a second copy's cryptogram and itself again, in one batch", s.deskB, []bank.WireMessage{second, again(second)},
			[]string{"", bank.ReasonReplayed}},
		{"the second copy's once more", s.deskB, []bank.WireMessage{again(second)}, []string{bank.ReasonReplayed}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// When the desk sends it
			got := tc.desk.Send(t, tc.msgs...)

			// Then each cryptogram is paid the first time only
			for i, r := range got {
				want := bank.StatusRejected
				if tc.reasons[i] == "" {
					want = bank.StatusAccepted
				}
				if r.Status != want || r.Reason != tc.reasons[i] {
					t.Errorf("message %d: %s/%s, want %s/%s", i, r.Status, r.Reason, want, tc.reasons[i])
				}
			}
			s.balanced()
		})
	}
	// And M002 was paid each copy's 300.00 once, all from the loss account
	if s.balance("settlement:M002") != 60000 || s.balance(bank.LossAccount) != 60000 || s.balance("settlement:M001") != 30000 {
		t.Errorf("M001 %d, M002 %d, losses %d", s.balance("settlement:M001"), s.balance("settlement:M002"), s.balance(bank.LossAccount))
	}
}

func TestGuarantee_ADeskIsJudgedWithTheHotlistTheBankSentIt(t *testing.T) {
	// Given a wallet hotlisted and unloaded three days ago
	e := newEnv(t)
	e.clock.set(time.Now().Add(-72 * time.Hour))
	e.customer("alice", 100000)
	w, _ := e.wallet("alice", 50000)
	shop := e.desk("M001", false)
	tl := teller{e.desk("BRANCH1", true), e}
	v := tl.hotlist(t, w.PAN())
	tl.unload(t, w.PAN(), 50000)
	e.clock.set(time.Now())
	// And a desk sent the hotlist holding the entry, which sells to the
	// wallet today
	if got := pulledHotlist(t, shop); got != v {
		t.Fatalf("hotlist version %d, want %d", got, v)
	}
	m := shop.Purchase(t, w, 20000)

	// When the desk says it holds no hotlist, or a negative version
	r, err := shop.Client.Raw(t.Context(), "POST", "/v1/desk/batches", banktest.NewKey("batch"),
		[]byte(`{"messages":[],"hotlist_version":-1}`))
	if err != nil {
		t.Fatal(err)
	}
	got := sendHolding(t, shop, 0, m)

	// Then a negative version is refused, and the purchase is judged with
	// the hotlist the bank sent: the desk held the entry
	if r.Status != http.StatusBadRequest || r.Code() != bank.CodeBadRequest {
		t.Errorf("a negative hotlist version: %d %s", r.Status, r.Body)
	}
	one(t, got, bank.StatusRejected, bank.ReasonHotlisted, "rejected")
	if e.balance("settlement:M001") != 0 || e.balance("ecash:"+w.PAN()+"/00") != 50000 {
		t.Errorf("settled %d, e-cash %d", e.balance("settlement:M001"), e.balance("ecash:"+w.PAN()+"/00"))
	}
	e.balanced()
}

func TestGuarantee_TheDesksAnchorsPlaceItsSalesInTime(t *testing.T) {
	cases := []struct {
		name string
		// forwardFirst is when, after the block, the desk forwards the
		// first sale it took since; 0: not before the second.
		forwardFirst time.Duration
		pulls        bool // and then pulls the hotlist, as its forwarder does
		// forwardSecond is when it forwards the sale it took after that.
		forwardSecond time.Duration
		// Then the second sale
		status, reason, state string
	}{
		{"offline since before the block, both sent hours later", 0, false, 3 * time.Hour,
			bank.StatusAccepted, "", "posted"},
		{"forwarded minutes after the block, sold before its next pull", 5 * time.Minute, false, 10 * time.Minute,
			bank.StatusAccepted, "", "posted"},
		{"sent the hotlist after the block, then sold", 10 * time.Minute, true, 20 * time.Minute,
			bank.StatusRejected, bank.ReasonHotlisted, "rejected"},
		{"forwarded over an hour after the block without pulling, then sold", 2 * time.Hour, false, 3 * time.Hour,
			bank.StatusRejected, bank.ReasonHotlisted, "rejected"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a desk whose clock is three days behind the bank's, so
			// that every date its cryptograms sign is before the block
			e := newEnv(t)
			e.customer("alice", 100000)
			w, _ := e.wallet("alice", 50000)
			shop := &anchoredDesk{Desk: e.desk("M001", false)}
			tl := teller{e.desk("BRANCH1", true), e}
			block := time.Now().Add(72 * time.Hour)
			e.clock.set(block.Add(-time.Hour))
			// And a sale it forwarded before the block
			one(t, shop.send(t, 0, shop.Purchase(t, w, 1000)), bank.StatusAccepted, "", "posted")

			// When the wallet is hotlisted, and the desk, naming no hotlist,
			// forwards a sale and then another as the case says
			e.clock.set(block)
			tl.hotlist(t, w.PAN())
			first := shop.Purchase(t, w, 1000)
			if tc.forwardFirst > 0 {
				e.clock.set(block.Add(tc.forwardFirst))
				one(t, shop.send(t, 0, first), bank.StatusAccepted, "", "posted")
				if tc.pulls {
					e.clock.advance(time.Second)
					pulledHotlist(t, shop.Desk)
				}
			}
			second := shop.Purchase(t, w, 1000)
			e.clock.set(block.Add(tc.forwardSecond))
			msgs := []bank.WireMessage{second}
			if tc.forwardFirst == 0 {
				msgs = []bank.WireMessage{first, second}
			}
			got := shop.send(t, 0, msgs...)

			// Then the sales it took before it could know are paid, and
			// the one it took knowing is the merchant's
			if tc.forwardFirst == 0 {
				one(t, got[:1], bank.StatusAccepted, "", "posted")
				got = got[1:]
			}
			one(t, got, tc.status, tc.reason, tc.state)
			paid := int64(2000)
			if tc.state == "posted" {
				paid = 3000
			}
			if e.balance("settlement:M001") != paid {
				t.Errorf("settled %d, want %d", e.balance("settlement:M001"), paid)
			}
			e.balanced()
		})
	}
}

func TestGuarantee_WhatTheLossAccountPaidCountsAgainstWhatWasLoaded(t *testing.T) {
	// Given a wallet issued with 500.00 and a copy of its file
	e := newEnv(t)
	e.customer("alice", 100000)
	w, _ := e.wallet("alice", 50000)
	copied := copyWallet(t, w)
	shop := e.desk("M001", false)
	tl := teller{e.desk("BRANCH1", true), e}
	// And, offline, the phone spends 300.00 and 200.00 and the copy,
	// on a later ATC, 300.00 more
	mine1, mine2 := shop.Purchase(t, w, 30000), shop.Purchase(t, w, 20000)
	declined(t, shop, copied)
	declined(t, shop, copied)
	theirs := shop.Purchase(t, copied, 30000)
	old := pulledHotlist(t, shop)
	// And the wallet was unloaded, all 500.00 paid to the deposit after
	// the window, before the desk forwarded any of it
	tl.hotlist(t, w.PAN())
	tl.unload(t, w.PAN(), 50000)
	e.clock.advance(bank.DefaultSettlementWindow + time.Minute)
	if e.settle(t) != 1 || e.balance("deposit:alice") != 100000 {
		t.Fatalf("deposit %d", e.balance("deposit:alice"))
	}

	// When the desk forwards the three
	got := sendHolding(t, shop, old, mine1, mine2, theirs)

	// Then each is paid, from the loss account
	for i, r := range got {
		if r.Status != bank.StatusAccepted || r.State != "posted" {
			t.Errorf("message %d: %+v", i, r)
		}
	}
	if e.balance("settlement:M001") != 80000 || e.balance(bank.LossAccount) != 80000 {
		t.Errorf("settled %d, losses %d", e.balance("settlement:M001"), e.balance(bank.LossAccount))
	}
	// And the customer is asked for the 500.00 paid twice, and the copy's
	// 300.00, past all that was ever loaded, marks the wallet cloned
	rep := e.report(bank.ReportFilter{})
	var recover []string
	cloned := 0
	for _, x := range rep.Exceptions {
		switch {
		case x.Kind == bank.ReasonClonedWallet:
			cloned++
			if x.ATC != uint16(theirs.ATC) {
				t.Errorf("cloned at ATC %d, want %d", x.ATC, theirs.ATC)
			}
		case x.Kind == bank.ExceptionShortfall && x.ATC != uint16(theirs.ATC):
			recover = append(recover, x.Detail)
		}
	}
	if cloned != 1 || len(recover) != 2 {
		t.Errorf("cloned %d times, %d to recover from the customer: %+v", cloned, len(recover), rep.Exceptions)
	}
	if st := tl.statement(t, w.PAN()); st.Status != string(bank.WalletCloned) {
		t.Errorf("wallet %s", st.Status)
	}
	if joined := strings.Join(recover, "; "); !strings.Contains(joined, "300.00 from the loss account") ||
		!strings.Contains(joined, "200.00 from the loss account") {
		t.Errorf("to recover: %s", joined)
	}
	e.balanced()
}
