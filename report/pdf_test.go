package report

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"lingqian/app"
)

func TestPDF_ReadsBackAsText(t *testing.T) {
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{app.English, []string{
			"Z report no. 7", "The day closed.",
			"Shop Lingqian Tea House 零钱茶馆", "Merchant ID M001", "Terminal ID T0000042",
			"Journal entries 101 to 160", "Made 2025-03-14 21:05:00 +08:00",
			"State Count Amount (CNY)",
			"posted 40 1234.50", "of which the bank already had 1 5.00", "pending 12 300.25",
			"rejected 1 12.50", "voided 2 9.90", "Sales not voided 53 1547.25",
			"Sales by hour (not voided)", "00 01 02 03",
			"Cashier Count Amount (CNY)", "li.na 30 1000.00", "wang.wei 23 547.25",
			"Seal (SHA-256)", "Checked and signed", "Page 1 of 1",
		}},
		{app.SimplifiedChinese, []string{
			"Z 报表 第 7 号", "已日结。",
			"商户名称 Lingqian Tea House 零钱茶馆", "商户号 M001", "终端号 T0000042",
			"流水号 101 至 160", "生成时间 2025-03-14 21:05:00 +08:00",
			"状态 笔数 金额(元)",
			"已入账 40 1234.50", "其中银行已有(重复) 1 5.00", "待入账 12 300.25",
			"被拒绝 1 12.50", "已撤销 2 9.90", "未撤销交易合计 53 1547.25",
			"按小时销售额(不含撤销)",
			"收银员 笔数 金额(元)", "li.na 30 1000.00", "wang.wei 23 547.25",
			"封存校验码(SHA-256)", "核对签字", "第 1 页，共 1 页",
		}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			// Given a Z report of a day
			r := aDay()

			// When it is made a PDF and read back with pdftotext
			pages := pdfText(t, makePDF(t, r, aShop, tc.lang))

			// Then one page holds the title, the shop, the totals, the cashiers, the seal and the page number
			if len(pages) != 1 {
				t.Fatalf("%d pages, want 1", len(pages))
			}
			for _, want := range append(tc.want, hex.EncodeToString(r.Hash)) {
				if !strings.Contains(pages[0], want) {
					t.Errorf("no %q in\n%s", want, pages[0])
				}
			}
		})
	}
}

func TestPDF_XReportHasNoSeal(t *testing.T) {
	// Given an X report of the day so far
	r := aDay()
	r.Kind, r.Number, r.Hash = "X", 0, nil

	// When it is made a PDF
	page := pdfText(t, makePDF(t, r, aShop, app.SimplifiedChinese))[0]

	// Then it is called an X report and carries no seal
	if !strings.Contains(page, "X 报表(当日至今)") || strings.Contains(page, "封存") || strings.Contains(page, "Z 报表") {
		t.Errorf("X report reads\n%s", page)
	}
}

func TestPDF_ManyCashiersGoOnToASecondPage(t *testing.T) {
	for _, tc := range []struct{ lang, head, page2, cashier string }{
		{app.English, "Z report no. 7 · Lingqian Tea House", "Page 2 of 2", "Cashier Count Amount (CNY)"},
		{app.SimplifiedChinese, "Z 报表 第 7 号 · Lingqian Tea House", "第 2 页，共 2 页", "收银员 笔数 金额(元)"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			// Given a day with 40 cashiers
			r := aDay()
			r.ByCashier = map[string]app.Totals{}
			for i := 1; i <= 40; i++ {
				r.ByCashier[fmt.Sprintf("cashier.%02d", i)] = app.Totals{Count: i, Amount: app.Money(i * 1000)}
			}

			// When it is made a PDF
			pages := pdfText(t, makePDF(t, r, aShop, tc.lang))

			// Then the list goes on to a second page, under the report's name and the table's header again
			if len(pages) != 2 {
				t.Fatalf("%d pages, want 2", len(pages))
			}
			if !strings.Contains(pages[0], "cashier.01 1 10.00") || strings.Contains(pages[0], "cashier.40") {
				t.Errorf("page 1:\n%s", pages[0])
			}
			for _, want := range []string{tc.head, tc.cashier, "cashier.40 40 400.00", "820 8200.00", tc.page2} {
				if !strings.Contains(pages[1], want) {
					t.Errorf("no %q on page 2:\n%s", want, pages[1])
				}
			}
			for i := 1; i <= 40; i++ {
				if n := strings.Count(pages[0]+pages[1], fmt.Sprintf("cashier.%02d ", i)); n != 1 {
					t.Errorf("cashier.%02d is there %d times", i, n)
				}
			}
		})
	}
}

func TestPDF_EnglishWithoutChineseNeedsNoFont(t *testing.T) {
	// Given no font with Chinese anywhere
	t.Setenv(FontEnv, "")
	places := fontPlaces
	fontPlaces = func() []string { return []string{"/nonexistent/" + FontName} }
	t.Cleanup(func() { fontPlaces = places })
	shop := Shop{Name: "Corner Shop"}

	// When an English report of a shop with a Latin name is made
	page := pdfText(t, makePDF(t, aDay(), shop, app.English))[0]

	// Then it needs none
	if !strings.Contains(page, "Shop Corner Shop") {
		t.Errorf("reads\n%s", page)
	}

	// And a Chinese one fails with a sentence naming the package to install
	var b bytes.Buffer
	err := PDF(&b, aDay(), shop, app.SimplifiedChinese)
	if !errors.Is(err, ErrNoFont) || !strings.Contains(err.Error(), "fonts-droid-fallback") || b.Len() != 0 {
		t.Errorf("err %v, %d bytes written", err, b.Len())
	}
}

func TestPDF_AFontItCannotReadIsSaidSo(t *testing.T) {
	// Given the font named is a TrueType collection, as Debian's Noto CJK ships
	ttc := "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
	if _, err := os.Stat(ttc); err != nil {
		t.Skip("no Noto CJK collection here")
	}
	t.Setenv(FontEnv, ttc)

	// When a Chinese report is made, then it fails saying why
	err := PDF(&bytes.Buffer{}, aDay(), aShop, app.SimplifiedChinese)
	if !errors.Is(err, ErrNoFont) || !strings.Contains(err.Error(), "TrueType collection") {
		t.Errorf("err %v", err)
	}
}

// odd are reports no desk should make, and a PDF must still come of.
func odd() map[string]app.Report {
	huge := app.Report{Kind: "Z", Number: math.MaxInt64, FirstSeq: math.MaxInt64, LastSeq: math.MaxInt64,
		Made:     time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		Posted:   app.Totals{Count: math.MaxInt, Amount: math.MaxInt64},
		Pending:  app.Totals{Count: math.MaxInt, Amount: math.MaxInt64},
		Rejected: app.Totals{Count: math.MinInt, Amount: math.MinInt64},
		Voided:   app.Totals{Count: -1, Amount: -1},
		Hash:     bytes.Repeat([]byte{0xAB}, 200),
		ByCashier: map[string]app.Totals{
			"":                               {Count: 1, Amount: 1},
			strings.Repeat("长", 500):         {Count: math.MaxInt, Amount: math.MaxInt64},
			"tab\tnew\nline\x00\x7f":         {Count: 2, Amount: -5},
			"bad \xff\xfe utf8 😀 \U00010000": {Count: 3, Amount: math.MinInt64},
			"ÀÉÎõü €™ Ωσ ∑ ﬀ \uFFFF \uFFFD": {Count: 4, Amount: 4},
		}}
	huge.ByHour[0] = app.Totals{Count: math.MaxInt, Amount: math.MaxInt64}
	huge.ByHour[1] = app.Totals{Count: -3, Amount: math.MinInt64}
	huge.ByHour[23] = app.Totals{Count: 1, Amount: 1}
	return map[string]app.Report{
		"zero":        {},
		"no entries":  {Kind: "X", FirstSeq: 1, LastSeq: 0},
		"huge values": huge,
		"one fen":     {Kind: "X", ByHour: [24]app.Totals{12: {Count: 1, Amount: 1}}},
	}
}

func TestPDF_OddValuesRenderWithoutPanic(t *testing.T) {
	for name, r := range odd() {
		for _, lang := range []string{app.English, app.SimplifiedChinese, "fr"} {
			t.Run(name+"/"+lang, func(t *testing.T) {
				// When a report with odd values is made a PDF and a CSV, then both come out
				shop := Shop{Name: strings.Repeat("Shop 店 ", 60), MerchantID: "\x00", TerminalID: "T\xff"}
				pages := pdfText(t, makePDF(t, r, shop, lang))
				if len(pages) == 0 {
					t.Fatal("no pages")
				}
				var b bytes.Buffer
				if err := CSV(&b, r, lang); err != nil {
					t.Fatal(err)
				}
				parseCSV(t, b.Bytes())
			})
		}
	}
}

func FuzzPDF(f *testing.F) {
	f.Add("li.na", int64(1250), 3, 9, false)
	f.Add("王伟", int64(-1), -1, 23, true)
	f.Add("\xff\U00010000😀", int64(math.MaxInt64), math.MaxInt, 0, true)
	f.Add("", int64(math.MinInt64), math.MinInt, 12, false)
	f.Fuzz(func(t *testing.T, cashier string, amount int64, count int, hour int, chinese bool) {
		lang := app.English
		if chinese {
			lang = app.SimplifiedChinese
		}
		r := app.Report{Kind: "Z", Number: amount, Posted: app.Totals{Count: count, Amount: app.Money(amount)},
			ByCashier: map[string]app.Totals{cashier: {Count: count, Amount: app.Money(amount)}}, Hash: []byte(cashier)}
		r.ByHour[(hour%24+24)%24] = app.Totals{Count: count, Amount: app.Money(amount)}
		var b bytes.Buffer
		if err := PDF(&b, r, Shop{Name: cashier}, lang); err != nil {
			t.Fatal(err)
		}
		if err := CSV(&b, r, lang); err != nil {
			t.Fatal(err)
		}
	})
}
