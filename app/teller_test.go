package app_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"lingqian/app"
	"lingqian/device"
	"lingqian/emv"
)

func TestTeller_LoadRaisesThePhoneByExactlyTheAmount(t *testing.T) {
	// Given alice's phone with 500.00 and 1000.00 on her deposit, on the reader
	b := newBranch(t)
	w := b.bank.customer("alice", 100000, 50000)
	b.on(w, device.Leave{})
	ctx := context.Background()

	// When the teller loads 200.00
	var steps []app.TellerStep
	res, err := b.teller.Load(ctx, teller, 20000, func(s app.TellerStep) { steps = append(steps, s) })

	// Then the phone holds 700.00, the deposit 800.00, and the bank owes what the phone holds
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != app.LoadDone || res.BalanceBefore != 50000 || res.BalanceAfter != 70000 || !res.AfterRead ||
		res.Customer != "alice" || res.PAN != w.PAN() || res.Err != nil {
		t.Errorf("result %+v", res)
	}
	if w.Balance() != 70000 || b.bank.deposit("alice") != 80000 || b.bank.known(w) != 70000 {
		t.Errorf("phone %d, deposit %d, bank %d", w.Balance(), b.bank.deposit("alice"), b.bank.known(w))
	}
	// And the teller saw each step once, in order
	want := []app.TellerStep{app.StepTap, app.StepRead, app.StepARQC, app.StepBank, app.StepScript, app.StepBalance, app.StepDone}
	if !slices.Equal(steps, want) {
		t.Errorf("steps %v, want %v", steps, want)
	}
	// And the audit log and the bank both name the teller
	if n := len(b.mem.audit); n != 1 || b.mem.audit[0].Action != app.AuditTellerLoad || b.mem.audit[0].Operator != "li.na" ||
		!strings.Contains(b.mem.audit[0].Detail, "200.00") {
		t.Errorf("audit %+v", b.mem.audit)
	}
	if got := b.bank.wallets[w.PAN()+"/"+w.PSN()].ops; !slices.Equal(got, []string{"load:li.na"}) {
		t.Errorf("bank records %v", got)
	}
	if s := app.LoadText(res, app.English); !strings.Contains(s, "Loaded 200.00 CNY") || !strings.Contains(s, "500.00 → 700.00") {
		t.Errorf("text %q", s)
	}
}

func TestTeller_OnlyATellerOnATellerDesk(t *testing.T) {
	b := newBranch(t)
	w := b.bank.customer("alice", 100000, 50000)
	b.on(w, device.Leave{})
	ctx := context.Background()
	cases := []struct {
		name  string
		op    app.Operator
		desk  bool
		allow bool
		is    error
	}{
		{"a teller at a teller desk", teller, true, true, nil},
		{"an admin at a teller desk", app.Operator{ID: "boss", Role: app.RoleAdmin}, true, true, nil},
		{"a cashier", app.Operator{ID: "wang", Role: app.RoleCashier}, true, false, app.ErrRole},
		{"a supervisor", app.Operator{ID: "zhao", Role: app.RoleSupervisor}, true, false, app.ErrRole},
		{"a teller at a shop's desk", teller, false, false, app.ErrNotTellerDesk},
		{"an operator id the bank cannot record", app.Operator{ID: "li na", Role: app.RoleTeller}, true, false, app.ErrOperatorID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b.desk.teller = tc.desk
			calls := len(b.bank.calls)
			_, err := b.teller.Lookup(ctx, tc.op, w.PAN())
			_, errEx := b.teller.Exceptions(ctx, tc.op, "")
			_, errLoad := b.teller.Load(ctx, tc.op, 100, nil)
			if tc.allow {
				if err != nil || errEx != nil || errLoad != nil {
					t.Fatalf("refused: %v / %v / %v", err, errEx, errLoad)
				}
				return
			}
			for _, e := range []error{err, errEx, errLoad} {
				if !errors.Is(e, tc.is) {
					t.Errorf("%v, want %v", e, tc.is)
				}
			}
			if len(b.bank.calls) != calls {
				t.Errorf("the bank was asked: %v", b.bank.calls[calls:])
			}
		})
	}
}

func TestTeller_ThePhoneLeavingAnywhereNeverLoadsTwice(t *testing.T) {
	// The commands of a load (see emv's tests): 16 in all.
	const commands = 16
	for i := 1; i <= commands; i++ {
		for _, mode := range []string{"before", "during", "after"} {
			leave := map[string]device.Leave{"before": {BeforeCommand: i}, "during": {DuringCommand: i}, "after": {AfterAnswers: i}}[mode]
			t.Run(fmt.Sprintf("%s command %d", mode, i), func(t *testing.T) {
				// Given a phone with 500.00 that leaves the reader at that moment
				b := newBranch(t)
				w := b.bank.customer("alice", 100000, 50000)
				b.on(w, leave)

				// When the teller taps it again, with the same amount, until it is loaded
				var outcomes []app.LoadOutcome
				for attempt := 0; attempt < 4; attempt++ {
					res, err := b.teller.Load(context.Background(), teller, 20000, nil)
					outcomes = append(outcomes, res.Outcome)
					if err == nil {
						break
					}
					if res.Outcome == app.LoadRefused {
						t.Fatalf("refused: %v", err)
					}
					b.on(w, device.Leave{})
				}

				// Then the phone got 200.00 exactly once, and so did the bank
				if w.Balance() != 70000 || b.bank.deposit("alice") != 80000 || b.bank.known(w) != 70000 {
					t.Fatalf("phone %d, deposit %d, bank %d after %v", w.Balance(), b.bank.deposit("alice"), b.bank.known(w), outcomes)
				}
				if last := outcomes[len(outcomes)-1]; last != app.LoadDone && last != app.LoadFinished {
					t.Fatalf("ended %v", outcomes)
				}
				if u, _ := b.teller.Lookup(context.Background(), teller, w.PAN()); u.Unfinished != nil {
					t.Errorf("still unfinished: %+v", u.Unfinished)
				}
			})
		}
	}
}

func TestTeller_WhenTheBankApprovesAndThePhoneDoesNotTakeIt(t *testing.T) {
	cases := []struct {
		name  string
		spoil func(b *branch)
		// Then
		first, second app.LoadOutcome
		returned      app.Money
	}{
		{"the phone refuses a bad ARPC", func(b *branch) { b.bank.spoilARPC = true }, app.LoadUnfinished, app.LoadDone, 20000},
		{"the bank's answer is lost", func(b *branch) { b.bank.loseAnswer = true }, app.LoadUnfinished, app.LoadDone, 20000},
		{"the phone leaves during the script", func(b *branch) { b.leave = device.Leave{DuringCommand: 14} }, app.LoadUnfinished, app.LoadFinished, 0},
		{"the phone leaves before the script", func(b *branch) { b.leave = device.Leave{BeforeCommand: 14} }, app.LoadUnfinished, app.LoadDone, 20000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a phone with 500.00
			b := newBranch(t)
			w := b.bank.customer("alice", 100000, 50000)
			b.on(w, device.Leave{})
			tc.spoil(b)

			// When a load of 200.00 does not reach the phone
			res, err := b.teller.Load(context.Background(), teller, 20000, nil)
			if res.Outcome != tc.first || !errors.Is(err, app.ErrUnfinishedLoad) {
				t.Fatalf("first tap: %v, %v", res.Outcome, err)
			}
			// Then the teller is told the money is at the bank, and the desk keeps it
			if s := app.LoadText(res, app.English); !strings.Contains(strings.ToLower(s), "tap the same phone again") {
				t.Errorf("text %q", s)
			}
			look, err := b.teller.Lookup(context.Background(), teller, w.PAN())
			if err != nil || look.Unfinished == nil || look.Unfinished.Amount != 20000 {
				t.Fatalf("lookup %+v, %v", look, err)
			}

			// When the same phone is tapped again for the same amount
			b.on(w, device.Leave{})
			res, err = b.teller.Load(context.Background(), teller, 20000, nil)

			// Then it is finished, and 200.00 moved once
			if err != nil || res.Outcome != tc.second || res.Returned != tc.returned {
				t.Fatalf("second tap: %+v, %v", res, err)
			}
			if w.Balance() != 70000 || b.bank.deposit("alice") != 80000 || b.bank.known(w) != 70000 {
				t.Errorf("phone %d, deposit %d, bank %d", w.Balance(), b.bank.deposit("alice"), b.bank.known(w))
			}
		})
	}
}

func TestTeller_APhoneThatCannotTellIsFiledWithTheBank(t *testing.T) {
	// Given a phone that took the script while the desk lost its answer,
	// then was loaded at another branch before coming back
	b := newBranch(t)
	w := b.bank.customer("alice", 100000, 50000)
	b.on(w, device.Leave{DuringCommand: 14})
	first, _ := b.teller.Load(context.Background(), teller, 20000, nil)
	if first.Outcome != app.LoadUnfinished {
		t.Fatalf("first tap %v", first.Outcome)
	}
	other := b.another()
	other.on(w, device.Leave{})
	if res, err := other.teller.Load(context.Background(), teller, 100, nil); err != nil || res.Outcome != app.LoadDone {
		t.Fatalf("at the other branch: %+v, %v", res, err)
	}

	// When it is tapped to load again here
	b.on(w, device.Leave{})
	res, err := b.teller.Load(context.Background(), teller, 20000, nil)

	// Then the desk says it cannot tell, loads nothing, and has filed it in the bank's exception queue
	if !errors.Is(err, app.ErrNeedsBank) || res.Outcome != app.LoadRefused || w.Balance() != 70100 {
		t.Fatalf("%+v, %v; phone %d", res, err, w.Balance())
	}
	if s := app.ExplainTeller(err, app.SimplifiedChinese); !strings.Contains(s, "对账单") || !strings.Contains(s, "差错") {
		t.Errorf("explained %q", s)
	}
	filed := b.bank.filed()
	if len(filed) != 1 || filed[0].ATC != first.ATC || !strings.Contains(filed[0].Detail, "200.00") ||
		!strings.Contains(filed[0].Detail, "cannot tell") || strings.Contains(filed[0].Detail, w.PAN()) {
		t.Errorf("filed %+v", filed)
	}
	// And the desk forgot it: the next load goes on as usual
	if b.notes.count() != 0 {
		t.Errorf("%d notes left", b.notes.count())
	}
	if res, err := b.teller.Load(context.Background(), teller, 100, nil); err != nil || res.Outcome != app.LoadDone {
		t.Fatalf("next load %+v, %v", res, err)
	}
}

func TestTeller_RefusalsMoveNothing(t *testing.T) {
	cases := []struct {
		name    string
		deposit app.Money
		spoil   func(b *branch)
		amount  app.Money
		outcome app.LoadOutcome
		text    string
	}{
		{"more than the deposit", 1000, nil, 20000, app.LoadRefused, "Not enough money"},
		{"a hotlisted wallet", 100000, func(b *branch) {
			for _, w := range b.bank.wallets {
				w.hot = true
			}
		}, 100, app.LoadRefused, "hotlisted"},
		{"the phone declines", 100000, func(b *branch) {
			b.phone = declining{b.phone}
		}, 100, app.LoadRefused, "The phone refused"},
		{"the bank is down", 100000, func(b *branch) { b.bank.down = true }, 100, app.LoadFailed, "cannot be reached"},
		{"the phone leaves before its cryptogram", 100000, func(b *branch) { b.leave = device.Leave{BeforeCommand: 12} }, 100, app.LoadFailed, "moved away"},
		{"no phone comes", 100000, func(b *branch) { b.phone = nil }, 100, app.LoadFailed, "No phone"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a phone with 500.00
			b := newBranch(t)
			w := b.bank.customer("alice", tc.deposit, 50000)
			b.on(w, device.Leave{})
			if tc.spoil != nil {
				tc.spoil(b)
			}
			// When a load is refused
			res, err := b.teller.Load(context.Background(), teller, tc.amount, nil)
			// Then nothing moved, and the teller reads why
			if err == nil || res.Outcome != tc.outcome {
				t.Fatalf("%+v, %v", res, err)
			}
			if w.Balance() != 50000 || b.bank.deposit("alice") != tc.deposit || b.bank.known(w) != 50000 {
				t.Errorf("phone %d, deposit %d, bank %d", w.Balance(), b.bank.deposit("alice"), b.bank.known(w))
			}
			if s := app.LoadText(res, app.English); !strings.Contains(s, tc.text) {
				t.Errorf("text %q, want %q", s, tc.text)
			}
			if zh := app.LoadText(res, app.SimplifiedChinese); !strings.Contains(zh, "未圈存") {
				t.Errorf("Chinese %q", zh)
			}
		})
	}
}

// declining is a phone that answers an AAC when asked for an ARQC.
type declining struct{ device.Application }

func (d declining) Process(cmd []byte) []byte {
	if len(cmd) > 2 && cmd[1] == 0xAE && cmd[2]&0xC0 == 0x80 {
		cmd = append([]byte(nil), cmd...)
		cmd[2] = 0x00
	}
	return d.Application.Process(cmd)
}

func TestTeller_UnloadHotlistExceptionsReentry(t *testing.T) {
	ctx := context.Background()
	b := newBranch(t)
	w := b.bank.customer("alice", 100000, 50000)

	// When 100.00 is unloaded to the deposit, alice signing with her password
	un, err := b.teller.Unload(ctx, teller, w.PAN(), "", 10000, signs)
	// Then the bank holds it for its settlement window, and pays it then
	if err != nil || un.State != app.UnloadHeld || un.BankBalance != 50000 || un.Customer != "alice" || b.bank.deposit("alice") != 100000 {
		t.Fatalf("unload %+v, %v", un, err)
	}
	if b.bank.payHeld(); b.bank.deposit("alice") != 110000 {
		t.Fatalf("deposit %d after the window", b.bank.deposit("alice"))
	}
	// And the bank holds an exception the teller resolves
	b.bank.excs = []app.BankException{{ID: 7, Kind: "balance_mismatch", PAN: w.PAN(), PSN: w.PSN()}}
	open, err := b.teller.Exceptions(ctx, teller, "")
	if err != nil || len(open) != 1 {
		t.Fatalf("open %+v, %v", open, err)
	}
	if _, err := b.teller.Resolve(ctx, teller, 7, "  "); !errors.Is(err, app.ErrNoteNeeded) {
		t.Errorf("resolve without a note: %v", err)
	}
	done, err := b.teller.Resolve(ctx, teller, 7, "unloaded 100.00, 已核实")
	if err != nil || done.Open() || done.ResolvedBy != "li.na" {
		t.Fatalf("resolve %+v, %v", done, err)
	}
	_, err = b.teller.Resolve(ctx, teller, 7, "again")
	if s := app.ExplainTeller(err, app.English); !strings.Contains(s, "already") {
		t.Errorf("resolved twice: %v → %q", err, s)
	}
	// And a re-entry reads the phone and closes the wallet's open items
	b.bank.excs = append(b.bank.excs, app.BankException{ID: 8, Kind: "balance_chain", PAN: w.PAN(), PSN: w.PSN()})
	b.on(w, device.Leave{})
	var steps []app.TellerStep
	re, err := b.teller.ReEnter(ctx, teller, "phone reinstalled", func(s app.TellerStep) { steps = append(steps, s) })
	if err != nil || re.Resolved != 1 || re.Phone.Balance != 50000 || re.Phone.ATC != w.ATC() {
		t.Fatalf("re-entry %+v, %v", re, err)
	}
	if !slices.Equal(steps, []app.TellerStep{app.StepTap, app.StepRead, app.StepBank, app.StepDone}) {
		t.Errorf("steps %v", steps)
	}
	// And a hotlist blocks the wallet
	if _, err := b.teller.Hotlist(ctx, teller, w.PAN(), ""); !errors.Is(err, app.ErrNoteNeeded) {
		t.Errorf("hotlist without a reason: %v", err)
	}
	if v, err := b.teller.Hotlist(ctx, teller, w.PAN(), "lost phone"); err != nil || v != 1 {
		t.Fatalf("hotlist %d, %v", v, err)
	}
	look, err := b.teller.Lookup(ctx, teller, w.PAN())
	if err != nil || !look.Bank.Hotlisted() {
		t.Errorf("lookup %+v, %v", look, err)
	}

	// Then every action left its audit line with the teller
	var actions []app.AuditAction
	for _, e := range b.mem.audit {
		if e.Operator != "li.na" {
			t.Errorf("audit by %q", e.Operator)
		}
		actions = append(actions, e.Action)
	}
	for _, a := range []app.AuditAction{app.AuditTellerUnload, app.AuditTellerResolve, app.AuditTellerReEntry, app.AuditTellerHotlist,
		app.AuditTellerRefusal, app.AuditTellerLookup} {
		if !slices.Contains(actions, a) {
			t.Errorf("no %s in the audit log %v", a, actions)
		}
	}
	// And input the bank would refuse never leaves the desk
	calls := len(b.bank.calls)
	for _, err := range []error{
		func() error { _, err := b.teller.Unload(ctx, teller, w.PAN(), "", 0, signs); return err }(),
		func() error { _, err := b.teller.Unload(ctx, teller, "12AB", "", 100, signs); return err }(),
		func() error { _, err := b.teller.Statement(ctx, teller, w.PAN(), "1"); return err }(),
		func() error { _, err := b.teller.Exceptions(ctx, teller, "closed"); return err }(),
		func() error { _, err := b.teller.Resolve(ctx, teller, 0, "x"); return err }(),
	} {
		if err == nil {
			t.Error("accepted")
		}
	}
	if len(b.bank.calls) != calls {
		t.Errorf("the bank was asked: %v", b.bank.calls[calls:])
	}
}

func TestTeller_ExplainSaysEachFailureInBothLanguages(t *testing.T) {
	cases := []struct {
		err error
		msg app.Message
	}{
		{&app.BankError{Status: 402, Code: app.BankCodeInsufficientFunds}, app.MsgTellerErrInsufficient},
		{fmt.Errorf("x: %w", &app.BankError{Status: 403, Code: app.BankCodeHotlisted}), app.MsgTellerErrHotlisted},
		{&app.BankError{Status: 404, Code: app.BankCodeNotFound}, app.MsgTellerErrNotFound},
		{&app.BankError{Status: 409, Code: app.BankCodeConflict}, app.MsgTellerErrConflict},
		{&app.BankError{Status: 403, Code: app.BankCodeForbidden}, app.MsgTellerErrForbidden},
		{&app.BankError{Status: 400, Code: app.BankCodeBadRequest}, app.MsgTellerErrBadRequest},
		{fmt.Errorf("%w: refused", app.ErrBankUnavailable), app.MsgTellerErrBankDown},
		{app.ErrNotTellerDesk, app.MsgTellerErrNotDesk},
		{app.ErrOperatorID, app.MsgTellerErrOperatorID},
		{app.ErrNoteNeeded, app.MsgTellerErrNote},
		{app.ErrBadPAN, app.MsgTellerErrPAN},
		{app.ErrAmount, app.MsgTellerErrAmount},
		{&emv.LoadError{Step: emv.StepScript, Err: emv.ErrCardRefused}, app.MsgTellerErrPhoneRefused},
		{&emv.LoadError{Step: emv.StepARQC, Err: emv.ErrCardLeft}, app.MsgTellerErrPhoneLeft},
		{&emv.LoadError{Step: emv.StepARQC, Err: emv.ErrCardAnswer}, app.MsgTellerErrPhoneAnswer},
		{&emv.LoadError{Step: emv.StepSelect, Err: emv.ErrNoWallet}, app.MsgTellerErrNoWallet},
		{fmt.Errorf("%w: %w", app.ErrNeedsBank, app.ErrBankUnavailable), app.MsgTellerErrNeedsBank},
		{fmt.Errorf("%w: %w", app.ErrUnfinishedLoad, app.ErrBankUnavailable), app.MsgTellerErrUnfinished},
		{fmt.Errorf("x: %w of 200.00 at ATC 3", app.ErrTapFirst), app.MsgTellerErrTapFirst},
		{&app.BankError{Status: 409, Code: app.BankCodeAnswered}, app.MsgTellerErrAnswered},
	}
	for _, tc := range cases {
		for _, lang := range []string{app.English, app.SimplifiedChinese} {
			if got := app.ExplainTeller(tc.err, lang); got != tc.msg.Text(lang) {
				t.Errorf("%v in %s: %q, want %q", tc.err, lang, got, tc.msg.Text(lang))
			}
		}
	}
	// A code the desk does not know is still said, with the code
	if got := app.ExplainTeller(&app.BankError{Status: 418, Code: "slow_down"}, app.SimplifiedChinese); !strings.Contains(got, "slow_down") {
		t.Errorf("unknown code: %q", got)
	}
	// And the rest as the desk's other errors are
	if got := app.ExplainTeller(app.ErrRole, app.English); got != app.Explain(app.ErrRole, app.English) {
		t.Errorf("role: %q", got)
	}
	for _, s := range []app.TellerStep{app.StepTap, app.StepRead, app.StepARQC, app.StepBank, app.StepScript, app.StepBalance, app.StepDone} {
		if app.StepText(s, app.SimplifiedChinese) == string(s) {
			t.Errorf("step %s has no words", s)
		}
	}
}

func TestTeller_AnUnloadWaitsForATapOfThePhone(t *testing.T) {
	// Given a load the phone took while the desk did not hear it say so
	ctx := context.Background()
	b := newBranch(t)
	w := b.bank.customer("alice", 100000, 50000)
	b.on(w, device.Leave{DuringCommand: 14})
	if res, _ := b.teller.Load(ctx, teller, 20000, nil); res.Outcome != app.LoadUnfinished || w.Balance() != 70000 {
		t.Fatalf("first tap %v, phone %d", res.Outcome, w.Balance())
	}

	// When the teller unloads it at the bank, with or without the PSN
	calls := len(b.bank.calls)
	for _, psn := range []string{w.PSN(), ""} {
		_, err := b.teller.Unload(ctx, teller, w.PAN(), psn, 20000, signs)

		// Then it is refused with "tap the phone first", and nothing is unloaded
		if !errors.Is(err, app.ErrTapFirst) {
			t.Fatalf("unload with psn %q: %v", psn, err)
		}
		if s := app.ExplainTeller(err, app.English); !strings.Contains(s, "Tap the phone first to finish the earlier load") {
			t.Errorf("explained %q", s)
		}
	}
	if slices.Contains(b.bank.calls[calls:], "unload") || b.bank.deposit("alice") != 80000 {
		t.Errorf("the bank was asked %v; deposit %d", b.bank.calls[calls:], b.bank.deposit("alice"))
	}

	// When the phone is tapped (a lookup)
	b.on(w, device.Leave{})
	look, err := b.teller.Lookup(ctx, teller, "")

	// Then the tap finds the load on the phone, and the customer has it once
	if err != nil || look.Settled == nil || look.Settled.Outcome != app.NoteFinished || look.Unfinished != nil {
		t.Fatalf("lookup %+v, %v", look, err)
	}
	if s := app.SettledText(look.Settled, app.English); !strings.Contains(s, "had taken the earlier load of 200.00") {
		t.Errorf("settled %q", s)
	}
	if w.Balance() != 70000 || b.bank.deposit("alice") != 80000 || b.bank.known(w) != 70000 {
		t.Errorf("phone %d, deposit %d, bank %d", w.Balance(), b.bank.deposit("alice"), b.bank.known(w))
	}
	// And an unload is the teller's again
	if un, err := b.teller.Unload(ctx, teller, w.PAN(), "", 100, signs); err != nil || un.State != app.UnloadHeld || un.BankBalance != 70000 {
		t.Errorf("unload after the tap %+v, %v", un, err)
	}
}
