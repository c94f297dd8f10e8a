package ui

import (
	"context"
	"errors"
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lingqian/app"
)

// tellerScreen (F5) is teller mode at a bank branch, for a desk the bank
// enrolled as a teller desk and an operator with the teller role: load a
// tapped phone, look a wallet up (its statement, unload, hotlist), the
// exception queue, and the lost-log re-entry. Otherwise it says why not.
type tellerScreen struct {
	d       *Desk
	content fyne.CanvasObject
	why     *widget.Label // why teller mode is not open here
	parts   *container.AppTabs
	body    fyne.CanvasObject
	open    bool // teller mode is open to the operator signed in

	load    *tellerLoad
	wallet  *tellerWallet
	exc     *tellerExceptions
	reentry *tellerReEntry

	stop  context.CancelFunc // the phone waited for, nil when none
	shown int                // results shown, for tests to wait on
}

func newTeller(d *Desk) *tellerScreen {
	t := &tellerScreen{d: d}
	t.why = widget.NewLabel(d.t(app.MsgTellerOnly))
	t.why.Wrapping = fyne.TextWrapWord
	t.load = newTellerLoad(t)
	t.wallet = newTellerWallet(t)
	t.exc = newTellerExceptions(t)
	t.reentry = newTellerReEntry(t)
	t.parts = container.NewAppTabs(
		container.NewTabItem(d.t(app.MsgTellerUIPartLoad), t.load.content),
		container.NewTabItem(d.t(app.MsgTellerUIPartWallet), t.wallet.content),
		container.NewTabItem(d.t(app.MsgTellerUIPartExceptions), t.exc.content),
		container.NewTabItem(d.t(app.MsgTellerUIPartReEntry), t.reentry.content),
	)
	t.parts.SetTabLocation(container.TabLocationLeading)
	t.parts.OnSelected = func(*container.TabItem) { d.touch(); t.opened() }
	hint := widget.NewLabel(d.t(app.MsgTellerUIHint))
	hint.SizeName = theme.SizeNameCaptionText
	t.body = container.NewBorder(nil, hint, nil, nil, t.parts)
	t.body.Hide()
	t.content = container.NewStack(container.NewPadded(container.NewVBox(t.why)), t.body)
	return t
}

// refresh decides, when F5 is opened, whether teller mode is open here.
func (t *tellerScreen) refresh() {
	d := t.d
	op := d.Operator()
	switch {
	case op == nil:
		return
	case d.svc.Teller == nil:
		t.close(d.t(app.MsgTellerUINoService))
		return
	case !op.Role.Can(app.RoleTeller):
		t.close(d.tf(app.MsgTellerUIRoleOnly, op.ID, app.RoleText(op.Role, d.lang)))
		return
	}
	background(func() (bool, error) {
		if d.svc.Teller.Desk == nil {
			return false, nil
		}
		return d.svc.Teller.Desk.IsTellerDesk(context.Background())
	}, func(ok bool, err error) {
		switch {
		case err != nil:
			d.svc.Log("teller: is this a teller desk: %v", err)
			t.close(app.ExplainTeller(err, d.lang))
		case !ok:
			t.close(app.MsgTellerErrNotDesk.Text(d.lang))
		default:
			t.open = true
			t.why.Hide()
			t.body.Show()
			t.opened()
		}
	})
}

func (t *tellerScreen) close(why string) {
	t.open = false
	t.why.SetText(why)
	t.why.Show()
	t.body.Hide()
}

// opened readies the part shown: its first field focused, the exception
// queue read again.
func (t *tellerScreen) opened() {
	if !t.open || t.d.Screen() != 3 {
		return
	}
	c := t.d.Window.Canvas()
	switch t.parts.SelectedIndex() {
	case 0:
		c.Focus(t.load.amount)
	case 1:
		c.Focus(t.wallet.pan)
	case 2:
		t.exc.refresh()
		c.Focus(t.exc.note)
	case 3:
		c.Focus(t.reentry.note)
	}
}

// key handles teller mode's keys, then the desk's: Page Up and Page Down
// move between the parts, Enter acts, Esc stops a wait for the phone.
func (t *tellerScreen) key(ev *fyne.KeyEvent) bool {
	if !t.open {
		return t.d.key(ev)
	}
	switch ev.Name {
	case fyne.KeyPageUp, fyne.KeyPageDown:
		if t.busy() {
			return true
		}
		n, i := len(t.parts.Items), t.parts.SelectedIndex()
		if ev.Name == fyne.KeyPageDown {
			i = (i + 1) % n
		} else {
			i = (i + n - 1) % n
		}
		t.d.touch()
		t.parts.SelectIndex(i)
		return true
	case fyne.KeyEscape:
		t.d.touch()
		t.cancel()
		return true
	case fyne.KeyReturn, fyne.KeyEnter:
		t.d.touch()
		switch t.parts.SelectedIndex() {
		case 0:
			t.load.start()
		case 1:
			t.wallet.lookup("")
		case 2:
			t.exc.resolve()
		case 3:
			t.reentry.ask()
		}
		return true
	}
	return t.d.key(ev)
}

// busy says whether the desk waits for a phone or the bank.
func (t *tellerScreen) busy() bool { return t.stop != nil }

// cancel stops waiting for the phone. A load the bank already approved
// is kept by the Teller service, to be finished at the next tap.
func (t *tellerScreen) cancel() {
	if t.stop != nil {
		t.stop()
	}
}

// run runs a teller action off the Fyne goroutine, with Esc able to stop
// it; steps are shown as they come; show gets the result.
func tellerRun[T any](t *tellerScreen, work func(ctx context.Context, op app.Operator, step func(app.TellerStep)) (T, error),
	onStep func(app.TellerStep), show func(T, error)) bool {
	op := t.d.Operator()
	if op == nil || t.busy() {
		return false
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.stop = cancel
	step := func(s app.TellerStep) {
		fyne.Do(func() {
			shown.Lock()
			defer shown.Unlock()
			if onStep != nil {
				onStep(s)
			}
		})
	}
	background(func() (T, error) { return work(ctx, *op, step) }, func(v T, err error) {
		cancel()
		t.stop = nil
		if err != nil {
			t.d.svc.Log("teller by %s: %v", op.ID, err)
		}
		show(v, err)
		t.shown++
	})
	return true
}

// tellerLoad is the load part: the amount, Load, then the steps and the
// balance before and after, large.
type tellerLoad struct {
	t        *tellerScreen
	content  fyne.CanvasObject
	amount   *keyEntry
	loadB    *keyButton
	cancelB  *keyButton
	headline *canvas.Text
	balances *canvas.Text
	steps    *widget.Label
	reason   *widget.Label
}

func newTellerLoad(t *tellerScreen) *tellerLoad {
	d := t.d
	l := &tellerLoad{t: t}
	l.amount = newKeyEntry(t.key)
	l.amount.used = d.touch
	l.amount.accept = func(r rune) bool { return !t.busy() && amountRune(l.amount.Text, r) }
	l.amount.SetPlaceHolder("0.00")
	l.amount.TextStyle.Bold = true
	l.loadB = newKeyButton(d.t(app.MsgTellerUILoadButton), func() { d.touch(); l.start() }, t.key)
	l.loadB.Importance = widget.HighImportance
	l.cancelB = newKeyButton(d.t(app.MsgCancel), func() { d.touch(); t.cancel() }, t.key)
	l.cancelB.Hide()
	l.headline = bigText(30)
	l.balances = bigText(26)
	l.steps = widget.NewLabel("")
	l.reason = widget.NewLabel(d.t(app.MsgTellerUITypeAmount))
	l.reason.Wrapping = fyne.TextWrapWord
	form := widget.NewForm(widget.NewFormItem(d.t(app.MsgTellerUILoadAmount), l.amount))
	l.content = container.NewVScroll(container.NewVBox(form, container.NewHBox(container.NewStack(l.loadB, l.cancelB)),
		l.headline, l.balances, l.reason, l.steps))
	return l
}

func bigText(size float32) *canvas.Text {
	c := canvas.NewText("", theme.Color(theme.ColorNameForeground))
	c.TextSize, c.TextStyle.Bold = size, true
	return c
}

// amountRune keeps an amount to digits, one point and two decimals.
func amountRune(text string, r rune) bool {
	whole, frac, dot := strings.Cut(text, ".")
	switch {
	case r == '.':
		return !dot
	case r < '0' || r > '9':
		return false
	case dot:
		return len(frac) < 2
	}
	return len(whole) < 7
}

func (l *tellerLoad) say(headline string, c color.Color, balances, reason string) {
	l.headline.Text, l.headline.Color = headline, c
	l.headline.Refresh()
	l.balances.Text = balances
	l.balances.Refresh()
	l.reason.SetText(reason)
}

// start loads the amount typed onto the phone tapped next.
func (l *tellerLoad) start() {
	t, d := l.t, l.t.d
	amount, err := app.ParseMoney(l.amount.Text)
	if err != nil || amount <= 0 {
		l.say("", nil, "", d.t(app.MsgBadAmount))
		return
	}
	var steps []string
	started := tellerRun(t, func(ctx context.Context, op app.Operator, step func(app.TellerStep)) (app.LoadResult, error) {
		return d.svc.Teller.Load(ctx, op, amount, step)
	}, func(s app.TellerStep) {
		steps = append(steps, "• "+app.StepText(s, d.lang))
		l.steps.SetText(strings.Join(steps, "\n"))
	}, func(res app.LoadResult, err error) {
		l.loadB.Show()
		l.cancelB.Hide()
		if res.PAN != "" {
			d.svc.Log("teller: load %s asked, %s: %s on %s, phone %s → %s", app.FormatMoney(amount), res.Outcome,
				app.FormatMoney(res.Amount), app.MaskPAN(res.PAN), app.FormatMoney(res.BalanceBefore), app.FormatMoney(res.BalanceAfter))
		}
		l.show(res, err)
	})
	if !started {
		return
	}
	l.loadB.Hide()
	l.cancelB.Show()
	l.steps.SetText("")
	l.say(d.tf(app.MsgTellerUIPresent, app.FormatMoney(amount)), theme.Color(theme.ColorNameForeground), "", "")
}

// show says what came of a load: large, with the balance before and after.
func (l *tellerLoad) show(res app.LoadResult, err error) {
	d := l.t.d
	text := app.ExplainTeller(err, d.lang)
	if res.Outcome != "" {
		text = app.LoadText(res, d.lang)
	}
	balances := ""
	if res.PAN != "" {
		balances = d.tf(app.MsgTellerUIBalances, app.FormatMoney(res.BalanceBefore), app.FormatMoney(res.BalanceAfter))
	}
	switch res.Outcome {
	case app.LoadDone:
		l.say(d.tf(app.MsgTellerUIHeadLoaded, app.FormatMoney(res.Amount)), green, balances, text)
		l.amount.SetText("")
	case app.LoadFinished:
		l.say(d.t(app.MsgTellerUIHeadFinished), orange, balances, text)
	case app.LoadUnfinished:
		l.say(d.t(app.MsgTellerUIHeadUnfinished), orange, balances, text)
	default:
		if errors.Is(err, context.Canceled) {
			text = app.Explain(err, d.lang)
		}
		l.say(d.t(app.MsgTellerUIHeadNotLoaded), red, balances, text)
	}
	if l.t.d.Screen() == 3 {
		d.Window.Canvas().Focus(l.amount)
	}
}

// Result is the load part's headline, balances and sentence, for tests.
func (l *tellerLoad) Result() (headline, balances, reason string) {
	return l.headline.Text, l.balances.Text, l.reason.Text
}
