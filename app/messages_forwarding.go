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

// Forwarding stopped by the bank's refusal of the desk's chains.
const (
	MsgForwardingForked     Message = "forwarding.chain_forked"
	MsgForwardingForkedHelp Message = "forwarding.chain_forked_help"
)

// Forwarding stopped by the desk itself: its own journal or audit log
// does not verify, so it names no chain head to the bank.
const (
	MsgForwardingUnverifiedJournal Message = "forwarding.unverified_journal"
	MsgForwardingUnverifiedAudit   Message = "forwarding.unverified_audit"
	MsgForwardingUnverifiedRecords Message = "forwarding.unverified_records"
	MsgForwardingUnverifiedHelp    Message = "forwarding.unverified_help"
)
