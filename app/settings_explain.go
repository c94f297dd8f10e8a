package app

import "errors"

// ExplainSettings turns an error of the settings' use cases (enrolment,
// limits, operators) into a sentence for the person at the desk, and any
// other error as Explain does. The details stay in the error, for the log.
func ExplainSettings(err error, lang string) string {
	var limit *LimitSettingError
	var reenrol *ReenrolError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &limit):
		if limit.Limit == "order" {
			return MsgLimitOrder.Text(lang)
		}
		return MsgLimitRange.Textf(lang, LimitName(limit.Limit, lang), limit.Max)
	case errors.As(err, &reenrol):
		return MsgReenrolJournal.Textf(lang, reenrol.Entries, reenrol.Terminal, reenrol.Merchant)
	}
	for _, e := range []struct {
		err error
		msg Message
	}{
		// Most specific first: a refused enrolment may also carry the
		// transport's error.
		{ErrEnrolForm, MsgErrEnrolForm},
		{ErrEnrolCode, MsgErrEnrolCode},
		{ErrBankCA, MsgErrBankCA},
		{ErrNotTheBank, MsgErrNotTheBank},
		{ErrBankUnreachable, MsgErrUnreachable},
		{ErrOwnAccount, MsgErrOwnAccount},
		{ErrBadOperatorID, MsgErrOperatorID},
		{ErrOperatorTaken, MsgErrOperatorTaken},
		{ErrNotFound, MsgErrNoOperator},
	} {
		if errors.Is(err, e.err) {
			return e.msg.Text(lang)
		}
	}
	return Explain(err, lang)
}

// LimitName is an offline limit's name as the settings show it.
func LimitName(limit, lang string) string {
	m, ok := map[string]Message{
		"per_purchase":   MsgLimitPerPurchaseField,
		"pending_amount": MsgLimitPendingAmountField,
		"pending_count":  MsgLimitPendingCountField,
		"oldest_pending": MsgLimitOldestField,
	}[limit]
	if !ok {
		return limit
	}
	return m.Text(lang)
}
