package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"lingqian/app"
)

// ForwardingHeader is the forwarding list's CSV header row. The columns
// are for machines and stay the same in every language; only label is in
// the reader's.
var ForwardingHeader = []string{"seq", "time", "amount", "currency", "wallet", "atc", "cashier", "state", "reason", "voided", "label"}

// now is the clock a forwarding list says it was made by.
var now = time.Now

// ForwardingCSV writes the sales of the forwarding list: one row a sale.
// The header is ForwardingHeader. time is RFC 3339 on the desk's clock
// (empty when unknown); amount is in yuan with two decimals (12.50);
// currency is CNY or the ISO 4217 code the sale was in; wallet is masked
// as receipts print it; state is where the sale stands at the bank
// (captured, queued, sent, acknowledged, posted, rejected, duplicate);
// reason is the bank's, for a sale it refused; voided is true or false;
// label is where the sale stands in the reader's language, "voided" for
// a voided sale.
func ForwardingCSV(w io.Writer, rows []app.SaleRow, f app.SaleFilter, lang string) error {
	c := csv.NewWriter(w)
	_ = c.Write(ForwardingHeader)
	for _, r := range rows {
		e := r.Entry
		_ = c.Write([]string{
			strconv.FormatInt(e.Seq, 10),
			rfc3339(e.At),
			app.FormatMoney(e.Amount),
			clean(currency(e.Currency)),
			clean(app.MaskPAN(e.PAN)),
			strconv.Itoa(int(e.ATC)),
			clean(e.Operator),
			clean(string(r.State)),
			clean(r.Reason),
			strconv.FormatBool(r.Voided),
			clean(saleState(r, lang)),
		})
	}
	c.Flush()
	if err := c.Error(); err != nil {
		return fmt.Errorf("report: forwarding CSV: %w", err)
	}
	return nil
}

// rfc3339 is t on the desk's clock, or nothing for no time at all.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format(time.RFC3339)
}

// clean makes s valid UTF-8, as a spreadsheet reads it.
func clean(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// currency is a sale's currency as people name it: CNY for yuan (ISO
// 4217 numeric 156, which the journal holds), else the code as it is.
func currency(code string) string {
	if code == "" || code == "156" {
		return "CNY"
	}
	return code
}

// stateMessages word where a sale stands, as the forwarding screen does.
var stateMessages = map[app.OutboxState]app.Message{
	app.StateCaptured: app.MsgStateCaptured, app.StateQueued: app.MsgStateQueued, app.StateSent: app.MsgStateSent,
	app.StateAcknowledged: app.MsgStateAcked, app.StatePosted: app.MsgStatePosted,
	app.StateRejected: app.MsgStateRejected, app.StateDuplicate: app.MsgStateDuplicate,
}

// stateLabel is where a sale stands, in the reader's language.
func stateLabel(s app.OutboxState, lang string) string {
	if m, ok := stateMessages[s]; ok {
		return m.Text(lang)
	}
	if s == "" {
		return noCashierLabel
	}
	return string(s)
}

// saleState is where the sale stands, voided sales shown as voided.
func saleState(r app.SaleRow, lang string) string {
	if r.Voided {
		return app.MsgStateVoided.Text(lang)
	}
	return stateLabel(r.State, lang)
}

// stateOrder is the order of the totals: what the bank has, what is on
// its way, what it refused.
var stateOrder = []app.OutboxState{app.StatePosted, app.StateDuplicate, app.StateAcknowledged, app.StateSent,
	app.StateQueued, app.StateCaptured, app.StateRejected}

// forwardingTotals are the list's count and amount by where the sales
// stand (those present, in stateOrder, then any other state by name),
// the sales not voided, the voided, and all of them.
func forwardingTotals(rows []app.SaleRow, lang string) (byState []line, notVoided, voided, all line) {
	sums := map[app.OutboxState]app.Totals{}
	add := func(t *app.Totals, m app.Money) { t.Count++; t.Amount += m }
	var nv, v, a app.Totals
	for _, r := range rows {
		add(&a, r.Entry.Amount)
		if r.Voided {
			add(&v, r.Entry.Amount)
			continue
		}
		add(&nv, r.Entry.Amount)
		t := sums[r.State]
		add(&t, r.Entry.Amount)
		sums[r.State] = t
	}
	known := map[app.OutboxState]bool{}
	for _, s := range stateOrder {
		known[s] = true
		if t, ok := sums[s]; ok {
			byState = append(byState, line{groupState, string(s), stateLabel(s, lang), t})
		}
	}
	var others []string
	for s := range sums {
		if !known[s] {
			others = append(others, string(s))
		}
	}
	sort.Strings(others)
	for _, s := range others {
		byState = append(byState, line{groupState, s, stateLabel(app.OutboxState(s), lang), sums[app.OutboxState(s)]})
	}
	return byState,
		line{groupTotal, keyNotVoided, app.MsgReportTotal.Text(lang), nv},
		line{groupState, keyVoided, app.MsgStateVoided.Text(lang), v},
		line{groupTotal, "all", app.MsgFwdAllListed.Text(lang), a}
}

// filterWords are the list's filter as the heading says it: which
// sales, whose, which day, what was searched for.
func filterWords(f app.SaleFilter, lang string) [][2]string {
	which := string(f.Show)
	switch f.Show {
	case app.ShowAll:
		which = app.MsgShowAll.Text(lang)
	case app.ShowPending:
		which = app.MsgShowPending.Text(lang)
	case app.ShowRejected:
		which = app.MsgShowRejected.Text(lang)
	case app.ShowDifferences:
		which = app.MsgShowDifferences.Text(lang)
	}
	cashier := f.Cashier
	if cashier == "" {
		cashier = app.MsgAllCashiers.Text(lang)
	}
	day := app.MsgFwdEveryDay.Text(lang)
	if !f.Day.IsZero() {
		day = f.Day.Format("2006-01-02")
	}
	search := strings.TrimSpace(f.Search)
	if search == "" {
		search = app.MsgFwdNoSearch.Text(lang)
	}
	return [][2]string{
		{app.MsgFwdWhich.Text(lang), which},
		{app.MsgReceiptCashier.Text(lang), cashier},
		{app.MsgFwdDay.Text(lang), day},
		{app.MsgFwdSearch.Text(lang), search},
	}
}

// The sales table's columns: sequence, time, amount, wallet, cashier,
// and where it stands with the bank's reason (the last, colStands).
const colStands = 5

var saleColumns = [6]struct {
	w     float64
	right bool
}{{19, false}, {28, false}, {25, true}, {28, false}, {22, false}, {contentW - 19 - 28 - 25 - 28 - 22, false}}

const (
	saleSize    = 8.5 // points
	saleRowH    = 5.4 // mm, a row of one line
	saleLineH   = 3.7 // mm, each further line of a long reason
	saleMaxLine = 3   // lines of a reason at most; the last ends in an ellipsis
)

// The colours of where a sale stands: refused or doubled stand out,
// voided recedes.
var (
	refusedInk = rgb{170, 35, 35}
	doubledInk = rgb{160, 95, 0}
)

// ForwardingPDF writes the same list as a document a person files: its
// title, the shop and terminal, when it was made, the filter in words,
// the sales in a table that goes on over pages under its header row,
// the count and amount by where the sales stand, and page numbers.
// Chinese text needs a font with Chinese glyphs (FontFile); without one
// it fails with ErrNoFont. Nothing is written to w unless the whole PDF
// is made.
func ForwardingPDF(w io.Writer, rows []app.SaleRow, f app.SaleFilter, shop Shop, lang string) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("report: forwarding PDF: %v", v)
		}
	}()
	at := now()
	d := &doc{shop: shopOfSales(rows, shop), lang: lang, title: app.MsgFwdTitle.Text(lang)}
	d.f = fpdf.New("P", "mm", "A4", "")
	d.f.SetMargins(margin, margin, margin)
	d.f.SetAutoPageBreak(false, 0)
	d.f.SetCreationDate(at)
	d.f.SetModificationDate(at)
	d.f.SetCatalogSort(true)
	d.f.SetTitle(strings.ToValidUTF8(d.title, "?"), true)
	d.f.SetAuthor(strings.ToValidUTF8(d.shop.Name, "?"), true)
	d.f.SetCreator("Lingqian", false)
	d.f.SetLang(lang)
	d.p = newPen(d.f)

	words := filterWords(f, lang)
	if needsCJK(forwardingTexts(d, rows, words)...) {
		if err := d.p.loadCJK(); err != nil {
			return fmt.Errorf("report: forwarding PDF: %w", err)
		}
	}

	d.f.SetHeaderFunc(d.header)
	d.f.AddPage()
	d.forwardingHeading(at, words, len(rows))
	d.sales(rows)
	d.forwardingTotals(rows)
	if err := d.finish(w); err != nil {
		return fmt.Errorf("report: forwarding PDF: %w", err)
	}
	return nil
}

// forwardingTexts is every text the document may write, to tell whether
// it needs the Chinese font.
func forwardingTexts(d *doc, rows []app.SaleRow, words [][2]string) []string {
	texts := []string{d.title, app.MsgFwdNote.Text(d.lang), app.MsgReportShop.Text(d.lang), app.MsgFwdStands.Text(d.lang),
		app.MsgFwdTotals.Text(d.lang), app.MsgNoneMatch.Text(d.lang), d.shop.Name, d.shop.MerchantID, d.shop.TerminalID}
	for _, kv := range words {
		texts = append(texts, kv[0], kv[1])
	}
	for _, r := range rows {
		texts = append(texts, r.Entry.Operator, r.Entry.PAN, r.Entry.Currency, r.Reason, string(r.State), saleState(r, d.lang))
	}
	return texts
}

// shopOfSales fills the shop's IDs from the sales where the caller left
// them out.
func shopOfSales(rows []app.SaleRow, s Shop) Shop {
	for _, r := range rows {
		if s.MerchantID == "" {
			s.MerchantID = r.Entry.MerchantID
		}
		if s.TerminalID == "" {
			s.TerminalID = r.Entry.TerminalID
		}
	}
	return s
}

// forwardingHeading is the first page's top: the title, what the list
// is, whose it is, when it was made and which sales it holds.
func (d *doc) forwardingHeading(at time.Time, words [][2]string, n int) {
	d.p.font(20, true)
	d.color(ink)
	d.p.text(margin, 26, d.p.fit(d.title, contentW))
	d.p.font(9.5, false)
	d.color(grey)
	d.p.text(margin, 32.5, d.p.fit(app.MsgFwdNote.Text(d.lang), contentW))
	d.drawColor(rule)
	d.f.SetLineWidth(0.3)
	d.f.Line(margin, 36, pageW-margin, 36)

	d.y = 42
	const labelW = 42
	pairs := [][2]string{
		{app.MsgReportShop.Text(d.lang), d.shop.Name},
		{app.MsgReportMerchant.Text(d.lang), d.shop.MerchantID},
		{app.MsgReportTerminal.Text(d.lang), d.shop.TerminalID},
		{app.MsgReportMade.Text(d.lang), made(at)},
	}
	pairs = append(pairs, words...)
	pairs = append(pairs, [2]string{app.MsgFwdListed.Text(d.lang), strconv.Itoa(n)})
	for _, kv := range pairs {
		d.p.font(9.5, false)
		d.color(grey)
		d.p.text(margin, d.y+4.5, d.p.fit(kv[0], labelW-2))
		d.p.font(10.5, false)
		d.color(ink)
		d.p.text(margin+labelW, d.y+4.5, d.p.fit(kv[1], contentW-labelW))
		d.y += 6.2
	}
	d.y += 4
}

// saleHead is the sales table's header row on a band.
func (d *doc) saleHead() {
	d.fillColor(band)
	d.f.Rect(margin, d.y, contentW, rowH, "F")
	d.p.font(8.5, true)
	d.color(grey)
	d.cells([6]string{
		app.MsgReceiptSeq.Text(d.lang), app.MsgFwdTime.Text(d.lang), app.MsgReportAmount.Text(d.lang),
		app.MsgReceiptWallet.Text(d.lang), app.MsgReceiptCashier.Text(d.lang), app.MsgFwdStands.Text(d.lang),
	}, d.y+4.6)
	d.y += rowH
}

// cells writes one line of the sales table on the baseline y, each cell
// shortened to its column.
func (d *doc) cells(cells [6]string, y float64) {
	x := margin
	for i, col := range saleColumns {
		s := d.p.fit(cells[i], col.w-4)
		if col.right {
			d.p.right(x+col.w-2, y, s)
		} else {
			d.p.text(x+2, y, s)
		}
		x += col.w
	}
}

// sales is the table of the sales, one a row; a bank's reason too long
// for its cell goes on over a few lines.
func (d *doc) sales(rows []app.SaleRow) {
	d.need(9+rowH+saleRowH*3, nil)
	d.section(app.MsgFwdSales.Text(d.lang))
	d.saleHead()
	if len(rows) == 0 {
		d.p.font(9.5, false)
		d.color(grey)
		d.p.text(margin+2, d.y+4.6, app.MsgNoneMatch.Text(d.lang))
		d.y += rowH + 4
		return
	}
	standsW := saleColumns[colStands].w - 4
	for _, r := range rows {
		e := r.Entry
		stands := saleState(r, d.lang)
		if r.Reason != "" && !r.Voided {
			stands += ": " + r.Reason
		}
		d.p.font(saleSize, false)
		lines := d.p.wrap(stands, standsW, saleMaxLine)
		h := saleRowH + saleLineH*float64(len(lines)-1)
		d.need(h, d.saleHead)

		amount := app.FormatMoney(e.Amount)
		if cur := currency(e.Currency); cur != "CNY" {
			amount += " " + cur
		}
		when := ""
		if !e.At.IsZero() {
			when = e.At.Local().Format("2006-01-02 15:04")
		}
		y := d.y + 3.9
		d.p.font(saleSize, false)
		d.color(ink)
		if r.Voided {
			d.color(grey)
		}
		d.cells([6]string{strconv.FormatInt(e.Seq, 10), when, amount, app.MaskPAN(e.PAN), e.Operator, ""}, y)
		switch {
		case r.Voided:
		case r.State == app.StateRejected:
			d.color(refusedInk)
		case r.State == app.StateDuplicate:
			d.color(doubledInk)
		}
		x := margin + contentW - saleColumns[colStands].w + 2
		for i, l := range lines {
			d.p.text(x, y+saleLineH*float64(i), l)
		}
		d.y += h
		d.drawColor(band)
		d.f.SetLineWidth(0.2)
		d.f.Line(margin, d.y, pageW-margin, d.y)
	}
	d.y += 4
}

// forwardingTotals is the count and amount of the sales listed by where
// they stand, those not voided, the voided, and all of them.
func (d *doc) forwardingTotals(rows []app.SaleRow) {
	byState, notVoided, voided, all := forwardingTotals(rows, d.lang)
	state := app.MsgReportState.Text(d.lang)
	d.need(9+rowH*float64(len(byState)+4)+2, nil)
	d.section(app.MsgFwdTotals.Text(d.lang))
	d.tableHead(state)
	for _, l := range byState {
		d.need(rowH, func() { d.tableHead(state) })
		d.totalsRow(l, false, false)
	}
	d.need(rowH*3+2, func() { d.tableHead(state) })
	d.totalsRow(notVoided, false, true)
	d.y += 2
	d.totalsRow(voided, false, false)
	d.totalsRow(all, false, true)
	d.y += 4
}

// wrap breaks s into lines at most w mm wide in the pen's font, at
// spaces where it can, at any character where it must (as Chinese is
// written); past max lines the last ends in an ellipsis.
func (p *pen) wrap(s string, w float64, max int) []string {
	if len(s) < 200 && p.width(s) <= w {
		return []string{s}
	}
	rs := []rune(s)
	if len(rs) > 1000 {
		rs = rs[:1000]
	}
	var out []string
	for len(out) < max-1 {
		width, n, space := 0.0, 0, -1
		for n < len(rs) {
			cw := p.width(string(rs[n]))
			if n > 0 && width+cw > w {
				break
			}
			if rs[n] == ' ' {
				space = n
			}
			width += cw
			n++
		}
		if n == len(rs) {
			break
		}
		cut := n
		if rs[n] != ' ' && space > 0 {
			cut = space
		}
		out = append(out, strings.TrimRight(string(rs[:cut]), " "))
		rs = []rune(strings.TrimLeft(string(rs[cut:]), " "))
	}
	if len(rs) > 0 || len(out) == 0 {
		out = append(out, p.fit(string(rs), w))
	}
	return out
}
