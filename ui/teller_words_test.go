package ui

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode"

	"fyne.io/fyne/v2"

	"lingqian/app"
	"lingqian/bank"
	"lingqian/bank/banktest"
)

// englishWords are the runs of three or more Latin letters in s that are
// not allowed there (ATC, people's ids): English left in a Chinese text.
func englishWords(s string, allowed ...string) []string {
	ok := map[string]bool{"ATC": true}
	for _, a := range allowed {
		ok[a] = true
	}
	var out []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r > unicode.MaxASCII || !unicode.IsLetter(r) }) {
		if len(w) >= 3 && !ok[w] {
			out = append(out, w)
		}
	}
	return out
}

func TestTellerWords_EveryBankCodeInBothLanguages(t *testing.T) {
	// Given every code the bank gives today
	type code struct {
		what, code string
		say        func(lang string) string
	}
	var codes []code
	for _, k := range []string{"cloned_wallet", "balance_chain", "balance_mismatch", "unfinished_load"} {
		codes = append(codes, code{"exception", k, func(lang string) string { n, w := exceptionText(k, lang); return n + " " + w }})
	}
	for _, k := range []string{"voucher", "load", "unload", "reentry", "purchase", "void"} {
		codes = append(codes, code{"kind", k, func(lang string) string { return statementKindText(k, lang) }})
	}
	for _, st := range []string{"posted", "pending", "rejected", "duplicate", "awaiting_desk"} {
		codes = append(codes, code{"state", st, func(lang string) string { return statementStateText(st, "", lang) }})
	}
	for _, r := range []string{"bad_cryptogram", "bad_signature", "amount_mismatch", "unknown_wallet", "replayed", "cloned_wallet",
		"hotlisted", "wrong_merchant", "void_too_late", "voided", "invalid", "balance_chain"} {
		codes = append(codes, code{"reason", r, func(lang string) string { return statementStateText("rejected", r, lang) }})
	}
	for _, st := range []string{"active", "hotlisted", "cloned"} {
		codes = append(codes, code{"status", st, func(lang string) string { s, _ := walletStatusText(st, lang); return s }})
	}
	for _, c := range codes {
		t.Run(c.what+"/"+c.code, func(t *testing.T) {
			// When it is said in Chinese, then in Chinese words only, never the code
			zh := c.say(app.SimplifiedChinese)
			if !hasHan([]string{zh}) || strings.Contains(zh, c.code) || len(englishWords(zh)) > 0 {
				t.Errorf("in Chinese: %q", zh)
			}
			// And in English, in its own words, never as a key or a code with an underscore
			if en := c.say(app.English); en == "" || strings.ContainsAny(en, "_") || strings.Contains(en, "tellerui.") || hasHan([]string{en}) {
				t.Errorf("in English: %q", en)
			}
		})
	}

	// When the bank gives a code this desk does not know, then a sentence says so, with the code
	for _, got := range []string{
		func() string { n, _ := exceptionText("queue_overflow", app.SimplifiedChinese); return n }(),
		statementKindText("transfer", app.SimplifiedChinese),
		statementStateText("frozen", "", app.SimplifiedChinese),
		statementStateText("rejected", "too_early", app.SimplifiedChinese),
		func() string { s, _ := walletStatusText("frozen", app.SimplifiedChinese); return s }(),
	} {
		if !hasHan([]string{got}) || !strings.ContainsAny(got, "（") {
			t.Errorf("unknown code said as %q", got)
		}
	}
	if _, blocked := walletStatusText("cloned", app.English); !blocked {
		t.Error("a cloned wallet is not taken as hotlisted")
	}
}

func TestTeller_InChineseTheQueueAndTheStatementSayNoEnglish(t *testing.T) {
	ctx := context.Background()
	// Given a Chinese teller desk, alice's phone that told the bank it holds
	// more than its loads left it, and an exception of every other kind
	b := newBranch(t, app.SimplifiedChinese)
	var up bank.UploadResponse
	if _, err := b.phone.Call(ctx, "POST", "/v1/wallet/uploads", banktest.NewKey("upload"), map[string]any{
		"pan": b.w.PAN(), "psn": b.w.PSN(), "balance": 90000, "atc": b.w.ATC(), "records": []any{},
	}, &up); err != nil {
		t.Fatal(err)
	}
	details := map[string]string{
		"cloned_wallet":   "two cryptograms for ATC 3: message k1 of T0000009 holds it",
		"balance_chain":   "balance after 10.00, the balance before was 20.00 and the purchase 5.00",
		"unfinished_load": "load of 50.00 at ATC 4, filed by zhao.lei: the phone left",
	}
	if err := b.bank.b.Store().Write(ctx, func(tx bank.Tx) error {
		for kind, detail := range details {
			if err := tx.AddException(&bank.Exception{At: time.Now(), Kind: kind, PAN: b.w.PAN(), PSN: b.w.PSN(), ATC: 3, Detail: detail}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// And a shop that sold from the phone, and sent the same purchase twice
	shop := banktest.Enroll(t, b.bank.url, b.bank.b.PKI().CAPEM, b.bank.code("M001", false))
	p := shop.Purchase(t, b.w, 1200)
	again := p
	again.Key, again.Seq = p.Key+"-again", p.Seq+1
	shop.Send(t, p, again)
	ts := b.tellerSignedIn()

	// When the teller opens the exception queue
	b.tellerPart(ts, 2)
	eventually(t, "listed", func() bool { return len(ts.exc.items) == 4 })
	var rows []string
	do(func() { rows = ts.exc.Rows() })
	// Then every item is said in Chinese: what it is and what to do, not the bank's code nor its English
	if !hasHan(rows) || len(englishOnly(rows)) > 0 {
		t.Fatalf("rows %q", rows)
	}
	for _, row := range rows {
		if words := englishWords(row, "zhao", "lei"); len(words) > 0 {
			t.Errorf("a row shows %q: %q", words, row)
		}
		for kind := range exceptionKinds {
			if strings.Contains(row, kind) {
				t.Errorf("a row shows the code %s: %q", kind, row)
			}
		}
	}
	// And the bank's own words went to the log
	for _, detail := range details {
		if !b.logged(detail) {
			t.Errorf("the bank's words %q are not in the log", detail)
		}
	}

	// When the teller looks the wallet up
	b.tellerPart(ts, 1)
	b.typeKeys(b.w.PAN())
	b.press(fyne.KeyReturn)
	eventually(t, "wallet found", func() bool { return ts.wallet.found != nil && !ts.busy() })
	var statement, info string
	do(func() { statement, info = ts.wallet.statement.Text, ts.wallet.info.Text })
	// Then its statement says the voucher, the posted purchase and the refused copy in Chinese
	for _, want := range []string{
		app.MsgTellerUIKindVoucher.Text(app.SimplifiedChinese),
		app.MsgTellerUIKindPurchase.Text(app.SimplifiedChinese),
		app.MsgStatePosted.Text(app.SimplifiedChinese),
		app.MsgTellerUIStateReason.Textf(app.SimplifiedChinese, app.MsgStateRejected.Text(app.SimplifiedChinese),
			app.MsgTellerUIReasonReplayed.Text(app.SimplifiedChinese)),
	} {
		if !strings.Contains(statement, want) {
			t.Errorf("the statement does not say %q:\n%s", want, statement)
		}
	}
	if words := englishWords(statement); len(words) > 0 || strings.Contains(statement, "replayed") {
		t.Errorf("the statement shows %q:\n%s", words, statement)
	}
	if words := englishWords(info, "alice"); len(words) > 0 {
		t.Errorf("the wallet shows %q:\n%s", words, info)
	}
}

// logged says whether a line of the desk's log holds text.
func (s *shop) logged(text string) bool {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	for _, l := range s.log.lines {
		if strings.Contains(l, text) {
			return true
		}
	}
	return false
}
