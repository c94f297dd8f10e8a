package app

// The sentences of the forwarding list as a document (CSV and PDF).
const (
	MsgFwdTitle     Message = "forwarding_export.title"
	MsgFwdNote      Message = "forwarding_export.note"
	MsgFwdWhich     Message = "forwarding_export.which"
	MsgFwdDay       Message = "forwarding_export.day"
	MsgFwdEveryDay  Message = "forwarding_export.every_day"
	MsgFwdSearch    Message = "forwarding_export.search"
	MsgFwdNoSearch  Message = "forwarding_export.no_search"
	MsgFwdListed    Message = "forwarding_export.listed"
	MsgFwdSales     Message = "forwarding_export.sales"
	MsgFwdTime      Message = "forwarding_export.time"
	MsgFwdStands    Message = "forwarding_export.stands"
	MsgFwdTotals    Message = "forwarding_export.totals"
	MsgFwdAllListed Message = "forwarding_export.all_listed"
)

func init() {
	addMessages(map[string]map[Message]string{
		English: {
			MsgFwdTitle:     "Forwarding list",
			MsgFwdNote:      "Each sale with where it stands at the bank, and the bank's reason for one it refused.",
			MsgFwdWhich:     "Which sales",
			MsgFwdDay:       "Day",
			MsgFwdEveryDay:  "every day",
			MsgFwdSearch:    "Search",
			MsgFwdNoSearch:  "none",
			MsgFwdListed:    "Sales listed",
			MsgFwdSales:     "Sales",
			MsgFwdTime:      "Time",
			MsgFwdStands:    "Where it stands (bank's reason)",
			MsgFwdTotals:    "Totals by where they stand",
			MsgFwdAllListed: "All sales listed",
		},
		SimplifiedChinese: {
			MsgFwdTitle:     "交易上送清单",
			MsgFwdNote:      "每笔交易在银行的处理状态，以及被银行拒绝的原因。",
			MsgFwdWhich:     "交易范围",
			MsgFwdDay:       "日期",
			MsgFwdEveryDay:  "全部日期",
			MsgFwdSearch:    "搜索",
			MsgFwdNoSearch:  "无",
			MsgFwdListed:    "列出笔数",
			MsgFwdSales:     "交易明细",
			MsgFwdTime:      "时间",
			MsgFwdStands:    "处理状态(银行原因)",
			MsgFwdTotals:    "按处理状态合计",
			MsgFwdAllListed: "列出交易合计",
		},
	})
}
