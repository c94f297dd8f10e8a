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
// not take it: the money is at the bank, and the next tap of the same
// phone at this desk settles it first, so it is never loaded twice.
//
// The load is noted (teller_notes.go) before the bank is asked, and the
// bank's answer before the phone is given it, so that a desk that dies
// anywhere in between finds it at the next tap.
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
	// An earlier load of this phone is settled from what this tap read,
	// before anything else, even when the phone went on to refuse or
	// leave: its ATC has moved on, and the next tap must not find it
	// harder to tell.
	if wholeReading(st, err) {
		if done, serr := t.settleEarlier(ctx, op, st.Wallet, &res); done {
			return res, serr
		}
	}
	if err != nil {
		return t.stopped(ctx, op, res, phoneErr(err))
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
	u := UnfinishedLoad{PAN: res.PAN, PSN: res.PSN, ATC: st.ATC, Amount: amount, Customer: w.Customer,
		Before: res.BalanceBefore, Key: key, At: t.now(), Operator: op.ID, Unanswered: true, Request: &req}
	if err := t.keepNote(ctx, u); err != nil {
		return t.stopped(ctx, op, res, err) // nothing was asked
	}
	ans, err := t.Bank.Load(ctx, key, req)
	if err != nil {
		var refusal *BankError
		if errors.As(err, &refusal) && !errors.Is(err, ErrBankUnavailable) {
			// Refused: nothing moved. A note that cannot be dropped is
			// asked again at the next tap, and refused again.
			if derr := t.dropNote(ctx, &u); derr != nil {
				err = fmt.Errorf("%w (%w)", err, derr)
			}
			return t.stopped(ctx, op, res, err)
		}
		// No answer: the bank may have done the load. The note keeps the
		// request, sent again under the same key at the next tap.
		return t.unfinishedResult(ctx, op, res, u, err)
	}
	u.Unanswered, u.Target = false, ans.Balance
	if err := t.keepNote(ctx, u); err != nil {
		// The phone gets nothing it was not noted as getting: the note
		// still says unanswered, which the next tap takes as "never given".
		return t.unfinishedResult(ctx, op, res, u, err)
	}

	step(onStep, StepScript)
	fin, ferr := t.Kernel.FinishLoad(ctx, card, st, emv.IssuerAnswer{ARPC: ans.ARPC, ARC: ans.ARC, Script: ans.Script})
	if !fin.ScriptApplied {
		if ferr == nil {
			ferr = errors.New("the phone was given no script")
		}
		return t.unfinishedResult(ctx, op, res, u, phoneErr(ferr))
	}
	// The phone answered the script: the load is done, whatever came
	// after, and the note goes.
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
	if err := t.dropNote(ctx, &u); err != nil {
		detail += fmt.Sprintf("; the note stays (%v): the next tap finds the load on the phone", err)
	}
	t.audit(ctx, op, AuditTellerLoad, detail)
	step(onStep, StepDone)
	return res, nil
}

// wholeReading says whether StartLoad read the wallet whole (its balance,
// ATC and last online ATC) before it stopped, if it stopped.
func wholeReading(st emv.LoadStart, err error) bool {
	if st.Wallet.PAN == "" {
		return false
	}
	var le *emv.LoadError
	return err == nil || (errors.As(err, &le) && le.Step == emv.StepARQC)
}

// settleEarlier settles, at a load's tap, an earlier load of the phone.
// done is true when this tap ends there: the earlier load was on the phone
// after all (nothing more is loaded), it was filed with the bank, or it
// could not be settled now. Otherwise the new load goes on, after the
// earlier one went back to the deposit (res.Returned) or turned out never
// done.
func (t *Teller) settleEarlier(ctx context.Context, op Operator, r emv.WalletReading, res *LoadResult) (bool, error) {
	s, err := t.settleTap(ctx, op, r)
	if err != nil {
		*res, err = t.stopped(ctx, op, *res, err)
		return true, err
	}
	if s == nil {
		return false, nil
	}
	switch u := s.Load; s.Outcome {
	case NoteFinished:
		res.Outcome, res.Asked, res.Amount, res.Customer = LoadFinished, res.Amount, u.Amount, u.Customer
		res.BalanceBefore, res.BalanceAfter, res.AfterRead, res.Err = u.Before, Money(r.Balance), true, nil
		return true, nil
	case NoteFiled:
		res.Outcome = LoadRefused
		res.Err = fmt.Errorf("teller: %w: the load of %s onto %s/%s at ATC %d: %s", ErrNeedsBank, FormatMoney(u.Amount),
			MaskPAN(u.PAN), u.PSN, u.ATC, u.Filing.Detail)
		return true, res.Err
	case NoteReturned:
		res.Returned = u.Amount
	}
	return false, nil
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

// unfinishedResult says that a load the bank approved, or may have, did
// not reach the phone: the money is at the bank, and the note, kept before
// the bank was asked, has it for the next tap.
func (t *Teller) unfinishedResult(ctx context.Context, op Operator, res LoadResult, u UnfinishedLoad, why error) (LoadResult, error) {
	res.Outcome, res.Customer = LoadUnfinished, u.Customer
	res.Err = fmt.Errorf("%w: %w", ErrUnfinishedLoad, why)
	detail := fmt.Sprintf("load of %s onto wallet %s/%s at ATC %d approved by the bank, not taken by the phone: %v",
		FormatMoney(u.Amount), MaskPAN(u.PAN), u.PSN, u.ATC, why)
	if u.Unanswered {
		detail = fmt.Sprintf("load of %s onto wallet %s/%s at ATC %d: the bank did not answer (%v); it may have done it",
			FormatMoney(u.Amount), MaskPAN(u.PAN), u.PSN, u.ATC, why)
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
