package app

// The end-of-day screen's sentences.
const (
	MsgCloseDay      Message = "eod.close_day"
	MsgCloseDayTitle Message = "eod.close_day_title"
	MsgClose2        Message = "eod.close"
	MsgZReport       Message = "eod.z_report"
	MsgPastZ         Message = "eod.past_z"
	MsgZListItem     Message = "eod.z_list_item"
	MsgSeal          Message = "eod.seal"
	MsgByHour        Message = "eod.by_hour"
	MsgEntries       Message = "eod.entries"
	MsgDayClosed     Message = "eod.day_closed"
)

func init() {
	addMessages(map[string]map[Message]string{
		English: {
			MsgCloseDay:      "Close the day (Z)",
			MsgCloseDayTitle: "Close the day: a numbered Z report, kept for ever",
			MsgClose2:        "Close the day",
			MsgZReport:       "Z report no. %d",
			MsgPastZ:         "Reprint a Z report",
			MsgZListItem:     "Z %d — %s, closed by %s",
			MsgSeal:          "Seal %s",
			MsgByHour:        "Sales by hour",
			MsgEntries:       "Entries %d to %d",
			MsgDayClosed:     "The day is closed: Z report no. %d.",
		},
		SimplifiedChinese: {
			MsgCloseDay:      "日结 (Z 报表)",
			MsgCloseDayTitle: "日结：生成编号的 Z 报表，永久保存",
			MsgClose2:        "日结",
			MsgZReport:       "第 %d 号 Z 报表",
			MsgPastZ:         "重印 Z 报表",
			MsgZListItem:     "Z %d — %s，%s 日结",
			MsgSeal:          "封印 %s",
			MsgByHour:        "按小时统计",
			MsgEntries:       "流水 %d 至 %d",
			MsgDayClosed:     "已日结：第 %d 号 Z 报表。",
		},
	})
}
