package bank_test

import (
	"bytes"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"lingqian/bank"
	"lingqian/bank/banktest"
	"lingqian/emv/tlv"
	"lingqian/issuance"
	"lingqian/wallet"
)

// online is the phone's side of an online load, driven APDU by APDU as a
// teller's desk does.
type online struct {
	t    *testing.T
	w    *wallet.Card
	atc  uint16
	arqc []byte
	iad  []byte
	cdol []byte
}

func send(t *testing.T, w *wallet.Card, cmd []byte) []byte {
	t.Helper()
	r := w.Process(cmd)
	if len(r) < 2 || r[len(r)-2] != 0x90 || r[len(r)-1] != 0x00 {
		t.Fatalf("% X answered % X", cmd, r)
	}
	return r[:len(r)-2]
}

func apdu(cla, ins, p1, p2 byte, data []byte) []byte {
	return append(append([]byte{cla, ins, p1, p2, byte(len(data))}, data...), 0x00)
}

// startLoad selects the wallet, runs GPO and asks for an ARQC.
func startLoad(t *testing.T, w *wallet.Card, amount int64) *online {
	t.Helper()
	p := w.Personalisation()
	w.Reset()
	send(t, w, apdu(0x00, 0xA4, 0x04, 0x00, p.AID))
	pdol, err := issuance.ParseDOL(p.PDOL)
	if err != nil {
		t.Fatal(err)
	}
	send(t, w, apdu(0x80, 0xA8, 0, 0, tlv.Encode(0x83, make([]byte, pdol.Len()))))
	cdol1, err := issuance.ParseDOL(p.CDOL1)
	if err != nil {
		t.Fatal(err)
	}
	amt, _ := issuance.Amount(amount)
	vals := map[tlv.Tag][]byte{0x9F02: amt, 0x5F2A: {0x01, 0x56}, 0x9F1A: {0x01, 0x56}, 0x9F37: {1, 2, 3, 4}}
	var data []byte
	for _, e := range cdol1 {
		v := make([]byte, e.Length)
		copy(v, vals[e.Tag])
		data = append(data, v...)
	}
	objs, err := tlv.Parse(send(t, w, apdu(0x80, 0xAE, 0x80, 0x00, data)))
	if err != nil {
		t.Fatal(err)
	}
	f := objs[0].Children
	atc := tlv.Value(f, 0x9F36)
	return &online{t: t, w: w, atc: uint16(atc[0])<<8 | uint16(atc[1]), arqc: tlv.Value(f, 0x9F26), iad: tlv.Value(f, 0x9F10), cdol: data}
}

func (o *online) request(user string, amount int64) map[string]any {
	return map[string]any{"pan": o.w.PAN(), "psn": o.w.PSN(), "atc": o.atc, "arqc": hexUp(o.arqc),
		"cdol1_data": hexUp(o.cdol), "iad": hexUp(o.iad), "amount": amount, "user": user, "operator": "t1"}
}

// finish gives the phone the bank's answer: ARPC, then the script.
func (o *online) finish(resp bank.LoadResponse) {
	o.t.Helper()
	arpc, _ := hex.DecodeString(resp.ARPC)
	arc, _ := hex.DecodeString(resp.ARC)
	send(o.t, o.w, issuance.ExternalAuthenticate(arpc, [2]byte{arc[0], arc[1]}))
	script, _ := hex.DecodeString(resp.Script)
	send(o.t, o.w, script)
}

func hexUp(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

func TestTeller_OnlineLoadUnloadHotlist(t *testing.T) {
	// Given alice's wallet with 500.00 (500.00 left on deposit) and a teller desk
	e := newEnv(t)
	e.customer("alice", 100000)
	e.customer("bob", 100000)
	w, phone := e.wallet("alice", 50000)
	teller := e.desk("BRANCH1", true)
	shop := e.desk("M001", false)

	// When the teller looks the wallet up
	var info bank.WalletInfo
	if _, err := teller.Client.Call(e.ctx, "GET", "/v1/teller/wallets/"+w.PAN(), "", nil, &info); err != nil {
		t.Fatal(err)
	}
	if info.Balance != 50000 || info.Status != "active" || info.Customer != "alice" {
		t.Errorf("lookup %+v", info)
	}

	// When 200.00 is loaded online against the phone's ARQC
	o := startLoad(t, w, 20000)
	var resp bank.LoadResponse
	key := banktest.NewKey("load")
	if _, err := teller.Client.Call(e.ctx, "POST", "/v1/teller/loads", key, o.request("alice", 20000), &resp); err != nil {
		t.Fatal(err)
	}
	o.finish(resp)

	// Then the phone's balance is the new one, and the money moved
	if w.Balance() != 70000 || resp.Balance != 70000 {
		t.Fatalf("phone balance %d, script %d", w.Balance(), resp.Balance)
	}
	if e.balance("deposit:alice") != 30000 || e.balance("ecash:"+w.PAN()+"/00") != 70000 {
		t.Errorf("deposit %d e-cash %d", e.balance("deposit:alice"), e.balance("ecash:"+w.PAN()+"/00"))
	}
	e.balanced()

	// And the same ARQC cannot load twice, nor be answered for the wrong customer
	posted := e.postings()
	refusals := []struct {
		name   string
		client *banktest.Client
		body   map[string]any
		status int
		code   string
	}{
		{"the same ARQC again", teller.Client, o.request("alice", 20000), http.StatusConflict, bank.CodeAnswered},
		{"another customer's deposit", teller.Client, o.request("bob", 100), http.StatusForbidden, bank.CodeForbidden},
		{"more than the deposit", teller.Client, startLoad(t, w, 900000).request("alice", 900000), http.StatusPaymentRequired, bank.CodeInsufficientFunds},
		{"an amount other than the ARQC's", teller.Client, startLoad(t, w, 100).request("alice", 20000), http.StatusBadRequest, bank.CodeBadRequest},
		{"a shop's desk", shop.Client, o.request("alice", 100), http.StatusForbidden, bank.CodeForbidden},
		{"no operator", teller.Client, func() map[string]any {
			req := startLoad(t, w, 100).request("alice", 100)
			delete(req, "operator")
			return req
		}(), http.StatusBadRequest, bank.CodeBadRequest},
		{"a forged ARQC", teller.Client, func() map[string]any {
			f := startLoad(t, w, 1)
			f.arqc[0] ^= 1
			return f.request("alice", 100)
		}(), http.StatusForbidden, bank.CodeForbidden},
		{"not an ARQC", teller.Client, func() map[string]any {
			f := startLoad(t, w, 1)
			f.iad[5] = 0x40
			return f.request("alice", 100)
		}(), http.StatusBadRequest, bank.CodeBadRequest},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.client.Call(e.ctx, "POST", "/v1/teller/loads", banktest.NewKey("load"), tc.body, nil)
			if r.Status != tc.status || r.Code() != tc.code {
				t.Fatalf("%d %s (%v), want %d %s", r.Status, r.Body, err, tc.status, tc.code)
			}
		})
	}
	if e.postings() != posted {
		t.Error("a refused load was posted")
	}

	// When the phone spends after the load and uploads
	one(t, shop.Send(t, shop.Purchase(t, w, 1500)), bank.StatusAccepted, "", "posted")
	up := phone.Upload(t, w)

	// Then its balance chain holds, loads in and purchases out
	if up.Accepted != 1 || len(up.Rejected) != 0 {
		t.Errorf("upload %+v", up)
	}

	// When the teller unloads 100.00 back to the deposit, a second teller approving
	var un bank.UnloadResponse
	if _, err := teller.Client.Call(e.ctx, "POST", "/v1/teller/unloads", banktest.NewKey("unload"),
		map[string]any{"pan": w.PAN(), "psn": "00", "amount": 10000, "user": "alice", "operator": "t2", "approver": "t3"}, &un); err != nil {
		t.Fatal(err)
	}
	// Then it is held for the settlement window, the wallet blocked
	if un.State != bank.UnloadHeld || un.Balance != 70000-1500 || e.balance("deposit:alice") != 30000 {
		t.Errorf("unload %+v, deposit %d", un, e.balance("deposit:alice"))
	}
	r, _ := teller.Client.Call(e.ctx, "POST", "/v1/teller/unloads", banktest.NewKey("unload"),
		map[string]any{"pan": w.PAN(), "psn": "00", "amount": 999999, "user": "alice", "operator": "t2", "approver": "t3"}, nil)
	if r.Status != http.StatusPaymentRequired {
		t.Errorf("unload of more than the wallet holds: %d %s", r.Status, r.Body)
	}
	// And paid when the window has passed
	e.clock.advance(bank.DefaultSettlementWindow)
	if n, err := e.b.SettleUnloads(e.ctx); err != nil || n != 1 || e.balance("deposit:alice") != 40000 {
		t.Errorf("settled %d (%v), deposit %d", n, err, e.balance("deposit:alice"))
	}

	// When the teller hotlists the wallet (the unload blocked it already)
	var hl bank.HotlistAddResponse
	if _, err := teller.Client.Call(e.ctx, "POST", "/v1/teller/hotlist", banktest.NewKey("hot"),
		map[string]string{"pan": w.PAN(), "reason": "lost phone", "operator": "t1"}, &hl); err != nil {
		t.Fatal(err)
	}

	// Then desks get it, and loads are refused
	var list bank.HotlistResponse
	if _, err := shop.Client.Call(e.ctx, "GET", "/v1/desk/hotlist", "", nil, &list); err != nil {
		t.Fatal(err)
	}
	if list.Version != hl.Version || len(list.PANs) != 1 {
		t.Errorf("hotlist %+v after version %d", list, hl.Version)
	}
	r, _ = teller.Client.Call(e.ctx, "POST", "/v1/teller/loads", banktest.NewKey("load"), startLoad(t, w, 100).request("alice", 100), nil)
	if r.Status != http.StatusForbidden || r.Code() != bank.CodeHotlisted {
		t.Errorf("load of a hotlisted wallet: %d %s", r.Status, r.Body)
	}

	// And the exception queue is there for the teller
	ex, err := teller.Client.Raw(e.ctx, "GET", "/v1/teller/exceptions", "", nil)
	if err != nil || ex.Status != http.StatusOK || !bytes.HasPrefix(ex.Body, []byte(`{"exceptions":[`)) {
		t.Errorf("exceptions: %v %d %s", err, ex.Status, ex.Body)
	}
	e.balanced()
}

func TestTeller_LoadBuildsOnTheLowerBalance(t *testing.T) {
	// Given a purchase the bank has not cleared yet
	e := newEnv(t)
	e.customer("alice", 100000)
	w, _ := e.wallet("alice", 50000)
	teller := e.desk("BRANCH1", true)
	shop := e.desk("M001", false)
	pending := shop.Purchase(t, w, 5000)

	// When the teller loads 100.00 with the balance the phone shows
	o := startLoad(t, w, 10000)
	req := o.request("alice", 10000)
	req["balance"] = w.Balance()
	var resp bank.LoadResponse
	if _, err := teller.Client.Call(e.ctx, "POST", "/v1/teller/loads", banktest.NewKey("load"), req, &resp); err != nil {
		t.Fatal(err)
	}
	o.finish(resp)

	// Then the phone gets its own balance plus the load, not the bank's
	if w.Balance() != 45000+10000 {
		t.Fatalf("phone balance %d", w.Balance())
	}
	// And when the purchase clears, the bank's books meet the phone's
	one(t, shop.Send(t, pending), bank.StatusAccepted, "", "posted")
	if got := e.balance("ecash:" + w.PAN() + "/00"); got != w.Balance() {
		t.Errorf("bank owes %d, the phone holds %d", got, w.Balance())
	}
	e.balanced()
}

func TestTeller_LookupRefusals(t *testing.T) {
	e := newEnv(t)
	teller := e.desk("BRANCH1", true)
	for path, status := range map[string]int{
		"/v1/teller/wallets/6231990000000018":       http.StatusNotFound,
		"/v1/teller/wallets/62319x":                 http.StatusBadRequest,
		"/v1/teller/wallets/6231990000000018?psn=1": http.StatusBadRequest,
	} {
		r, err := teller.Client.Raw(e.ctx, "GET", path, "", nil)
		if err != nil || r.Status != status {
			t.Errorf("%s: %v %d %s", path, err, r.Status, r.Body)
		}
	}
}
