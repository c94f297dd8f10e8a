package bank_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"lingqian/bank"
	"lingqian/bank/banktest"
	"lingqian/wallet"
)

// spender is a phone that spends at a shop whose desk forwards each
// purchase at once, and whose log can be lost: a phone reinstalled or
// wiped uploads only what it recorded since.
type spender struct {
	t     *testing.T
	e     *env
	w     *wallet.Card
	phone *banktest.Client
	shop  *banktest.Desk
	since uint16 // the first ATC the phone's log still holds
}

func newSpender(t *testing.T, e *env, user string, load int64) *spender {
	t.Helper()
	e.customer(user, 100000)
	w, phone := e.wallet(user, load)
	return &spender{t: t, e: e, w: w, phone: phone, shop: e.desk("M001", false)}
}

// spend pays amount at the shop; the desk's message posts.
func (s *spender) spend(amount int64) {
	s.t.Helper()
	one(s.t, s.shop.Send(s.t, s.shop.Purchase(s.t, s.w, amount)), bank.StatusAccepted, "", "posted")
}

// loseLog loses every record the phone has made so far.
func (s *spender) loseLog() { s.since = s.w.ATC() + 1 }

// upload sends the phone's balance, ATC and the records its log still holds.
func (s *spender) upload() bank.UploadResponse {
	s.t.Helper()
	recs := slices.DeleteFunc(s.w.Log(), func(e wallet.LogEntry) bool { return e.ATC < s.since })
	return s.uploadRecords(recs)
}

func (s *spender) uploadRecords(recs []wallet.LogEntry) bank.UploadResponse {
	s.t.Helper()
	var resp bank.UploadResponse
	if _, err := s.phone.Call(context.Background(), "POST", "/v1/wallet/uploads", banktest.NewKey("upload"), map[string]any{
		"pan": s.w.PAN(), "psn": s.w.PSN(), "balance": s.w.Balance(), "atc": s.w.ATC(), "records": recs,
	}, &resp); err != nil {
		s.t.Fatal(err)
	}
	return resp
}

// reentry is the teller's re-entry of what the phone shows now.
func (s *spender) reentry(operator, note string) map[string]any {
	return map[string]any{"pan": s.w.PAN(), "psn": s.w.PSN(), "atc": s.w.ATC(), "balance": s.w.Balance(),
		"operator": operator, "note": note}
}

// exceptions is the teller's queue in state, for the wallet of pan only.
func exceptions(t *testing.T, e *env, teller *banktest.Desk, state, pan string) []bank.ExceptionJSON {
	t.Helper()
	var resp bank.ExceptionsResponse
	if _, err := teller.Client.Call(e.ctx, "GET", "/v1/teller/exceptions?state="+state, "", nil, &resp); err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(resp.Exceptions, func(x bank.ExceptionJSON) bool { return x.PAN != pan })
}

func TestTeller_ReentryRestartsTheChainOfAPhoneWhoseLogWasLost(t *testing.T) {
	// Given a phone whose uploads chained, then whose log was lost with
	// two purchases the bank never had from it
	e := newEnv(t)
	s := newSpender(t, e, "alice", 50000)
	teller := e.desk("BRANCH1", true)
	s.spend(1000)
	if up := s.upload(); up.Accepted != 1 || len(up.Rejected) != 0 {
		t.Fatalf("first upload %+v", up)
	}
	s.spend(2000)
	s.spend(3000)
	s.loseLog()

	// When it spends again and uploads what it has
	s.spend(4000)
	up := s.upload()

	// Then its record does not chain and an exception is open
	if len(up.Rejected) != 1 || up.Rejected[0].Reason != bank.ReasonBalanceChain {
		t.Fatalf("upload after the loss %+v", up)
	}
	open := exceptions(t, e, teller, "open", s.w.PAN())
	if len(open) != 1 || open[0].Kind != bank.ReasonBalanceChain || open[0].ResolvedAt != "" {
		t.Fatalf("open exceptions %+v", open)
	}

	// When the teller taps the phone and re-enters its balance and ATC
	posted := e.postings()
	var resp bank.ReentryResponse
	if _, err := teller.Client.Call(e.ctx, "POST", "/v1/teller/reentries", banktest.NewKey("reentry"),
		s.reentry("t1", "手机重装，交易日志丢失；余额按手机读数录入"), &resp); err != nil {
		t.Fatal(err)
	}

	// Then the exception is resolved by the teller with the note, and no money moved
	if resp.Resolved != 1 {
		t.Errorf("resolved %d, want 1", resp.Resolved)
	}
	if open := exceptions(t, e, teller, "open", s.w.PAN()); len(open) != 0 {
		t.Errorf("still open %+v", open)
	}
	done := exceptions(t, e, teller, "resolved", s.w.PAN())
	if len(done) != 1 || done[0].ResolvedBy != "t1" || !strings.HasPrefix(done[0].Resolution, "手机重装") || done[0].ResolvedAt == "" {
		t.Errorf("resolved %+v", done)
	}
	if e.postings() != posted {
		t.Error("a re-entry posted")
	}

	// When the phone spends and uploads again
	s.spend(500)
	up = s.upload()

	// Then it chains from the re-entry: no rejection, no new exception
	if up.Accepted != 1 || len(up.Rejected) != 0 {
		t.Errorf("upload after the re-entry %+v", up)
	}
	if open := exceptions(t, e, teller, "open", s.w.PAN()); len(open) != 0 {
		t.Errorf("new exceptions %+v", open)
	}

	// When the log is lost again and the teller re-enters before the phone uploads
	s.spend(600)
	lost := s.w.Log()[len(s.w.Log())-1]
	s.loseLog()
	var again bank.ReentryResponse
	if _, err := teller.Client.Call(e.ctx, "POST", "/v1/teller/reentries", banktest.NewKey("reentry"),
		s.reentry("t2", "storage wiped"), &again); err != nil {
		t.Fatal(err)
	}
	s.spend(700)
	up = s.upload()
	// Then the next purchase chains from the reading, though the bank
	// never had the purchase before it from the phone
	if again.Resolved != 0 || up.Accepted != 1 || len(up.Rejected) != 0 {
		t.Errorf("re-entry %+v, upload %+v", again, up)
	}
	// And a record of the lost part that turns up later is kept, not chained
	if up := s.uploadRecords([]wallet.LogEntry{lost}); up.Accepted != 1 || len(up.Rejected) != 0 {
		t.Errorf("late record of the lost part %+v", up)
	}
	if open := exceptions(t, e, teller, "open", s.w.PAN()); len(open) != 0 {
		t.Errorf("new exceptions %+v", open)
	}

	// And the teller's statement shows both re-entries, with their operators
	var st bank.Statement
	if _, err := teller.Client.Call(e.ctx, "GET", "/v1/teller/wallets/"+s.w.PAN()+"/statement?psn=00", "", nil, &st); err != nil {
		t.Fatal(err)
	}
	var re []bank.StatementEntry
	for _, x := range st.Entries {
		if x.Kind == string(bank.LoadReentry) {
			re = append(re, x)
		}
	}
	if len(re) != 2 || re[0].Operator != "t1" || re[1].Operator != "t2" || re[0].Amount != 0 || re[0].State != "" ||
		re[0].Balance == nil || *re[0].Balance != 50000-1000-2000-3000-4000 || re[0].TerminalID != teller.TerminalID {
		t.Errorf("re-entries on the statement %+v", re)
	}
	e.balanced()
}

func TestTeller_ReentryRefusals(t *testing.T) {
	e := newEnv(t)
	s := newSpender(t, e, "alice", 50000)
	s.spend(1000)
	teller := e.desk("BRANCH1", true)
	e.customer("bob", 100000)
	lost, _ := e.wallet("bob", 10000)
	if _, err := teller.Client.Call(e.ctx, "POST", "/v1/teller/hotlist", banktest.NewKey("hot"),
		map[string]string{"pan": lost.PAN(), "reason": "lost phone", "operator": "t1"}, nil); err != nil {
		t.Fatal(err)
	}
	good := func(change func(map[string]any)) map[string]any {
		b := s.reentry("t1", "log lost")
		if change != nil {
			change(b)
		}
		return b
	}
	cases := []struct {
		name   string
		client *banktest.Client
		key    string
		body   map[string]any
		status int
		code   string
	}{
		{"no Idempotency-Key", teller.Client, "", good(nil), http.StatusBadRequest, bank.CodeBadRequest},
		{"a shop's desk", s.shop.Client, "k", good(nil), http.StatusForbidden, bank.CodeForbidden},
		{"a wallet the bank did not issue", teller.Client, "k", good(func(b map[string]any) { b["pan"] = "6231990000000018" }),
			http.StatusNotFound, bank.CodeNotFound},
		{"another PSN of the wallet", teller.Client, "k", good(func(b map[string]any) { b["psn"] = "01" }),
			http.StatusNotFound, bank.CodeNotFound},
		{"a hotlisted wallet", teller.Client, "k", good(func(b map[string]any) { b["pan"], b["psn"] = lost.PAN(), lost.PSN() }),
			http.StatusForbidden, bank.CodeHotlisted},
		{"an ATC below the bank's", teller.Client, "k", good(func(b map[string]any) { b["atc"] = 0 }),
			http.StatusConflict, bank.CodeConflict},
		{"a PAN with a bad check digit", teller.Client, "k", good(func(b map[string]any) { b["pan"] = "6231990000000019" }),
			http.StatusBadRequest, bank.CodeBadRequest},
		{"a one-digit PSN", teller.Client, "k", good(func(b map[string]any) { b["psn"] = "0" }), http.StatusBadRequest, bank.CodeBadRequest},
		{"no ATC", teller.Client, "k", good(func(b map[string]any) { delete(b, "atc") }), http.StatusBadRequest, bank.CodeBadRequest},
		{"an ATC over 65535", teller.Client, "k", good(func(b map[string]any) { b["atc"] = 65536 }), http.StatusBadRequest, bank.CodeBadRequest},
		{"no balance", teller.Client, "k", good(func(b map[string]any) { delete(b, "balance") }), http.StatusBadRequest, bank.CodeBadRequest},
		{"a negative balance", teller.Client, "k", good(func(b map[string]any) { b["balance"] = -1 }), http.StatusBadRequest, bank.CodeBadRequest},
		{"no operator", teller.Client, "k", good(func(b map[string]any) { delete(b, "operator") }), http.StatusBadRequest, bank.CodeBadRequest},
		{"no note", teller.Client, "k", good(func(b map[string]any) { delete(b, "note") }), http.StatusBadRequest, bank.CodeBadRequest},
		{"a note of spaces", teller.Client, "k", good(func(b map[string]any) { b["note"] = "   " }), http.StatusBadRequest, bank.CodeBadRequest},
		{"an unknown field", teller.Client, "k", good(func(b map[string]any) { b["amount"] = 100 }), http.StatusBadRequest, bank.CodeBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := tc.key
			if key != "" {
				key = banktest.NewKey("reentry")
			}
			r, err := tc.client.Call(e.ctx, "POST", "/v1/teller/reentries", key, tc.body, nil)
			if r.Status != tc.status || r.Code() != tc.code {
				t.Fatalf("%d %s (%v), want %d %s", r.Status, r.Body, err, tc.status, tc.code)
			}
		})
	}
	var st bank.Statement
	if _, err := teller.Client.Call(e.ctx, "GET", "/v1/teller/wallets/"+s.w.PAN()+"/statement", "", nil, &st); err != nil {
		t.Fatal(err)
	}
	for _, x := range st.Entries {
		if x.Kind == string(bank.LoadReentry) {
			t.Errorf("a refused re-entry was recorded: %+v", x)
		}
	}
}

func TestTeller_ReentryAboveWhatTheBankOwesStaysAnException(t *testing.T) {
	// Given a wallet whose phone took an online load of 200.00 the
	// teller's desk gave back to the deposit all the same (a return is
	// paid at once, and leaves the wallet active)
	e := newEnv(t)
	s := newSpender(t, e, "alice", 50000)
	teller := e.desk("BRANCH1", true)
	o := startLoad(t, s.w, 20000)
	var load bank.LoadResponse
	if _, err := teller.Client.Call(e.ctx, "POST", "/v1/teller/loads", banktest.NewKey("load"), o.request("alice", 20000), &load); err != nil {
		t.Fatal(err)
	}
	o.finish(load)
	if _, err := teller.Client.Call(e.ctx, "POST", "/v1/teller/unloads", banktest.NewKey("unload"), map[string]any{
		"pan": s.w.PAN(), "psn": "00", "amount": 20000, "user": "alice", "operator": "t1", "returns_load_atc": o.atc}, nil); err != nil {
		t.Fatal(err)
	}

	// When the teller re-enters the phone's balance
	if _, err := teller.Client.Call(e.ctx, "POST", "/v1/teller/reentries", banktest.NewKey("reentry"),
		s.reentry("t1", "log lost"), nil); err != nil {
		t.Fatal(err)
	}

	// Then the e-cash above what the bank owes is queued, not taken as the new start
	open := exceptions(t, e, teller, "open", s.w.PAN())
	if len(open) != 1 || open[0].Kind != bank.ExceptionBalanceMismatch || !strings.Contains(open[0].Detail, "t1") {
		t.Errorf("open exceptions %+v", open)
	}
}

func TestTeller_StatementRefusals(t *testing.T) {
	e := newEnv(t)
	teller := e.desk("BRANCH1", true)
	shop := e.desk("M001", false)
	e.customer("alice", 100000)
	w, _ := e.wallet("alice", 50000)
	cases := []struct {
		name   string
		client *banktest.Client
		path   string
		status int
	}{
		{"no wallet", teller.Client, "/v1/teller/wallets/6231990000000018/statement", http.StatusNotFound},
		{"another PSN", teller.Client, "/v1/teller/wallets/" + w.PAN() + "/statement?psn=01", http.StatusNotFound},
		{"a PAN that is not digits", teller.Client, "/v1/teller/wallets/62319x/statement", http.StatusBadRequest},
		{"a one-digit PSN", teller.Client, "/v1/teller/wallets/" + w.PAN() + "/statement?psn=1", http.StatusBadRequest},
		{"a shop's desk", shop.Client, "/v1/teller/wallets/" + w.PAN() + "/statement", http.StatusForbidden},
		{"the wallet", teller.Client, "/v1/teller/wallets/" + w.PAN() + "/statement?psn=00", http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.client.Raw(e.ctx, "GET", tc.path, "", nil)
			if err != nil || r.Status != tc.status {
				t.Fatalf("%v %d %s, want %d", err, r.Status, r.Body, tc.status)
			}
		})
	}
}

func TestTeller_ReentryResolveAndStatementNeedATellerDesk(t *testing.T) {
	e := newEnv(t)
	e.customer("alice", 100000)
	w, phone := e.wallet("alice", 50000)
	anon := banktest.NewClient(e.base, e.ca, nil)
	calls := []struct{ method, path string }{
		{"POST", "/v1/teller/reentries"},
		{"POST", "/v1/teller/exceptions/1/resolve"},
		{"GET", "/v1/teller/wallets/" + w.PAN() + "/statement"},
	}
	for _, c := range calls {
		for who, client := range map[string]*banktest.Client{"no certificate": anon, "a phone's token": phone} {
			t.Run(c.path+" with "+who, func(t *testing.T) {
				r, err := client.Raw(e.ctx, c.method, c.path, banktest.NewKey("k"), []byte(`{}`))
				if r.Status != http.StatusUnauthorized || r.Code() != bank.CodeUnauthenticated {
					t.Fatalf("%d %s (%v), want 401 unauthenticated", r.Status, r.Body, err)
				}
			})
		}
	}
}
