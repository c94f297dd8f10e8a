package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lingqian/app"
)

// journalScreen is the forwarding screen: the sales with where each
// stands at the bank, filtered and searched, a page at a time; a row opens
// its receipt and timeline, to reprint it or void the sale.
type journalScreen struct {
	d       *Desk
	content fyne.CanvasObject
	list    *widget.List
	message *widget.Label
	show    *widget.Select
	cashier *widget.Select
	day     *keyEntry
	search  *keyEntry
	more    *widget.Button
	rows    []app.SaleRow
	filter  app.SaleFilter
	loading bool
	gen     int // the latest load: an older one's rows are dropped
}

// journalPage is how many sales one page reads; More reads the next.
const journalPage = 200

func newJournal(d *Desk) *journalScreen {
	j := &journalScreen{d: d}
	j.list = widget.NewList(
		func() int { return len(j.rows) },
		func() fyne.CanvasObject {
			return widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Monospace: true})
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(j.rowText(j.rows[i])) },
	)
	j.list.OnSelected = func(i widget.ListItemID) {
		d.touch()
		if i < len(j.rows) {
			j.open(j.rows[i])
		}
		j.list.UnselectAll()
	}
	shows := []struct {
		m    app.Message
		show app.SaleShow
	}{{app.MsgShowAll, app.ShowAll}, {app.MsgShowPending, app.ShowPending}, {app.MsgShowRejected, app.ShowRejected},
		{app.MsgShowDifferences, app.ShowDifferences}}
	var names []string
	for _, s := range shows {
		names = append(names, d.t(s.m))
	}
	j.show = widget.NewSelect(names, func(name string) {
		for _, s := range shows {
			if d.t(s.m) == name {
				j.filter.Show = s.show
			}
		}
		j.refresh()
	})
	j.cashier = widget.NewSelect([]string{d.t(app.MsgAllCashiers)}, func(name string) {
		j.filter.Cashier = name
		if name == d.t(app.MsgAllCashiers) {
			j.filter.Cashier = ""
		}
		j.refresh()
	})
	enter := func(apply func() bool) func(*fyne.KeyEvent) bool {
		return func(ev *fyne.KeyEvent) bool {
			if ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter {
				if apply() {
					j.refresh()
				}
				return true
			}
			return d.key(ev)
		}
	}
	j.day = newKeyEntry(nil)
	j.day.onKey = enter(j.readDay)
	j.day.used = d.touch
	j.day.SetPlaceHolder(d.t(app.MsgDayHint))
	j.search = newKeyEntry(nil)
	j.search.onKey = enter(func() bool { j.filter.Search = strings.TrimSpace(j.search.Text); return true })
	j.search.used = d.touch
	j.search.SetPlaceHolder(d.t(app.MsgSearchHint))
	j.more = widget.NewButton(d.t(app.MsgMore), func() { d.touch(); j.load(true) })
	exportAs := func(format string) func() {
		return func() {
			d.touch()
			f := j.filter
			d.export(func(op app.Operator) (string, error) {
				path, n, err := d.svc.Export.SalesList(context.Background(), f, format, d.lang, op)
				return d.tf(app.MsgExportedN, n, path), err
			})
		}
	}
	csvB := widget.NewButtonWithIcon(d.t(app.MsgExportCSV), theme.DocumentSaveIcon(), exportAs(app.FormatCSV))
	pdfB := widget.NewButtonWithIcon(d.t(app.MsgExportPDF), theme.DocumentSaveIcon(), exportAs(app.FormatPDF))
	j.more.Hide()
	j.message = widget.NewLabel("")

	filters := container.NewGridWithColumns(4, j.show, j.cashier, j.day, j.search)
	j.content = container.NewBorder(container.NewVBox(filters, j.message), container.NewHBox(j.more, csvB, pdfB), nil, nil, j.list)
	j.cashier.SetSelectedIndex(0)
	j.show.SetSelectedIndex(0)
	return j
}

// readDay takes the day typed, or none when the field is empty.
func (j *journalScreen) readDay() bool {
	text := strings.TrimSpace(j.day.Text)
	if text == "" {
		j.filter.Day = time.Time{}
		return true
	}
	day, err := time.ParseInLocation("2006-01-02", text, time.Local)
	if err != nil {
		j.message.SetText(j.d.t(app.MsgBadDay))
		return false
	}
	j.filter.Day = day
	return true
}

func (j *journalScreen) rowText(r app.SaleRow) string {
	e := r.Entry
	return fmt.Sprintf("%7d  %s  %10s  %s  %-10s  %s", e.Seq, e.At.Local().Format("01-02 15:04"), app.FormatMoney(e.Amount),
		app.MaskPAN(e.PAN), e.Operator, j.state(r))
}

func (j *journalScreen) state(r app.SaleRow) string {
	if r.Voided {
		return j.d.t(app.MsgStateVoided)
	}
	s := stateText(r.State, j.d.lang)
	if r.Reason != "" {
		s += ": " + r.Reason
	}
	return s
}

// stateText is where a sale stands, in the desk's language.
func stateText(s app.OutboxState, lang string) string {
	m := map[app.OutboxState]app.Message{app.StateCaptured: app.MsgStateCaptured, app.StateQueued: app.MsgStateQueued,
		app.StateSent: app.MsgStateSent, app.StateAcknowledged: app.MsgStateAcked, app.StatePosted: app.MsgStatePosted,
		app.StateRejected: app.MsgStateRejected, app.StateDuplicate: app.MsgStateDuplicate}[s]
	if m == "" {
		return string(s)
	}
	return m.Text(lang)
}

// refresh reads the first page again, and the cashiers to filter by.
func (j *journalScreen) refresh() {
	j.load(false)
	background(func() ([]app.Operator, error) {
		return j.d.svc.Staff.List(context.Background())
	}, func(ops []app.Operator, err error) {
		if err != nil {
			return
		}
		names := []string{j.d.t(app.MsgAllCashiers)}
		for _, o := range ops {
			names = append(names, o.ID)
		}
		j.cashier.Options = names
		j.cashier.Refresh()
	})
}

// load reads a page off the Fyne goroutine: the first, or the one after
// the rows shown.
func (j *journalScreen) load(next bool) {
	if j.d.svc.Sales == nil || (next && j.loading) {
		return
	}
	j.gen++
	gen := j.gen
	before := int64(0)
	if next && len(j.rows) > 0 {
		before = j.rows[len(j.rows)-1].Entry.Seq
	}
	j.loading = true
	f := j.filter
	background(func() ([]app.SaleRow, error) {
		return j.d.svc.Sales.Find(context.Background(), f, before, journalPage)
	}, func(rows []app.SaleRow, err error) {
		if gen != j.gen {
			return // the filter changed meanwhile: a newer load shows its rows
		}
		j.loading = false
		if err != nil {
			j.d.svc.Log("forwarding list: %v", err)
			j.message.SetText(j.d.t(app.MsgBadSearch))
			return
		}
		if next {
			j.rows = append(j.rows, rows...)
		} else {
			j.rows = rows
			j.list.ScrollToTop()
		}
		if len(rows) == journalPage {
			j.more.Show()
		} else {
			j.more.Hide()
		}
		j.message.SetText("")
		if len(j.rows) == 0 {
			j.message.SetText(j.d.t(app.MsgNoneMatch))
		}
		j.list.Refresh()
	})
}

type saleDetail struct {
	receipt  app.Receipt
	timeline []app.StateChange
}

// open shows a sale's receipt (marked as a copy) and its timeline, with
// Print and Void.
func (j *journalScreen) open(r app.SaleRow) {
	d := j.d
	background(func() (saleDetail, error) {
		ctx := context.Background()
		rc, err := d.svc.Sales.Receipt(ctx, r.Entry.Seq, true)
		if err != nil {
			return saleDetail{}, err
		}
		tl, err := d.svc.Sales.Timeline(ctx, r.Entry.Seq)
		return saleDetail{rc, tl}, err
	}, func(sd saleDetail, err error) {
		if err != nil {
			d.svc.Log("sale %d: %v", r.Entry.Seq, err)
			return
		}
		rc := sd.receipt
		lines := rc.Lines(d.lang)
		steps := []string{d.t(app.MsgTimeline)}
		for _, c := range sd.timeline {
			step := c.At.Local().Format("2006-01-02 15:04:05") + "  " + stateText(c.State, d.lang)
			if c.Reason != "" {
				step += ": " + c.Reason
			}
			steps = append(steps, step)
		}
		timeline := widget.NewLabel(strings.Join(steps, "\n"))
		text := widget.NewLabel(strings.Join(lines, "\n"))
		var dlg dialog.Dialog
		printB := widget.NewButton(d.t(app.MsgPrint), func() { d.print(fmt.Sprintf("receipt-%d", rc.Seq), lines) })
		voidB := widget.NewButton(d.t(app.MsgVoid), func() { dlg.Hide(); d.askVoid(rc.Seq, j.refresh) })
		if !r.Voidable() {
			voidB.Disable()
		}
		dlg = dialog.NewCustom(d.t(app.MsgReceipt), d.t(app.MsgClose),
			container.NewVBox(text, widget.NewSeparator(), timeline, container.NewHBox(printB, voidB)), d.Window)
		d.showModal(dlg)
	})
}
