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
	again    *keyEntry // the PIN again, when the first admin is made
	heading  *widget.Label
	message  *widget.Label
	button   *widget.Button
	form     *widget.Form
	working  bool
	// first: the desk has no operator yet, and this screen makes the
	// first one, an admin, instead of signing in.
	first bool
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
			if s.first && s.again.Text == "" {
				d.Window.Canvas().Focus(s.again)
			} else {
				s.submit()
			}
			return true
		}
		return false
	})
	s.again = newKeyEntry(func(ev *fyne.KeyEvent) bool {
		if ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter {
			s.submit()
			return true
		}
		return false
	})
	s.again.Password = true
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
	s.form = widget.NewForm(
		widget.NewFormItem(d.t(app.MsgOperator), s.operator),
		widget.NewFormItem(d.t(app.MsgPIN), s.pin),
	)
	s.heading = widget.NewLabelWithStyle(d.t(app.MsgSignInTitle), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	s.heading.Wrapping = fyne.TextWrapWord
	box := container.NewVBox(container.NewCenter(title), s.heading, s.form, s.button, s.message)
	s.content = container.NewCenter(container.NewGridWrap(fyne.NewSize(440, 380), box))
	return s
}

// checkFirst asks, off the Fyne goroutine, whether the desk has any
// operator; a desk without one makes its first admin here.
func (s *signInScreen) checkFirst() {
	background(func() (bool, error) {
		return s.d.svc.Staff.NeedsFirstAdmin(context.Background())
	}, func(first bool, err error) {
		if err != nil {
			s.d.svc.Log("operators: %v", err)
			return
		}
		if first == s.first {
			return
		}
		s.first = first
		if first {
			s.heading.SetText(s.d.t(app.MsgFirstTitle))
			s.button.SetText(s.d.t(app.MsgCreateAdmin))
			s.form.Append(s.d.t(app.MsgPINAgain), s.again)
		}
	})
}

// show clears the fields, says why the screen is shown, and focuses the operator.
func (s *signInScreen) show(why string) {
	s.operator.SetText("")
	s.pin.SetText("")
	s.again.SetText("")
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
	id, pin, first := s.operator.Text, s.pin.Text, s.first
	if first && pin != s.again.Text {
		s.pin.SetText("")
		s.again.SetText("")
		s.message.SetText(s.d.t(app.MsgPINsDiffer))
		s.d.Window.Canvas().Focus(s.pin)
		return
	}
	s.working = true
	s.button.Disable()
	background(func() (app.Operator, error) {
		ctx := context.Background()
		if first {
			if err := s.d.svc.Staff.Add(ctx, nil, app.Operator{ID: id, Name: id, Role: app.RoleAdmin}, pin); err != nil {
				return app.Operator{}, err
			}
		}
		return s.d.svc.Staff.SignIn(ctx, id, pin)
	}, func(op app.Operator, err error) {
		s.working = false
		s.button.Enable()
		if err != nil {
			s.d.svc.Log("signin: %s refused: %v", id, err)
			s.pin.SetText("")
			s.again.SetText("")
			s.message.SetText(app.Explain(err, s.d.lang))
			s.d.Window.Canvas().Focus(s.pin)
			return
		}
		if first {
			s.first = false
			s.d.svc.Log("operators: %s made the desk's first admin", op.ID)
			s.heading.SetText(s.d.t(app.MsgSignInTitle))
			s.button.SetText(s.d.t(app.MsgSignIn))
			s.form.Items = s.form.Items[:2]
			s.form.Refresh()
		}
		s.d.signedIn(op)
	})
}

// Message is the sentence the sign-in screen shows.
func (s *signInScreen) Message() string { return s.message.Text }
