package cli

import (
	"bytes"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestReport_PDFToAFile(t *testing.T) {
	// Given a desk with three purchases (1.00, 2.00 and 3.00) by li.na
	dir := t.TempDir()
	seedJournal(t, dir, 3)
	out := filepath.Join(t.TempDir(), "x.pdf")

	for _, tc := range []struct{ lang, pending, page, written string }{
		{"en", "pending 3 6.00", "Page 1 of 1", "X report written to "},
		{"zh-Hans", "待入账 3 6.00", "第 1 页，共 1 页", "X 报表已写入 "},
	} {
		// When the X report is written as a PDF
		code, stdout, errs := runCLI(t, "", "report", "--data", dir, "--x", "--format", "pdf", "--out", out, "--lang", tc.lang)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.lang, code, errs)
		}
		if !strings.Contains(stdout, tc.written+out) {
			t.Errorf("says %q", stdout)
		}
		// Then the file reads back with the totals, the cashier and the page number, and nothing is left beside it
		text, err := exec.Command("pdftotext", "-layout", out, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext (poppler-utils, scripts/deps.sh): %v", err)
		}
		page := strings.Join(strings.Fields(string(text)), " ")
		for _, want := range []string{tc.pending, "li.na 3 6.00", tc.page, "Lingqian shop"} {
			if !strings.Contains(page, want) {
				t.Errorf("%s: no %q in\n%s", tc.lang, want, page)
			}
		}
		if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*.tmp")); len(left) != 0 {
			t.Errorf("left behind: %v", left)
		}
	}
}

func TestReport_ZReportAsCSV(t *testing.T) {
	// Given a desk with three purchases and a supervisor
	dir := t.TempDir()
	seedJournal(t, dir, 3)
	runCLI(t, "9876\n", "operator", "add", "--data", dir, "--id", "boss", "--role", "admin")

	// When the day is closed with the Z report written as CSV to a file, and reprinted to standard output
	out := filepath.Join(t.TempDir(), "z.csv")
	if code, _, errs := runCLI(t, "9876\n", "report", "--data", dir, "--z", "--by", "boss", "--format", "csv", "--out", out, "--lang", "zh-Hans"); code != 0 {
		t.Fatalf("close: %s", errs)
	}
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	code, again, errs := runCLI(t, "", "report", "--data", dir, "--z", "--number", "1", "--format", "csv", "--lang", "zh-Hans")
	if code != 0 {
		t.Fatalf("reprint: %s", errs)
	}

	// Then both are the same CSV, and encoding/csv reads the totals back
	if string(written) != again {
		t.Errorf("file\n%s\nreprint\n%s", written, again)
	}
	records, err := csv.NewReader(bytes.NewReader(written)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(records[0], ",") != "report,number,made,group,key,count,amount,label" {
		t.Errorf("header %q", records[0])
	}
	found := map[string]bool{}
	for _, rec := range records[1:] {
		switch rec[3] + "/" + rec[4] {
		case "state/pending":
			found["pending"] = rec[0] == "Z" && rec[1] == "1" && rec[5] == "3" && rec[6] == "6.00" && rec[7] == "待入账"
		case "cashier/li.na":
			found["li.na"] = rec[5] == "3" && rec[6] == "6.00"
		case "total/not_voided":
			found["total"] = rec[5] == "3" && rec[6] == "6.00"
		}
	}
	for _, k := range []string{"pending", "li.na", "total"} {
		if !found[k] {
			t.Errorf("%s row missing or wrong in\n%s", k, written)
		}
	}
}

func TestReport_Refusals(t *testing.T) {
	dir := t.TempDir()
	seedJournal(t, dir, 1)
	runCLI(t, "9876\n", "operator", "add", "--data", dir, "--id", "boss", "--role", "admin")
	missing := filepath.Join(t.TempDir(), "no such folder", "z.pdf")
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"a PDF to the terminal", "", []string{"--x", "--format", "pdf"}, "add --out FILE"},
		{"an unknown format", "", []string{"--x", "--format", "xlsx"}, `format "xlsx": use text, csv, json or pdf`},
		{"an unknown language", "", []string{"--x", "--format", "csv", "--lang", "fr"}, `language "fr"`},
		{"a folder that is not there", "9876\n", []string{"--z", "--by", "boss", "--format", "pdf", "--out", missing}, "cannot write"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, errs := runCLI(t, tc.stdin, append([]string{"report", "--data", dir}, tc.args...)...)
			if code != exitError || !strings.Contains(errs, tc.want) || stdout != "" {
				t.Errorf("exit %d, out %q, err %q; want %q", code, stdout, errs, tc.want)
			}
		})
	}
	// And the day was not closed for a file that could not be written
	if code, _, errs := runCLI(t, "", "report", "--data", dir, "--z", "--number", "1"); code == 0 || !strings.Contains(errs, "not found") {
		t.Errorf("Z report 1 exists: %d %s", code, errs)
	}
}
