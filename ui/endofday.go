package ui

import (
	"context"
	"fmt"
	"sort"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lingqian/app"
)

// endOfDayScreen shows the X report: the day so far, by state and cashier.
type endOfDayScreen struct {
	d       *Desk
	content fyne.CanvasObject
	head    *widget.Label
	table   *fyne.Container
}

func newEndOfDay(d *Desk) *endOfDayScreen {
	e := &endOfDayScreen{d: d}
	e.head = widget.NewLabel("")
	e.table = container.NewGridWithColumns(3)
	refresh := widget.NewButtonWithIcon(d.t(app.MsgRefresh), theme.ViewRefreshIcon(), func() { d.touch(); e.refresh() })
	e.content = container.NewBorder(container.NewHBox(widget.NewLabelWithStyle(d.t(app.MsgXReport), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), refresh),
		nil, nil, nil, container.NewVScroll(container.NewVBox(e.head, e.table)))
	return e
}

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
}

// show lays the report out as a table: what, count, amount.
func (e *endOfDayScreen) show(r app.Report) {
	t := func(m app.Message) string { return m.Text(e.d.lang) }
	e.head.SetText(fmt.Sprintf("%s %s   %s %s   %s", t(app.MsgReceiptTerminal), r.Terminal, t(app.MsgReceiptMerchant), r.Merchant,
		r.Made.Format("2006-01-02 15:04")))
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
}
