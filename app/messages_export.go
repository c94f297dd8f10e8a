package app

// The export buttons' sentences.
const (
	MsgExportCSV   Message = "export.csv"
	MsgExportPDF   Message = "export.pdf"
	MsgExported    Message = "export.done"
	MsgExportedN   Message = "export.done_n"
	MsgExportTitle Message = "export.title"
)
