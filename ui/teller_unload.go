package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lingqian/app"
)

// unloadAsk is the unload's confirmation: what goes where, and who signs
// it besides the teller — the customer typing their bank password at the
// counter, or a second teller with their id and PIN. All of it works from
// the keyboard: the password field has the focus, Tab and Shift+Tab move
// through the choice, the fields and the buttons, ↑ and ↓ (or Space) on
// the choice change who signs, Enter unloads and Esc cancels anywhere.
type unloadAsk struct {
	dlg      *dialog.ConfirmDialog
	who      *keySelect
	password *keyEntry // the customer's
	approver *keyEntry // the second teller's id
	pin      *keyEntry // and PIN
	// The rows of each way to sign, label and field, in one form
	// layout with the choice so their labels line up.
	customer []fyne.CanvasObject
	teller   []fyne.CanvasObject
}

// askUnload asks before unloading amount from wallet b, and unloads with
// the signature given once the teller says yes.
func (w *tellerWallet) askUnload(amount app.Money, b app.BankWallet) {
	d := w.t.d
	a := &unloadAsk{}
	keys := func(ev *fyne.KeyEvent) bool {
		switch ev.Name {
		case fyne.KeyReturn, fyne.KeyEnter:
			a.dlg.Confirm()
			return true
		case fyne.KeyEscape:
			a.dlg.Hide()
			return true
		}
		return false
	}
	a.password, a.approver, a.pin = newKeyEntry(keys), newKeyEntry(keys), newKeyEntry(keys)
	for _, e := range []*keyEntry{a.password, a.approver, a.pin} {
		e.used = d.touch
	}
	a.password.Password, a.pin.Password = true, true
	a.pin.accept = digit
	a.customer = []fyne.CanvasObject{widget.NewLabel(d.t(app.MsgTellerUICustomerPass)), a.password}
	a.teller = []fyne.CanvasObject{widget.NewLabel(d.t(app.MsgTellerUIApprover)), a.approver,
		widget.NewLabel(d.t(app.MsgTellerUIApproverPIN)), a.pin}
	ways := []string{d.t(app.MsgTellerUISignCustomer), d.t(app.MsgTellerUISignTeller)}
	a.who = newKeySelect(ways, func(ev *fyne.KeyEvent) bool {
		d.touch()
		switch ev.Name {
		case fyne.KeyUp, fyne.KeyDown, fyne.KeyLeft, fyne.KeyRight, fyne.KeySpace:
			// The list of two is a switch: no pop-up to steer.
			a.who.SetSelectedIndex(1 - a.who.SelectedIndex())
			return true
		}
		return keys(ev)
	})
	a.who.OnChanged = func(string) { a.shown() }
	a.who.SetSelectedIndex(0)

	text := widget.NewLabel(d.tf(app.MsgTellerUIUnloadConfirm, app.FormatMoney(amount), b.PAN+"/"+b.PSN, b.Customer) + "\n" +
		d.t(app.MsgTellerUIUnloadHeldNote))
	text.Wrapping = fyne.TextWrapWord
	hint := widget.NewLabel(d.t(app.MsgTellerUIUnloadKeys))
	hint.Wrapping, hint.SizeName = fyne.TextWrapWord, theme.SizeNameCaptionText
	rows := append([]fyne.CanvasObject{widget.NewLabel(d.t(app.MsgTellerUISignedBy)), a.who}, a.customer...)
	body := container.NewVBox(text, container.New(layout.NewFormLayout(), append(rows, a.teller...)...), hint)
	a.dlg = dialog.NewCustomConfirm(d.tf(app.MsgTellerUIUnloadTitle, app.FormatMoney(amount)), d.t(app.MsgTellerUIUnload),
		d.t(app.MsgCancel), body, func(ok bool) {
			d.touch()
			by := a.signer()
			// The secrets leave the fields with the dialog.
			for _, e := range []*keyEntry{a.password, a.approver, a.pin} {
				e.SetText("")
			}
			if ok {
				w.unloadSigned(amount, b, by)
			}
		}, d.Window)
	a.dlg.Resize(fyne.NewSize(560, 0))
	d.showModal(a.dlg)
	w.asking = a
	d.Window.Canvas().Focus(a.password)
}

// shown shows the fields of who signs (the choice keeps the focus).
func (a *unloadAsk) shown() {
	customer := a.who.SelectedIndex() != 1
	for _, o := range a.customer {
		show(customer, o)
	}
	for _, o := range a.teller {
		show(!customer, o)
	}
}

// signer is who signs, as the fields say.
func (a *unloadAsk) signer() app.UnloadSigner {
	if a.who.SelectedIndex() == 1 {
		return app.SecondTeller(a.approver.Text, a.pin.Text)
	}
	return app.CustomerSigns(a.password.Text)
}

// unloadSigned unloads at the bank and says what came of it: held until
// the bank's settlement window ends, or paid.
func (w *tellerWallet) unloadSigned(amount app.Money, b app.BankWallet, by app.UnloadSigner) {
	t, d := w.t, w.t.d
	tellerRun(t, func(ctx context.Context, op app.Operator, _ func(app.TellerStep)) (app.UnloadResult, error) {
		return d.svc.Teller.Unload(ctx, op, b.PAN, b.PSN, amount, by)
	}, nil, func(r app.UnloadResult, err error) {
		if err != nil {
			w.message.SetText(app.ExplainTeller(err, d.lang))
			return
		}
		w.unloadAmount.SetText("")
		w.again(app.UnloadText(r, d.lang))
	})
}
