package app

import (
	"context"
	"errors"
	"fmt"

	"lingqian/emv"
)

// LoadFailed: the load stopped before any money moved, for a reason that
// is not a refusal (the phone left, the bank could not be reached). It
// complements the LoadOutcome constants of teller.go.
const LoadFailed LoadOutcome = "failed"

// Load loads amount onto the phone tapped next: tap, read, ARQC, bank,
// ARPC and script, balance after. onStep (may be nil) hears each step.
//
// The error is nil when money reached the phone (LoadDone) or an earlier
// load was found finished (LoadFinished). Otherwise the result's Outcome
// says what it means: LoadRefused and LoadFailed moved nothing;
// LoadUnfinished means the bank approved (or may have) and the phone did
// not take it: the money is at the bank, and the next load on the same
// phone at this desk finishes it first, so it is never loaded twice.
func (t *Teller) Load(ctx context.Context, op Operator, amount Money, onStep func(TellerStep)) (LoadResult, error) {
	if err := t.allow(ctx, op, "load"); err != nil {
		return LoadResult{}, err
	}
	if amount <= 0 {
		return LoadResult{}, fmt.Errorf("teller: load of %s: %w", FormatMoney(amount), ErrAmount)
	}
	onStep = once(onStep)
	step(onStep, StepTap)
	card, err := t.Reader.Tap(ctx)
	if err != nil {
		return LoadResult{Outcome: LoadFailed, Amount: amount, Err: err}, fmt.Errorf("teller: load: waiting for the phone: %w", err)
	}
	defer card.Close()
	progress := func(s emv.LoadStep) { step(onStep, tellerStep(s)) }
	st, err := t.Kernel.StartLoad(ctx, card, emv.Load{Amount: int64(amount), At: t.now(), Progress: progress})
	res := LoadResult{Amount: amount, PAN: st.Wallet.PAN, PSN: st.Wallet.PSN, ATC: st.ATC,
		BalanceBefore: Money(st.Wallet.Balance), BalanceAfter: Money(st.Wallet.Balance), AfterRead: st.Wallet.PAN != ""}
	if err != nil {
		return t.stopped(ctx, op, res, phoneErr(err))
	}
	if u, err := t.unfinished(ctx, res.PAN, res.PSN); err != nil {
		return t.stopped(ctx, op, res, err)
	} else if u != nil {
		finished, err := t.settle(ctx, op, u, st.Wallet, &res)
		if err != nil || finished {
			return res, err
		}
	}

	step(onStep, StepBank)
	w, err := t.Bank.Wallet(ctx, res.PAN, res.PSN)
	if err != nil {
		return t.stopped(ctx, op, res, err)
	}
	res.Customer = w.Customer
	key, err := newKey(t.Terminal)
	if err != nil {
		return t.stopped(ctx, op, res, err)
	}
	req := BankLoad{PAN: res.PAN, PSN: res.PSN, ATC: st.ATC, ARQC: st.ARQC, CDOL1Data: st.CDOL1Data, IAD: st.IAD,
		Amount: amount, Customer: w.Customer, Balance: res.BalanceBefore, Operator: op.ID}
	ans, err := t.Bank.Load(ctx, key, req)
	if err != nil {
		var refusal *BankError
		if errors.As(err, &refusal) && !errors.Is(err, ErrBankUnavailable) {
			return t.stopped(ctx, op, res, err)
		}
		// No answer: the bank may have done the load. Keep the request,
		// to send it again under the same key when the phone comes back.
		u := UnfinishedLoad{PAN: res.PAN, PSN: res.PSN, ATC: st.ATC, Amount: amount, Customer: w.Customer,
			Before: res.BalanceBefore, Key: key, At: t.now(), Operator: op.ID, Unanswered: true, Request: &req}
		return t.unfinishedResult(ctx, op, res, u, err)
	}

	step(onStep, StepScript)
	fin, ferr := t.Kernel.FinishLoad(ctx, card, st, emv.IssuerAnswer{ARPC: ans.ARPC, ARC: ans.ARC, Script: ans.Script})
	if !fin.ScriptApplied {
		u := UnfinishedLoad{PAN: res.PAN, PSN: res.PSN, ATC: st.ATC, Amount: amount, Customer: w.Customer,
			Target: ans.Balance, Before: res.BalanceBefore, Key: key, At: t.now(), Operator: op.ID}
		if ferr == nil {
			ferr = errors.New("the phone was given no script")
		}
		return t.unfinishedResult(ctx, op, res, u, phoneErr(ferr))
	}
	// The script is on the phone: the load is done, whatever came after.
	res.Outcome, res.BalanceAfter, res.AfterRead = LoadDone, ans.Balance, fin.BalanceRead
	if fin.BalanceRead {
		res.BalanceAfter = Money(fin.Balance)
	}
	detail := fmt.Sprintf("loaded %s onto wallet %s/%s of %s at ATC %d: %s → %s", FormatMoney(amount), MaskPAN(res.PAN), res.PSN,
		res.Customer, res.ATC, FormatMoney(res.BalanceBefore), FormatMoney(res.BalanceAfter))
	if ferr != nil {
		detail += fmt.Sprintf(" (after the script: %v)", ferr)
	}
	if res.Returned > 0 {
		detail += fmt.Sprintf("; an earlier unfinished load of %s went back to the deposit first", FormatMoney(res.Returned))
	}
	t.audit(ctx, op, AuditTellerLoad, detail)
	step(onStep, StepDone)
	return res, nil
}

// settle finishes an earlier load of this phone that the bank approved
// (or may have) and the phone did not take, before a new one. finished
// is true when the earlier load turns out to be on the phone after all:
// this tap then loads nothing more. Otherwise the earlier amount goes
// back to the customer's deposit (res.Returned) and the new load goes on.
func (t *Teller) settle(ctx context.Context, op Operator, u *UnfinishedLoad, r emv.WalletReading, res *LoadResult) (bool, error) {
	fail := func(err error) (bool, error) {
		*res, err = t.stopped(ctx, op, *res, fmt.Errorf("%w of %s: %w", ErrUnfinishedLoad, FormatMoney(u.Amount), err))
		return false, err
	}
	applied := false
	if u.Unanswered {
		var err error
		if u, err = t.askAgain(ctx, op, u); err != nil {
			return fail(err)
		}
		if u == nil {
			return false, nil // the bank never did it: nothing to finish
		}
	} else {
		var known bool
		applied, known = scriptTaken(u, r)
		if !known {
			if err := t.dropUnfinished(ctx, u, op.ID); err != nil {
				return fail(err)
			}
			detail := fmt.Sprintf("cannot tell whether wallet %s/%s took the load of %s at ATC %d: it shows ATC %d, last online ATC %d, balance %s; the bank's script set %s",
				MaskPAN(u.PAN), u.PSN, FormatMoney(u.Amount), u.ATC, r.ATC, r.LastOnlineATC, FormatMoney(Money(r.Balance)), FormatMoney(u.Target))
			t.audit(ctx, op, AuditTellerRefusal, detail)
			res.Outcome, res.Err = LoadRefused, fmt.Errorf("teller: %w: %s", ErrNeedsBank, detail)
			return false, res.Err
		}
	}
	if applied {
		if err := t.dropUnfinished(ctx, u, op.ID); err != nil {
			return fail(err)
		}
		res.Outcome, res.Asked, res.Amount, res.Customer = LoadFinished, res.Amount, u.Amount, u.Customer
		res.BalanceBefore, res.BalanceAfter, res.AfterRead = u.Before, Money(r.Balance), true
		t.audit(ctx, op, AuditTellerLoad, fmt.Sprintf("wallet %s/%s had taken the load of %s at ATC %d after all (balance %s); nothing more loaded",
			MaskPAN(u.PAN), u.PSN, FormatMoney(u.Amount), u.ATC, FormatMoney(Money(r.Balance))))
		return true, nil
	}
	// The phone never took it: give it back to the deposit, under a key
	// of its own, so an answer lost on the way never unloads twice.
	_, err := t.Bank.Unload(ctx, "return-"+u.Key, BankUnload{PAN: u.PAN, PSN: u.PSN, Amount: u.Amount, Customer: u.Customer, Operator: op.ID})
	if err != nil {
		return fail(err)
	}
	if err := t.dropUnfinished(ctx, u, op.ID); err != nil {
		return fail(err)
	}
	res.Returned = u.Amount
	t.audit(ctx, op, AuditTellerUnload, fmt.Sprintf("the load of %s onto %s/%s at ATC %d never reached the phone: returned to %s's deposit",
		FormatMoney(u.Amount), MaskPAN(u.PAN), u.PSN, u.ATC, u.Customer))
	return false, nil
}

// askAgain sends an unanswered load again under its key: the bank
// answers what it did the first time, or does it now. The phone saw no
// answer either way, so an approval is a load it never took; a refusal
// means there is nothing to finish (nil).
func (t *Teller) askAgain(ctx context.Context, op Operator, u *UnfinishedLoad) (*UnfinishedLoad, error) {
	ans, err := t.Bank.Load(ctx, u.Key, *u.Request)
	var refusal *BankError
	switch {
	case errors.As(err, &refusal) && !errors.Is(err, ErrBankUnavailable):
		if err := t.dropUnfinished(ctx, u, op.ID); err != nil {
			return u, err
		}
		t.audit(ctx, op, AuditTellerLoad, fmt.Sprintf("the unanswered load of %s onto %s/%s was not done by the bank: %v",
			FormatMoney(u.Amount), MaskPAN(u.PAN), u.PSN, err))
		return nil, nil
	case err != nil:
		return u, err
	}
	known := *u
	known.Target, known.Unanswered, known.Request = ans.Balance, false, nil
	if err := t.keepUnfinished(ctx, known); err != nil {
		return u, err
	}
	return &known, nil
}

// scriptTaken says whether the phone, as read now, took the script of
// the unfinished load u; known is false when the reading cannot tell.
// The phone's last online ATC (9F13) moves to a load's ATC only when it
// accepts that load's ARPC, which the script needs first; and with no
// transaction since (this tap's is the only one after the load's), the
// balance is either the script's or the one before.
func scriptTaken(u *UnfinishedLoad, r emv.WalletReading) (applied, known bool) {
	switch {
	case r.HasLastOnline && r.LastOnlineATC < u.ATC:
		return false, true
	case r.HasLastOnline && r.LastOnlineATC > u.ATC:
		return false, false
	case r.ATC != u.ATC+1:
		return false, false
	case Money(r.Balance) == u.Target:
		return true, true
	case Money(r.Balance) == u.Before:
		return false, true
	}
	return false, false
}

// stopped ends a load in which no money moved: refused by the bank or
// the phone, or failed.
func (t *Teller) stopped(ctx context.Context, op Operator, res LoadResult, err error) (LoadResult, error) {
	res.Outcome, res.Err = LoadFailed, err
	var refusal *BankError
	if (errors.As(err, &refusal) && !errors.Is(err, ErrBankUnavailable)) || errors.Is(err, ErrPhoneRefused) {
		res.Outcome = LoadRefused
	}
	what := fmt.Sprintf("load of %s", FormatMoney(res.Amount))
	if res.PAN != "" {
		what += fmt.Sprintf(" onto wallet %s/%s", MaskPAN(res.PAN), res.PSN)
	}
	t.refused(ctx, op, what, err)
	return res, fmt.Errorf("teller: %s: %w", what, err)
}

// unfinishedResult keeps an approved load the phone did not take and
// says so: the money is at the bank.
func (t *Teller) unfinishedResult(ctx context.Context, op Operator, res LoadResult, u UnfinishedLoad, why error) (LoadResult, error) {
	res.Outcome, res.Customer = LoadUnfinished, u.Customer
	res.Err = fmt.Errorf("%w: %w", ErrUnfinishedLoad, why)
	detail := fmt.Sprintf("load of %s onto wallet %s/%s at ATC %d approved by the bank, not taken by the phone: %v",
		FormatMoney(u.Amount), MaskPAN(u.PAN), u.PSN, u.ATC, why)
	if u.Unanswered {
		detail = fmt.Sprintf("load of %s onto wallet %s/%s at ATC %d: the bank did not answer (%v); it may have done it",
			FormatMoney(u.Amount), MaskPAN(u.PAN), u.PSN, u.ATC, why)
	}
	if err := t.keepUnfinished(ctx, u); err != nil {
		// The desk cannot remember it: the next tap would not finish it.
		// Say so loudly; the bank's exception queue is then the way.
		detail += fmt.Sprintf("; KEEPING IT FAILED: %v", err)
		res.Err = fmt.Errorf("%w (and the desk could not keep it: %w)", res.Err, err)
	}
	t.audit(ctx, op, AuditTellerLoad, detail)
	return res, fmt.Errorf("teller: %w", res.Err)
}

// once passes each step on once, however many of the kernel's steps
// make it up.
func once(onStep func(TellerStep)) func(TellerStep) {
	if onStep == nil {
		return nil
	}
	var last TellerStep
	return func(s TellerStep) {
		if s != last {
			last = s
			onStep(s)
		}
	}
}

// phoneErr marks the phone's refusals as such.
func phoneErr(err error) error {
	if errors.Is(err, emv.ErrCardRefused) {
		return fmt.Errorf("%w: %w", ErrPhoneRefused, err)
	}
	return err
}

// tellerStep is the screen's step for a step of the kernel.
func tellerStep(s emv.LoadStep) TellerStep {
	switch s {
	case emv.StepARQC:
		return StepARQC
	case emv.StepIssuerAuth, emv.StepScript, emv.StepClose:
		return StepScript
	case emv.StepBalanceNext:
		return StepBalance
	}
	return StepRead
}
