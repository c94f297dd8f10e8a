package report

import (
	"bytes"
	"crypto/sha256"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"lingqian/app"
)

var beijing = time.FixedZone("CST", 8*3600)

// aDay is a Z report of a small shop's day: two cashiers, sales from 9 to
// 18 o'clock, one of them rejected, one voided, one the bank had twice.
func aDay() app.Report {
	r := app.Report{Kind: "Z", Number: 7, Terminal: "T0000042", Merchant: "M001", Made: time.Date(2025, 3, 14, 21, 5, 0, 0, beijing),
		FirstSeq: 101, LastSeq: 160,
		Posted:    app.Totals{Count: 40, Amount: 123450},
		Pending:   app.Totals{Count: 12, Amount: 30025},
		Rejected:  app.Totals{Count: 1, Amount: 1250},
		Voided:    app.Totals{Count: 2, Amount: 990},
		Duplicate: app.Totals{Count: 1, Amount: 500},
		ByCashier: map[string]app.Totals{"li.na": {Count: 30, Amount: 100000}, "wang.wei": {Count: 23, Amount: 54725}},
	}
	left := r.Posted.Amount + r.Pending.Amount + r.Rejected.Amount
	for h := 9; h <= 18; h++ {
		n := 53 / 10
		amount := left / 10
		if h == 18 {
			n, amount = 53-5*9, left-amount*9
		}
		r.ByHour[h] = app.Totals{Count: n, Amount: amount}
	}
	sum := sha256.Sum256([]byte("the sealed report"))
	r.Hash = sum[:]
	return r
}

var aShop = Shop{Name: "Lingqian Tea House 零钱茶馆", MerchantID: "M001", TerminalID: "T0000042"}

// pdfText reads a PDF back as text with poppler's pdftotext, pages split
// by form feeds, runs of spaces made one.
func pdfText(t *testing.T, pdf []byte) []string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (Debian's poppler-utils, installed by scripts/deps.sh): %v", err)
	}
	spaces := regexp.MustCompile(`[ \t]+`)
	pages := strings.Split(strings.TrimRight(string(out), "\f"), "\f")
	for i, p := range pages {
		pages[i] = spaces.ReplaceAllString(p, " ")
	}
	return pages
}

func makePDF(t *testing.T, r app.Report, shop Shop, lang string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := PDF(&b, r, shop, lang); err != nil {
		t.Fatalf("PDF in %s: %v", lang, err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", b.Bytes()[:min(20, b.Len())])
	}
	return b.Bytes()
}
