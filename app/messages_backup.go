package app

// `lingqian backup` and `lingqian restore`, and the refusal of a data
// folder a newer release wrote.
const (
	MsgCLIBackupUsageBackup    Message = "cli.backup.usage_backup"
	MsgCLIBackupUsageRestore   Message = "cli.backup.usage_restore"
	MsgCLIBackupNeedOut        Message = "cli.backup.need_out"
	MsgCLIBackupNeedFrom       Message = "cli.backup.need_from"
	MsgCLIBackupExists         Message = "cli.backup.exists"
	MsgCLIBackupNoDesk         Message = "cli.backup.no_desk"
	MsgCLIBackupCannotWrite    Message = "cli.backup.cannot_write"
	MsgCLIBackupWritten        Message = "cli.backup.written"
	MsgCLIBackupJournal        Message = "cli.backup.journal"
	MsgCLIBackupJournalEmpty   Message = "cli.backup.journal_empty"
	MsgCLIBackupFiles          Message = "cli.backup.files"
	MsgCLIBackupNoFiles        Message = "cli.backup.no_files"
	MsgCLIBackupKeepSafe       Message = "cli.backup.keep_safe"
	MsgCLIBackupBroken         Message = "cli.backup.broken"
	MsgCLIBackupCannotRead     Message = "cli.backup.cannot_read"
	MsgCLIBackupNotBackup      Message = "cli.backup.not_backup"
	MsgCLIBackupOccupied       Message = "cli.backup.occupied"
	MsgCLIBackupOccupiedBroken Message = "cli.backup.occupied_unopened"
	MsgCLIBackupInUse          Message = "cli.backup.in_use"
	MsgCLIBackupNewerBackup    Message = "cli.backup.newer_backup"
	MsgCLIBackupBrokenBackup   Message = "cli.backup.broken_backup"
	// The audit log, a setting or an operator does not verify: a finding
	// with no journal entry.
	MsgCLIBackupBrokenRecords       Message = "cli.backup.broken_records"
	MsgCLIBackupBrokenBackupRecords Message = "cli.backup.broken_backup_records"
	MsgCLIBackupRestored            Message = "cli.backup.restored"
	MsgCLIBackupReplaced            Message = "cli.backup.replaced"
	MsgCLIBackupOneDesk             Message = "cli.backup.one_desk"
	MsgCLIBackupNewerFolder         Message = "cli.backup.newer_folder"
)
