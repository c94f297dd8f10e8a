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
