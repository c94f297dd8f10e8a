package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"lingqian/app"
)

// tellerWallet is the wallet part: a wallet found by its number or by a
// tap, as the bank and the phone know it, its statement, and the two
// things a teller does to it at the bank: unload to the deposit, hotlist.
type tellerWallet struct {
	t       *tellerScreen
	content fyne.CanvasObject

	pan              *keyEntry
	lookupB, tapB    *keyButton
	info             *widget.Label
	statement        *widget.Label
	unloadAmount     *keyEntry
	unloadB          *keyButton
	reason           *keyEntry
	hotlistB         *keyButton
	message          *widget.Label
	scroll           *container.Scroll
	found            *app.WalletLookup
	foundStatement   app.WalletStatement
	statementHeading *widget.Label
	asking           *unloadAsk // the last unload asked, for tests
}

// enterDoes makes Enter in a field do act; other keys go to teller mode.
func (t *tellerScreen) enterDoes(act func()) func(*fyne.KeyEvent) bool {
	return func(ev *fyne.KeyEvent) bool {
		if ev.Name == fyne.KeyReturn || ev.Name == fyne.KeyEnter {
			t.d.touch()
			act()
			return true
		}
		return t.key(ev)
	}
}

func newTellerWallet(t *tellerScreen) *tellerWallet {
	d := t.d
	w := &tellerWallet{t: t}
	w.pan = newKeyEntry(t.enterDoes(func() { w.lookup("typed") }))
	w.pan.used, w.pan.accept = d.touch, digit
	w.lookupB = newKeyButton(d.t(app.MsgTellerUILookup), func() { d.touch(); w.lookup("typed") }, t.key)
	w.tapB = newKeyButton(d.t(app.MsgTellerUITapLookup), func() { d.touch(); w.lookup("tap") }, t.key)
	w.info = widget.NewLabel("")
	w.statementHeading = widget.NewLabelWithStyle(d.t(app.MsgTellerUIStatement), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	w.statement = widget.NewLabel("")
	w.unloadAmount = newKeyEntry(t.enterDoes(func() { w.unload() }))
	w.unloadAmount.used = d.touch
	w.unloadAmount.accept = func(r rune) bool { return amountRune(w.unloadAmount.Text, r) }
	w.unloadAmount.SetPlaceHolder("0.00")
	w.unloadB = newKeyButton(d.t(app.MsgTellerUIUnload), func() { d.touch(); w.unload() }, t.key)
	w.reason = newKeyEntry(t.enterDoes(func() { w.hotlist() }))
	w.reason.used = d.touch
	w.hotlistB = newKeyButton(d.t(app.MsgTellerUIHotlist), func() { d.touch(); w.hotlist() }, t.key)
	w.hotlistB.Importance = widget.DangerImportance
	w.message = widget.NewLabel("")
	w.message.Wrapping = fyne.TextWrapWord

	find := widget.NewForm(widget.NewFormItem(d.t(app.MsgTellerUIPAN), w.pan))
	act := widget.NewForm(
		widget.NewFormItem(d.t(app.MsgTellerUIUnloadAmount), container.NewBorder(nil, nil, nil, w.unloadB, w.unloadAmount)),
		widget.NewFormItem(d.t(app.MsgTellerUIReason), container.NewBorder(nil, nil, nil, w.hotlistB, w.reason)),
	)
	w.scroll = container.NewVScroll(container.NewVBox(w.message, w.info, w.statementHeading, w.statement))
	w.content = container.NewBorder(container.NewVBox(find, container.NewHBox(w.lookupB, w.tapB)), act, nil, nil, w.scroll)
	w.show(nil, app.WalletStatement{})
	return w
}

// lookup finds the wallet typed ("typed", or a tap when none is typed)
// or tapped ("tap"), with its statement.
func (w *tellerWallet) lookup(how string) {
	t, d := w.t, w.t.d
	pan := strings.TrimSpace(w.pan.Text)
	if how == "tap" {
		pan = ""
	}
	started := tellerRun(t, func(ctx context.Context, op app.Operator, step func(app.TellerStep)) (walletFound, error) {
		if pan == "" {
			step(app.StepTap)
		}
		l, err := d.svc.Teller.Lookup(ctx, op, pan)
		if err != nil {
			return walletFound{}, err
		}
		step(app.StepBank)
		s, err := d.svc.Teller.Statement(ctx, op, l.Bank.PAN, l.Bank.PSN)
		return walletFound{l, s}, err
	}, func(s app.TellerStep) { w.message.SetText(app.StepText(s, d.lang)) }, func(f walletFound, err error) {
		if err != nil {
			w.message.SetText(app.ExplainTeller(err, d.lang))
			if f.l.Bank.PAN == "" {
				w.show(nil, app.WalletStatement{})
			}
			return
		}
		w.message.SetText("")
		w.pan.SetText(f.l.Bank.PAN)
		w.show(&f.l, f.s)
	})
	if started {
		w.message.SetText(d.t(app.MsgTellerUIAsking))
	}
}

// show lays out the wallet found, or nothing.
func (w *tellerWallet) show(l *app.WalletLookup, s app.WalletStatement) {
	d := w.t.d
	w.found, w.foundStatement = l, s
	on := l != nil
	enable(on, w.unloadAmount, w.unloadB, w.reason, w.hotlistB)
	if !on {
		w.info.SetText("")
		w.statementHeading.Hide()
		w.statement.SetText("")
		return
	}
	b := l.Bank
	status, blocked := walletStatusText(b.Status, d.lang)
	if blocked {
		enable(false, w.reason, w.hotlistB)
	}
	lines := []string{
		d.tf(app.MsgTellerUIWalletLine, b.PAN, b.PSN, b.Customer, status),
		d.tf(app.MsgTellerUIBankBalance, app.FormatMoney(b.Balance), b.LastATC),
	}
	if b.PhoneBalance != nil && b.PhoneATC != nil {
		lines = append(lines, d.tf(app.MsgTellerUIPhoneUpload, b.PhoneUploaded.Local().Format("2006-01-02 15:04"), app.FormatMoney(*b.PhoneBalance), *b.PhoneATC))
	}
	if p := l.Phone; p != nil {
		lines = append(lines, d.tf(app.MsgTellerUIPhoneNow, app.FormatMoney(app.Money(p.Balance)), p.ATC))
	}
	if t := app.SettledText(l.Settled, d.lang); t != "" {
		lines = append(lines, t)
	}
	if u := l.Unfinished; u != nil {
		lines = append(lines, d.tf(app.MsgTellerPending, app.FormatMoney(u.Amount)))
	}
	w.info.SetText(strings.Join(lines, "\n"))
	w.statementHeading.Show()
	w.statement.SetText(w.statementText(s))
	// The lines change the scroll's content size: lay it out again.
	w.scroll.Refresh()
}

// statementText is the statement, a line an entry, newest last as the bank gives it.
func (w *tellerWallet) statementText(s app.WalletStatement) string {
	d := w.t.d
	var out []string
	for _, e := range s.Entries {
		out = append(out, w.line(e))
	}
	if len(out) == 0 {
		out = append(out, d.t(app.MsgTellerUINoLines))
	}
	if len(s.AwaitingDesk) > 0 {
		out = append(out, "", d.t(app.MsgTellerUIAwaiting))
		for _, e := range s.AwaitingDesk {
			out = append(out, w.line(e))
		}
	}
	// Unloads the bank holds for its settlement window, or paid since.
	if len(s.Unloads) > 0 {
		out = append(out, "", app.MsgTellerUnloads.Text(d.lang))
		for _, u := range s.Unloads {
			out = append(out, app.UnloadLineText(u, d.lang))
		}
	}
	return strings.Join(out, "\n")
}

// line is one statement line: when, what, ATC, amount, where it stands, who.
func (w *tellerWallet) line(e app.StatementLine) string {
	lang := w.t.d.lang
	s := fmt.Sprintf("%s  %-4s  ATC %-5d %10s  %s", e.At.Local().Format("2006-01-02 15:04"), statementKindText(e.Kind, lang), e.ATC,
		app.FormatMoney(e.Amount), statementStateText(e.State, e.Reason, lang))
	if e.Balance != nil {
		s += "  → " + app.FormatMoney(*e.Balance)
	}
	// Who did it, by the ids the bank keeps: the teller, the terminal.
	for _, more := range []string{e.Operator, e.TerminalID} {
		if more != "" {
			s += "  " + more
		}
	}
	return s
}

// unload moves the amount typed back to the customer's deposit, once the
// teller says yes and the customer or a second teller signs.
func (w *tellerWallet) unload() {
	d := w.t.d
	if w.found == nil {
		w.message.SetText(d.t(app.MsgTellerUILookUpFirst))
		return
	}
	amount, err := app.ParseMoney(w.unloadAmount.Text)
	if err != nil || amount <= 0 {
		w.message.SetText(d.t(app.MsgBadAmount))
		return
	}
	w.askUnload(amount, w.found.Bank)
}

// hotlist blocks the wallet, with the reason typed, once the teller says yes.
func (w *tellerWallet) hotlist() {
	t, d := w.t, w.t.d
	if w.found == nil {
		w.message.SetText(d.t(app.MsgTellerUILookUpFirst))
		return
	}
	reason := strings.TrimSpace(w.reason.Text)
	if reason == "" {
		w.message.SetText(app.MsgTellerErrNote.Text(d.lang))
		return
	}
	pan := w.found.Bank.PAN
	d.confirm(d.tf(app.MsgTellerUIHotlistTitle, pan), d.t(app.MsgTellerUIHotlistConfirm), d.t(app.MsgTellerUIHotlist), func() {
		tellerRun(t, func(ctx context.Context, op app.Operator, _ func(app.TellerStep)) (int64, error) {
			return d.svc.Teller.Hotlist(ctx, op, pan, reason)
		}, nil, func(version int64, err error) {
			if err != nil {
				w.message.SetText(app.ExplainTeller(err, d.lang))
				return
			}
			w.reason.SetText("")
			w.again(d.tf(app.MsgTellerHotlisted, app.MaskPAN(pan), version))
		})
	})
}

// again reads the wallet shown once more after a change, keeping what
// the change said. It asks for that wallet's statement by PAN and PSN:
// a lookup by PAN alone answers the bank's default wallet of the PAN,
// which may be another card of the same number. A change at the bank
// never settles an earlier load of the phone: only a tap of it does.
func (w *tellerWallet) again(said string) {
	w.message.SetText(said)
	if w.found == nil {
		return
	}
	d := w.t.d
	// A copy for the worker: w.found is only read and set on the Fyne
	// goroutine, where the new wallet is shown.
	was := *w.found
	pan, psn := was.Bank.PAN, was.Bank.PSN
	tellerRun(w.t, func(ctx context.Context, op app.Operator, _ func(app.TellerStep)) (walletFound, error) {
		s, err := d.svc.Teller.Statement(ctx, op, pan, psn)
		if err != nil {
			return walletFound{}, err
		}
		if s.PAN != pan || s.PSN != psn {
			return walletFound{}, fmt.Errorf("teller: the bank answered the statement of %s/%s for %s/%s",
				app.MaskPAN(s.PAN), s.PSN, app.MaskPAN(pan), psn)
		}
		return walletFound{l: afterChange(was, s), s: s}, nil
	}, nil, func(f walletFound, err error) {
		if err != nil {
			w.message.SetText(said + " " + app.ExplainTeller(err, d.lang))
			return
		}
		w.show(&f.l, f.s)
	})
}

// walletFound is a wallet looked up, with its statement.
type walletFound struct {
	l app.WalletLookup
	s app.WalletStatement
}

// afterChange is the wallet as it was, with what an unload or a hotlist
// changes taken from its statement: the status, the bank's balance and
// ATC. What the phone said, at a tap or at its last upload, stays.
func afterChange(was app.WalletLookup, s app.WalletStatement) app.WalletLookup {
	l := was
	l.Settled = nil // said when the phone was tapped
	l.Bank.Status, l.Bank.Customer, l.Bank.Balance, l.Bank.LastATC = s.Status, s.Customer, s.Balance, s.LastATC
	return l
}
