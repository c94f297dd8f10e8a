package app

// Reconciliation's sentences: what each difference is, and what to do.
const (
	MsgCheckBank      Message = "reconcile.check"
	MsgDeskVsBank     Message = "reconcile.desk_vs_bank"
	MsgDesk           Message = "reconcile.desk"
	MsgBank           Message = "reconcile.bank"
	MsgAgree          Message = "reconcile.agree"
	MsgDifferences    Message = "reconcile.differences"
	MsgDiffMissing    Message = "reconcile.what.missing"
	MsgDiffDuplicate  Message = "reconcile.what.duplicate"
	MsgDiffAmount     Message = "reconcile.what.amount"
	MsgDiffRejected   Message = "reconcile.what.rejected"
	MsgDiffKey        Message = "reconcile.what.key"
	MsgDiffUnknown    Message = "reconcile.what.unknown"
	MsgDiffState      Message = "reconcile.what.state"
	MsgAdviceForward  Message = "reconcile.advice.forward"
	MsgAdviceNothing  Message = "reconcile.advice.nothing"
	MsgAdviceCallBank Message = "reconcile.advice.call_bank"
	MsgAdviceRejected Message = "reconcile.advice.rejected"
	MsgNoBank         Message = "reconcile.no_bank"
	MsgBankUnreached  Message = "reconcile.unreached"
	MsgChecking       Message = "reconcile.checking"
)

var differenceWhat = map[string]Message{
	"missing": MsgDiffMissing, "duplicate": MsgDiffDuplicate, "amount_mismatch": MsgDiffAmount, "rejected": MsgDiffRejected,
	"key_mismatch": MsgDiffKey, "unknown": MsgDiffUnknown, "state_mismatch": MsgDiffState,
}

var differenceAdvice = map[string]Message{
	"missing": MsgAdviceForward, "duplicate": MsgAdviceNothing, "amount_mismatch": MsgAdviceCallBank, "rejected": MsgAdviceRejected,
	"key_mismatch": MsgAdviceCallBank, "unknown": MsgAdviceCallBank, "state_mismatch": MsgAdviceForward,
}
