package app

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"lingqian/emv"
)

// ExplainTeller turns an error of teller mode into a sentence for the
// teller: the bank's refusals by their stable code, the phone's by what
// it did, and any other error as Explain does. The details stay in the
// error, for the log.
func ExplainTeller(err error, lang string) string {
	if err == nil {
		return ""
	}
	// Most specific first: an unfinished load may also carry the bank's
	// or the phone's error.
	if s, ok := signerRefusal(err, lang); ok {
		return s
	}
	for _, e := range []struct {
		err error
		msg Message
	}{
		{ErrNeedsBank, MsgTellerErrNeedsBank},
		{ErrUnfinishedLoad, MsgTellerErrUnfinished},
		{ErrBankUnavailable, MsgTellerErrBankDown},
	} {
		if errors.Is(err, e.err) {
			return e.msg.Text(lang)
		}
	}
	var refusal *BankError
	if errors.As(err, &refusal) {
		return bankRefusal(refusal, lang)
	}
	for _, e := range []struct {
		err error
		msg Message
	}{
		{ErrNotTellerDesk, MsgTellerErrNotDesk},
		{ErrTapFirst, MsgTellerErrTapFirst},
		{ErrOperatorID, MsgTellerErrOperatorID},
		{ErrNoteNeeded, MsgTellerErrNote},
		{ErrBadPAN, MsgTellerErrPAN},
		{ErrAmount, MsgTellerErrAmount},
		{ErrPhoneRefused, MsgTellerErrPhoneRefused},
		{emv.ErrCardRefused, MsgTellerErrPhoneRefused},
		{emv.ErrNoWallet, MsgTellerErrNoWallet},
		{emv.ErrCardLeft, MsgTellerErrPhoneLeft},
		{emv.ErrCardAnswer, MsgTellerErrPhoneAnswer},
	} {
		if errors.Is(err, e.err) {
			return e.msg.Text(lang)
		}
	}
	return Explain(err, lang)
}

// bankRefusal is the bank's refusal in words, by its code.
func bankRefusal(e *BankError, lang string) string {
	m, ok := map[string]Message{
		BankCodeInsufficientFunds:  MsgTellerErrInsufficient,
		BankCodeHotlisted:          MsgTellerErrHotlisted,
		BankCodeNotFound:           MsgTellerErrNotFound,
		BankCodeConflict:           MsgTellerErrConflict,
		BankCodeForbidden:          MsgTellerErrForbidden,
		BankCodeBadRequest:         MsgTellerErrBadRequest,
		BankCodeAnswered:           MsgTellerErrAnswered,
		BankCodeWrongPassword:      MsgTellerErrWrongPassword,
		BankCodeUnloadUnauthorised: MsgTellerErrUnauthorised,
	}[e.Code]
	if e.Code == BankCodeRateLimited || e.Code == BankCodeBusy {
		if e.RetryAfter.IsZero() {
			return MsgTellerErrRateLimited.Text(lang)
		}
		return MsgTellerErrRateLimitedUntil.Textf(lang, clock(e.RetryAfter))
	}
	if ok {
		return m.Text(lang)
	}
	code := e.Code
	if code == "" {
		code = "HTTP " + strconv.Itoa(e.Status)
	}
	return MsgTellerErrBank.Textf(lang, code)
}

// LoadText is what came of a load, in the teller's language: one
// sentence, or two when an earlier load was settled first or the balance
// after could not be read back.
func LoadText(r LoadResult, lang string) string {
	s := loadText(r, lang)
	if r.Returned > 0 {
		s = MsgTellerReturned.Textf(lang, FormatMoney(r.Returned)) + " " + s
	}
	return s
}

func loadText(r LoadResult, lang string) string {
	switch r.Outcome {
	case LoadDone:
		s := MsgTellerLoaded.Textf(lang, FormatMoney(r.Amount), FormatMoney(r.BalanceBefore), FormatMoney(r.BalanceAfter))
		if !r.AfterRead {
			s += " " + MsgTellerAfterUnread.Textf(lang, FormatMoney(r.BalanceAfter))
		}
		return s
	case LoadFinished:
		return MsgTellerFinished.Textf(lang, FormatMoney(r.Amount), FormatMoney(r.BalanceAfter), FormatMoney(r.Asked))
	case LoadUnfinished:
		if errors.Is(r.Err, ErrBankUnavailable) {
			return MsgTellerUnanswered.Textf(lang, FormatMoney(r.Amount))
		}
		return MsgTellerUnfinished.Textf(lang, FormatMoney(r.Amount))
	}
	return MsgTellerNotLoaded.Textf(lang, ExplainTeller(r.Err, lang))
}

// SettledText is what a tap made of an earlier load of the phone, in the
// teller's language; "" for none.
func SettledText(s *NoteSettlement, lang string) string {
	if s == nil {
		return ""
	}
	m, ok := map[NoteOutcome]Message{NoteFinished: MsgTellerNoteFinished, NoteReturned: MsgTellerNoteReturned,
		NoteNotDone: MsgTellerNoteNotDone, NoteFiled: MsgTellerNoteFiled}[s.Outcome]
	if !ok {
		return ""
	}
	return m.Textf(lang, FormatMoney(s.Load.Amount))
}

// StepText is a step of a tap in the teller's language.
func StepText(s TellerStep, lang string) string {
	m, ok := map[TellerStep]Message{
		StepTap: MsgTellerStepTap, StepRead: MsgTellerStepRead, StepARQC: MsgTellerStepARQC, StepBank: MsgTellerStepBank,
		StepScript: MsgTellerStepScript, StepBalance: MsgTellerStepBalance, StepDone: MsgTellerStepDone,
	}[s]
	if !ok {
		return string(s)
	}
	return m.Text(lang)
}

// signerRefusal is why the one who was to sign an unload could not: the
// customer's sign-in locked at the bank, or the second teller at the desk.
func signerRefusal(err error, lang string) (string, bool) {
	var be *BankError
	if errors.Is(err, ErrCustomerLocked) && errors.As(err, &be) {
		if be.RetryAfter.IsZero() {
			return MsgTellerErrCustomerLocked.Text(lang), true
		}
		return MsgTellerErrCustomerLockedUntil.Textf(lang, clock(be.RetryAfter)), true
	}
	var ae *ApproverError
	switch {
	case errors.Is(err, ErrUnloadSigner):
		return MsgTellerErrSigner.Text(lang), true
	case errors.Is(err, ErrApproverSelf):
		return MsgTellerErrApproverSelf.Text(lang), true
	case !errors.As(err, &ae):
		return "", false
	case errors.Is(ae.Err, ErrLocked):
		return MsgTellerErrApproverLocked.Textf(lang, ae.ID), true
	case errors.Is(ae.Err, ErrWrongPIN):
		return MsgTellerErrApproverPIN.Text(lang), true
	case errors.Is(ae.Err, ErrRole), errors.Is(ae.Err, ErrOperatorID):
		return MsgTellerErrApproverRole.Textf(lang, ae.ID), true
	}
	return MsgTellerErrApproverOther.Textf(lang, ae.ID, Explain(ae.Err, lang)), true
}

// clock is a moment a teller waits for: the time of day when it is
// today, else the day and time, in the desk's time zone.
func clock(t time.Time) string {
	t = t.Local()
	if y, m, d := time.Now().Date(); t.Year() == y && t.Month() == m && t.Day() == d {
		return t.Format("15:04")
	}
	return t.Format("2006-01-02 15:04")
}

// UnloadText is what came of an unload, in the teller's language: held
// until the bank's settlement window ends, or paid.
func UnloadText(r UnloadResult, lang string) string {
	if r.State != UnloadHeld {
		return MsgTellerUnloaded.Textf(lang, FormatMoney(r.Amount), r.Customer, FormatMoney(r.BankBalance))
	}
	if r.PaysAt.IsZero() {
		return MsgTellerUnloadHeldWindow.Textf(lang, FormatMoney(r.Amount), r.Customer)
	}
	return MsgTellerUnloadHeld.Textf(lang, FormatMoney(r.Amount), r.Customer, PayDay(r.PaysAt, lang))
}

// PayDay is the day a held unload pays, as each language writes a date:
// "11 Dec 2026", "2026年12月11日".
func PayDay(t time.Time, lang string) string {
	t = t.Local()
	if lang == SimplifiedChinese {
		return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
	}
	return t.Format("2 Jan 2006")
}

// UnloadStateText is where an unload on a statement stands: held until
// the day it pays, or paid (what the window's purchases left, and when).
// A state this desk does not know is said as the bank named it.
func UnloadStateText(u StatementUnload, lang string) string {
	switch u.State {
	case UnloadHeld:
		if u.PaysAt.IsZero() {
			return MsgTellerStateHeldWindow.Text(lang)
		}
		return MsgTellerStateHeld.Textf(lang, PayDay(u.PaysAt, lang))
	case UnloadPaid:
		paid, day := u.Amount, u.PaidAt
		if u.Paid != nil {
			paid = *u.Paid
		}
		if day.IsZero() {
			day = u.PaysAt
		}
		return MsgTellerStatePaid.Textf(lang, FormatMoney(paid), PayDay(day, lang))
	}
	return string(u.State)
}

// UnloadSignedText is who asked for an unload and who signed it.
func UnloadSignedText(u StatementUnload, lang string) string {
	switch u.Approver {
	case "":
		return u.Operator
	case ApproverCustomer:
		return MsgTellerSignedCustomer.Textf(lang, u.Operator)
	}
	return MsgTellerSignedBy.Textf(lang, u.Operator, u.Approver)
}

// UnloadLineText is an unload on a statement as one line: when, how
// much, where it stands, who asked and signed.
func UnloadLineText(u StatementUnload, lang string) string {
	at := "-"
	if !u.At.IsZero() {
		at = u.At.Local().Format("2006-01-02 15:04")
	}
	return MsgTellerUnloadLine.Textf(lang, at, MsgTellerKindUnload.Text(lang), FormatMoney(u.Amount),
		UnloadStateText(u, lang), UnloadSignedText(u, lang))
}
