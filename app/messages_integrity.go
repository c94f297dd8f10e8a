package app

// What `lingqian journal verify` says of the audit log and the settings
// and operators it vouches for, beside the journal's own lines (cli).
const (
	MsgAuditIntact Message = "integrity.audit_intact"
	MsgAuditEmpty  Message = "integrity.audit_empty"
	MsgAuditBroken Message = "integrity.audit_broken"
)
