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
