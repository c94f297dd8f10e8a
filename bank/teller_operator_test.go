package bank_test

import (
	"database/sql"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"lingqian/bank"
	"lingqian/bank/banktest"
)

// column reads one text value from the bank's database, read-only.
func (e *env) column(q string, args ...any) string {
	e.t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(e.dir, bank.DBFile)+"?mode=ro")
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	var v string
	if err := db.QueryRow(q, args...).Scan(&v); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return v
}

func TestTeller_EveryWriteNamesItsOperator(t *testing.T) {
	// Given a wallet, a teller desk and an open exception
	e := newEnv(t)
	s := newSpender(t, e, "alice", 50000)
	teller := e.desk("BRANCH1", true)
	twoBreaks(t, s)
	exc := exceptions(t, e, teller, "open", s.w.PAN())[0]

	writes := []struct {
		name string
		path string
		body func() map[string]any
	}{
		{"load", "/v1/teller/loads", func() map[string]any { return startLoad(t, s.w, 100).request("alice", 100) }},
		{"resolve", "/v1/teller/exceptions/" + strconv.FormatInt(exc.ID, 10) + "/resolve", func() map[string]any {
			return map[string]any{"operator": "t1", "note": "checked"}
		}},
		{"re-entry", "/v1/teller/reentries", func() map[string]any { return s.reentry("t1", "log lost") }},
		// The unload blocks the wallet: after the re-entry, which a
		// blocked wallet does not take.
		{"unload", "/v1/teller/unloads", func() map[string]any {
			return map[string]any{"pan": s.w.PAN(), "psn": "00", "amount": 100, "user": "alice", "operator": "t1", "approver": "t9"}
		}},
		{"hotlist", "/v1/teller/hotlist", func() map[string]any {
			return map[string]any{"pan": s.w.PAN(), "reason": "lost phone", "operator": "t1"}
		}},
	}
	bad := map[string]any{"missing": nil, "empty": "", "with a space": "t 1", "with a slash": "t/1",
		"33 characters": strings.Repeat("t", 33), "not a string": 7}
	posted := e.postings()
	for _, wr := range writes {
		for what, op := range bad {
			t.Run(wr.name+" with an operator "+what, func(t *testing.T) {
				// When a write names no good operator
				body := wr.body()
				delete(body, "operator")
				if op != nil {
					body["operator"] = op
				}
				r, err := teller.Client.Call(e.ctx, "POST", wr.path, banktest.NewKey("op"), body, nil)
				// Then it is refused
				if r.Status != http.StatusBadRequest || r.Code() != bank.CodeBadRequest {
					t.Fatalf("%d %s (%v), want 400 bad_request", r.Status, r.Body, err)
				}
			})
		}
	}
	if e.postings() != posted || len(exceptions(t, e, teller, "open", s.w.PAN())) != 2 {
		t.Fatal("a refused write changed something")
	}

	// When each write names its operator, op0 to op4 in turn
	for i, wr := range writes {
		body := wr.body()
		body["operator"] = "op" + strconv.Itoa(i)
		if _, err := teller.Client.Call(e.ctx, "POST", wr.path, banktest.NewKey("op"), body, nil); err != nil {
			t.Fatalf("%s: %v", wr.name, err)
		}
	}

	// Then the bank keeps who did each: on loads and unloads (paid when
	// their window has passed), in the hotlist's reason (the unload's,
	// which blocked the wallet first), and on the resolution
	e.clock.advance(bank.DefaultSettlementWindow)
	if n, err := e.b.SettleUnloads(e.ctx); err != nil || n != 1 {
		t.Fatalf("settled %d: %v", n, err)
	}
	for kind, want := range map[string]string{"load": "op0", "unload": "op3, approved by t9", "reentry": "op2"} {
		if got := e.column(`SELECT operator FROM loads WHERE kind = ?`, kind); got != want {
			t.Errorf("%s by %q, want %q", kind, got, want)
		}
	}
	if got := e.column(`SELECT operator || '/' || approver FROM held_unloads`); got != "op3/t9" {
		t.Errorf("held unload by %q", got)
	}
	if got, want := e.column(`SELECT reason FROM hotlist WHERE pan = ?`, s.w.PAN()), "unloaded by op3 at teller desk "+teller.TerminalID; got != want {
		t.Errorf("hotlist reason %q, want %q", got, want)
	}
	if got := e.column(`SELECT resolved_by FROM exceptions WHERE id = ?`, exc.ID); got != "op1" {
		t.Errorf("resolved by %q", got)
	}
	// And the statement shows the operator of the load, the unload and the re-entry
	var st bank.Statement
	if _, err := teller.Client.Call(e.ctx, "GET", "/v1/teller/wallets/"+s.w.PAN()+"/statement", "", nil, &st); err != nil {
		t.Fatal(err)
	}
	by := map[string]string{}
	for _, x := range st.Entries {
		by[x.Kind] += x.Operator
	}
	if by["load"] != "op0" || by["unload"] != "op3, approved by t9" || by["reentry"] != "op2" || by["voucher"] != "" || by["purchase"] != "" {
		t.Errorf("operators on the statement %v", by)
	}
	e.balanced()
}
