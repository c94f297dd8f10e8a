package app_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/wallet"
)

// memHeld is an unload the bank holds for its settlement window: the
// wallet still owes it until then, but no other unload may take it.
type memHeld struct {
	wallet *memWallet
	user   string
	amount app.Money
}

type memWallet struct {
	card     *wallet.Card
	customer string
	known    app.Money
	lastATC  uint16
	hot      bool
	ops      []string // "load:li.na" …
	loads    map[uint16]*memLoad
}

// memLoad is an online load the bank did, by its ARQC's ATC.
type memLoad struct {
	amount, after app.Money
	returned      bool
}

// Unload keeps the bank's rules for who signs: a return of a load the
// phone never took is the desk's own and pays at once; any other unload
// needs the customer's password (3 wrong in a row lock the customer for
// 15 minutes, and a locked customer's password is refused as a wrong
// one, as the real bank does) or a second teller who is not the teller,
// and is held: the wallet is hotlisted, and the
// bank's balance and the deposit change when payHeld runs (the
// settlement window, b.window from now).
func (b *memBank) Unload(_ context.Context, key string, r app.BankUnload) (app.BankUnloadAnswer, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if prev, done, err := b.begin("unload", key, r); done {
		a, _ := prev.(app.BankUnloadAnswer)
		return a, err
	}
	w, _, err := b.wallet(r.PAN, r.PSN)
	if err != nil {
		return app.BankUnloadAnswer{}, err
	}
	var returns *memLoad
	if r.ReturnsLoadATC != 0 {
		switch returns = w.loads[r.ReturnsLoadATC]; {
		case returns == nil || returns.amount != r.Amount:
			return app.BankUnloadAnswer{}, b.refuse(http.StatusConflict, app.BankCodeConflict, "no such load to return")
		case returns.returned:
			return app.BankUnloadAnswer{}, b.refuse(http.StatusConflict, app.BankCodeAnswered, "returned already")
		case b.refuseReturns:
			return app.BankUnloadAnswer{}, b.refuse(http.StatusPaymentRequired, app.BankCodeInsufficientFunds, "the wallet holds less")
		}
	} else if err := b.signed(r); err != nil {
		return app.BankUnloadAnswer{}, err
	}
	free := w.known
	for _, h := range b.held {
		if h.wallet == w {
			free -= h.amount
		}
	}
	if free < r.Amount {
		return app.BankUnloadAnswer{}, b.refuse(http.StatusPaymentRequired, app.BankCodeInsufficientFunds, "the wallet holds less")
	}
	who := r.Approver
	if who == "" && returns == nil {
		who = "customer"
	}
	w.ops = append(w.ops, strings.TrimSuffix("unload:"+r.Operator+"+"+who, "+"))
	a := app.BankUnloadAnswer{State: app.UnloadPaid, Amount: r.Amount, Balance: w.known}
	if returns != nil {
		returns.returned = true
		w.known -= r.Amount
		a.Balance = w.known
		b.deposits[r.Customer] += r.Amount
	} else {
		w.hot = true
		b.held = append(b.held, memHeld{wallet: w, user: r.Customer, amount: r.Amount})
		a.State, a.PaysAt = app.UnloadHeld, time.Now().Add(b.window).UTC().Truncate(time.Second)
	}
	return a, b.keep("unload", key, r, a)
}

// signed checks who signs an unload as the bank does.
func (b *memBank) signed(r app.BankUnload) error {
	switch {
	case (r.CustomerPassword == "") == (r.Approver == ""), r.Approver == r.Operator:
		return b.refuse(http.StatusForbidden, app.BankCodeUnloadUnauthorised, "an unload needs the customer's sign-in or a second teller")
	case r.Approver != "":
		return nil
	}
	if time.Now().Before(b.slowDown) {
		return &app.BankError{Status: http.StatusTooManyRequests, Code: app.BankCodeRateLimited, Message: "too many tries", RetryAfter: b.slowDown}
	}
	if r.CustomerPassword != b.passwords[r.Customer] || time.Now().Before(b.lockedUntil[r.Customer]) {
		if b.wrong[r.Customer]++; b.wrong[r.Customer] >= 3 {
			b.lockedUntil[r.Customer] = time.Now().Add(15 * time.Minute).Truncate(time.Second)
		}
		return b.refuse(http.StatusUnauthorized, app.BankCodeWrongPassword, "wrong password")
	}
	b.wrong[r.Customer] = 0
	return nil
}

// payHeld ends the settlement window: every held unload is paid to its
// customer's deposit.
func (b *memBank) payHeld() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, h := range b.held {
		h.wallet.known -= h.amount
		b.deposits[h.user] += h.amount
	}
	b.held = nil
}

// unloadBranch is a branch whose desk knows two tellers, li.na (signed
// in) and wang.fang (PIN 8642), a cashier and an admin; alice has a
// wallet with 500.00 and her bank password.
func unloadBranch(t *testing.T) (*branch, *memBankWallet) {
	t.Helper()
	b := newBranch(t)
	for _, op := range []struct {
		op  app.Operator
		pin string
	}{
		{teller, "1357"},
		{app.Operator{ID: "wang.fang", Role: app.RoleTeller}, "8642"},
		{app.Operator{ID: "zhou.min", Role: app.RoleCashier}, "1111"},
		{app.Operator{ID: "boss", Role: app.RoleAdmin}, "9999"},
		{app.Operator{ID: "gone", Role: app.RoleTeller, Locked: true}, "2222"},
	} {
		if err := b.mem.AddOperator(context.Background(), op.op, op.pin); err != nil {
			t.Fatal(err)
		}
	}
	w := b.bank.customer("alice", 100000, 50000)
	return b, &memBankWallet{pan: w.PAN(), psn: w.PSN()}
}

type memBankWallet struct{ pan, psn string }

func TestTeller_AnUnloadSignedByTheCustomerIsHeldForTheWindow(t *testing.T) {
	// Given alice at the counter with her wallet of 500.00
	ctx := context.Background()
	b, w := unloadBranch(t)

	// When the teller unloads 30.00 and alice types her bank password
	un, err := b.teller.Unload(ctx, teller, w.pan, "", 3000, app.CustomerSigns("pw-alice"))

	// Then the bank holds it: the wallet is hotlisted, the deposit is paid
	// when the settlement window ends, and the result says so
	if err != nil || un.State != app.UnloadHeld || un.Amount != 3000 || un.BankBalance != 50000 || un.Approver != "" {
		t.Fatalf("unload %+v, %v", un, err)
	}
	if d := time.Until(un.PaysAt); d < 71*time.Hour || d > 73*time.Hour {
		t.Errorf("pays at %v", un.PaysAt)
	}
	if b.bank.deposit("alice") != 100000 || !b.bank.wallets[w.pan+"/"+w.psn].hot {
		t.Errorf("deposit %d at once, hotlisted %v", b.bank.deposit("alice"), b.bank.wallets[w.pan+"/"+w.psn].hot)
	}
	day := un.PaysAt.Local()
	for lang, want := range map[string]string{
		app.English: "Unload of 30.00 CNY held: paid to alice's deposit on " + day.Format("2 Jan 2006") +
			", less purchases that arrive before then.",
		app.SimplifiedChinese: fmt.Sprintf("圈提 30.00 元已暂挂：alice 的存款账户将于 %d年%d月%d日 入账，并扣除此前到达的消费。",
			day.Year(), int(day.Month()), day.Day()),
	} {
		if got := app.UnloadText(un, lang); got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
	// And the audit line says who signed and that it is held, never the password
	var line string
	for _, e := range b.mem.audit {
		if e.Action == app.AuditTellerUnload {
			line = e.Detail
		}
	}
	if !strings.Contains(line, "signed by the customer") || !strings.Contains(line, "held") || strings.Contains(line, "pw-alice") {
		t.Errorf("audit %q", line)
	}
	if ops := b.bank.wallets[w.pan+"/"+w.psn].ops; !slices.Equal(ops, []string{"unload:li.na+customer"}) {
		t.Errorf("the bank saw %v", ops)
	}
	// And no second unload may take the same money while it is held
	_, err = b.teller.Unload(ctx, teller, w.pan, "", 47001, app.CustomerSigns("pw-alice"))
	if app.ExplainTeller(err, app.English) != app.MsgTellerErrInsufficient.Text(app.English) {
		t.Errorf("unloading the held money again: %v", err)
	}
	// When the window ends, then the deposit has it and the wallet owes it no more
	if b.bank.payHeld(); b.bank.deposit("alice") != 103000 || b.bank.knownOf("alice") != 47000 {
		t.Errorf("deposit %d, wallet %d after the window", b.bank.deposit("alice"), b.bank.knownOf("alice"))
	}
}

func TestTeller_AnUnloadSignedByASecondTeller(t *testing.T) {
	for _, approver := range []struct{ id, pin string }{{"wang.fang", "8642"}, {"boss", "9999"}, {" wang.fang ", "8642"}} {
		t.Run(approver.id, func(t *testing.T) {
			// Given a teller and a second teller (or an admin) of the desk
			ctx := context.Background()
			b, w := unloadBranch(t)

			// When the second one signs the unload with their PIN
			un, err := b.teller.Unload(ctx, teller, w.pan, w.psn, 3000, app.SecondTeller(approver.id, approver.pin))

			// Then it is held, the bank told who signed, and the audit says so
			id := strings.TrimSpace(approver.id)
			if err != nil || un.State != app.UnloadHeld || un.Approver != id {
				t.Fatalf("unload %+v, %v", un, err)
			}
			if ops := b.bank.wallets[w.pan+"/"+w.psn].ops; !slices.Equal(ops, []string{"unload:li.na+" + id}) {
				t.Errorf("the bank saw %v", ops)
			}
			found := false
			for _, e := range b.mem.audit {
				found = found || (e.Action == app.AuditTellerUnload && e.Operator == teller.ID && strings.Contains(e.Detail, "signed by second teller "+id))
			}
			if !found {
				t.Errorf("audit %+v", b.mem.audit)
			}
		})
	}
}

func TestTeller_AnUnloadNobodyFitSignedIsRefusedInWords(t *testing.T) {
	cases := []struct {
		name  string
		by    app.UnloadSigner
		err   error
		msg   app.Message
		arg   []any
		asked bool // whether the bank was asked to unload
	}{
		{"nobody signs", app.UnloadSigner{}, app.ErrUnloadSigner, app.MsgTellerErrSigner, nil, false},
		{"both sign", app.UnloadSigner{CustomerPassword: "pw-alice", Approver: "wang.fang", ApproverPIN: "8642"},
			app.ErrUnloadSigner, app.MsgTellerErrSigner, nil, false},
		{"a PIN without an id", app.SecondTeller(" ", "8642"), app.ErrUnloadSigner, app.MsgTellerErrSigner, nil, false},
		{"the teller signs for themself", app.SecondTeller("li.na", "1357"), app.ErrApproverSelf, app.MsgTellerErrApproverSelf, nil, false},
		{"a wrong PIN", app.SecondTeller("wang.fang", "0000"), app.ErrWrongPIN, app.MsgTellerErrApproverPIN, nil, false},
		{"no such operator", app.SecondTeller("nobody", "8642"), app.ErrWrongPIN, app.MsgTellerErrApproverPIN, nil, false},
		{"a locked teller", app.SecondTeller("gone", "2222"), app.ErrLocked, app.MsgTellerErrApproverLocked, []any{"gone"}, false},
		{"a cashier", app.SecondTeller("zhou.min", "1111"), app.ErrRole, app.MsgTellerErrApproverRole, []any{"zhou.min"}, false},
		{"an operator named as the customer", app.SecondTeller("customer", "1111"), app.ErrOperatorID, app.MsgTellerErrApproverRole,
			[]any{"customer"}, false},
		{"a wrong customer password", app.CustomerSigns("pw-bob"), nil, app.MsgTellerErrWrongPassword, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given alice's wallet and the desk's tellers
			ctx := context.Background()
			b, w := unloadBranch(t)
			calls := len(b.bank.calls)

			// When the teller unloads with that signature
			_, err := b.teller.Unload(ctx, teller, w.pan, "", 3000, tc.by)

			// Then it is refused, said in both languages, and nothing moved
			if err == nil || (tc.err != nil && !errors.Is(err, tc.err)) {
				t.Fatalf("%v, want %v", err, tc.err)
			}
			for _, lang := range []string{app.English, app.SimplifiedChinese} {
				if got, want := app.ExplainTeller(err, lang), tc.msg.Textf(lang, tc.arg...); got != want {
					t.Errorf("%s: %q, want %q", lang, got, want)
				}
			}
			if asked := slices.Contains(b.bank.calls[calls:], "unload"); asked != tc.asked {
				t.Errorf("the bank was asked to unload: %v (%v)", asked, b.bank.calls[calls:])
			}
			if b.bank.known(b.bank.wallets[w.pan+"/"+w.psn].card) != 50000 || b.bank.wallets[w.pan+"/"+w.psn].hot {
				t.Error("the wallet changed")
			}
		})
	}
}

func TestTeller_ACustomerLockedAtTheBankIsToldSoAndASecondTellerMaySign(t *testing.T) {
	// Given alice, who typed a wrong password three times
	ctx := context.Background()
	b, w := unloadBranch(t)
	for range 3 {
		if _, err := b.teller.Unload(ctx, teller, w.pan, "", 3000, app.CustomerSigns("guess")); err == nil {
			t.Fatal("a wrong password was taken")
		}
	}

	// When she types the right one now
	_, err := b.teller.Unload(ctx, teller, w.pan, "", 3000, app.CustomerSigns("pw-alice"))

	// Then the bank refuses it as it refuses a wrong one, and the sentence says a lock-out may be why
	for _, lang := range []string{app.English, app.SimplifiedChinese} {
		if got, want := app.ExplainTeller(err, lang), app.MsgTellerErrWrongPassword.Text(lang); got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
	// And a second teller may sign instead
	if un, err := b.teller.Unload(ctx, teller, w.pan, "", 3000, app.SecondTeller("wang.fang", "8642")); err != nil || un.State != app.UnloadHeld {
		t.Errorf("signed by a second teller instead: %+v, %v", un, err)
	}
}

func TestTeller_ABankThatSaysWaitIsToldUntilWhen(t *testing.T) {
	// Given a bank that takes no more tries of alice's password for 10 minutes (429 with Retry-After)
	ctx := context.Background()
	b, w := unloadBranch(t)
	b.bank.slowDown = time.Now().Add(10 * time.Minute).Truncate(time.Second)

	// When she signs an unload
	_, err := b.teller.Unload(ctx, teller, w.pan, "", 3000, app.CustomerSigns("pw-alice"))

	// Then the teller is told her sign-in is locked, until when
	var be *app.BankError
	if !errors.Is(err, app.ErrCustomerLocked) || !errors.As(err, &be) || !be.RetryAfter.Equal(b.bank.slowDown) {
		t.Fatalf("locked: %v", err)
	}
	until := be.RetryAfter.Local().Format("15:04")
	if be.RetryAfter.Local().Day() != time.Now().Day() {
		until = be.RetryAfter.Local().Format("2006-01-02 15:04")
	}
	for _, lang := range []string{app.English, app.SimplifiedChinese} {
		if got, want := app.ExplainTeller(err, lang), app.MsgTellerErrCustomerLockedUntil.Textf(lang, until); got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
	// And a second teller's signature is no try of her password: it is taken
	if un, err := b.teller.Unload(ctx, teller, w.pan, "", 3000, app.SecondTeller("wang.fang", "8642")); err != nil || un.State != app.UnloadHeld {
		t.Errorf("signed by a second teller instead: %+v, %v", un, err)
	}
}

func TestTeller_TheBanksUnloadRefusalsInBothLanguages(t *testing.T) {
	at := time.Now().Add(10 * time.Minute)
	cases := []struct {
		err  error
		msg  app.Message
		args []any
	}{
		{&app.BankError{Status: 401, Code: app.BankCodeWrongPassword}, app.MsgTellerErrWrongPassword, nil},
		{&app.BankError{Status: 403, Code: app.BankCodeUnloadUnauthorised}, app.MsgTellerErrUnauthorised, nil},
		{&app.BankError{Status: 429, Code: app.BankCodeRateLimited}, app.MsgTellerErrRateLimited, nil},
		{&app.BankError{Status: 429, Code: app.BankCodeRateLimited, RetryAfter: at}, app.MsgTellerErrRateLimitedUntil, []any{at.Format("15:04")}},
		{fmt.Errorf("%w: %w", app.ErrCustomerLocked, &app.BankError{Status: 429, Code: app.BankCodeRateLimited}), app.MsgTellerErrCustomerLocked, nil},
		{&app.ApproverError{ID: "x", Err: errors.New("disk gone")}, app.MsgTellerErrApproverOther, []any{"x", app.Explain(errors.New("disk gone"), "")}},
	}
	for _, tc := range cases {
		for _, lang := range []string{app.English, app.SimplifiedChinese} {
			want := tc.msg.Textf(lang, tc.args...)
			if tc.msg == app.MsgTellerErrApproverOther {
				want = tc.msg.Textf(lang, "x", app.Explain(errors.New("disk gone"), lang))
			}
			if got := app.ExplainTeller(tc.err, lang); got != want {
				t.Errorf("%v in %s: %q, want %q", tc.err, lang, got, want)
			}
		}
	}
	// And a paid unload (a return, or a bank of before holds) says Unloaded
	paid := app.UnloadResult{Customer: "alice", Amount: 3000, BankBalance: 47000, State: app.UnloadPaid}
	if got := app.UnloadText(paid, app.English); got != "Unloaded 30.00 CNY to alice's deposit. The bank now holds 470.00 CNY on the wallet." {
		t.Errorf("paid: %q", got)
	}
	// And a held one whose day the bank did not say names the window
	held := app.UnloadResult{Customer: "alice", Amount: 3000, State: app.UnloadHeld}
	if got := app.UnloadText(held, app.SimplifiedChinese); got != app.MsgTellerUnloadHeldWindow.Textf(app.SimplifiedChinese, "30.00", "alice") {
		t.Errorf("held without a day: %q", got)
	}
}

func TestTeller_AnUnloadRequestNeverPrintsThePassword(t *testing.T) {
	u := app.BankUnload{PAN: "6231990000000019", Amount: 100, CustomerPassword: "s3cret-alice"}
	for _, s := range []string{fmt.Sprint(u), fmt.Sprintf("%v %+v %#v %s", u, u, u, u), fmt.Sprint(&u)} {
		if strings.Contains(s, "s3cret") || !strings.Contains(s, "(hidden)") {
			t.Errorf("printed %q", s)
		}
	}
}
