package app

// lingqian version and --version.
const (
	MsgVersionUsage Message = "version.usage"
)
