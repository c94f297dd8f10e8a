package ui

import "lingqian/app"

// The bank names exception kinds, statement lines, states and reasons by
// stable codes (bank/message.go, bank/store.go). The teller reads them in
// the desk's language; a code this desk does not know yet is said as
// such, with the code, so it can still be asked about.

// exceptionKinds are an exception's name and what it asks of the teller.
var exceptionKinds = map[string][2]app.Message{
	"cloned_wallet":    {app.MsgTellerUIExcClonedWallet, app.MsgTellerUIExcClonedWalletWhat},
	"balance_chain":    {app.MsgTellerUIExcBalanceChain, app.MsgTellerUIExcBalanceChainWhat},
	"balance_mismatch": {app.MsgTellerUIExcBalanceMismatch, app.MsgTellerUIExcBalanceMismatchWhat},
	"unfinished_load":  {app.MsgTellerUIExcUnfinishedLoad, app.MsgTellerUIExcUnfinishedLoadWhat},
}

// exceptionText is an exception kind's name and what it asks of the teller.
func exceptionText(kind, lang string) (name, what string) {
	if m, ok := exceptionKinds[kind]; ok {
		return m[0].Text(lang), m[1].Text(lang)
	}
	return app.MsgTellerUIExcOther.Textf(lang, kind), app.MsgTellerUIExcOtherWhat.Text(lang)
}

var statementKinds = map[string]app.Message{
	"voucher": app.MsgTellerUIKindVoucher, "load": app.MsgTellerUIKindLoad, "unload": app.MsgTellerUIKindUnload,
	"purchase": app.MsgTellerUIKindPurchase, "void": app.MsgTellerUIKindVoid, "reentry": app.MsgTellerUIKindReEntry,
}

// statementKindText is what a statement line is: a load, a purchase…
func statementKindText(kind, lang string) string {
	if m, ok := statementKinds[kind]; ok {
		return m.Text(lang)
	}
	return app.MsgTellerUIKindOther.Textf(lang, kind)
}

var statementStates = map[string]app.Message{
	"posted": app.MsgStatePosted, "pending": app.MsgStatePending, "rejected": app.MsgStateRejected,
	"duplicate": app.MsgStateDuplicate, "awaiting_desk": app.MsgTellerUIStateAwaiting,
}

// statementStateText is where a statement line stands at the bank, with
// the reason of a refusal; "" for a line with no state (a re-entry moves
// no money).
func statementStateText(state, reason, lang string) string {
	s := ""
	if state != "" {
		if m, ok := statementStates[state]; ok {
			s = m.Text(lang)
		} else {
			s = app.MsgTellerUIStateOther.Textf(lang, state)
		}
	}
	if reason == "" {
		return s
	}
	if s == "" {
		return reasonText(reason, lang)
	}
	return app.MsgTellerUIStateReason.Textf(lang, s, reasonText(reason, lang))
}

var reasons = map[string]app.Message{
	"bad_cryptogram":  app.MsgTellerUIReasonBadCryptogram,
	"bad_signature":   app.MsgTellerUIReasonBadSignature,
	"amount_mismatch": app.MsgTellerUIReasonAmountMismatch,
	"unknown_wallet":  app.MsgTellerUIReasonUnknownWallet,
	"replayed":        app.MsgTellerUIReasonReplayed,
	"cloned_wallet":   app.MsgTellerUIReasonClonedWallet,
	"hotlisted":       app.MsgTellerUIReasonHotlisted,
	"wrong_merchant":  app.MsgTellerUIReasonWrongMerchant,
	"void_too_late":   app.MsgTellerUIReasonVoidTooLate,
	"voided":          app.MsgTellerUIReasonVoided,
	"invalid":         app.MsgTellerUIReasonInvalid,
	"balance_chain":   app.MsgTellerUIReasonBalanceChain,
}

// reasonText is why the bank refused a message or a record.
func reasonText(reason, lang string) string {
	if m, ok := reasons[reason]; ok {
		return m.Text(lang)
	}
	return app.MsgTellerUIReasonOther.Textf(lang, reason)
}

// walletStatusText is a wallet's status at the bank, and whether desks
// refuse it already (a cloned wallet is hotlisted by the bank itself).
func walletStatusText(status, lang string) (text string, blocked bool) {
	switch status {
	case "active":
		return app.MsgTellerUIStatusActive.Text(lang), false
	case "hotlisted":
		return app.MsgTellerUIStatusHotlisted.Text(lang), true
	case "cloned":
		return app.MsgTellerUIStatusCloned.Text(lang), true
	}
	return app.MsgTellerUIStatusOther.Textf(lang, status), false
}
