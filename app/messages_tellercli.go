package app

// The teller command's usage and its input mistakes.
const (
	MsgCLITellerUsageLoad       Message = "cli.teller_usage.load"
	MsgCLITellerUsageUnload     Message = "cli.teller_usage.unload"
	MsgCLITellerUsageLookup     Message = "cli.teller_usage.lookup"
	MsgCLITellerUsageStatement  Message = "cli.teller_usage.statement"
	MsgCLITellerUsageHotlist    Message = "cli.teller_usage.hotlist"
	MsgCLITellerUsageExceptions Message = "cli.teller_usage.exceptions"
	MsgCLITellerUsageReentry    Message = "cli.teller_usage.reentry"
	MsgCLITellerUsageFooter     Message = "cli.teller_usage.footer"
	MsgCLITellerNotACommand     Message = "cli.teller.not_a_command"
	MsgCLITellerNeedOperator    Message = "cli.teller.need_operator"
	MsgCLIBadTheme              Message = "cli.bad_theme"
	MsgCLITellerBadTimeout      Message = "cli.teller.bad_timeout"
	MsgCLITellerNeedAmount      Message = "cli.teller.need_amount"
	MsgCLITellerNoteNoResolve   Message = "cli.teller.note_without_resolve"
	MsgCLITellerNeedSigner      Message = "cli.teller.need_signer"
	MsgCLITellerBothSigners     Message = "cli.teller.both_signers"
	MsgCLITellerPasswordPrompt  Message = "cli.teller.password_prompt"
	MsgCLITellerNoPassword      Message = "cli.teller.no_password"
)
