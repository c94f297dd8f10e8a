package bank_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lingqian/bank"
	"lingqian/bank/banktest"
	"lingqian/emv"
	"lingqian/emv/tlv"
	"lingqian/wallet"
)

// shop is a bank with a customer's wallet and two desks of two merchants.
type shop struct {
	*env
	phone        *banktest.Client
	deskA, deskB *banktest.Desk // of M001 and M002
}

func newShop(t *testing.T) *shop {
	e := newEnv(t)
	e.customer("alice", 100000)
	s := &shop{env: e, deskA: e.desk("M001", false), deskB: e.desk("M002", false)}
	s.phone = e.phone("alice")
	return s
}

// flipHex flips the last bit of the byte at i of a hex field.
func flipHex(t *testing.T, s string, i int) string {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	if i < 0 {
		i += len(b)
	}
	b[i] ^= 0x01
	return strings.ToUpper(hex.EncodeToString(b))
}

// flipInSDAD flips a byte inside the CDA signature of a GENERATE AC answer.
func flipInSDAD(t *testing.T, resp string) string {
	t.Helper()
	raw, _ := hex.DecodeString(resp)
	objs, err := tlv.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	sdad := tlv.Find(objs[0].Children, 0x9F4B)
	if sdad == nil {
		t.Fatal("no 9F4B")
	}
	i := bytes.Index(raw, sdad.Raw) + len(sdad.Raw) - 10
	raw[i] ^= 0x01
	return strings.ToUpper(hex.EncodeToString(raw))
}

func TestBatch_HostileMessagesAreRejectedAndNothingPosted(t *testing.T) {
	s := newShop(t)
	w := s.phone.NewWallet(t, t.TempDir(), 50000)
	genuine := s.deskA.Purchase(t, w, 1000)
	one(t, s.deskA.Send(t, genuine), bank.StatusAccepted, "", "posted")

	cases := []struct {
		name   string
		desk   *banktest.Desk
		msg    func() bank.WireMessage
		reason string
	}{
		{"altered amount", s.deskA, func() bank.WireMessage {
			m := s.deskA.Purchase(t, w, 1000)
			m.Amount = 100
			return m
		}, bank.ReasonAmountMismatch},
		{"altered currency", s.deskA, func() bank.WireMessage {
			m := s.deskA.Purchase(t, w, 1000)
			m.Currency = "840"
			return m
		}, bank.ReasonAmountMismatch},
		{"replayed under a new key and seq", s.deskA, func() bank.WireMessage {
			m := genuine
			m.Key, m.Seq = banktest.NewKey("replay"), 9000
			return m
		}, bank.ReasonReplayed},
		{"replayed under a new key, same seq", s.deskA, func() bank.WireMessage {
			m := genuine
			m.Key = banktest.NewKey("replay")
			return m
		}, bank.ReasonReplayed},
		{"replayed by another desk", s.deskB, func() bank.WireMessage {
			m := genuine
			m.Key, m.MerchantID = banktest.NewKey("replay"), "M002"
			return m
		}, bank.ReasonWrongMerchant}, // the cryptogram names desk A
		{"another desk's message, another merchant", s.deskB, func() bank.WireMessage {
			return s.deskA.Purchase(t, w, 1000)
		}, bank.ReasonWrongMerchant},
		{"forged TC", s.deskA, func() bank.WireMessage {
			m := s.deskA.Purchase(t, w, 1000)
			m.AC = flipHex(t, m.AC, 0)
			return m
		}, bank.ReasonBadCryptogram},
		{"forged CDOL1 data", s.deskA, func() bank.WireMessage {
			m := s.deskA.Purchase(t, w, 1000)
			m.CDOL1Data = flipHex(t, m.CDOL1Data, -1)
			return m
		}, bank.ReasonBadCryptogram},
		{"forged CDA signature", s.deskA, func() bank.WireMessage {
			m := s.deskA.Purchase(t, w, 1000)
			m.GenACResponse = flipInSDAD(t, m.GenACResponse)
			return m
		}, bank.ReasonBadSignature},
		{"another unpredictable number", s.deskA, func() bank.WireMessage {
			m := s.deskA.Purchase(t, w, 1000)
			m.UN = flipHex(t, m.UN, 0)
			return m
		}, bank.ReasonBadSignature},
		{"PDOL data altered", s.deskA, func() bank.WireMessage {
			m := s.deskA.Purchase(t, w, 1000)
			m.PDOLData = flipHex(t, m.PDOLData, 0)
			return m
		}, bank.ReasonBadSignature},
		{"not a TC", s.deskA, func() bank.WireMessage {
			m := s.deskA.Purchase(t, w, 1000)
			m.CID = bank.HexByte{V: 0x00}
			return m
		}, bank.ReasonInvalid},
		{"unknown wallet", s.deskA, func() bank.WireMessage {
			m := s.deskA.Purchase(t, w, 1000)
			m.PAN = "6231990000000018"
			return m
		}, bank.ReasonUnknownWallet},
		{"bad PAN", s.deskA, func() bank.WireMessage {
			m := s.deskA.Purchase(t, w, 1000)
			m.PAN = "6231990000000019"
			return m
		}, bank.ReasonInvalid},
		{"not hex", s.deskA, func() bank.WireMessage {
			m := s.deskA.Purchase(t, w, 1000)
			m.AC = "not hex!"
			return m
		}, bank.ReasonInvalid},
		{"void of a posted purchase", s.deskA, func() bank.WireMessage {
			return s.deskA.Void(genuine)
		}, bank.ReasonVoidTooLate},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given the ledger as it is
			m := tc.msg()
			before := s.postings()
			// When the hostile message is sent
			got := tc.desk.Send(t, m)
			// Then it is rejected with its reason, and nothing is posted
			one(t, got, bank.StatusRejected, tc.reason, "rejected")
			if s.postings() != before {
				t.Error("something was posted")
			}
			s.balanced()
		})
	}
	if got := s.balance("settlement:M001") + s.balance("settlement:M002"); got != 1000 {
		t.Errorf("settled %d, want only the genuine 1000", got)
	}
}

func TestBatch_HostileRequests(t *testing.T) {
	s := newShop(t)
	w := s.phone.NewWallet(t, t.TempDir(), 50000)
	msg := s.deskA.Purchase(t, w, 1000)
	batch, _ := json.Marshal(bank.BatchRequest{Messages: []bank.WireMessage{msg}})
	anon := banktest.NewClient(s.base, s.ca, nil)
	big := make([]bank.WireMessage, bank.MaxBatch+1)
	for i := range big {
		big[i] = msg
	}
	tooMany, _ := json.Marshal(bank.BatchRequest{Messages: big})

	cases := []struct {
		name   string
		client *banktest.Client
		method string
		path   string
		key    string
		body   []byte
		status int
		code   string
	}{
		{"no client certificate", anon, "POST", "/v1/desk/batches", "k1", batch, http.StatusUnauthorized, bank.CodeUnauthenticated},
		{"no client certificate, read", anon, "GET", "/v1/desk/reconciliation", "", nil, http.StatusUnauthorized, bank.CodeUnauthenticated},
		{"a phone's token on a desk route", s.phone, "GET", "/v1/desk/hotlist", "", nil, http.StatusUnauthorized, bank.CodeUnauthenticated},
		{"a shop desk on a teller route", s.deskA.Client, "GET", "/v1/teller/exceptions", "", nil, http.StatusForbidden, bank.CodeForbidden},
		{"oversized body", s.deskA.Client, "POST", "/v1/desk/batches", "k2", bytes.Repeat([]byte(" "), bank.MaxBody+1), http.StatusRequestEntityTooLarge, bank.CodeTooLarge},
		{"malformed JSON", s.deskA.Client, "POST", "/v1/desk/batches", "k3", []byte(`{"messages":[{`), http.StatusBadRequest, bank.CodeBadRequest},
		{"unknown top-level field", s.deskA.Client, "POST", "/v1/desk/batches", "k4", []byte(`{"messages":[],"x":1}`), http.StatusBadRequest, bank.CodeBadRequest},
		{"unknown message field", s.deskA.Client, "POST", "/v1/desk/batches", "k5", bytes.Replace(batch, []byte(`"key"`), []byte(`"evil":1,"key"`), 1), http.StatusBadRequest, bank.CodeBadRequest},
		{"two JSON values", s.deskA.Client, "POST", "/v1/desk/batches", "k6", append(append([]byte{}, batch...), batch...), http.StatusBadRequest, bank.CodeBadRequest},
		{"wrong type", s.deskA.Client, "POST", "/v1/desk/batches", "k7", bytes.Replace(batch, []byte(`"seq":1`), []byte(`"seq":"1"`), 1), http.StatusBadRequest, bank.CodeBadRequest},
		{"no messages", s.deskA.Client, "POST", "/v1/desk/batches", "k8", []byte(`{}`), http.StatusBadRequest, bank.CodeBadRequest},
		{"too many messages", s.deskA.Client, "POST", "/v1/desk/batches", "k9", tooMany, http.StatusBadRequest, bank.CodeBadRequest},
		{"no Idempotency-Key", s.deskA.Client, "POST", "/v1/desk/batches", "", batch, http.StatusBadRequest, bank.CodeBadRequest},
		{"unknown route", s.deskA.Client, "GET", "/v1/desk/nothing", "", nil, http.StatusNotFound, bank.CodeNotFound},
		{"wrong method", s.deskA.Client, "DELETE", "/v1/desk/batches", "", nil, http.StatusNotFound, bank.CodeNotFound},
		{"bad since_seq", s.deskA.Client, "GET", "/v1/desk/reconciliation?since_seq=-1", "", nil, http.StatusBadRequest, bank.CodeBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := s.postings()
			r, err := tc.client.Raw(s.ctx, tc.method, tc.path, tc.key, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tc.status || r.Code() != tc.code {
				t.Fatalf("%d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
			if s.postings() != before {
				t.Error("something was posted")
			}
			s.balanced()
		})
	}
	// And the genuine batch still goes through afterwards
	one(t, s.deskA.Send(t, msg), bank.StatusAccepted, "", "posted")
}

func TestBatch_IdempotencyKeyWithAnotherBodyIsAConflict(t *testing.T) {
	s := newShop(t)
	w := s.phone.NewWallet(t, t.TempDir(), 50000)
	m1, m2 := s.deskA.Purchase(t, w, 100), s.deskA.Purchase(t, w, 200)
	first := s.deskA.SendKey(t, "same-key", m1)
	one(t, first, bank.StatusAccepted, "", "posted")
	body, _ := json.Marshal(bank.BatchRequest{Messages: []bank.WireMessage{m2}})
	r, err := s.deskA.Client.Raw(s.ctx, "POST", "/v1/desk/batches", "same-key", body)
	if err != nil || r.Status != http.StatusConflict || r.Code() != bank.CodeConflict {
		t.Fatalf("%v %d %s", err, r.Status, r.Body)
	}
	// Keys are each desk's own: another desk may use the same one
	m3 := s.deskB.Purchase(t, w, 300)
	one(t, s.deskB.SendKey(t, "same-key", m3), bank.StatusAccepted, "", "posted")
	s.balanced()
}

func TestBatch_AClonedWalletsSecondCryptogramIsPaidFromTheLossAccount(t *testing.T) {
	// Given a wallet and a copy of its file
	s := newShop(t)
	dir := t.TempDir()
	w := s.phone.NewWallet(t, dir, 50000)
	clone := copyWallet(t, w)

	// When both spend the same balance at two desks, with the same ATC
	m1 := s.deskA.Purchase(t, w, 30000)
	m2 := s.deskB.Purchase(t, clone, 30000)
	if m1.ATC != m2.ATC || m1.AC == m2.AC {
		t.Fatalf("ATC %d/%d AC %s/%s", m1.ATC, m2.ATC, m1.AC, m2.AC)
	}
	one(t, s.deskA.Send(t, m1), bank.StatusAccepted, "", "posted")
	got := s.deskB.Send(t, m2)

	// Then the second merchant is paid too, all of it from the loss
	// account: its desk did everything right, and the copy is the bank's
	// to chase
	one(t, got, bank.StatusAccepted, "", "posted")
	if s.balance("settlement:M002") != 30000 || s.balance(bank.LossAccount) != 30000 || s.balance("ecash:"+w.PAN()+"/00") != 20000 {
		t.Errorf("M002 %d, losses %d, e-cash %d", s.balance("settlement:M002"), s.balance(bank.LossAccount),
			s.balance("ecash:"+w.PAN()+"/00"))
	}
	// And the wallet is hotlisted, for desks to pull
	var hl bank.HotlistResponse
	if _, err := s.deskA.Client.Call(s.ctx, "GET", "/v1/desk/hotlist", "", nil, &hl); err != nil {
		t.Fatal(err)
	}
	if hl.Version < 1 || len(hl.PANs) != 1 || hl.PANs[0] != w.PAN() {
		t.Errorf("hotlist %+v", hl)
	}
	// And the clone and the loss are queued with the second merchant's story
	rep := s.report(bank.ReportFilter{})
	kinds := map[string]string{}
	for _, e := range rep.Exceptions {
		kinds[e.Kind] = e.MerchantID
	}
	if len(rep.Exceptions) != 2 || kinds[bank.ReasonClonedWallet] != "M002" || kinds[bank.ExceptionShortfall] != "M002" {
		t.Errorf("exceptions %+v", rep.Exceptions)
	}
	s.balanced()
}

func TestBatch_SpendingMoreThanLoadedIsAClone(t *testing.T) {
	// Given a wallet with 10.00 and a copy of it
	s := newShop(t)
	w := s.phone.NewWallet(t, t.TempDir(), 1000)
	clone := copyWallet(t, w)
	// And the copy's ATC moved on by a declined tap, so no ATC is spent twice
	declined(t, s.deskB, clone)

	// When each spends 8.00
	m1, m2 := s.deskA.Purchase(t, w, 800), s.deskB.Purchase(t, clone, 800)
	if m1.ATC == m2.ATC {
		t.Fatal("same ATC")
	}
	one(t, s.deskA.Send(t, m1), bank.StatusAccepted, "", "posted")
	got := s.deskB.Send(t, m2)

	// Then the second spends more than was loaded: its merchant is paid,
	// the 2.00 left from the e-cash and 6.00 from the loss account, and
	// the wallet is flagged a clone
	one(t, got, bank.StatusAccepted, "", "posted")
	if e, l := s.balance("ecash:"+w.PAN()+"/00"), s.balance(bank.LossAccount); e != 0 || l != 600 {
		t.Errorf("e-cash %d, losses %d, want 0 and 600", e, l)
	}
	var info bank.WalletInfo
	teller := s.desk("BRANCH1", true)
	if _, err := teller.Client.Call(s.ctx, "GET", "/v1/teller/wallets/"+w.PAN(), "", nil, &info); err != nil || info.Status != "cloned" {
		t.Errorf("wallet %+v (%v)", info, err)
	}
	s.balanced()
}

func TestBatch_Voids(t *testing.T) {
	s := newShop(t)
	w := s.phone.NewWallet(t, t.TempDir(), 50000)
	before := s.postings()

	// A purchase and its void in one batch: cancelled, not posted
	p1 := s.deskA.Purchase(t, w, 100)
	got := s.deskA.Send(t, p1, s.deskA.Void(p1))
	if got[0].Reason != bank.ReasonVoided || got[0].State != "rejected" || got[1].Status != bank.StatusAccepted || got[1].State != "posted" {
		t.Errorf("same batch: %+v", got)
	}
	// The same, the void first
	p0 := s.deskA.Purchase(t, w, 150)
	got = s.deskA.Send(t, s.deskA.Void(p0), p0)
	if got[1].Reason != bank.ReasonVoided || got[0].Status != bank.StatusAccepted || got[0].State != "posted" {
		t.Errorf("same batch, void first: %+v", got)
	}
	// A void that comes before its purchase waits for it, then cancels it
	p2 := s.deskA.Purchase(t, w, 200)
	v2 := s.deskA.Void(p2)
	one(t, s.deskA.Send(t, v2), bank.StatusAccepted, "", "pending")
	one(t, s.deskA.Send(t, p2), bank.StatusRejected, bank.ReasonVoided, "rejected")
	// A void whose purchase is refused on its own is done when it comes
	p4 := s.deskA.Purchase(t, w, 400)
	one(t, s.deskA.Send(t, s.deskA.Void(p4)), bank.StatusAccepted, "", "pending")
	p4.Amount = 1 // altered: refused
	got = s.deskA.Send(t, p4)
	one(t, got, bank.StatusRejected, bank.ReasonAmountMismatch, "rejected")
	if rec := s.deskA.Reconciliation(t); rec.Messages[len(rec.Messages)-1].State != "posted" {
		t.Errorf("the void of a refused purchase: %+v", rec.Messages[len(rec.Messages)-1])
	}
	// A second void of a purchase is refused
	one(t, s.deskA.Send(t, s.deskA.Void(p2)), bank.StatusRejected, bank.ReasonInvalid, "rejected")
	// A void that does not repeat its purchase is refused, and the purchase posts
	p3 := s.deskA.Purchase(t, w, 300)
	v3 := s.deskA.Void(p3)
	v3.ATC++
	got = s.deskA.Send(t, v3, p3)
	if got[0].Status != bank.StatusRejected || got[0].Reason != bank.ReasonInvalid || got[0].State != "rejected" {
		t.Errorf("mismatched void: %+v", got)
	}
	if got[1].State != "posted" {
		t.Errorf("purchase of a mismatched void: %+v", got)
	}
	if s.postings() != before+1 || s.balance("settlement:M001") != 300 {
		t.Errorf("%d postings, settled %d", s.postings(), s.balance("settlement:M001"))
	}
	// And the reconciliation feed counts what a desk counts: voided purchases nowhere,
	// the refused one as rejected
	rec := s.deskA.Reconciliation(t)
	if rec.Totals.Posted != (bank.Totals{Count: 1, Amount: 300}) || rec.Totals.Rejected != (bank.Totals{Count: 1, Amount: 1}) {
		t.Errorf("totals %+v", rec.Totals)
	}
	s.balanced()
}

func TestDesk_CAPKAndHotlist(t *testing.T) {
	s := newShop(t)
	r, err := s.deskA.Client.Raw(s.ctx, "GET", "/v1/desk/capk", "", nil)
	if err != nil || r.Status != http.StatusOK || !bytes.Contains(r.Body, []byte(`"rid": "A000000333"`)) {
		t.Fatalf("%v %d %s", err, r.Status, r.Body)
	}
	var hl bank.HotlistResponse
	if _, err := s.deskA.Client.Call(s.ctx, "GET", "/v1/desk/hotlist", "", nil, &hl); err != nil {
		t.Fatal(err)
	}
	if hl.Version != 0 || hl.PANs == nil || len(hl.PANs) != 0 {
		t.Errorf("hotlist %+v", hl)
	}
	// A revoked desk is shut out
	if err := s.env.b.RevokeDesk(s.ctx, s.deskA.TerminalID); err != nil {
		t.Fatal(err)
	}
	r, err = s.deskA.Client.Raw(s.ctx, "GET", "/v1/desk/hotlist", "", nil)
	if err != nil || r.Status != http.StatusForbidden {
		t.Errorf("revoked: %v %d %s", err, r.Status, r.Body)
	}
}

// copyWallet copies a wallet's file, as someone cloning a phone would.
func copyWallet(t *testing.T, w *wallet.Card) *wallet.Card {
	t.Helper()
	data, err := os.ReadFile(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "clone.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := wallet.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// declined taps the wallet for more than it holds: the desk declines, and
// the wallet's ATC moves on.
func declined(t *testing.T, d *banktest.Desk, w *wallet.Card) {
	t.Helper()
	atc := w.ATC()
	if out := d.Tap(t, w, w.Balance()+1); out.Result != emv.Declined || w.ATC() != atc+1 {
		t.Fatalf("%v %s, ATC %d", out.Result, out.Reason.Code, w.ATC())
	}
}

func TestBatch_AnotherMerchantsMessageIsKeptUnderTheDesksOwn(t *testing.T) {
	// Given desk B's certificate used to send merchant A's entry 1 as it
	// is (a copied data folder, a borrowed certificate)
	s := newShop(t)
	w := s.phone.NewWallet(t, t.TempDir(), 50000)
	foreign := s.deskA.Purchase(t, w, 500)

	// When desk B sends it
	one(t, s.deskB.Send(t, foreign), bank.StatusRejected, bank.ReasonWrongMerchant, "rejected")

	// Then it is kept, rejected, under desk B's merchant: on B's feed, in
	// M002's totals, and sent again it is a duplicate with the same answer
	rec := s.deskB.Reconciliation(t)
	if len(rec.Messages) != 1 || rec.Messages[0].Reason != bank.ReasonWrongMerchant || rec.Totals.Rejected.Amount != 500 {
		t.Errorf("desk B's feed %+v", rec)
	}
	if rep := s.report(bank.ReportFilter{MerchantID: "M002"}); rep.Rejected != (bank.Totals{Count: 1, Amount: 500}) {
		t.Errorf("M002's totals %+v", rep)
	}
	one(t, s.deskB.Send(t, foreign), bank.StatusDuplicate, bank.ReasonWrongMerchant, "rejected")
	// And its seq is taken in B's sequence: another message under it is refused
	own := s.deskB.Purchase(t, w, 700)
	if own.Seq != foreign.Seq {
		t.Fatalf("test setup: seqs %d and %d differ", own.Seq, foreign.Seq)
	}
	one(t, s.deskB.Send(t, own), bank.StatusRejected, bank.ReasonInvalid, "rejected")
	// And the cryptogram's ATC is still free for desk A, whose message it is
	one(t, s.deskA.Send(t, foreign), bank.StatusAccepted, "", "posted")
	s.balanced()
}
