package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lingqian/app"
)

// signInScreen asks for the operator and the PIN. The operator field has
// the focus, Tab goes to the PIN, Enter signs in.
type signInScreen struct {
	d        *Desk
	content  fyne.CanvasObject
	operator *keyEntry
	pin      *keyEntry
	message  *widget.Label
	button   *widget.Button
	working  bool
}

func newSignIn(d *Desk) *signInScreen {
	s := &signInScreen{d: d}
	s.operator = newKeyEntry(func(ev *fyne.KeyEvent) bool {
		if ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter {
			if s.pin.Text == "" {
				d.Window.Canvas().Focus(s.pin)
			} else {
				s.submit()
			}
			return true
		}
		return false
	})
	s.operator.SetPlaceHolder(d.t(app.MsgOperator))
	s.pin = newKeyEntry(func(ev *fyne.KeyEvent) bool {
		if ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter {
			s.submit()
			return true
		}
		return false
	})
	s.pin.Password = true
	s.pin.SetPlaceHolder(d.t(app.MsgPIN))
	s.message = widget.NewLabel("")
	s.message.Wrapping = fyne.TextWrapWord
	s.button = widget.NewButtonWithIcon(d.t(app.MsgSignIn), theme.LoginIcon(), s.submit)
	s.button.Importance = widget.HighImportance

	// The Chinese name only where Chinese is shown: its glyphs load a
	// font of their own, which an English desk need not carry.
	name := "Lingqian"
	if d.lang == app.SimplifiedChinese {
		name = "零钱 Lingqian"
	}
	title := canvas.NewText(name, theme.Color(theme.ColorNameForeground))
	title.TextSize = 28
	title.TextStyle.Bold = true
	form := widget.NewForm(
		widget.NewFormItem(d.t(app.MsgOperator), s.operator),
		widget.NewFormItem(d.t(app.MsgPIN), s.pin),
	)
	box := container.NewVBox(container.NewCenter(title), widget.NewLabelWithStyle(d.t(app.MsgSignInTitle), fyne.TextAlignCenter, fyne.TextStyle{Bold: true}),
		form, s.button, s.message)
	s.content = container.NewCenter(container.NewGridWrap(fyne.NewSize(420, 340), box))
	return s
}

// show clears the fields, says why the screen is shown, and focuses the operator.
func (s *signInScreen) show(why string) {
	s.operator.SetText("")
	s.pin.SetText("")
	s.message.SetText(why)
	s.working = false
	s.button.Enable()
	s.d.Window.Canvas().Focus(s.operator)
}

// submit checks the PIN off the Fyne goroutine: hashing takes a while.
func (s *signInScreen) submit() {
	if s.working {
		return
	}
	id, pin := s.operator.Text, s.pin.Text
	s.working = true
	s.button.Disable()
	background(func() (app.Operator, error) {
		return s.d.svc.Staff.SignIn(context.Background(), id, pin)
	}, func(op app.Operator, err error) {
		s.working = false
		s.button.Enable()
		if err != nil {
			s.d.svc.Log("signin: %s refused: %v", id, err)
			s.pin.SetText("")
			s.message.SetText(app.Explain(err, s.d.lang))
			s.d.Window.Canvas().Focus(s.pin)
			return
		}
		s.d.signedIn(op)
	})
}

// Message is the sentence the sign-in screen shows.
func (s *signInScreen) Message() string { return s.message.Text }
