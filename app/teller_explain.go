package app

import (
	"errors"
	"strconv"

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
		BankCodeInsufficientFunds: MsgTellerErrInsufficient,
		BankCodeHotlisted:         MsgTellerErrHotlisted,
		BankCodeNotFound:          MsgTellerErrNotFound,
		BankCodeConflict:          MsgTellerErrConflict,
		BankCodeForbidden:         MsgTellerErrForbidden,
		BankCodeBadRequest:        MsgTellerErrBadRequest,
		BankCodeAnswered:          MsgTellerErrAnswered,
	}[e.Code]
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
