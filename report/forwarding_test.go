package report

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"lingqian/app"
)

const refusal = "bad_cryptogram: the TC does not verify with the issuer's keys"

// aList is the forwarding list of a morning, newest first: two sales
// posted, one the bank refused, one it already had, one sent, one voided
// and one not yet sent.
func aList() []app.SaleRow {
	at := func(h, m int) time.Time { return time.Date(2025, 3, 14, h, m, 0, 0, beijing) }
	sale := func(seq int64, t time.Time, amount app.Money, cashier string, s app.OutboxState) app.SaleRow {
		return app.SaleRow{Entry: app.Entry{Seq: seq, Kind: app.KindPurchase, At: t, Amount: amount, Currency: "156",
			PAN: "6231990000000019", ATC: uint16(seq), Operator: cashier, TerminalID: "T0000042", MerchantID: "M001"}, State: s}
	}
	rejected := sale(103, at(9, 40), 880, "li.na", app.StateRejected)
	rejected.Reason = refusal
	voided := sale(106, at(11, 2), 990, "wang.wei", app.StateCaptured)
	voided.Voided = true
	return []app.SaleRow{
		sale(107, at(11, 30), 1525, "王伟", app.StateCaptured),
		voided,
		sale(105, at(10, 45), 2000, "wang.wei", app.StateSent),
		sale(104, at(10, 1), 500, "li.na", app.StateDuplicate),
		rejected,
		sale(102, at(9, 20), 3000, "wang.wei", app.StatePosted),
		sale(101, at(9, 5), 1250, "li.na", app.StatePosted),
	}
}

// madeAt fixes the clock the list says it was made by.
func madeAt(t *testing.T) {
	t.Helper()
	clock := now
	now = func() time.Time { return time.Date(2025, 3, 14, 21, 5, 0, 0, beijing) }
	t.Cleanup(func() { now = clock })
}

func forwardingCSV(t *testing.T, rows []app.SaleRow, f app.SaleFilter, lang string) [][]string {
	t.Helper()
	var b bytes.Buffer
	if err := ForwardingCSV(&b, rows, f, lang); err != nil {
		t.Fatalf("CSV in %s: %v", lang, err)
	}
	records, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv cannot read it back: %v\n%s", err, b.Bytes())
	}
	if len(records) == 0 || !slices.Equal(records[0], ForwardingHeader) {
		t.Fatalf("header %q, want %q", records[:min(1, len(records))], ForwardingHeader)
	}
	return records[1:]
}

func forwardingPDF(t *testing.T, rows []app.SaleRow, f app.SaleFilter, lang string) []string {
	t.Helper()
	var b bytes.Buffer
	if err := ForwardingPDF(&b, rows, f, aShop, lang); err != nil {
		t.Fatalf("PDF in %s: %v", lang, err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", b.Bytes()[:min(20, b.Len())])
	}
	return pdfText(t, b.Bytes())
}

// col is a CSV column by its header's name.
func col(name string) int { return slices.Index(ForwardingHeader, name) }

func TestForwardingCSV_ParsesBackWithItsTotals(t *testing.T) {
	for _, tc := range []struct {
		lang                     string
		rejected, voided, posted string
	}{
		{app.English, "rejected", "voided", "posted"},
		{app.SimplifiedChinese, "被拒绝", "已撤销", "已入账"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			// Given the forwarding list of a morning
			list := aList()

			// When it is written as CSV and read back with encoding/csv
			rows := forwardingCSV(t, list, app.SaleFilter{}, tc.lang)

			// Then there is one row a sale, in the list's order
			if len(rows) != len(list) {
				t.Fatalf("%d rows, want %d", len(rows), len(list))
			}
			var n int
			var sum app.Money
			byState := map[string]app.Totals{}
			for i, row := range rows {
				if len(row) != len(ForwardingHeader) {
					t.Fatalf("row %q has %d columns", row, len(row))
				}
				e := list[i].Entry
				if row[col("seq")] != strconv.FormatInt(e.Seq, 10) {
					t.Errorf("row %d is sale %s, want %d", i, row[col("seq")], e.Seq)
				}
				// And its time is RFC 3339 on the desk's clock, the instant of the sale
				at, err := time.Parse(time.RFC3339, row[col("time")])
				_, off := e.At.Local().Zone()
				if _, gotOff := at.Zone(); err != nil || !at.Equal(e.At) || gotOff != off {
					t.Errorf("time %q (%v), want %v on the desk's clock", row[col("time")], err, e.At)
				}
				// And the wallet is masked, the amount in yuan
				if row[col("wallet")] != "623199******0019" || row[col("currency")] != "CNY" || row[col("atc")] != strconv.Itoa(int(e.ATC)) {
					t.Errorf("row %q", row)
				}
				a := money(t, row[col("amount")])
				if a != e.Amount {
					t.Errorf("amount %s, want %s", row[col("amount")], app.FormatMoney(e.Amount))
				}
				n++
				sum += a
				key := row[col("state")]
				if row[col("voided")] == "true" {
					key = "voided"
				}
				tot := byState[key]
				tot.Count++
				tot.Amount += a
				byState[key] = tot
			}

			// And the rows add up to the list's count and amount, and by state
			if n != 7 || sum != 10145 {
				t.Errorf("%d sales of %s, want 7 of 101.45", n, app.FormatMoney(sum))
			}
			for state, want := range map[string]app.Totals{
				"posted": {Count: 2, Amount: 4250}, "rejected": {Count: 1, Amount: 880}, "duplicate": {Count: 1, Amount: 500},
				"sent": {Count: 1, Amount: 2000}, "captured": {Count: 1, Amount: 1525}, "voided": {Count: 1, Amount: 990},
			} {
				if byState[state] != want {
					t.Errorf("%s: %+v, want %+v", state, byState[state], want)
				}
			}

			// And the refused sale has the bank's reason, the states their labels in the language
			rejected, voided, first := rows[4], rows[1], rows[0]
			if rejected[col("state")] != "rejected" || rejected[col("reason")] != refusal || rejected[col("label")] != tc.rejected {
				t.Errorf("rejected sale %q", rejected)
			}
			if voided[col("state")] != "captured" || voided[col("voided")] != "true" || voided[col("label")] != tc.voided {
				t.Errorf("voided sale %q", voided)
			}
			if rows[6][col("label")] != tc.posted || rows[6][col("voided")] != "false" || rows[6][col("time")] == "" {
				t.Errorf("posted sale %q", rows[6])
			}
			if first[col("cashier")] != "王伟" {
				t.Errorf("cashier %q", first[col("cashier")])
			}
		})
	}
}

func TestForwardingCSV_EmptyList(t *testing.T) {
	// When a list with no sales is written, then it is the header alone
	if rows := forwardingCSV(t, nil, app.SaleFilter{Show: app.ShowRejected}, app.SimplifiedChinese); len(rows) != 0 {
		t.Errorf("rows %q", rows)
	}
}

func TestForwardingPDF_ReadsBackAsText(t *testing.T) {
	madeAt(t)
	when := func(seq int64) string {
		for _, r := range aList() {
			if r.Entry.Seq == seq {
				return r.Entry.At.Local().Format("2006-01-02 15:04")
			}
		}
		return ""
	}
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{app.English, []string{
			"Forwarding list", "Shop Lingqian Tea House 零钱茶馆", "Merchant ID M001", "Terminal ID T0000042",
			"Made 2025-03-14 21:05:00 +08:00",
			"Which sales All sales", "Cashier Every cashier", "Day every day", "Search none", "Sales listed 7",
			"Sequence Time Amount (CNY) Wallet Cashier Where it stands (bank's reason)",
			"101 " + when(101) + " 12.50 623199******0019 li.na posted",
			"103 " + when(103) + " 8.80 623199******0019 li.na rejected: bad_cryptogram:",
			"106 " + when(106) + " 9.90 623199******0019 wang.wei voided",
			"107 " + when(107) + " 15.25 623199******0019 王伟 not yet sent",
			"Totals by where they stand", "State Count Amount (CNY)",
			"posted 2 42.50", "duplicate 1 5.00", "sent 1 20.00", "not yet sent 1 15.25", "rejected 1 8.80",
			"Sales not voided 6 91.55", "voided 1 9.90", "All sales listed 7 101.45",
			"Page 1 of 1",
		}},
		{app.SimplifiedChinese, []string{
			"交易上送清单", "商户名称 Lingqian Tea House 零钱茶馆", "商户号 M001", "终端号 T0000042",
			"生成时间 2025-03-14 21:05:00 +08:00",
			"交易范围 全部交易", "收银员 全部收银员", "日期 全部日期", "搜索 无", "列出笔数 7",
			"流水号 时间 金额(元) 钱包 收银员 处理状态(银行原因)",
			"101 " + when(101) + " 12.50 623199******0019 li.na 已入账",
			"103 " + when(103) + " 8.80 623199******0019 li.na 被拒绝: bad_cryptogram:",
			"106 " + when(106) + " 9.90 623199******0019 wang.wei 已撤销",
			"按处理状态合计", "状态 笔数 金额(元)",
			"已入账 2 42.50", "重复 1 5.00", "已发送 1 20.00", "未上送 1 15.25", "被拒绝 1 8.80",
			"未撤销交易合计 6 91.55", "已撤销 1 9.90", "列出交易合计 7 101.45",
			"第 1 页，共 1 页",
		}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			// Given the forwarding list of a morning
			// When it is made a PDF and read back with pdftotext
			pages := forwardingPDF(t, aList(), app.SaleFilter{}, tc.lang)

			// Then one page holds the title, the shop, the filter, the sales, the totals and the page number
			if len(pages) != 1 {
				t.Fatalf("%d pages, want 1", len(pages))
			}
			for _, want := range tc.want {
				if !strings.Contains(pages[0], want) {
					t.Errorf("no %q in\n%s", want, pages[0])
				}
			}
			// And the bank's whole reason is there, over the lines of its cell
			if words := strings.Fields(pages[0]); !containsInOrder(words, strings.Fields(refusal)) {
				t.Errorf("the reason %q is not whole in\n%s", refusal, pages[0])
			}
		})
	}
}

// containsInOrder says whether want's words are all in words, in order.
func containsInOrder(words, want []string) bool {
	i := 0
	for _, w := range words {
		if i < len(want) && w == want[i] {
			i++
		}
	}
	return i == len(want)
}

func TestForwardingPDF_SaysTheFilterInWords(t *testing.T) {
	madeAt(t)
	f := app.SaleFilter{Show: app.ShowRejected, Cashier: "li.na", Day: time.Date(2025, 3, 14, 0, 0, 0, 0, time.Local), Search: " 0019 "}
	var rejected []app.SaleRow
	for _, r := range aList() {
		if r.State == app.StateRejected {
			rejected = append(rejected, r)
		}
	}
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{app.English, []string{"Which sales Rejected", "Cashier li.na", "Day 2025-03-14", "Search 0019", "Sales listed 1",
			"rejected 1 8.80", "Sales not voided 1 8.80", "voided 0 0.00", "All sales listed 1 8.80"}},
		{app.SimplifiedChinese, []string{"交易范围 被拒绝", "收银员 li.na", "日期 2025-03-14", "搜索 0019", "列出笔数 1",
			"被拒绝 1 8.80", "未撤销交易合计 1 8.80", "已撤销 0 0.00", "列出交易合计 1 8.80"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			// When the rejected sales of a cashier on a day, searched by wallet, are made a PDF
			page := forwardingPDF(t, rejected, f, tc.lang)[0]

			// Then its heading says which sales they are, and only their state is in the totals
			for _, want := range tc.want {
				if !strings.Contains(page, want) {
					t.Errorf("no %q in\n%s", want, page)
				}
			}
			if strings.Contains(page, "posted 0") || strings.Contains(page, "已入账 0") {
				t.Errorf("states with no sale are in the totals:\n%s", page)
			}
		})
	}
}

// manySales are n sales, one a minute from 08:00, newest first; every
// tenth refused.
func manySales(n int) []app.SaleRow {
	var rows []app.SaleRow
	for i := n; i >= 1; i-- {
		r := app.SaleRow{Entry: app.Entry{Seq: int64(1000 + i), Kind: app.KindPurchase, Amount: app.Money(100 * i), Currency: "156",
			At: time.Date(2025, 3, 14, 8, 0, 0, 0, beijing).Add(time.Duration(i) * time.Minute), PAN: "6231990000001234",
			Operator: fmt.Sprintf("cashier.%d", i%3)}, State: app.StatePosted}
		if i%10 == 0 {
			r.State, r.Reason = app.StateRejected, "amount_mismatch"
		}
		rows = append(rows, r)
	}
	return rows
}

func TestForwardingPDF_LongListGoesOnOverPages(t *testing.T) {
	madeAt(t)
	seqAtLineStart := regexp.MustCompile(`(?m)^ ?(1\d{3}) 2025-03-14 `)
	for _, tc := range []struct {
		lang, head, tableHead, pageOf, total string
	}{
		{app.English, "Forwarding list · Lingqian Tea House 零钱茶馆 · T0000042",
			"Sequence Time Amount (CNY) Wallet Cashier", "Page %d of %d", "All sales listed 300 45150.00"},
		{app.SimplifiedChinese, "交易上送清单 · Lingqian Tea House 零钱茶馆 · T0000042",
			"流水号 时间 金额(元) 钱包 收银员", "第 %d 页，共 %d 页", "列出交易合计 300 45150.00"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			// Given 300 sales
			rows := manySales(300)

			// When they are made a PDF
			pages := forwardingPDF(t, rows, app.SaleFilter{}, tc.lang)

			// Then they go on over several pages, each numbered of how many, each with the table's header row
			if len(pages) < 5 {
				t.Fatalf("%d pages for 300 sales", len(pages))
			}
			seen := map[string]int{}
			for i, page := range pages {
				if want := fmt.Sprintf(tc.pageOf, i+1, len(pages)); !strings.Contains(page, want) {
					t.Errorf("page %d has no %q", i+1, want)
				}
				if i > 0 && !strings.Contains(page, tc.head) {
					t.Errorf("page %d has no running head %q:\n%s", i+1, tc.head, page)
				}
				if m := seqAtLineStart.FindAllStringSubmatch(page, -1); len(m) > 0 && !strings.Contains(page, tc.tableHead) {
					t.Errorf("page %d lists sales under no header row:\n%s", i+1, page)
				}
				for _, m := range seqAtLineStart.FindAllStringSubmatch(page, -1) {
					seen[m[1]]++
				}
			}
			// And every sale is there once
			for i := 1; i <= 300; i++ {
				if n := seen[strconv.Itoa(1000+i)]; n != 1 {
					t.Errorf("sale %d is there %d times", 1000+i, n)
				}
			}
			// And the totals close the last page
			last := pages[len(pages)-1]
			if !strings.Contains(last, tc.total) || !strings.Contains(last, " 30 4650.00") {
				t.Errorf("no totals on the last page:\n%s", last)
			}
		})
	}
}

func TestForwardingPDF_EmptyList(t *testing.T) {
	madeAt(t)
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{app.English, []string{"Forwarding list", "Sales listed 0", "No sale matches.", "Sales not voided 0 0.00", "All sales listed 0 0.00", "Page 1 of 1"}},
		{app.SimplifiedChinese, []string{"交易上送清单", "列出笔数 0", "没有符合条件的交易。", "未撤销交易合计 0 0.00", "列出交易合计 0 0.00", "第 1 页，共 1 页"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			// When a list with no sales is made a PDF, then it says there are none
			pages := forwardingPDF(t, nil, app.SaleFilter{}, tc.lang)
			if len(pages) != 1 {
				t.Fatalf("%d pages", len(pages))
			}
			for _, want := range tc.want {
				if !strings.Contains(pages[0], want) {
					t.Errorf("no %q in\n%s", want, pages[0])
				}
			}
		})
	}
}

func TestForwardingPDF_EnglishWithoutChineseNeedsNoFont(t *testing.T) {
	// Given no font with Chinese anywhere
	t.Setenv(FontEnv, "")
	places := fontPlaces
	fontPlaces = func() []string { return []string{"/nonexistent/" + FontName} }
	t.Cleanup(func() { fontPlaces = places })
	rows := aList()[1:] // without 王伟's sale
	shop := Shop{Name: "Corner Shop"}

	// When an English list of Latin names is made, then it needs none
	var b bytes.Buffer
	if err := ForwardingPDF(&b, rows, app.SaleFilter{}, shop, app.English); err != nil {
		t.Fatal(err)
	}
	if page := pdfText(t, b.Bytes())[0]; !strings.Contains(page, "Shop Corner Shop") {
		t.Errorf("reads\n%s", page)
	}

	// And a Chinese one fails naming the package to install, writing nothing
	b.Reset()
	err := ForwardingPDF(&b, rows, app.SaleFilter{}, shop, app.SimplifiedChinese)
	if !errors.Is(err, ErrNoFont) || !strings.Contains(err.Error(), "fonts-droid-fallback") || b.Len() != 0 {
		t.Errorf("err %v, %d bytes written", err, b.Len())
	}
}

// oddSales are sales no desk should hold, which must still export.
func oddSales() []app.SaleRow {
	e := func(seq int64, amount app.Money) app.Entry {
		return app.Entry{Seq: seq, Amount: amount, At: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC), PAN: "\xff\xfe", Currency: "\x00"}
	}
	return []app.SaleRow{
		{Entry: e(math.MaxInt64, math.MaxInt64), State: "weird\nstate", Reason: strings.Repeat("拒绝原因很长", 300)},
		{Entry: e(math.MinInt64, math.MinInt64), State: app.StateRejected, Reason: strings.Repeat("x", 5000)},
		{Entry: app.Entry{}, State: ""},
		{Entry: e(0, -1), State: app.StateRejected, Reason: "tab\tnew\nline\x00\x7f bad \xff utf8 😀 \U00010000 ÀÉ € Ω ∑ ﬀ \uFFFF"},
		{Entry: app.Entry{Seq: 5, Operator: strings.Repeat("长", 500), PAN: strings.Repeat("9", 40), Currency: "978", At: time.Unix(0, 0)},
			State: app.StateDuplicate, Voided: true, Reason: "  "},
		{Entry: app.Entry{Seq: 6, Operator: "=cmd|' /C calc'!A0", PAN: "1234"}, State: app.StateRejected,
			Reason: strings.Repeat("averyveryverylongwordwithoutanyspace", 20)},
	}
}

func TestForwarding_OddValuesExportWithoutPanic(t *testing.T) {
	filters := map[string]app.SaleFilter{
		"none": {},
		"odd":  {Show: "what\x00", Cashier: "\xff" + strings.Repeat("长", 300), Day: time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC), Search: "\n\t"},
	}
	for name, f := range filters {
		for _, lang := range []string{app.English, app.SimplifiedChinese, "fr", ""} {
			t.Run(name+"/"+lang, func(t *testing.T) {
				// When odd sales are written as CSV and PDF, then both come out whole
				rows := forwardingCSV(t, oddSales(), f, lang)
				if len(rows) != len(oddSales()) {
					t.Errorf("%d CSV rows, want %d", len(rows), len(oddSales()))
				}
				var b bytes.Buffer
				if err := ForwardingPDF(&b, oddSales(), f, Shop{Name: strings.Repeat("Shop 店 ", 60), MerchantID: "\x00", TerminalID: "T\xff"}, lang); err != nil {
					t.Fatal(err)
				}
				if len(pdfText(t, b.Bytes())) == 0 {
					t.Fatal("no pages")
				}
			})
		}
	}
}

func TestWrap_BreaksAtSpacesAndChineseAnywhere(t *testing.T) {
	// Given a pen that writes Latin and Chinese
	p := newPen(fpdf.New("P", "mm", "A4", ""))
	if err := p.loadCJK(); err != nil {
		t.Fatal(err)
	}
	p.font(saleSize, false)
	for _, tc := range []struct {
		s    string
		max  int
		want int // lines
	}{
		{"", 3, 1},
		{"posted", 3, 1},
		{"rejected: " + refusal, 3, 3},
		{strings.Repeat("被拒绝的原因", 40), 3, 3},
		{strings.Repeat("word ", 200), 2, 2},
		{"anything", 0, 1},
		{"被拒绝: 银行已拒绝此交易 因为金额与密文不符", 3, 2},
	} {
		// When a text is broken into lines 46 mm wide, then it takes the lines it needs up to the most, none wider
		lines := p.wrap(tc.s, 46, tc.max)
		if len(lines) != tc.want {
			t.Errorf("%q in %d lines, want %d: %q", tc.s, len(lines), tc.want, lines)
		}
		// And a text not cut short keeps every character but the spaces it broke at
		spaceless := func(s string) string { return strings.Join(strings.Fields(s), "") }
		if !strings.HasSuffix(lines[len(lines)-1], "…") && spaceless(strings.Join(lines, "")) != spaceless(tc.s) {
			t.Errorf("%q lost text: %q", tc.s, lines)
		}
		for _, l := range lines {
			if w := p.width(l); w > 46 {
				t.Errorf("line %q is %.1f mm wide", l, w)
			}
		}
	}
}
