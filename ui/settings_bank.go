package ui

import (
	"context"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"lingqian/app"
)

// bankSection shows what the bank enrolled the desk as, with its
// certificate, and enrols it with a one-time code, as `lingqian enroll`
// does.
type bankSection struct {
	s       *settingsScreen
	content fyne.CanvasObject

	status *widget.Label // enrolled as what, or not
	kind   *widget.Label // teller desk or shop desk
	cert   *widget.Label
	print  *widget.Label // the certificate's fingerprint

	url, ca, code *keyEntry
	enrolB        *keyButton
	message       *widget.Label

	current app.Enrolment
	working bool // an enrolment is on its way
}

func newBankSection(s *settingsScreen) *bankSection {
	d := s.d
	b := &bankSection{s: s}
	label := func(wrap fyne.TextWrap) *widget.Label {
		l := widget.NewLabel("")
		l.Wrapping = wrap
		return l
	}
	b.status, b.kind, b.cert = label(fyne.TextWrapWord), label(fyne.TextWrapWord), label(fyne.TextWrapWord)
	b.print = label(fyne.TextWrapBreak) // hex pairs have no spaces to wrap at
	b.message = label(fyne.TextWrapWord)
	entry := func(placeholder string) *keyEntry {
		e := newKeyEntry(s.key)
		e.used = d.touch
		e.SetPlaceHolder(placeholder)
		return e
	}
	b.url, b.ca, b.code = entry("https://"), entry("/path/to/ca.pem"), entry("")
	b.enrolB = newKeyButton(d.t(app.MsgEnrol), func() { d.touch(); b.enrol() }, s.key)
	b.enrolB.Importance = widget.HighImportance
	form := widget.NewForm(
		widget.NewFormItem(d.t(app.MsgBankURL), b.url),
		widget.NewFormItem(d.t(app.MsgBankCA), b.ca),
		widget.NewFormItem(d.t(app.MsgEnrolCode), b.code),
	)
	b.content = container.NewVBox(b.status, b.kind, b.cert, b.print, widget.NewSeparator(), form, container.NewHBox(b.enrolB), b.message)
	return b
}

func (b *bankSection) allow(admin bool) {
	enable(admin && !b.working, b.url, b.ca, b.code, b.enrolB)
	show(admin, b.enrolB)
}

// refresh reads what the desk is enrolled as.
func (b *bankSection) refresh() {
	if !b.working {
		b.message.SetText("")
	}
	if b.s.d.svc.Enrolment == nil {
		b.show(app.Enrolment{})
		return
	}
	background(func() (app.Enrolment, error) {
		return b.s.d.svc.Enrolment.Current(context.Background())
	}, func(enr app.Enrolment, err error) {
		if err != nil {
			b.s.d.svc.Log("settings: enrolment: %v", err)
			b.message.SetText(app.ExplainSettings(err, b.s.d.lang))
		}
		b.show(enr)
	})
}

// show lays out what the desk is enrolled as.
func (b *bankSection) show(enr app.Enrolment) {
	d := b.s.d
	b.current = enr
	if !enr.Enrolled {
		b.status.SetText(d.t(app.MsgNotEnrolled))
		b.kind.Hide()
		b.cert.Hide()
		b.print.Hide()
		return
	}
	b.status.SetText(d.tf(app.MsgEnrolledAs, enr.BankURL, enr.Terminal, enr.Merchant))
	if enr.Teller {
		b.kind.SetText(d.t(app.MsgTellerDesk))
	} else {
		b.kind.SetText(d.t(app.MsgShopDesk))
	}
	b.cert.SetText(d.tf(app.MsgCertificate, enr.Subject, enr.NotAfter.Local().Format("2006-01-02 15:04")))
	b.print.SetText(d.tf(app.MsgFingerprint, enr.Fingerprint))
	b.kind.Show()
	b.cert.Show()
	b.print.Show()
	if b.url.Text == "" {
		b.url.SetText(enr.BankURL)
	}
}

// enrol asks first when the desk is enrolled already, then enrols.
func (b *bankSection) enrol() {
	d := b.s.d
	op := d.Operator()
	if op == nil || !op.Role.Can(app.RoleAdmin) || b.working || d.svc.Enrolment == nil {
		return
	}
	if (d.checkout != nil && d.checkout.busy()) || (d.teller != nil && d.teller.busy()) {
		b.message.SetText(d.t(app.MsgSaleWaiting))
		return
	}
	req := app.EnrolRequest{BankURL: b.url.Text, CA: b.ca.Text, Code: b.code.Text}
	if strings.TrimSpace(req.BankURL) == "" || strings.TrimSpace(req.CA) == "" || strings.TrimSpace(req.Code) == "" {
		b.message.SetText(d.t(app.MsgErrEnrolForm))
		return
	}
	if b.current.Enrolled {
		d.confirm(d.t(app.MsgReenrolTitle), d.tf(app.MsgReenrolConfirm, b.current.Terminal, b.current.Merchant), d.t(app.MsgEnrol),
			func() { b.run(*op, req) })
		return
	}
	b.run(*op, req)
}

// run enrols off the Fyne goroutine, saying so meanwhile. A journal with
// entries under the present identity is asked about, as --force is.
func (b *bankSection) run(op app.Operator, req app.EnrolRequest) {
	d := b.s.d
	b.working = true
	b.allow(true)
	b.message.SetText(d.t(app.MsgEnrolling))
	background(func() (app.Enrolment, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		return d.svc.Enrolment.Enrol(ctx, op, req)
	}, func(enr app.Enrolment, err error) {
		b.working = false
		b.allow(true)
		if errors.Is(err, app.ErrReenrol) && !req.Force {
			b.message.SetText("")
			d.confirm(d.t(app.MsgReenrolTitle), app.ExplainSettings(err, d.lang), d.t(app.MsgEnrolAnyway), func() {
				req.Force = true
				b.run(op, req)
			})
			return
		}
		if err != nil {
			d.svc.Log("enrolment by %s at %s: %v", op.ID, req.BankURL, err)
			b.message.SetText(app.ExplainSettings(err, d.lang))
			return
		}
		d.svc.Log("settings: enrolled at %s as terminal %s of merchant %s (teller %v) by %s", enr.BankURL, enr.Terminal, enr.Merchant, enr.Teller, op.ID)
		b.code.SetText("")
		b.show(enr)
		said := []string{d.tf(app.MsgEnrolDone, enr.Terminal, enr.Merchant)}
		if !enr.Pulled {
			said = append(said, d.t(app.MsgNotPulled))
		}
		if !d.reidentify() {
			said = append(said, d.t(app.MsgRestartAfterEnrol))
		} else if d.svc.Forwarding != nil && d.svc.Forwarding.Forwarder == nil {
			// The window starts forwarding only for a desk enrolled when it opens.
			said = append(said, d.t(app.MsgForwardAfterRestart))
		}
		b.message.SetText(strings.Join(said, " "))
		d.RefreshBanner()
	})
}

// reidentify gives the window's checkout and reports the identity the
// desk was just enrolled as; false when the window must be opened again
// for that. Fyne goroutine.
func (d *Desk) reidentify() bool {
	if d.svc.AfterEnrol == nil || (d.checkout != nil && d.checkout.busy()) || (d.teller != nil && d.teller.busy()) {
		return false
	}
	if err := d.svc.AfterEnrol(); err != nil {
		d.svc.Log("settings: the new identity: %v", err)
		return false
	}
	return true
}
