package ui

import (
	"context"
	"fmt"
	"sort"
	"strings"

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
	text    *widget.Label
}

func newEndOfDay(d *Desk) *endOfDayScreen {
	e := &endOfDayScreen{d: d}
	e.text = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
	refresh := widget.NewButtonWithIcon(d.t(app.MsgRefresh), theme.ViewRefreshIcon(), func() { d.touch(); e.refresh() })
	e.content = container.NewBorder(container.NewHBox(widget.NewLabelWithStyle(d.t(app.MsgXReport), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), refresh),
		nil, nil, nil, container.NewVScroll(e.text))
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
			e.text.SetText(app.Explain(err, e.d.lang))
			return
		}
		e.text.SetText(reportText(r, e.d.lang))
	})
}

func reportText(r app.Report, lang string) string {
	t := func(m app.Message) string { return m.Text(lang) }
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s   %s %s   %s\n\n", t(app.MsgReceiptTerminal), r.Terminal, t(app.MsgReceiptMerchant), r.Merchant,
		r.Made.Format("2006-01-02 15:04"))
	for _, row := range []struct {
		m app.Message
		t app.Totals
	}{{app.MsgStatePosted, r.Posted}, {app.MsgStatePending, r.Pending}, {app.MsgStateRejected, r.Rejected}, {app.MsgStateVoided, r.Voided}} {
		fmt.Fprintf(&b, "%-14s %6d  %14s\n", t(row.m), row.t.Count, app.FormatMoney(row.t.Amount))
	}
	ids := make([]string, 0, len(r.ByCashier))
	for id := range r.ByCashier {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if len(ids) > 0 {
		fmt.Fprintf(&b, "\n%s\n", t(app.MsgReceiptCashier))
		for _, id := range ids {
			c := r.ByCashier[id]
			fmt.Fprintf(&b, "  %-12s %6d  %14s\n", id, c.Count, app.FormatMoney(c.Amount))
		}
	}
	return b.String()
}
