package app

import (
	"context"
	"errors"
	"time"
)

// Side is one side's totals of a reconciliation.
type Side struct {
	Posted, Pending, Rejected Totals
}

// Difference is one message where desk and bank do not simply agree.
type Difference struct {
	Seq        int64
	Kind       string // as the reconciliation names it: missing, duplicate, amount_mismatch, rejected, key_mismatch, unknown, state_mismatch
	Reason     string // the bank's reason, for a rejected message
	DeskAmount Money
	BankAmount Money
	DeskState  string
	BankState  string
}

// Reconciliation is the desk's journal against the bank's feed, for the
// messages after SinceSeq.
type Reconciliation struct {
	SinceSeq    int64
	At          time.Time
	Desk, Bank  Side
	Differences []Difference
}

// Agree says whether the two sides hold the same totals and no difference.
func (r Reconciliation) Agree() bool { return r.Desk == r.Bank && len(r.Differences) == 0 }

// ErrNotEnrolled says the desk has no bank to ask yet.
var ErrNotEnrolled = errors.New("the desk is not enrolled with a bank")

// Reconciler asks the bank how the desk's messages stand.
type Reconciler interface {
	Reconcile(ctx context.Context, sinceSeq int64) (Reconciliation, error)
}

// What says what a difference is, in the desk's language.
func (d Difference) What(lang string) string {
	m, ok := differenceWhat[d.Kind]
	if !ok {
		return d.Kind
	}
	switch d.Kind {
	case "rejected":
		return m.Textf(lang, d.Reason)
	case "amount_mismatch":
		return m.Textf(lang, FormatMoney(d.DeskAmount), FormatMoney(d.BankAmount))
	case "state_mismatch":
		return m.Textf(lang, d.DeskState, d.BankState)
	}
	return m.Text(lang)
}

// Advice says what the shop owner can do about a difference.
func (d Difference) Advice(lang string) string {
	if m, ok := differenceAdvice[d.Kind]; ok {
		return m.Text(lang)
	}
	return MsgAdviceCallBank.Text(lang)
}
