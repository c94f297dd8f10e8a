package app

// The forwarding screen's sentences, kept apart from the checkout's.
const (
	MsgShowAll         Message = "forwarding.show_all"
	MsgShowPending     Message = "forwarding.show_pending"
	MsgShowRejected    Message = "forwarding.show_rejected"
	MsgShowDifferences Message = "forwarding.show_differences"
	MsgAllCashiers     Message = "forwarding.all_cashiers"
	MsgDayHint         Message = "forwarding.day_hint"
	MsgSearchHint      Message = "forwarding.search_hint"
	MsgMore            Message = "forwarding.more"
	MsgTimeline        Message = "forwarding.timeline"
	MsgBadDay          Message = "forwarding.bad_day"
	MsgBadSearch       Message = "forwarding.bad_search"
	MsgNoneMatch       Message = "forwarding.none_match"
	MsgStateQueued     Message = "state.queued"
	MsgStateAcked      Message = "state.acknowledged"
)

func init() {
	addMessages(map[string]map[Message]string{
		English: {
			MsgShowAll:         "All sales",
			MsgShowPending:     "Pending",
			MsgShowRejected:    "Rejected",
			MsgShowDifferences: "Differences",
			MsgAllCashiers:     "Every cashier",
			MsgDayHint:         "Day, e.g. 2026-12-03",
			MsgSearchHint:      "Sequence or wallet, e.g. 623199******0019",
			MsgMore:            "More",
			MsgTimeline:        "On its way to the bank",
			MsgBadDay:          "Write the day like 2026-12-03.",
			MsgBadSearch:       "Search by a sequence number or a wallet number as the receipt prints it.",
			MsgNoneMatch:       "No sale matches.",
			MsgStateQueued:     "queued",
			MsgStateAcked:      "received by the bank",
		},
		SimplifiedChinese: {
			MsgShowAll:         "全部交易",
			MsgShowPending:     "待入账",
			MsgShowRejected:    "被拒绝",
			MsgShowDifferences: "差异",
			MsgAllCashiers:     "全部收银员",
			MsgDayHint:         "日期，例如 2026-12-03",
			MsgSearchHint:      "流水号或钱包，例如 623199******0019",
			MsgMore:            "更多",
			MsgTimeline:        "上送银行的过程",
			MsgBadDay:          "请按 2026-12-03 的格式输入日期。",
			MsgBadSearch:       "请按流水号或收据上的钱包号搜索。",
			MsgNoneMatch:       "没有符合条件的交易。",
			MsgStateQueued:     "排队中",
			MsgStateAcked:      "银行已收到",
		},
	})
}
