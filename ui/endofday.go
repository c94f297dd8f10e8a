package ui

import (
	"context"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lingqian/app"
)

// endOfDayScreen shows the X report (the day so far) or a Z report: by
// state, by cashier and by hour; a supervisor closes the day, and past Z
// reports are reprinted from a list.
type endOfDayScreen struct {
	d       *Desk
	content fyne.CanvasObject
	title   *widget.Label
	head    *widget.Label
	table   *fyne.Container
	chart   *fyne.Container
	past    *widget.Select
	pastZ   []app.ZSummary
	shown   app.Report
	// The desk against the bank, for the report shown.
	recon   *fyne.Container
	checked *app.Reconciliation
}

func newEndOfDay(d *Desk) *endOfDayScreen {
	e := &endOfDayScreen{d: d}
	e.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	e.head = widget.NewLabel("")
	e.head.Wrapping = fyne.TextWrapWord
	e.head.SizeName = theme.SizeNameCaptionText
	e.table = container.NewGridWithColumns(3)
	e.chart = container.NewWithoutLayout()
	x := widget.NewButtonWithIcon(d.t(app.MsgXReport), theme.ViewRefreshIcon(), func() { d.touch(); e.refresh() })
	z := widget.NewButtonWithIcon(d.t(app.MsgCloseDay), theme.ConfirmIcon(), func() { d.touch(); e.closeDay() })
	e.past = widget.NewSelect(nil, func(item string) { d.touch(); e.reprint(item) })
	e.past.PlaceHolder = d.t(app.MsgPastZ)
	check := widget.NewButtonWithIcon(d.t(app.MsgCheckBank), theme.SearchIcon(), func() { d.touch(); e.checkBank() })
	e.recon = container.NewVBox()
	exportAs := func(format string) func() {
		return func() {
			d.touch()
			r := e.shown
			d.export(func(op app.Operator) (string, error) {
				path, err := d.svc.Export.Report(context.Background(), r, format, d.lang, op)
				return d.tf(app.MsgExported, path), err
			})
		}
	}
	csvB := widget.NewButtonWithIcon(d.t(app.MsgExportCSV), theme.DocumentSaveIcon(), exportAs(app.FormatCSV))
	pdfB := widget.NewButtonWithIcon(d.t(app.MsgExportPDF), theme.DocumentSaveIcon(), exportAs(app.FormatPDF))
	// Two rows, the day's reports and what to do with them: in one the
	// six buttons are wider than a 1024-pixel shop screen.
	bar := container.NewVBox(container.NewHBox(x, z, e.past), container.NewHBox(check, csvB, pdfB))
	chart := container.NewVBox(widget.NewLabelWithStyle(d.t(app.MsgByHour), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewGridWrap(fyne.NewSize(24*chartBar, chartHeight+20), e.chart))
	// The report on the left, the desk against the bank on the right: a
	// 1000-pixel screen shows both without scrolling.
	e.content = container.NewBorder(bar, nil, nil, nil, container.NewGridWithColumns(2,
		container.NewVScroll(container.NewVBox(e.title, e.head, e.table)),
		container.NewVScroll(container.NewVBox(chart, e.recon))))
	return e
}

const (
	chartBar    = 20  // width of an hour's bar
	chartHeight = 120 // the tallest bar
)

// refresh shows the X report and reads the list of past Z reports.
func (e *endOfDayScreen) refresh() {
	if e.d.svc.Reports == nil {
		return
	}
	background(func() (app.Report, error) {
		return e.d.svc.Reports.X(context.Background())
	}, func(r app.Report, err error) {
		if err != nil {
			e.d.svc.Log("X report: %v", err)
			e.head.SetText(app.Explain(err, e.d.lang))
			return
		}
		e.show(r)
	})
	e.readPast()
}

func (e *endOfDayScreen) readPast() {
	background(func() ([]app.ZSummary, error) {
		return e.d.svc.Reports.Closed(context.Background(), 400)
	}, func(list []app.ZSummary, err error) {
		if err != nil {
			e.d.svc.Log("Z reports: %v", err)
			return
		}
		e.pastZ = list
		var items []string
		for _, z := range list {
			items = append(items, e.d.tf(app.MsgZListItem, z.Number, z.Made.Local().Format("2006-01-02 15:04"), z.Operator))
		}
		e.past.Options = items
		e.past.ClearSelected()
		e.past.Refresh()
	})
}

// reprint shows a past Z report, its seal checked by the journal.
func (e *endOfDayScreen) reprint(item string) {
	for i, opt := range e.past.Options {
		if opt != item || i >= len(e.pastZ) {
			continue
		}
		n := e.pastZ[i].Number
		background(func() (app.Report, error) {
			return e.d.svc.Reports.Z(context.Background(), n)
		}, func(r app.Report, err error) {
			if err != nil {
				e.d.svc.Log("Z report %d: %v", n, err)
				e.head.SetText(app.Explain(err, e.d.lang))
				return
			}
			e.show(r)
		})
	}
}

// closeDay closes the day on a supervisor's PIN.
func (e *endOfDayScreen) closeDay() {
	d := e.d
	var z app.Report
	d.supervisorForm(d.t(app.MsgCloseDayTitle), d.t(app.MsgClose2), nil, func(sup app.Operator) error {
		var err error
		z, err = d.svc.Reports.Close(context.Background(), sup)
		if err == nil {
			d.svc.Log("end of day: Z report %d closed by %s", z.Number, sup.ID)
		}
		return err
	}, func(err error) {
		if err != nil {
			d.svc.Log("close the day: %v", err)
			d.inform(d.t(app.MsgCloseDay), app.Explain(err, d.lang))
			return
		}
		e.show(z)
		e.readPast()
		d.inform(d.t(app.MsgCloseDay), d.tf(app.MsgDayClosed, z.Number))
	})
}

// show lays a report out: what, count, amount; by cashier; by hour.
func (e *endOfDayScreen) show(r app.Report) {
	e.shown = r
	e.recon.RemoveAll()
	e.checked = nil
	t := func(m app.Message) string { return m.Text(e.d.lang) }
	if r.Kind == "Z" {
		e.title.SetText(e.d.tf(app.MsgZReport, r.Number))
	} else {
		e.title.SetText(t(app.MsgXReport))
	}
	head := fmt.Sprintf("%s %s   %s %s   %s   %s", t(app.MsgReceiptTerminal), r.Terminal, t(app.MsgReceiptMerchant), r.Merchant,
		r.Made.Local().Format("2006-01-02 15:04"), e.d.tf(app.MsgEntries, r.FirstSeq, r.LastSeq))
	if len(r.Hash) > 0 {
		head += "\n" + e.d.tf(app.MsgSeal, hex.EncodeToString(r.Hash))
	}
	e.head.SetText(head)
	e.table.RemoveAll()
	row := func(name string, c app.Totals) {
		e.table.Add(widget.NewLabel(name))
		e.table.Add(widget.NewLabelWithStyle(fmt.Sprint(c.Count), fyne.TextAlignTrailing, fyne.TextStyle{}))
		e.table.Add(widget.NewLabelWithStyle(app.FormatMoney(c.Amount), fyne.TextAlignTrailing, fyne.TextStyle{}))
	}
	for _, s := range []struct {
		m app.Message
		t app.Totals
	}{{app.MsgStatePosted, r.Posted}, {app.MsgStatePending, r.Pending}, {app.MsgStateRejected, r.Rejected}, {app.MsgStateVoided, r.Voided}} {
		row(t(s.m), s.t)
	}
	ids := make([]string, 0, len(r.ByCashier))
	for id := range r.ByCashier {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if len(ids) > 0 {
		e.table.Add(widget.NewLabelWithStyle(t(app.MsgReceiptCashier), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		e.table.Add(widget.NewLabel(""))
		e.table.Add(widget.NewLabel(""))
		for _, id := range ids {
			row("  "+id, r.ByCashier[id])
		}
	}
	e.drawChart(r.ByHour)
}

// drawChart draws the hours' amounts as bars, with the hours under them.
func (e *endOfDayScreen) drawChart(hours [24]app.Totals) {
	e.chart.RemoveAll()
	top := app.Money(0)
	for _, h := range hours {
		top = max(top, h.Amount)
	}
	fg := theme.Color(theme.ColorNamePrimary)
	for i, h := range hours {
		height := float32(0)
		if top > 0 {
			height = float32(chartHeight) * float32(h.Amount) / float32(top)
		}
		bar := canvas.NewRectangle(fg)
		bar.Move(fyne.NewPos(float32(i*chartBar)+2, chartHeight-height))
		bar.Resize(fyne.NewSize(chartBar-4, height))
		e.chart.Add(bar)
		if i%3 == 0 {
			label := canvas.NewText(fmt.Sprintf("%02d", i), theme.Color(theme.ColorNameForeground))
			label.TextSize = 10
			label.Move(fyne.NewPos(float32(i*chartBar)+2, chartHeight+4))
			e.chart.Add(label)
		}
	}
	e.chart.Refresh()
}

// Bars is the heights of the chart's bars, for tests.
func (e *endOfDayScreen) Bars() []float32 {
	var out []float32
	for _, o := range e.chart.Objects {
		if r, ok := o.(*canvas.Rectangle); ok {
			out = append(out, r.Size().Height)
		}
	}
	return out
}

// checkBank asks the bank about the entries of the report shown.
func (e *endOfDayScreen) checkBank() {
	d := e.d
	e.recon.RemoveAll()
	if d.svc.Reconciler == nil {
		e.recon.Add(widget.NewLabel(d.t(app.MsgNoBank)))
		return
	}
	since := max(e.shown.FirstSeq-1, 0)
	e.recon.Add(widget.NewLabel(d.t(app.MsgChecking)))
	background(func() (app.Reconciliation, error) {
		return d.svc.Reconciler.Reconcile(context.Background(), since)
	}, func(r app.Reconciliation, err error) {
		e.recon.RemoveAll()
		if err != nil {
			d.svc.Log("reconciliation after %d: %v", since, err)
			msg := app.Explain(err, d.lang)
			if d.svc.Unreachable != nil && d.svc.Unreachable(err) {
				msg = d.t(app.MsgBankUnreached)
			}
			e.recon.Add(widget.NewLabel(msg))
			return
		}
		e.checked = &r
		e.showReconciliation(r)
		d.SalesChanged()
	})
}

// showReconciliation lays out desk against bank, and the differences
// with what the owner can do about each.
func (e *endOfDayScreen) showReconciliation(r app.Reconciliation) {
	d := e.d
	t := func(m app.Message) string { return m.Text(d.lang) }
	e.recon.Add(widget.NewSeparator())
	e.recon.Add(widget.NewLabelWithStyle(d.tf(app.MsgDeskVsBank, r.SinceSeq), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	grid := container.NewGridWithColumns(5)
	for _, h := range []string{"", t(app.MsgDesk), "", t(app.MsgBank), ""} {
		grid.Add(widget.NewLabelWithStyle(h, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true}))
	}
	cell := func(s string) { grid.Add(widget.NewLabelWithStyle(s, fyne.TextAlignTrailing, fyne.TextStyle{})) }
	for _, row := range []struct {
		m          app.Message
		desk, bank app.Totals
	}{{app.MsgStatePosted, r.Desk.Posted, r.Bank.Posted}, {app.MsgStatePending, r.Desk.Pending, r.Bank.Pending},
		{app.MsgStateRejected, r.Desk.Rejected, r.Bank.Rejected}} {
		grid.Add(widget.NewLabel(t(row.m)))
		cell(fmt.Sprint(row.desk.Count))
		cell(app.FormatMoney(row.desk.Amount))
		cell(fmt.Sprint(row.bank.Count))
		cell(app.FormatMoney(row.bank.Amount))
	}
	e.recon.Add(grid)
	if r.Agree() {
		e.recon.Add(widget.NewLabel(t(app.MsgAgree)))
		return
	}
	e.recon.Add(widget.NewLabelWithStyle(t(app.MsgDifferences), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
	for _, diff := range r.Differences {
		l := widget.NewLabel(fmt.Sprintf("%s %d: %s. %s", t(app.MsgReceiptSeq), diff.Seq, diff.What(d.lang), diff.Advice(d.lang)))
		l.Wrapping = fyne.TextWrapWord
		e.recon.Add(l)
	}
}

// Differences is the difference list shown, for tests.
func (e *endOfDayScreen) Differences() []string {
	var out []string
	for _, o := range e.recon.Objects {
		if l, ok := o.(*widget.Label); ok && strings.HasPrefix(l.Text, app.MsgReceiptSeq.Text(e.d.lang)+" ") {
			out = append(out, l.Text)
		}
	}
	return out
}
