package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/desk"
	"lingqian/emv"
)

// oneJSONLine decodes standard output, which must be exactly one line.
func oneJSONLine(t *testing.T, stdout string) chargeJSON {
	t.Helper()
	if strings.Count(stdout, "\n") != 1 || !strings.HasSuffix(stdout, "\n") {
		t.Fatalf("want one line of JSON, got %q", stdout)
	}
	var j chargeJSON
	if err := json.Unmarshal([]byte(stdout), &j); err != nil {
		t.Fatalf("%q: %v", stdout, err)
	}
	return j
}

func TestChargeCommand_EveryEarlyErrorPrintsJSON(t *testing.T) {
	notAFolder := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notAFolder, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		args     []string
		wantCode string
	}{
		{"an amount that is not money", []string{"--amount", "12.5x", "--json"}, "bad_input"},
		{"no amount", []string{"--json"}, "bad_input"},
		{"an amount of nothing", []string{"--amount", "0", "--json"}, "bad_input"},
		{"a flag the command does not know", []string{"--json", "--amonut", "12.50"}, "bad_input"},
		{"--json after a flag the command does not know", []string{"--amonut", "12.50", "--json"}, "bad_input"},
		{"a timeout of nothing", []string{"--amount", "1.00", "--timeout", "0s", "--json"}, "bad_input"},
		{"a data folder that cannot be opened", []string{"--amount", "1.00", "--data", notAFolder, "--json"}, "desk_error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a charge that cannot start
			// When it runs with --json
			code, stdout, stderr := runCLI(t, "", append([]string{"charge"}, tc.args...)...)

			// Then it exits 2, prints one line of JSON saying why, and the
			// sentence on standard error
			if code != exitError {
				t.Fatalf("exit %d, want %d; stderr %q", code, exitError, stderr)
			}
			j := oneJSONLine(t, stdout)
			if j.Outcome != "error" || j.ReasonCode != tc.wantCode || j.Reason == "" || j.Currency != "156" {
				t.Errorf("got %+v, want outcome error, reason_code %s", j, tc.wantCode)
			}
			if !strings.Contains(stderr, j.Reason) {
				t.Errorf("stderr %q lacks the reason %q", stderr, j.Reason)
			}
		})
	}
}

func TestChargeCommand_OfflineLimitIsADeclineInJSON(t *testing.T) {
	// Given a desk whose offline limit for one purchase is 10.00
	dir := t.TempDir()
	ctx := context.Background()
	d, err := desk.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.DB.SetSetting(ctx, desk.SettingLimitPurchase, "1000", "test"); err != nil {
		t.Fatal(err)
	}
	d.Close()

	// When a sale of 12.50 is charged, as JSON and as text
	code, stdout, stderr := runCLI(t, "", "charge", "--data", dir, "--amount", "12.50", "--json", "--timeout", "2s")
	tcode, tout, _ := runCLI(t, "", "charge", "--data", dir, "--amount", "12.50", "--timeout", "2s")

	// Then it is declined (exit 3) before any phone is asked for, with the limit as its reason
	if code != exitDeclined || tcode != exitDeclined {
		t.Fatalf("exit %d and %d, want %d; stderr %q", code, tcode, exitDeclined, stderr)
	}
	j := oneJSONLine(t, stdout)
	if j.Outcome != "declined" || j.ReasonCode != "limit_per_purchase" || j.Amount != 1250 ||
		!strings.Contains(j.Reason, "10.00") {
		t.Errorf("got %+v", j)
	}
	if !strings.HasPrefix(tout, "DECLINED: 12.50 CNY") || !strings.Contains(tout, j.Reason) {
		t.Errorf("text %q", tout)
	}
}

// tapped is a Result as app.Checkout.Charge answers it after a tap.
func tapped(sale app.Money, result emv.Result, reason emv.Reason, amount int64, entry *app.Entry, recovered bool) app.Result {
	out := emv.Outcome{Result: result, Reason: reason, Amount: amount, Currency: "156", PAN: "6231990000000019", ATC: 7, CID: 0x40}
	if recovered {
		out.Recovered = &emv.TornTap{Amount: amount}
	}
	return app.Result{Sale: sale, Outcome: out, Entry: entry}
}

func TestChargeOutcome_WhatEachVerdictSays(t *testing.T) {
	cases := []struct {
		name     string
		res      app.Result
		wantExit int
		want     chargeJSON
		wantText string // in text mode, on stdout (stderr for errors)
	}{
		{"approved", tapped(1250, emv.Approved, emv.ReasonApproved, 1250, &app.Entry{Seq: 4}, false), exitApproved,
			chargeJSON{Outcome: "approved", ReasonCode: "approved", Amount: 1250, Seq: 4, ATC: 7, CID: "40"},
			"APPROVED: 12.50 CNY"},
		{"the same sale recovered after a tear", tapped(1250, emv.Approved, emv.ReasonRecovered, 1250, &app.Entry{Seq: 5, Ref: 4}, true),
			exitApproved, chargeJSON{Outcome: "approved", ReasonCode: "approved_recovered", Amount: 1250, Seq: 5, ATC: 7, CID: "40"},
			"APPROVED: 12.50 CNY"},
		{"an earlier sale recovered", tapped(3000, emv.Approved, emv.ReasonRecovered, 1250, &app.Entry{Seq: 5, Ref: 4}, true),
			exitRecovered, chargeJSON{Outcome: "recovered", ReasonCode: "earlier_sale_recovered", Amount: 1250, SaleAmount: 3000,
				Seq: 5, ATC: 7, CID: "40"},
			"NOT PAID: the earlier 12.50 went through; this 30.00 sale is not paid yet: tap again\n" +
				"journal entry 5 records the earlier purchase of 12.50 CNY, wallet 623199******0019, ATC 7, completing the torn tap of entry 4"},
		{"declined by the wallet", tapped(1250, emv.Declined, emv.ReasonInsufficient, 1250, nil, false), exitDeclined,
			chargeJSON{Outcome: "declined", ReasonCode: "insufficient_balance", Amount: 1250},
			"DECLINED: 12.50 CNY — " + emv.ReasonInsufficient.Text},
		{"torn", tapped(1250, emv.Torn, emv.ReasonTorn, 1250, &app.Entry{Seq: 3, Kind: app.KindTorn}, false), exitError,
			chargeJSON{Outcome: "error", ReasonCode: "torn", Amount: 1250, Seq: 3},
			"the torn tap is journal entry 3"},
		{"the phone left too soon", tapped(1250, emv.CardLeft, emv.ReasonCardLeft, 1250, nil, false), exitError,
			chargeJSON{Outcome: "error", ReasonCode: "card_left", Amount: 1250}, emv.ReasonCardLeft.Text},
		{"the card answered nonsense", tapped(1250, emv.Failed, emv.ReasonCardError, 1250, nil, false), exitError,
			chargeJSON{Outcome: "error", ReasonCode: "card_error", Amount: 1250}, emv.ReasonCardError.Text},
		{"cancelled during the tap", tapped(1250, emv.Failed, emv.ReasonCancelled, 1250, nil, false), exitError,
			chargeJSON{Outcome: "error", ReasonCode: "cancelled", Amount: 1250}, emv.ReasonCancelled.Text},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given what the checkout answered
			out := chargeDone(tc.res, app.English)

			// When it is reported as JSON and as text
			var jout, jerr, tout, terr strings.Builder
			jcode := printCharge(out, true, &jout, &jerr)
			tcode := printCharge(out, false, &tout, &terr)

			// Then both exit alike, the JSON carries the contract's fields
			// and the sentence says what happened to the sale
			if jcode != tc.wantExit || tcode != tc.wantExit {
				t.Fatalf("exit %d (json) and %d (text), want %d", jcode, tcode, tc.wantExit)
			}
			j := oneJSONLine(t, jout.String())
			j.Reason, j.TVR, j.PAN, j.Currency = "", "", "", ""
			if j != tc.want {
				t.Errorf("json %+v\nwant %+v", j, tc.want)
			}
			text := tout.String()
			if tc.wantExit == exitError {
				text = terr.String()
				if tout.Len() != 0 || !strings.Contains(jerr.String(), tc.wantText) {
					t.Errorf("an error: stdout %q, stderr with --json %q", tout.String(), jerr.String())
				}
			}
			if !strings.Contains(text, tc.wantText) {
				t.Errorf("text %q does not say %q", text, tc.wantText)
			}
		})
	}
}

func TestChargeOutcome_ErrorsFromTheCheckout(t *testing.T) {
	cases := []struct {
		name     string
		parent   func() context.Context
		err      error
		wantExit int
		wantCode string
	}{
		{"no phone in time", context.Background,
			fmt.Errorf("checkout: waiting for the phone: %w", context.DeadlineExceeded), exitError, "timeout"},
		{"interrupted", func() context.Context { c, cancel := context.WithCancel(context.Background()); cancel(); return c },
			fmt.Errorf("checkout: waiting for the phone: %w", context.Canceled), exitError, "cancelled"},
		{"the card service failed", context.Background, errors.New("the smart-card service is not running"), exitError, "desk_error"},
		{"an offline limit", context.Background, &app.LimitError{Limit: "pending_count", Text: "2000 purchases not yet at the bank"},
			exitDeclined, "limit_pending_count"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := chargeFailed(tc.parent(), 1250, app.Result{}, tc.err, 2*time.Second, app.English)
			if out.Exit != tc.wantExit || out.JSON.ReasonCode != tc.wantCode || out.JSON.Amount != 1250 || out.JSON.Reason == "" {
				t.Errorf("got exit %d %+v, want exit %d code %s", out.Exit, out.JSON, tc.wantExit, tc.wantCode)
			}
		})
	}
}
