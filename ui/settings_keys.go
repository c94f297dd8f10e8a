package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"lingqian/app"
)

// Fyne gives a key to the focused widget alone. The settings' choices and
// buttons are keyEntry's kin: they let the desk see each key first, so
// F2–F6, Page Up and Page Down work wherever the focus is.

// keySelect is a choice that lets the desk see its keys first.
type keySelect struct {
	widget.Select
	onKey func(*fyne.KeyEvent) bool
}

func newKeySelect(options []string, onKey func(*fyne.KeyEvent) bool) *keySelect {
	s := &keySelect{onKey: onKey}
	s.Options = options
	s.ExtendBaseWidget(s)
	return s
}

func (s *keySelect) TypedKey(ev *fyne.KeyEvent) {
	if s.onKey != nil && s.onKey(ev) {
		return
	}
	s.Select.TypedKey(ev)
}

// keyButton is a button that lets the desk see its keys first, and that
// Enter presses as Space does.
type keyButton struct {
	widget.Button
	onKey func(*fyne.KeyEvent) bool
}

func newKeyButton(text string, tapped func(), onKey func(*fyne.KeyEvent) bool) *keyButton {
	b := &keyButton{onKey: onKey}
	b.Text, b.OnTapped = text, tapped
	b.ExtendBaseWidget(b)
	return b
}

func (b *keyButton) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter {
		if !b.Disabled() && b.OnTapped != nil {
			b.OnTapped()
		}
		return
	}
	if b.onKey != nil && b.onKey(ev) {
		return
	}
	b.Button.TypedKey(ev)
}

// keyCatcher is an invisible widget that takes the focus in a
// confirmation, so that Enter confirms and Esc cancels.
type keyCatcher struct {
	widget.BaseWidget
	onKey func(*fyne.KeyEvent)
}

func newKeyCatcher(onKey func(*fyne.KeyEvent)) *keyCatcher {
	k := &keyCatcher{onKey: onKey}
	k.ExtendBaseWidget(k)
	return k
}

func (k *keyCatcher) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(canvas.NewRectangle(color.Transparent))
}
func (k *keyCatcher) FocusGained()               {}
func (k *keyCatcher) FocusLost()                 {}
func (k *keyCatcher) TypedRune(rune)             {}
func (k *keyCatcher) TypedKey(ev *fyne.KeyEvent) { k.onKey(ev) }

// confirm asks before something that is not undone lightly: Enter or the
// button says yes, Esc or Cancel no.
func (d *Desk) confirm(title, message, yes string, then func()) {
	text := widget.NewLabel(message)
	text.Wrapping = fyne.TextWrapWord
	var dlg *dialog.ConfirmDialog
	keys := newKeyCatcher(func(ev *fyne.KeyEvent) {
		switch ev.Name {
		case fyne.KeyReturn, fyne.KeyEnter:
			dlg.Confirm()
		case fyne.KeyEscape:
			dlg.Hide()
		}
	})
	dlg = dialog.NewCustomConfirm(title, yes, d.t(app.MsgCancel), container.NewVBox(text, keys), func(ok bool) {
		d.touch()
		if ok {
			then()
		}
	}, d.Window)
	dlg.Resize(fyne.NewSize(480, 0))
	d.showModal(dlg)
	d.Window.Canvas().Focus(keys)
}
