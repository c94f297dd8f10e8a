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

	"lingqian/app"
	"lingqian/bank"
	"lingqian/bank/banktest"
	"lingqian/desk"
	"lingqian/issuance"
	"lingqian/wallet"
)

var tellerIssuer = sync.OnceValues(func() (*issuance.Issuer, error) { return issuance.New(issuance.Options{}) })

// tellerWorld is the real bank on loopback and a desk folder enrolled
// with it as a teller desk, with teller li.na (PIN 1234).
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
	args = append([]string{"teller"}, append(args, "--data", w.dir, "--json")...)
	if !strings.Contains(strings.Join(args, " "), "--operator") {
		args = append(args, "--operator", "li.na")
	}
	code, stdout, stderr := runCLI(t, "1234\n", args...)
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

	// When 100.00 is unloaded to her deposit
	code, j, _ = w.teller(t, "unload", "--pan", wal.PAN(), "--amount", "100.00")
	if code != 0 || j["outcome"] != "unloaded" || j["bank_balance"] != 40000.0 {
		t.Fatalf("unload %d %v", code, j)
	}
	// Then the statement shows it with the teller
	code, j, _ = w.teller(t, "statement", "--pan", wal.PAN())
	entries, _ := j["entries"].([]any)
	var unload map[string]any
	for _, e := range entries {
		if m := e.(map[string]any); m["kind"] == "unload" {
			unload = m
		}
	}
	if code != 0 || unload == nil || unload["operator"] != "li.na" || unload["amount"] != 10000.0 {
		t.Fatalf("statement %d %v", code, j)
	}

	// When more than the wallet holds is unloaded
	code, j, stderr := w.teller(t, "unload", "--pan", wal.PAN(), "--amount", "999.00", "--lang", "zh-Hans")
	// Then the bank's refusal is exit 3, its code kept, said in Chinese
	if code != tellerRefused || j["outcome"] != "refused" || j["reason_code"] != "insufficient_funds" || !strings.Contains(stderr, "余额不足") {
		t.Fatalf("refused unload %d %v %q", code, j, stderr)
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
		"pan": wal.PAN(), "psn": wal.PSN(), "atc": wal.ATC(), "balance": wal.Balance(), "operator": "zhao", "note": "phone reinstalled",
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

	// When the wallet is hotlisted
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
