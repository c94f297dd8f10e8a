package cli

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/bank"
	"lingqian/bank/banktest"
	"lingqian/desk"
	"lingqian/issuance"
	"lingqian/wallet"
)

var tellerIssuer = sync.OnceValues(func() (*issuance.Issuer, error) { return issuance.New(issuance.Options{}) })

// tellerWorld is the real bank on loopback and a desk folder enrolled
// with it as a teller desk, with tellers li.na (PIN 1234) and zhou (PIN
// 4321), and cashier wang (PIN 5678).
type tellerWorld struct {
	t    *testing.T
	ctx  context.Context
	bank *bank.Bank
	base string
	ca   []byte
	dir  string
}

func newTellerWorld(t *testing.T, teller bool) *tellerWorld {
	t.Helper()
	iss, err := tellerIssuer()
	if err != nil {
		t.Fatal(err)
	}
	b, err := bank.Open(t.TempDir(), bank.Options{Keys: true, Issuer: iss, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := b.TLSConfig()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(b.Handler())
	srv.TLS = cfg
	srv.StartTLS()
	t.Cleanup(func() { srv.Close(); _ = b.Close() })
	w := &tellerWorld{t: t, ctx: context.Background(), bank: b, base: srv.URL, ca: b.PKI().CAPEM, dir: t.TempDir()}
	code, err := b.NewTerminalCode(w.ctx, "BRANCH1", teller)
	if err != nil {
		t.Fatal(err)
	}
	d, err := desk.Open(w.ctx, w.dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, _, err := d.Enrol(w.ctx, w.base, w.ca, code, false); err != nil {
		t.Fatal(err)
	}
	if err := d.DB.AddOperator(w.ctx, app.Operator{ID: "li.na", Name: "Li Na", Role: app.RoleTeller}, "1234"); err != nil {
		t.Fatal(err)
	}
	if err := d.DB.AddOperator(w.ctx, app.Operator{ID: "wang", Name: "Wang", Role: app.RoleCashier}, "5678"); err != nil {
		t.Fatal(err)
	}
	if err := d.DB.AddOperator(w.ctx, app.Operator{ID: "zhou", Name: "Zhou", Role: app.RoleTeller}, "4321"); err != nil {
		t.Fatal(err)
	}
	return w
}

// customer has a deposit and a wallet with load fen on it.
func (w *tellerWorld) customer(user string, deposit, load int64) *wallet.Card {
	w.t.Helper()
	if err := w.bank.AddCustomer(w.ctx, user, "s3cret-"+user, deposit); err != nil {
		w.t.Fatal(err)
	}
	return banktest.Login(w.t, w.base, w.ca, user, "s3cret-"+user).NewWallet(w.t, w.t.TempDir(), load)
}

// teller runs `lingqian teller ARGS --data DIR --operator li.na --json`
// with li.na's PIN and decodes the one line of JSON.
func (w *tellerWorld) teller(t *testing.T, args ...string) (int, map[string]any, string) {
	t.Helper()
	return w.tellerIn(t, "1234\n", args...)
}

// tellerIn is teller with stdin as given: li.na's PIN, and what follows.
func (w *tellerWorld) tellerIn(t *testing.T, stdin string, args ...string) (int, map[string]any, string) {
	t.Helper()
	args = append([]string{"teller"}, append(args, "--data", w.dir, "--json")...)
	if !strings.Contains(strings.Join(args, " "), "--operator") {
		args = append(args, "--operator", "li.na")
	}
	code, stdout, stderr := runCLI(t, stdin, args...)
	var j map[string]any
	if strings.Count(stdout, "\n") != 1 || json.Unmarshal([]byte(stdout), &j) != nil {
		t.Fatalf("want one line of JSON, got %q (stderr %q)", stdout, stderr)
	}
	return code, j, stderr
}

func TestTellerCommand_UnloadHotlistExceptionsLookupStatement(t *testing.T) {
	// Given a teller desk and alice's wallet with 500.00
	w := newTellerWorld(t, true)
	wal := w.customer("alice", 60000, 50000)

	// When the teller looks it up by PAN
	code, j, _ := w.teller(t, "lookup", "--pan", wal.PAN())
	if code != 0 || j["customer"] != "alice" || j["bank_balance"] != 50000.0 || j["status"] != "active" || j["psn"] != wal.PSN() {
		t.Fatalf("lookup %d %v", code, j)
	}

	// When a re-entry above what the bank owes makes an exception
	other := banktest.Enroll(t, w.base, w.ca, func() string {
		c, err := w.bank.NewTerminalCode(w.ctx, "BRANCH2", true)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}())
	if _, err := other.Client.Call(w.ctx, "POST", "/v1/teller/reentries", banktest.NewKey("re"), map[string]any{
		"pan": wal.PAN(), "psn": wal.PSN(), "atc": wal.ATC(), "balance": wal.Balance() + 10000, "operator": "zhao", "note": "phone reinstalled",
	}, nil); err != nil {
		t.Fatal(err)
	}
	// Then the queue lists it, and the teller resolves it once
	code, j, _ = w.teller(t, "exceptions")
	list, _ := j["exceptions"].([]any)
	if code != 0 || len(list) != 1 {
		t.Fatalf("exceptions %d %v", code, j)
	}
	id := list[0].(map[string]any)["id"].(float64)
	code, j, _ = w.teller(t, "exceptions", "--resolve", ftoa(id), "--note", "checked with the customer")
	if ex, _ := j["exception"].(map[string]any); code != 0 || ex["resolved_by"] != "li.na" {
		t.Fatalf("resolve %d %v", code, j)
	}
	code, j, _ = w.teller(t, "exceptions", "--resolve", ftoa(id), "--note", "again")
	if code != tellerRefused || j["reason_code"] != "conflict" {
		t.Fatalf("resolved twice: %d %v", code, j)
	}
	if code, j, _ = w.teller(t, "exceptions", "--state", "resolved"); code != 0 || len(j["exceptions"].([]any)) != 1 {
		t.Fatalf("resolved list %d %v", code, j)
	}

	// When 100.00 is unloaded to her deposit, alice typing her password after li.na's PIN
	code, j, _ = w.tellerIn(t, "1234\ns3cret-alice\n", "unload", "--pan", wal.PAN(), "--amount", "100.00", "--customer-signs")
	// Then the bank holds it for its settlement window: done, exit 0, with the day it pays
	if code != 0 || j["outcome"] != "unloaded" || j["state"] != "held" || j["amount"] != 10000.0 || j["bank_balance"] != 50000.0 ||
		j["signed_by"] != "customer" || j["pays_at"] == nil || !strings.HasPrefix(j["reason"].(string), "Unload of 100.00 CNY held") {
		t.Fatalf("unload %d %v", code, j)
	}
	// And the statement shows it held, with the teller and who signed
	code, j, _ = w.teller(t, "statement", "--pan", wal.PAN())
	held, _ := j["held_unloads"].([]any)
	if code != 0 || len(held) != 1 {
		t.Fatalf("statement %d %v", code, j)
	}
	if u := held[0].(map[string]any); u["state"] != "held" || u["operator"] != "li.na" || u["approver"] != "customer" || u["amount"] != 10000.0 {
		t.Errorf("held unload %v", u)
	}
	_, stdout, _ := runCLI(t, "1234\n", "teller", "statement", "--pan", wal.PAN(), "--data", w.dir, "--operator", "li.na")
	if !strings.Contains(stdout, "100.00 CNY  held, pays the deposit on") || !strings.Contains(stdout, "li.na, signed by the customer") {
		t.Errorf("statement for a person:\n%s", stdout)
	}

	// When more than the wallet holds is unloaded, a second teller signing
	code, j, stderr := w.tellerIn(t, "1234\n4321\n", "unload", "--pan", wal.PAN(), "--amount", "999.00", "--approver", "zhou", "--lang", "zh-Hans")
	// Then the bank's refusal is exit 3, its code kept, said in Chinese
	if code != tellerRefused || j["outcome"] != "refused" || j["reason_code"] != "insufficient_funds" || !strings.Contains(stderr, "余额不足") {
		t.Fatalf("refused unload %d %v %q", code, j, stderr)
	}

	// When the wallet is hotlisted (an unload did already)
	code, j, _ = w.teller(t, "hotlist", "--pan", wal.PAN(), "--reason", "lost phone")
	if code != 0 || j["outcome"] != "hotlisted" || j["version"].(float64) < 1 {
		t.Fatalf("hotlist %d %v", code, j)
	}
	// Then the lookup says so
	if code, j, _ = w.teller(t, "lookup", "--pan", wal.PAN()); code != 0 || j["status"] != "hotlisted" {
		t.Fatalf("lookup after hotlist %d %v", code, j)
	}
}

func TestTellerCommand_RefusesWhatItShould(t *testing.T) {
	w := newTellerWorld(t, true)
	shop := newTellerWorld(t, false)
	cases := []struct {
		name  string
		world *tellerWorld
		stdin string
		args  []string
		code  string
	}{
		{"no subcommand's flags", w, "1234\n", []string{"load", "--amount", "1x"}, "bad_input"},
		{"no operator", w, "1234\n", []string{"hotlist", "--pan", "6231990000000019", "--reason", "x", "--operator", ""}, "bad_input"},
		{"a wrong PIN", w, "0000\n", []string{"lookup", "--pan", "6231990000000019"}, "sign_in"},
		{"no PIN at all", w, "", []string{"lookup", "--pan", "6231990000000019"}, "sign_in"},
		{"a cashier", w, "5678\n", []string{"lookup", "--pan", "6231990000000019", "--operator", "wang"}, "role"},
		{"a shop's desk", shop, "1234\n", []string{"lookup", "--pan", "6231990000000019"}, "not_teller_desk"},
		{"a wallet the bank does not have", w, "1234\n", []string{"lookup", "--pan", "6231990000000019"}, "not_found"},
		{"a hotlist without a reason", w, "1234\n", []string{"hotlist", "--pan", "6231990000000019"}, "bad_input"},
		{"a note without --resolve", w, "1234\n", []string{"exceptions", "--note", "x"}, "bad_input"},
		{"a state the bank does not have", w, "1234\n", []string{"exceptions", "--state", "closed"}, "desk_error"},
		{"an unload nobody signs", w, "1234\n", []string{"unload", "--pan", "6231990000000019", "--amount", "1.00"}, "bad_input"},
		{"an unload signed twice", w, "1234\nx\n", []string{"unload", "--pan", "6231990000000019", "--amount", "1.00",
			"--customer-signs", "--approver", "zhou"}, "bad_input"},
		{"no customer password", w, "1234\n", []string{"unload", "--pan", "6231990000000019", "--amount", "1.00", "--customer-signs"}, "bad_input"},
		{"no second teller's PIN", w, "1234\n", []string{"unload", "--pan", "6231990000000019", "--amount", "1.00", "--approver", "zhou"}, "sign_in"},
		{"a wrong second teller's PIN", w, "1234\n0000\n", []string{"unload", "--pan", "6231990000000019", "--amount", "1.00",
			"--approver", "zhou"}, "approver"},
		{"a cashier as second teller", w, "1234\n5678\n", []string{"unload", "--pan", "6231990000000019", "--amount", "1.00",
			"--approver", "wang"}, "approver"},
		{"the teller as their own second", w, "1234\n1234\n", []string{"unload", "--pan", "6231990000000019", "--amount", "1.00",
			"--approver", "li.na"}, "bad_input"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"teller"}, append(tc.args, "--data", tc.world.dir, "--json")...)
			if !strings.Contains(strings.Join(tc.args, " "), "--operator") {
				args = append(args, "--operator", "li.na")
			}
			code, stdout, stderr := runCLI(t, tc.stdin, args...)
			var j tellerErrorJSON
			if err := json.Unmarshal([]byte(stdout), &j); err != nil {
				t.Fatalf("%q: %v (stderr %q)", stdout, err, stderr)
			}
			want := tellerError
			if tc.code == "not_found" {
				want = tellerRefused
			}
			if code != want || j.ReasonCode != tc.code || j.Reason == "" || !strings.Contains(stderr, j.Reason) {
				t.Errorf("exit %d %+v (stderr %q), want %d %s", code, j, stderr, want, tc.code)
			}
		})
	}
	// And an unknown subcommand says what there is
	code, _, stderr := runCLI(t, "", "teller", "topup")
	if code != tellerError || !strings.Contains(stderr, "load --amount") {
		t.Errorf("unknown subcommand: %d %q", code, stderr)
	}
}

func ftoa(f float64) string { return strconv.FormatInt(int64(f), 10) }

func TestTellerCommand_AnUnloadSignedByTheCustomerOrASecondTeller(t *testing.T) {
	// Given a teller desk and alice's wallet with 500.00
	w := newTellerWorld(t, true)
	wal := w.customer("alice", 60000, 50000)

	// When alice types a wrong password
	code, j, stderr := w.tellerIn(t, "1234\nnot-hers\n", "unload", "--pan", wal.PAN(), "--amount", "30.00", "--customer-signs", "--lang", "zh-Hans")
	// Then the bank refuses it, exit 3, said in Chinese, and nothing moved
	want := app.MsgTellerErrWrongPassword.Text(app.SimplifiedChinese)
	if code != tellerRefused || j["reason_code"] != app.BankCodeWrongPassword || j["reason"] != want || !strings.Contains(stderr, want) {
		t.Fatalf("wrong password: %d %v %q", code, j, stderr)
	}
	if strings.Contains(stderr, "not-hers") {
		t.Errorf("the password was printed: %q", stderr)
	}

	// When zhou signs as the second teller, his PIN on the line after li.na's
	code, j, _ = w.tellerIn(t, "1234\n4321\n", "unload", "--pan", wal.PAN(), "--psn", wal.PSN(), "--amount", "30.00", "--approver", "zhou")
	// Then it is held, done (exit 0), signed by zhou
	if code != 0 || j["state"] != "held" || j["signed_by"] != "zhou" || j["amount"] != 3000.0 {
		t.Fatalf("second teller: %d %v", code, j)
	}
	if _, err := time.Parse(time.RFC3339, j["pays_at"].(string)); err != nil {
		t.Errorf("pays_at %v", j["pays_at"])
	}
	// And without --json a person reads when it pays
	code, stdout, _ := runCLI(t, "1234\n4321\n", "teller", "unload", "--pan", wal.PAN(), "--amount", "1.00", "--approver", "zhou",
		"--data", w.dir, "--operator", "li.na", "--lang", "zh-Hans")
	if code != 0 || !strings.HasPrefix(stdout, "圈提 1.00 元已暂挂：alice 的存款账户将于 ") {
		t.Errorf("for a person: %d %q", code, stdout)
	}
}
