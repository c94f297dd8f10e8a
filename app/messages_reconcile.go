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

func init() {
	addMessages(map[string]map[Message]string{
		English: {
			MsgCheckBank:      "Check with the bank",
			MsgDeskVsBank:     "Desk against bank, entries after %d",
			MsgDesk:           "Desk",
			MsgBank:           "Bank",
			MsgAgree:          "Desk and bank agree.",
			MsgDifferences:    "Differences",
			MsgDiffMissing:    "the bank does not list it yet",
			MsgDiffDuplicate:  "the bank had it already and counts it once",
			MsgDiffAmount:     "amounts differ: desk %s, bank %s",
			MsgDiffRejected:   "the bank refused it: %s",
			MsgDiffKey:        "the bank holds another message under this number",
			MsgDiffUnknown:    "the bank lists a message this desk never sent",
			MsgDiffState:      "the desk holds it as %s, the bank as %s",
			MsgAdviceForward:  "Forward now; if it stays after a day, call the bank with the sequence number.",
			MsgAdviceNothing:  "Nothing to do: it is paid once.",
			MsgAdviceCallBank: "Call the bank with the sequence number and the receipt.",
			MsgAdviceRejected: "The bank will not pay this sale. Call the bank with the receipt; keep it for the dispute.",
			MsgNoBank:         "This desk is not enrolled with a bank.",
			MsgBankUnreached:  "The bank could not be reached. Try again later; nothing is lost.",
			MsgChecking:       "Asking the bank…",
		},
		SimplifiedChinese: {
			MsgCheckBank:      "与银行核对",
			MsgDeskVsBank:     "收银台与银行对账，流水 %d 之后",
			MsgDesk:           "收银台",
			MsgBank:           "银行",
			MsgAgree:          "收银台与银行一致。",
			MsgDifferences:    "差异",
			MsgDiffMissing:    "银行尚未列出该笔",
			MsgDiffDuplicate:  "银行已有该笔，只计一次",
			MsgDiffAmount:     "金额不一致：收银台 %s，银行 %s",
			MsgDiffRejected:   "银行拒绝：%s",
			MsgDiffKey:        "银行在此流水号下记有另一笔报文",
			MsgDiffUnknown:    "银行列出一笔本收银台从未发送的报文",
			MsgDiffState:      "收银台记为 %s，银行记为 %s",
			MsgAdviceForward:  "请立即上送；若一天后仍如此，请携流水号联系银行。",
			MsgAdviceNothing:  "无需处理：只入账一次。",
			MsgAdviceCallBank: "请携流水号和收据联系银行。",
			MsgAdviceRejected: "银行不会为此笔付款。请携收据联系银行，并保留收据以备争议。",
			MsgNoBank:         "此收银台未在银行注册。",
			MsgBankUnreached:  "无法连接银行，请稍后再试；数据不会丢失。",
			MsgChecking:       "正在询问银行……",
		},
	})
}
