package app

// The export buttons' sentences.
const (
	MsgExportCSV   Message = "export.csv"
	MsgExportPDF   Message = "export.pdf"
	MsgExported    Message = "export.done"
	MsgExportedN   Message = "export.done_n"
	MsgExportTitle Message = "export.title"
)

func init() {
	addMessages(map[string]map[Message]string{
		English: {
			MsgExportCSV:   "Export CSV",
			MsgExportPDF:   "Export PDF",
			MsgExported:    "Saved as %s",
			MsgExportedN:   "%d sales saved as %s",
			MsgExportTitle: "Export",
		},
		SimplifiedChinese: {
			MsgExportCSV:   "导出 CSV",
			MsgExportPDF:   "导出 PDF",
			MsgExported:    "已保存为 %s",
			MsgExportedN:   "%d 笔交易已保存为 %s",
			MsgExportTitle: "导出",
		},
	})
}
