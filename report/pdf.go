package report

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"codeberg.org/go-pdf/fpdf"

	"lingqian/app"
)

// The page: A4 portrait, in mm.
const (
	pageW    = 210.0
	pageH    = 297.0
	margin   = 18.0
	contentW = pageW - 2*margin
	topNext  = 24.0  // where the content starts on pages after the first
	bottom   = 278.0 // no content below this; the footer is under it
	rowH     = 6.5
)

// Table columns: what, count, amount.
var columns = [3]struct {
	w     float64
	right bool
}{{contentW - 34 - 46, false}, {34, true}, {46, true}}

type rgb struct{ r, g, b int }

var (
	ink     = rgb{25, 25, 25}
	grey    = rgb{105, 105, 105}
	rule    = rgb{190, 190, 190}
	band    = rgb{234, 238, 243}
	barFill = rgb{46, 110, 180}
)

// doc is a report being laid out.
type doc struct {
	f     *fpdf.Fpdf
	p     *pen
	r     app.Report
	shop  Shop
	lang  string
	title string
	y     float64 // where the next thing goes
}

// PDF writes the report as a document to print and file: its title, the
// shop and terminal, the journal entries it covers and when it was made,
// the sales by state at the bank and by cashier, a chart of the sales by
// hour, a Z report's seal, and page numbers. Chinese text needs a
// TrueType font with Chinese glyphs (FontFile); without one PDF fails
// with ErrNoFont. Nothing is written to w unless the whole PDF is made.
func PDF(w io.Writer, r app.Report, shop Shop, lang string) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("report: PDF: %v", v)
		}
	}()
	d := &doc{r: r, shop: shopOf(r, shop), lang: lang, title: title(r, lang)}
	d.f = fpdf.New("P", "mm", "A4", "")
	d.f.SetMargins(margin, margin, margin)
	d.f.SetAutoPageBreak(false, 0)
	d.f.SetCreationDate(r.Made)
	d.f.SetModificationDate(r.Made)
	d.f.SetCatalogSort(true)
	// The library reads these as UTF-8 and fails on anything else.
	d.f.SetTitle(strings.ToValidUTF8(d.title, "?"), true)
	d.f.SetAuthor(strings.ToValidUTF8(d.shop.Name, "?"), true)
	d.f.SetCreator("Lingqian", false)
	d.f.SetLang(lang)
	d.p = newPen(d.f)

	texts := []string{d.title, app.MsgReportShop.Text(lang), d.shop.Name, d.shop.MerchantID, d.shop.TerminalID}
	for id := range r.ByCashier {
		texts = append(texts, id)
	}
	if needsCJK(texts...) {
		if err := d.p.loadCJK(); err != nil {
			return fmt.Errorf("report: PDF: %w", err)
		}
	}

	d.f.SetHeaderFunc(d.header)
	d.f.AddPage()
	d.heading()
	d.states()
	d.chart()
	d.cashiers()
	d.seal()
	if err := d.finish(w); err != nil {
		return fmt.Errorf("report: PDF: %w", err)
	}
	return nil
}

// finish puts the footers on, now that the number of pages is known, and
// writes the whole document: nothing reaches w unless all of it is made.
func (d *doc) finish(w io.Writer) error {
	n := d.f.PageCount()
	for i := 1; i <= n; i++ {
		d.f.SetPage(i)
		d.footer(i, n)
	}
	var buf bytes.Buffer
	if err := d.f.Output(&buf); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func (d *doc) color(c rgb)     { d.f.SetTextColor(c.r, c.g, c.b) }
func (d *doc) fillColor(c rgb) { d.f.SetFillColor(c.r, c.g, c.b) }
func (d *doc) drawColor(c rgb) { d.f.SetDrawColor(c.r, c.g, c.b) }

// header is on every page after the first: the report, the shop, a rule.
func (d *doc) header() {
	if d.f.PageNo() == 1 {
		return
	}
	d.p.font(8.5, false)
	d.color(grey)
	d.p.text(margin, 14, d.p.fit(d.title+" · "+d.shop.Name+" · "+d.shop.TerminalID, contentW))
	d.drawColor(rule)
	d.f.SetLineWidth(0.2)
	d.f.Line(margin, 16.5, pageW-margin, 16.5)
	d.y = topNext
}

// footer is on every page: its number of how many, and which report.
// It is written on a page after the others were made, so it sets every
// colour, width and font it uses rather than trust what the library last
// set on another page.
func (d *doc) footer(page, pages int) {
	d.fillColor(rgb{255, 255, 255})
	d.drawColor(rule)
	d.f.SetLineWidth(0.2)
	d.f.Line(margin, 283, pageW-margin, 283)
	d.f.SetFont(latinFont, "", 1) // a size used nowhere: the next font is set on this page for certain
	d.p.font(8.5, false)
	d.color(grey)
	d.p.text(margin, 288, app.MsgReportPage.Textf(d.lang, page, pages))
	d.p.right(pageW-margin, 288, d.p.fit(d.title+" · "+d.shop.TerminalID, contentW/2))
}

// need starts a new page when h mm no longer fit on this one; again
// redraws what must head the new page (a table's header row).
func (d *doc) need(h float64, again func()) {
	if d.y+h <= bottom {
		return
	}
	d.f.AddPage()
	if again != nil {
		again()
	}
}

// heading is the first page's top: the title, what the report is, and
// whose and which entries it covers.
func (d *doc) heading() {
	d.p.font(20, true)
	d.color(ink)
	d.p.text(margin, 26, d.p.fit(d.title, contentW))
	d.p.font(9.5, false)
	d.color(grey)
	note := app.MsgReportXNote
	if d.r.Kind == "Z" {
		note = app.MsgReportZNote
	}
	d.p.text(margin, 32.5, d.p.fit(note.Text(d.lang), contentW))
	d.drawColor(rule)
	d.f.SetLineWidth(0.3)
	d.f.Line(margin, 36, pageW-margin, 36)

	d.y = 42
	const labelW = 42
	for _, kv := range [][2]string{
		{app.MsgReportShop.Text(d.lang), d.shop.Name},
		{app.MsgReportMerchant.Text(d.lang), d.shop.MerchantID},
		{app.MsgReportTerminal.Text(d.lang), d.shop.TerminalID},
		{app.MsgReportEntries.Text(d.lang), entries(d.r, d.lang)},
		{app.MsgReportMade.Text(d.lang), made(d.r.Made)},
	} {
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

// section is a section's title.
func (d *doc) section(s string) {
	d.p.font(12.5, true)
	d.color(ink)
	d.p.text(margin, d.y+6, d.p.fit(s, contentW))
	d.y += 9
}

// tableHead is a table's header row on a band.
func (d *doc) tableHead(first string) {
	d.fillColor(band)
	d.f.Rect(margin, d.y, contentW, rowH, "F")
	d.row([3]string{first, app.MsgReportCount.Text(d.lang), app.MsgReportAmount.Text(d.lang)}, 9, true, grey)
}

// row writes three cells and moves down a row.
func (d *doc) row(cells [3]string, size float64, bold bool, c rgb) {
	d.p.font(size, bold)
	d.color(c)
	x := margin
	for i, col := range columns {
		s := d.p.fit(cells[i], col.w-4)
		if col.right {
			d.p.right(x+col.w-2, d.y+4.6, s)
		} else {
			d.p.text(x+2, d.y+4.6, s)
		}
		x += col.w
	}
	d.y += rowH
}

// totalsRow is a row of figures; total rows are bold under a rule.
func (d *doc) totalsRow(l line, indent, total bool) {
	label, c, size := l.label, ink, 10.0
	if indent {
		label, c, size = "    "+label, grey, 9
	}
	if total {
		d.drawColor(ink)
		d.f.SetLineWidth(0.3)
		d.f.Line(margin, d.y, pageW-margin, d.y)
	}
	d.row([3]string{label, fmt.Sprint(l.t.Count), app.FormatMoney(l.t.Amount)}, size, total, c)
	if !total {
		d.drawColor(band)
		d.f.SetLineWidth(0.2)
		d.f.Line(margin, d.y, pageW-margin, d.y)
	}
}

// states is the split by where the purchases stand at the bank.
func (d *doc) states() {
	split, duplicate, total := states(d.r, d.lang)
	d.need(9+rowH*7, nil)
	d.section(app.MsgReportByState.Text(d.lang))
	d.tableHead(app.MsgReportState.Text(d.lang))
	d.totalsRow(split[0], false, false)
	if duplicate.t.Count != 0 {
		d.totalsRow(duplicate, true, false)
	}
	d.totalsRow(split[1], false, false)
	d.totalsRow(split[2], false, false)
	d.totalsRow(total, false, true)
	d.y += 2
	d.totalsRow(split[3], false, false)
	d.y += 4
}

// cashiers is the sales not voided by cashier; a long list goes on over
// pages, each with the table's header row.
func (d *doc) cashiers() {
	lines := cashiers(d.r)
	cashier := app.MsgReceiptCashier.Text(d.lang)
	d.need(9+rowH*3, nil)
	d.section(app.MsgReportByCashier.Text(d.lang))
	d.tableHead(cashier)
	var sum app.Totals
	for _, l := range lines {
		d.need(rowH, func() { d.tableHead(cashier) })
		d.totalsRow(l, false, false)
		sum.Count += l.t.Count
		sum.Amount += l.t.Amount
	}
	if len(lines) == 0 {
		d.p.font(9.5, false)
		d.color(grey)
		d.p.text(margin+2, d.y+4.6, app.MsgReportNoSales.Text(d.lang))
		d.y += rowH
	}
	d.need(rowH, func() { d.tableHead(cashier) })
	d.totalsRow(line{label: app.MsgReportTotal.Text(d.lang), t: sum}, false, true)
	d.y += 4
}

// seal is a Z report's SHA-256 in hex, and a line for the signature of
// whoever checked it.
func (d *doc) seal() {
	s := hex.EncodeToString(d.r.Hash)
	const perLine = 64
	var parts []string
	for len(s) > perLine {
		parts, s = append(parts, s[:perLine]), s[perLine:]
	}
	if s != "" {
		parts = append(parts, s)
	}
	d.need(9+5.5*float64(len(parts))+4+15, nil)
	if len(parts) > 0 {
		d.section(app.MsgReportSeal.Text(d.lang))
		d.color(ink)
		d.f.SetFont(monoFont, "", 9.5)
		for _, part := range parts {
			d.need(5.5, nil)
			d.f.Text(margin, d.y+4, part)
			d.y += 5.5
		}
		d.y += 4
	}
	d.need(15, nil)
	d.y += 9
	d.p.font(9.5, false)
	d.color(grey)
	label := app.MsgReportSigned.Text(d.lang)
	d.p.text(margin, d.y, label)
	x := margin + d.p.width(label) + 4
	d.drawColor(ink)
	d.f.SetLineWidth(0.3)
	d.f.Line(x, d.y+0.8, x+80, d.y+0.8)
	d.y += 6
}
