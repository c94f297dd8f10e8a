package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lingqian/app"
)

// receiptView shows a sale's receipt with Print and Void.
type receiptView struct {
	d       *Desk
	content *fyne.Container
	text    *widget.Label
	voidB   *widget.Button
	seq     int64
	lines   []string
}

func newReceiptView(d *Desk) *receiptView {
	r := &receiptView{d: d}
	// Not monospace: the monospace face has no Chinese, and the lines of
	// a fallback face would not fit its line height.
	r.text = widget.NewLabel("")
	printB := widget.NewButtonWithIcon(d.t(app.MsgPrint), theme.DocumentPrintIcon(), func() { d.touch(); r.print() })
	r.voidB = widget.NewButtonWithIcon(d.t(app.MsgVoid), theme.ContentUndoIcon(), func() {
		d.touch()
		d.askVoid(r.seq, func() { r.show(r.seq); d.checkout.voided(r.seq) })
	})
	r.content = container.NewVBox(widget.NewSeparator(), r.text, container.NewHBox(printB, r.voidB))
	r.content.Hide()
	return r
}

func (r *receiptView) hide() { r.content.Hide(); r.seq = 0 }

// show loads the receipt of entry seq from the journal.
func (r *receiptView) show(seq int64) {
	if seq == 0 {
		r.hide()
		return
	}
	r.seq = seq
	background(func() (app.Receipt, error) {
		return r.d.svc.Sales.Receipt(context.Background(), seq, false)
	}, func(rc app.Receipt, err error) {
		if err != nil || r.seq != seq {
			if err != nil {
				r.d.svc.Log("receipt %d: %v", seq, err)
			}
			return
		}
		r.lines = rc.Lines(r.d.lang)
		r.text.SetText(strings.Join(r.lines, "\n"))
		if rc.Voided {
			r.voidB.Disable()
		} else {
			r.voidB.Enable()
		}
		r.content.Show()
	})
}

// Text is the receipt shown.
func (r *receiptView) Text() string { return r.text.Text }

func (r *receiptView) print() { r.d.print(fmt.Sprintf("receipt-%d", r.seq), r.lines) }

// print sends lines to the OS's printer, off the Fyne goroutine.
func (d *Desk) print(title string, lines []string) {
	if d.svc.Print == nil || len(lines) == 0 {
		return
	}
	background(func() (struct{}, error) { return struct{}{}, d.svc.Print(title, lines) },
		func(_ struct{}, err error) {
			if err != nil {
				d.svc.Log("print %s: %v", title, err)
				d.inform(d.t(app.MsgPrint), err.Error())
				return
			}
			d.inform(d.t(app.MsgPrint), d.t(app.MsgPrinted))
		})
}

// supervisorForm asks for a supervisor's id and PIN (and more fields),
// checks them off the Fyne goroutine and runs then with the supervisor.
func (d *Desk) supervisorForm(title, confirm string, extra []*widget.FormItem, then func(sup app.Operator) error, done func(error)) {
	id, pin := newKeyEntry(nil), newKeyEntry(nil)
	pin.Password = true
	var dlg *dialog.FormDialog
	// Enter in any field submits the form, Esc cancels it.
	formKeys := func(ev *fyne.KeyEvent) bool {
		switch ev.Name {
		case fyne.KeyReturn, fyne.KeyEnter:
			dlg.Submit()
			return true
		case fyne.KeyEscape:
			dlg.Hide()
			return true
		}
		return false
	}
	id.onKey, pin.onKey = formKeys, formKeys
	for _, it := range extra {
		if e, ok := it.Widget.(*keyEntry); ok {
			e.onKey = formKeys
		}
	}
	items := append([]*widget.FormItem{widget.NewFormItem(d.t(app.MsgSupervisor), id), widget.NewFormItem(d.t(app.MsgPIN), pin)}, extra...)
	dlg = dialog.NewForm(title, confirm, d.t(app.MsgCancel), items, func(ok bool) {
		d.touch()
		if !ok {
			return
		}
		background(func() (struct{}, error) {
			sup, err := d.svc.Staff.Authorise(context.Background(), id.Text, pin.Text, app.RoleSupervisor)
			if err != nil {
				return struct{}{}, err
			}
			return struct{}{}, then(sup)
		}, func(_ struct{}, err error) { done(err) })
	}, d.Window)
	dlg.Resize(fyne.NewSize(420, 0))
	d.showModal(dlg)
	d.Window.Canvas().Focus(id)
}

// askVoid voids sale seq with a supervisor's PIN and a reason.
func (d *Desk) askVoid(seq int64, after func()) {
	if seq == 0 {
		return
	}
	reason := newKeyEntry(nil)
	d.supervisorForm(d.tf(app.MsgVoidTitle, seq), d.t(app.MsgVoid), []*widget.FormItem{widget.NewFormItem(d.t(app.MsgVoidReason), reason)},
		func(sup app.Operator) error {
			why := strings.TrimSpace(reason.Text)
			if why == "" {
				why = "voided at the desk"
			}
			_, err := d.svc.Checkout.Void(context.Background(), seq, sup, why)
			if err == nil {
				d.svc.Log("void: sale %d voided by %s: %s", seq, sup.ID, why)
			}
			return err
		},
		func(err error) {
			if err != nil {
				d.svc.Log("void %d: %v", seq, err)
				d.inform(d.t(app.MsgVoid), app.Explain(err, d.lang))
				return
			}
			d.inform(d.t(app.MsgVoid), d.tf(app.MsgVoidDone, seq))
			d.SalesChanged()
			if after != nil {
				after()
			}
		})
}

// askOverride lets a supervisor allow the refused sale past an offline limit.
func (c *checkoutScreen) askOverride() {
	sale := c.pending
	var sup app.Operator
	c.d.supervisorForm(c.d.t(app.MsgSupervisorPass), c.d.t(app.MsgAllow), nil, func(s app.Operator) error { sup = s; return nil },
		func(err error) {
			if err != nil {
				c.reason.SetText(app.Explain(err, c.d.lang))
				return
			}
			sale.Override = &sup
			c.start(sale)
		})
}
