package ui

import (
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"lingqian/app"
	"lingqian/desk"
	"lingqian/device"
	"lingqian/report"
)

func TestExport_ButtonsWriteTheReportAndTheForwardingList(t *testing.T) {
	// Given two sales, and the desk's real documents and export folder
	s := newShop(t, app.English, app.Limits{})
	dir := t.TempDir()
	docs := desk.Documents{Shop: report.Shop{Name: "Test shop", MerchantID: "M00000000000001", TerminalID: "T0000001"}}
	do(func() {
		s.desk.svc.Export = &app.Export{Docs: docs, Folder: desk.ExportFolder{Dir: dir}, Sales: s.desk.svc.Sales, Audit: s.db}
	})
	w := s.wallet(50000)
	s.signedIn(cashier)
	s.sale("12.50", w, device.Leave{})
	s.sale("7.50", w, device.Leave{})
	exported := func(prefix string) string {
		t.Helper()
		var path string
		eventually(t, "a file "+prefix+"*", func() bool {
			m, _ := filepath.Glob(filepath.Join(dir, prefix+"*"))
			if len(m) == 1 {
				path = m[0]
			}
			return path != ""
		})
		return path
	}

	// When the X report is exported as CSV from the end of day screen
	s.press(fyne.KeyF4)
	eventually(t, "X report", func() bool { return s.desk.eod.shown.Kind == "X" && s.desk.eod.shown.Pending.Count == 2 })
	s.tapButton("Export CSV")
	path := exported("x-report-")
	s.dialogSays("Saved as " + path)

	// Then the file reads back with its totals
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rows {
		if len(r) > 6 && r[3] == "state" && r[4] == "pending" && r[5] == "2" && r[6] == "20.00" {
			found = true
		}
	}
	if !found {
		t.Fatalf("no pending 2 / 20.00 row in %q", rows)
	}

	// When the forwarding list is exported as PDF
	s.press(fyne.KeyEscape) // the message closes by keyboard
	s.press(fyne.KeyF3)
	s.tapButton("Export PDF")
	pdf := exported("forwarding-")
	s.dialogSays("2 sales saved as " + pdf)

	// Then it reads as a document listing both sales
	out, err := exec.Command("pdftotext", "-layout", pdf, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	for _, want := range []string{"12.50", "7.50", cashier} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the forwarding list lacks %q:\n%s", want, out)
		}
	}
}
