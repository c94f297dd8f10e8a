package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"lingqian/app"
)

// journalScreen lists the recent sales with where each stands; a row
// opens its receipt, to reprint it or void the sale.
type journalScreen struct {
	d       *Desk
	content fyne.CanvasObject
	list    *widget.List
	empty   *widget.Label
	rows    []app.SaleRow
}

const journalRows = 500

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
	j.empty = widget.NewLabel(d.t(app.MsgJournalEmpty))
	j.content = container.NewBorder(widget.NewLabelWithStyle(d.t(app.MsgJournalTitle), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		nil, nil, nil, container.NewStack(j.empty, j.list))
	return j
}

func (j *journalScreen) rowText(r app.SaleRow) string {
	e := r.Entry
	return fmt.Sprintf("%6d  %s  %10s  %s  %-10s  %s", e.Seq, e.At.Format("01-02 15:04"), app.FormatMoney(e.Amount),
		app.MaskPAN(e.PAN), e.Operator, j.state(r))
}

func (j *journalScreen) state(r app.SaleRow) string {
	if r.Voided {
		return j.d.t(app.MsgStateVoided)
	}
	switch r.State {
	case app.StateCaptured:
		return j.d.t(app.MsgStateCaptured)
	case app.StateQueued, app.StateSent, app.StateAcknowledged:
		return j.d.t(app.MsgStateSent)
	case app.StatePosted:
		return j.d.t(app.MsgStatePosted)
	case app.StateRejected:
		return j.d.t(app.MsgStateRejected)
	case app.StateDuplicate:
		return j.d.t(app.MsgStateDuplicate)
	}
	return string(r.State)
}

// refresh reads the journal off the Fyne goroutine.
func (j *journalScreen) refresh() {
	background(func() ([]app.SaleRow, error) {
		return j.d.svc.Sales.Recent(context.Background(), journalRows)
	}, func(rows []app.SaleRow, err error) {
		if err != nil {
			j.d.svc.Log("journal list: %v", err)
			return
		}
		j.rows = rows
		if len(rows) == 0 {
			j.empty.Show()
		} else {
			j.empty.Hide()
		}
		j.list.Refresh()
	})
}

// open shows a sale's receipt, marked as a copy, with Print and Void.
func (j *journalScreen) open(r app.SaleRow) {
	d := j.d
	background(func() (app.Receipt, error) {
		return d.svc.Sales.Receipt(context.Background(), r.Entry.Seq, true)
	}, func(rc app.Receipt, err error) {
		if err != nil {
			d.svc.Log("receipt %d: %v", r.Entry.Seq, err)
			return
		}
		lines := rc.Lines(d.lang)
		text := widget.NewLabel(strings.Join(lines, "\n"))
		var dlg dialog.Dialog
		printB := widget.NewButton(d.t(app.MsgPrint), func() { d.print(fmt.Sprintf("receipt-%d", rc.Seq), lines) })
		voidB := widget.NewButton(d.t(app.MsgVoid), func() { dlg.Hide(); d.askVoid(rc.Seq, j.refresh) })
		if !r.Voidable() {
			voidB.Disable()
		}
		dlg = dialog.NewCustom(d.t(app.MsgReceipt), d.t(app.MsgClose), container.NewVBox(text, container.NewHBox(printB, voidB)), d.Window)
		dlg.Show()
	})
}
