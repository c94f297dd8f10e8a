package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lingqian/device"
	"lingqian/emv"
	"lingqian/emv/oda"
	"lingqian/internal/pcsctest"
)

// runOK runs the command line and fails the test unless it exits 0.
func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var out, errs bytes.Buffer
	if code := run(context.Background(), args, &out, &errs); code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errs.String())
	}
	return out.String()
}

func TestPersonalizeAndShow(t *testing.T) {
	// Given no issuer yet
	dir := t.TempDir()
	issuerDir, w := filepath.Join(dir, "issuer"), filepath.Join(dir, "w.json")

	// When a wallet is personalised with 500.00
	out := runOK(t, "personalize", "--issuer", issuerDir, "--wallet", w, "--balance", "50000",
		"--pan", "6231991234567897", "--single-limit", "20000")

	// Then the issuer is created, the wallet written, and the desk's key file too
	for _, want := range []string{"issuer created in", "BIN 623199", "A000000333/C1", "PAN 6231991234567897",
		"balance 500.00 CNY", "--capk " + filepath.Join(issuerDir, "capk.json")} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	data, err := os.ReadFile(filepath.Join(issuerDir, "capk.json"))
	if err != nil {
		t.Fatal(err)
	}
	if keys, err := oda.ParseFile(data); err != nil || len(keys) != 1 {
		t.Errorf("capk.json: %v %v", keys, err)
	}
	if fi, err := os.Stat(w); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("wallet file: %v %v", fi, err)
	}

	// And show prints the balance, the ATC and the (empty) log
	out = runOK(t, "show", "--wallet", w)
	for _, want := range []string{"6231991234567897", "500.00 CNY (50000)", "200.00 CNY per purchase", "ATC      0", "no purchases yet"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	var v struct {
		PAN     string `json:"pan"`
		Balance int64  `json:"balance"`
		ATC     int    `json:"atc"`
		Log     []any  `json:"log"`
	}
	if err := json.Unmarshal([]byte(runOK(t, "show", "--wallet", w, "--json")), &v); err != nil {
		t.Fatal(err)
	}
	if v.PAN != "6231991234567897" || v.Balance != 50000 || v.ATC != 0 || v.Log == nil {
		t.Errorf("show --json: %+v", v)
	}

	// And a second wallet reuses the same issuer
	out = runOK(t, "personalize", "--issuer", issuerDir, "--wallet", filepath.Join(dir, "w2.json"))
	if !strings.Contains(out, "reused") || !strings.Contains(out, "balance 0.00 CNY") {
		t.Errorf("second wallet:\n%s", out)
	}
}

func TestPersonalize_BadInput(t *testing.T) {
	dir := t.TempDir()
	issuerDir, w := filepath.Join(dir, "issuer"), filepath.Join(dir, "w.json")
	runOK(t, "personalize", "--issuer", issuerDir, "--wallet", w, "--balance", "100")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"personalize", "--wallet", w}, "--issuer DIR and --wallet FILE are both required"},
		{[]string{"personalize", "--issuer", issuerDir, "--wallet", w}, "add --force to replace it"},
		{[]string{"personalize", "--issuer", issuerDir, "--wallet", w + "3", "--pan", "6231991234567890"}, "Luhn"},
		{[]string{"personalize", "--issuer", issuerDir, "--wallet", w + "3", "--balance", "-1"}, "balance -1"},
		{[]string{"personalize", "--issuer", issuerDir, "--wallet", w + "3", "--expiry", "2030/01/01"}, "want YYYY-MM-DD"},
		{[]string{"personalize", "--issuer", issuerDir, "--wallet", w + "3", "--bin", "999999"}, "only applies when it is created"},
		{[]string{"personalize", "--issuer", issuerDir, "--wallet", w + "3", "--single-limit", "0"}, "must be positive"},
		{[]string{"personalize", "--issuer", issuerDir, "--wallet", w + "3", "extra"}, `unexpected argument "extra"`},
		{[]string{"show"}, "--wallet FILE is required"},
		{[]string{"show", "--wallet", filepath.Join(dir, "none.json")}, "no such file"},
		{[]string{"tap", "--app", "wallet"}, "--app wallet needs --wallet FILE"},
		{[]string{"tap", "--app", "echo", "--wallet", w}, "not the --wallet"},
		{[]string{"tap", "--wallet", filepath.Join(dir, "none.json")}, "no such file"},
	}
	for _, tc := range cases {
		var out, errs bytes.Buffer
		if code := run(context.Background(), tc.args, &out, &errs); code != 2 {
			t.Errorf("%v: exit %d, want 2", tc.args, code)
		}
		if !strings.Contains(errs.String(), tc.want) {
			t.Errorf("%v: stderr %q lacks %q", tc.args, errs.String(), tc.want)
		}
	}
	// And --force replaces the wallet
	runOK(t, "personalize", "--issuer", issuerDir, "--wallet", w, "--balance", "200", "--force")
	if out := runOK(t, "show", "--wallet", w); !strings.Contains(out, "2.00 CNY (200)") {
		t.Errorf("after --force:\n%s", out)
	}
}

func TestTapWallet_ThroughPCSC_ApprovedByTheDesksKernel(t *testing.T) {
	// Given a personalised wallet, tapped once on a real pcscd's vpcd reader
	dir := t.TempDir()
	issuerDir, w := filepath.Join(dir, "issuer"), filepath.Join(dir, "w.json")
	runOK(t, "personalize", "--issuer", issuerDir, "--wallet", w, "--balance", "50000")
	d := pcsctest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errs bytes.Buffer
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"tap", "--wallet", w, "--vpcd", d.Addr(), "--once"}, &out, &errs) }()

	// When the desk's kernel, with the issuer's capk.json, charges 12.50
	data, err := os.ReadFile(filepath.Join(issuerDir, "capk.json"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := oda.DefaultStore(data)
	if err != nil {
		t.Fatal(err)
	}
	term := emv.DefaultTerminal()
	term.Keys = keys
	k, err := emv.NewKernel(term)
	if err != nil {
		t.Fatal(err)
	}
	r := device.NewPCSC()
	defer r.Close()
	name, err := r.WaitForCard(ctx, d.Reader)
	if err != nil {
		t.Fatal(err)
	}
	card, err := r.Connect(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	res := k.Run(ctx, card, emv.Purchase{Amount: 1250, At: time.Now()})
	_ = card.Close()

	// Then it is approved, the phone leaves, and its wallet shows the purchase
	if res.Result != emv.Approved {
		t.Fatalf("%v %s: %s", res.Result, res.Reason.Code, res.Reason.Detail)
	}
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("tap exit %d: %s", c, errs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the phone did not leave after the desk was done")
	}
	if !strings.Contains(out.String(), "wallet: balance 487.50 CNY, ATC 1") {
		t.Errorf("tap output %q", out.String())
	}
	shown := runOK(t, "show", "--wallet", w)
	if !strings.Contains(shown, "487.50 CNY (48750)") || !strings.Contains(shown, "12.50 CNY") {
		t.Errorf("show after the purchase:\n%s", shown)
	}
}
