package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"lingqian/emv"
)

// The teller's notes of loads in flight, and how a tap settles one.
//
// A load is noted before the bank is asked, and the bank's answer is added
// to the note before the phone is given any of it; the note goes once the
// phone took the script. Whatever stops a load — the phone leaving, the
// bank not answering, the desk itself dying — leaves the note, and the
// next tap of the same phone, whatever it was for, settles it from what it
// reads before anything else: the money ends on the phone or back on the
// deposit, exactly once, or in the bank's exception queue for a person.

// noteWallet is a note's key: one note per wallet.
func noteWallet(pan, psn string) string { return pan + "-" + psn }

// unfinished is the wallet's note, or nil.
func (t *Teller) unfinished(ctx context.Context, pan, psn string) (*UnfinishedLoad, error) {
	if t.Notes == nil {
		return nil, nil
	}
	v, err := t.Notes.TellerNote(ctx, noteWallet(pan, psn))
	if errors.Is(err, ErrNotFound) || (err == nil && v == "") {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("teller: the unfinished load of %s: %w", MaskPAN(pan), err)
	}
	var u UnfinishedLoad
	if err := json.Unmarshal([]byte(v), &u); err != nil || u.PAN != pan || u.PSN != psn || u.Amount <= 0 || u.Key == "" {
		return nil, fmt.Errorf("teller: the unfinished load of %s is damaged: %v", MaskPAN(pan), err)
	}
	return &u, nil
}

// keepNote writes the note durably: when it returns nil, a crash does not
// lose it.
func (t *Teller) keepNote(ctx context.Context, u UnfinishedLoad) error {
	if t.Notes == nil {
		return errors.New("teller: nowhere to keep the note of a load")
	}
	b, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("teller: the note of the load onto %s: %w", MaskPAN(u.PAN), err)
	}
	if err := t.Notes.KeepTellerNote(ctx, noteWallet(u.PAN, u.PSN), string(b)); err != nil {
		return fmt.Errorf("teller: keeping the note of the load onto %s: %w", MaskPAN(u.PAN), err)
	}
	return nil
}

func (t *Teller) dropNote(ctx context.Context, u *UnfinishedLoad) error {
	if t.Notes == nil {
		return nil
	}
	if err := t.Notes.DropTellerNote(ctx, noteWallet(u.PAN, u.PSN)); err != nil {
		return fmt.Errorf("teller: dropping the note of the load onto %s: %w", MaskPAN(u.PAN), err)
	}
	return nil
}

// settleTap settles the note of the phone a tap just read, if it has one.
func (t *Teller) settleTap(ctx context.Context, op Operator, r emv.WalletReading) (*NoteSettlement, error) {
	u, err := t.unfinished(ctx, r.PAN, r.PSN)
	if err != nil || u == nil {
		return nil, err
	}
	s, err := t.settle(ctx, op, u, r)
	return &s, err
}

// settle finishes the noted load u from what a tap read of the phone (r).
// An error leaves the note, for the next tap: the bank could not be
// reached, or the desk could not write.
func (t *Teller) settle(ctx context.Context, op Operator, u *UnfinishedLoad, r emv.WalletReading) (NoteSettlement, error) {
	s := NoteSettlement{Load: *u}
	fail := func(err error) (NoteSettlement, error) {
		return s, fmt.Errorf("%w of %s: %w", ErrUnfinishedLoad, FormatMoney(u.Amount), err)
	}
	what := fmt.Sprintf("the load of %s onto wallet %s/%s at ATC %d", FormatMoney(u.Amount), MaskPAN(u.PAN), u.PSN, u.ATC)
	if u.Filing == nil && u.Unanswered {
		done, err := t.askAgain(ctx, op, u, r)
		if err != nil {
			return fail(err)
		}
		if !done {
			if err := t.dropNote(ctx, u); err != nil {
				return fail(err)
			}
			t.audit(ctx, op, AuditTellerLoad, what+": the bank never did it; nothing moved")
			s.Outcome = NoteNotDone
			return s, nil
		}
	}
	if u.Filing == nil && u.Phone == "" {
		applied, known := scriptTaken(u, r)
		switch {
		case known && applied:
			u.Phone = PhoneTookLoad
		case known:
			u.Phone = PhoneLacksLoad
		default:
			u.Filing = t.filing(op, u, fmt.Sprintf("cannot tell whether the phone took it: it shows ATC %d, %s, balance %s; the balance before was %s and the bank's script set %s",
				r.ATC, lastOnline(r), FormatMoney(Money(r.Balance)), FormatMoney(u.Before), FormatMoney(u.Target)))
		}
		// What the tap read is kept: a later tap, after the ATC moved
		// on, carries it out without reading it again.
		if u.Phone != PhoneTookLoad {
			if err := t.keepNote(ctx, *u); err != nil {
				return fail(err)
			}
		}
	}
	switch {
	case u.Filing != nil:
		if err := t.file(ctx, u); err != nil {
			return fail(err)
		}
		t.audit(ctx, op, AuditTellerRefusal, fmt.Sprintf("%s: filed in the bank's exception queue: %s", what, u.Filing.Detail))
		s.Outcome = NoteFiled
	case u.Phone == PhoneTookLoad:
		if err := t.dropNote(ctx, u); err != nil {
			return fail(err)
		}
		t.audit(ctx, op, AuditTellerLoad, fmt.Sprintf("%s: the phone had taken it (balance %s); finished", what, FormatMoney(Money(r.Balance))))
		s.Outcome = NoteFinished
	default:
		outcome, err := t.giveBack(ctx, op, u)
		if err != nil {
			return fail(err)
		}
		if outcome == NoteFiled {
			t.audit(ctx, op, AuditTellerRefusal, fmt.Sprintf("%s: filed in the bank's exception queue: %s", what, u.Filing.Detail))
		} else {
			t.audit(ctx, op, AuditTellerUnload, fmt.Sprintf("%s never reached the phone: returned to %s's deposit", what, u.Customer))
		}
		s.Outcome = outcome
	}
	s.Load = *u
	return s, nil
}

// askAgain sends an unanswered load again under its key, byte for byte:
// the bank answers what it did, or does it now. done is false when the
// bank never did it. The bank's statement settles a refusal: a load at
// the ARQC's ATC is there (the bank answered it already, under a key it
// does not remember for this desk, say after a new enrolment) or not.
// The phone was never given this answer (the note would say so), so
// unless the phone shows it accepted this load's ARPC, it lacks the load.
func (t *Teller) askAgain(ctx context.Context, op Operator, u *UnfinishedLoad, r emv.WalletReading) (done bool, err error) {
	if u.Request == nil {
		u.Filing = t.filing(op, u, "the bank's answer never came and the desk's note has no request to ask again")
		return true, t.keepNote(ctx, *u)
	}
	ans, err := t.Bank.Load(ctx, u.Key, *u.Request)
	var refusal *BankError
	switch {
	case err == nil:
		u.Target = ans.Balance
	case errors.As(err, &refusal) && !errors.Is(err, ErrBankUnavailable):
		target, found, serr := t.loadOnStatement(ctx, u)
		switch {
		case serr != nil:
			return false, fmt.Errorf("the bank refused it again (%w); its statement: %w", err, serr)
		case !found && refusal.Code != BankCodeAnswered:
			return false, nil
		case !found || target == nil:
			u.Filing = t.filing(op, u, fmt.Sprintf("the bank says it did the load (%s), and its statement shows no balance after it", refusal.Code))
			u.Unanswered = false
			return true, t.keepNote(ctx, *u)
		}
		u.Target = *target
	default:
		return false, err
	}
	u.Unanswered = false
	if !(r.HasLastOnline && r.LastOnlineATC == u.ATC) {
		u.Phone = PhoneLacksLoad
	}
	return true, t.keepNote(ctx, *u)
}

// loadOnStatement looks for u's load on the wallet's statement at the
// bank: found, and the balance the bank's script set when it says.
func (t *Teller) loadOnStatement(ctx context.Context, u *UnfinishedLoad) (*Money, bool, error) {
	st, err := t.Bank.Statement(ctx, u.PAN, u.PSN)
	if err != nil {
		return nil, false, err
	}
	for _, l := range st.Entries {
		if l.Kind == "load" && l.ATC == u.ATC && l.Amount == u.Amount {
			return l.Balance, true, nil
		}
	}
	return nil, false, nil
}

// giveBack returns a load the phone lacks to the customer's deposit. The
// body is made of the note alone — the teller who noted it, not the one
// tapping now — so whoever sends it again sends the same bytes under the
// same key. A return the bank refuses is filed with it.
func (t *Teller) giveBack(ctx context.Context, op Operator, u *UnfinishedLoad) (NoteOutcome, error) {
	_, err := t.Bank.Unload(ctx, "return-"+u.Key, BankUnload{PAN: u.PAN, PSN: u.PSN, Amount: u.Amount, Customer: u.Customer,
		Operator: u.Operator, ReturnsLoadATC: u.ATC})
	var refusal *BankError
	switch {
	case err == nil || (errors.As(err, &refusal) && refusal.Code == BankCodeAnswered):
		return NoteReturned, t.dropNote(ctx, u)
	case refusal == nil || errors.Is(err, ErrBankUnavailable):
		return "", fmt.Errorf("giving it back to the deposit: %w", err)
	}
	u.Filing = t.filing(op, u, fmt.Sprintf("the phone lacks it, and the bank refused to give it back to the deposit: %s: %s", refusal.Code, refusal.Message))
	if err := t.keepNote(ctx, *u); err != nil {
		return "", err
	}
	return NoteFiled, t.file(ctx, u)
}

// maxFilingDetail is the bank's limit on a filing's detail, in characters.
const maxFilingDetail = 500

// filing is the report of u for the bank's exception queue.
func (t *Teller) filing(op Operator, u *UnfinishedLoad, detail string) *UnfinishedReport {
	if utf8.RuneCountInString(detail) > maxFilingDetail {
		detail = string([]rune(detail)[:maxFilingDetail-1]) + "…"
	}
	return &UnfinishedReport{Operator: op.ID, PAN: u.PAN, PSN: u.PSN, ATC: u.ATC, Amount: u.Amount, Detail: detail}
}

// file sends u's filing under a key made from the load's, then forgets the
// note: the load is the bank's exception queue's now.
func (t *Teller) file(ctx context.Context, u *UnfinishedLoad) error {
	_, err := t.Bank.FileException(ctx, "file-"+u.Key, *u.Filing)
	var refusal *BankError
	if err != nil && !(errors.As(err, &refusal) && refusal.Code == BankCodeAnswered) {
		return fmt.Errorf("filing it with the bank: %w", err)
	}
	return t.dropNote(ctx, u)
}

// scriptTaken says whether the phone, as read now, took the script of the
// noted load u; known is false when the reading cannot tell. Only a load's
// script raises a phone's balance, and it needs the load's ARPC first,
// which moves the phone's last online ATC (9F13) to the load's ATC. So:
// 9F13 below the load's ATC: never taken; above it: another online load
// came since, and the balance cannot tell. At the load's ATC (or without
// 9F13): with no transaction since the load (this tap's is the next ATC)
// the balance is either the script's or the one before; after other taps,
// a balance above the one before can only be the script's, and anything
// else may be purchases either way.
func scriptTaken(u *UnfinishedLoad, r emv.WalletReading) (applied, known bool) {
	bal := Money(r.Balance)
	switch {
	case r.HasLastOnline && r.LastOnlineATC < u.ATC:
		return false, true
	case r.HasLastOnline && r.LastOnlineATC > u.ATC:
		return false, false
	case r.ATC == u.ATC+1 && bal == u.Target:
		return true, true
	case r.ATC == u.ATC+1 && bal == u.Before:
		return false, true
	case r.HasLastOnline && r.ATC > u.ATC && u.Target > u.Before && bal > u.Before && bal <= u.Target:
		return true, true
	}
	return false, false
}

// lastOnline says what the phone's 9F13 was, for a filing.
func lastOnline(r emv.WalletReading) string {
	if !r.HasLastOnline {
		return "no last online ATC"
	}
	return fmt.Sprintf("last online ATC %d", r.LastOnlineATC)
}
