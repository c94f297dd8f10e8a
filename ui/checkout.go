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

// checkoutScreen takes a sale: the amount by keypad or keyboard, Enter
// charges, Esc cancels the wait, and the result stays until the next sale.
type checkoutScreen struct {
	d       *Desk
	content fyne.CanvasObject

	amount   *keyEntry
	display  *canvas.Text // the amount, large
	headline *canvas.Text // APPROVED / DECLINED / NOT PAID, large
	reason   *widget.Label
	readers  *widget.Label
	receipt  *receiptView
	override *widget.Button
	cancelB  *widget.Button
	chargeB  *widget.Button
	demoB    *widget.Button

	stop    context.CancelFunc // the sale waiting, nil when none
	pending app.Sale           // the sale a supervisor may let past a limit
	shown   int                // results shown, for tests to wait on
}

var (
	green  = color.NRGBA{R: 0x1b, G: 0x8a, B: 0x3a, A: 0xff}
	red    = color.NRGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff}
	orange = color.NRGBA{R: 0xd8, G: 0x6c, B: 0x00, A: 0xff}
)

func newCheckout(d *Desk) *checkoutScreen {
	c := &checkoutScreen{d: d}
	c.amount = newKeyEntry(func(ev *fyne.KeyEvent) bool { return d.key(ev) })
	c.amount.accept = func(r rune) bool { return c.canType(r) }
	c.amount.used = d.touch
	c.amount.OnChanged = func(string) { c.typed() }
	c.amount.SetPlaceHolder("0.00")

	c.display = canvas.NewText("0.00", theme.Color(theme.ColorNameForeground))
	c.display.TextSize = 44
	c.display.TextStyle.Bold = true
	c.display.Alignment = fyne.TextAlignTrailing
	c.headline = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	c.headline.TextSize = 32
	c.headline.TextStyle.Bold = true
	c.headline.Alignment = fyne.TextAlignCenter
	c.reason = widget.NewLabel(d.t(app.MsgTypeAmount))
	c.reason.Wrapping = fyne.TextWrapWord
	c.reason.Alignment = fyne.TextAlignCenter
	c.readers = widget.NewLabel("")
	c.readers.Wrapping = fyne.TextWrapWord
	c.receipt = newReceiptView(d)

	c.chargeB = widget.NewButtonWithIcon(d.t(app.MsgCharge), theme.ConfirmIcon(), func() { d.touch(); c.charge() })
	c.chargeB.Importance = widget.HighImportance
	c.cancelB = widget.NewButtonWithIcon(d.t(app.MsgCancel), theme.CancelIcon(), func() { d.touch(); c.cancel() })
	c.cancelB.Hide()
	c.override = widget.NewButton(d.t(app.MsgSupervisorPass), func() { d.touch(); c.askOverride() })
	c.override.Hide()
	c.demoB = widget.NewButtonWithIcon(d.t(app.MsgDemoTap), theme.MediaPlayIcon(), func() { d.touch(); c.demoTap() })
	if d.svc.DemoTap == nil {
		c.demoB.Hide()
	}

	keys := container.NewGridWithColumns(3)
	for _, k := range []string{"7", "8", "9", "4", "5", "6", "1", "2", "3", ".", "0", "⌫"} {
		k := k
		b := widget.NewButton(k, func() { d.touch(); c.press(k) })
		keys.Add(b)
	}
	clearB := widget.NewButton("C", func() { d.touch(); c.amount.SetText("") })
	left := container.NewVBox(
		widget.NewLabelWithStyle(d.t(app.MsgAmount), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		// Cancel takes Charge's place while a sale waits, so nothing else moves under the cashier's hand.
		c.display, c.amount, keys, container.NewGridWithColumns(2, clearB, container.NewStack(c.chargeB, c.cancelB)), c.demoB,
	)
	right := container.NewVBox(c.headline, c.reason, c.override, c.readers, c.receipt.content)
	c.content = container.NewPadded(container.NewGridWithColumns(2, container.NewPadded(left), container.NewVScroll(right)))
	c.refreshReaders()
	return c
}

// canType keeps the amount to digits, one decimal point and two decimals.
func (c *checkoutScreen) canType(r rune) bool {
	if c.busy() {
		return false
	}
	text := c.amount.Text
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

// press is a keypad key.
func (c *checkoutScreen) press(k string) {
	if c.busy() {
		return
	}
	if k == "⌫" {
		if t := c.amount.Text; t != "" {
			c.amount.SetText(t[:len(t)-1])
		}
		return
	}
	if c.canType([]rune(k)[0]) {
		c.amount.SetText(c.amount.Text + k)
	}
	c.focus()
}

// typed shows the amount large; typing a new amount clears the last result.
func (c *checkoutScreen) typed() {
	t := c.amount.Text
	if t == "" {
		t = "0.00"
	}
	c.display.Text = t
	c.display.Refresh()
	if c.amount.Text != "" && c.headline.Text != "" && !c.busy() {
		c.clearResult()
	}
}

// key: Enter charges, Esc cancels; the rest goes to the entry.
func (c *checkoutScreen) key(ev *fyne.KeyEvent) bool {
	switch ev.Name {
	case fyne.KeyReturn, fyne.KeyEnter:
		c.charge()
		return true
	case fyne.KeyEscape:
		c.cancel()
		return true
	}
	return false
}

func (c *checkoutScreen) busy() bool { return c.stop != nil }

func (c *checkoutScreen) focus() { c.d.Window.Canvas().Focus(c.amount) }

// reset clears the screen for a new cashier.
func (c *checkoutScreen) reset() {
	c.amount.SetText("")
	c.clearResult()
	c.reason.SetText(c.d.t(app.MsgTypeAmount))
}

func (c *checkoutScreen) clearResult() {
	c.setHeadline("", nil)
	c.reason.SetText(c.d.t(app.MsgTypeAmount))
	c.override.Hide()
	c.receipt.hide()
}

func (c *checkoutScreen) setHeadline(text string, col color.Color) {
	if col == nil {
		col = theme.Color(theme.ColorNameForeground)
	}
	c.headline.Text, c.headline.Color = text, col
	c.headline.Refresh()
}

// charge starts the sale of the amount typed; the tap runs off the Fyne goroutine.
func (c *checkoutScreen) charge() {
	if c.busy() {
		return
	}
	op := c.d.Operator()
	if op == nil {
		return
	}
	amount, err := app.ParseMoney(c.amount.Text)
	if err != nil {
		c.setHeadline("", nil)
		c.reason.SetText(c.d.t(app.MsgBadAmount))
		c.focus()
		return
	}
	c.start(app.Sale{Amount: amount, Cashier: *op})
}

func (c *checkoutScreen) start(sale app.Sale) {
	ctx, stop := context.WithCancel(context.Background())
	c.stop = stop
	c.pending = sale
	c.receipt.hide()
	c.override.Hide()
	c.setHeadline(c.d.tf(app.MsgWaitingFor, app.FormatMoney(sale.Amount)), theme.Color(theme.ColorNamePrimary))
	c.reason.SetText(c.d.svc.Board.Message().Text(c.d.lang))
	c.chargeB.Hide()
	c.cancelB.Show()
	background(func() (app.Result, error) {
		return c.d.svc.Checkout.Charge(ctx, sale)
	}, func(res app.Result, err error) {
		stop()
		c.cancelB.Hide()
		c.chargeB.Show()
		c.stop = nil
		c.show(sale, res, err)
		c.shown++
	})
}

// cancel stops the wait for the phone.
func (c *checkoutScreen) cancel() {
	if c.stop != nil {
		c.stop()
	}
}

// show puts the result up large and clears the amount for the next sale.
func (c *checkoutScreen) show(sale app.Sale, res app.Result, err error) {
	lang := c.d.lang
	c.amount.SetText("")
	if res.Entry != nil && c.d.svc.AfterSale != nil {
		c.d.svc.AfterSale()
	}
	if err != nil {
		var headline = c.d.t(app.MsgNotPaid)
		c.setHeadline(headline, orange)
		c.reason.SetText(app.Explain(err, lang))
		if errors.Is(err, app.ErrLimit) {
			c.override.Show()
		}
		c.d.svc.Log("checkout: error %s entry 0 cashier %s: %v", app.FormatMoney(sale.Amount), sale.Cashier.ID, err)
		c.d.SalesChanged()
		c.focus()
		return
	}
	v := res.Verdict()
	seq := int64(0)
	if res.Entry != nil {
		seq = res.Entry.Seq
	}
	detail := ""
	if d := res.Outcome.Reason.Detail; d != "" {
		detail = " (" + d + ")"
	}
	c.d.svc.Log("checkout: %s %s entry %d cashier %s%s", v, app.FormatMoney(sale.Amount), seq, sale.Cashier.ID, detail)
	switch v {
	case app.VerdictApproved:
		c.setHeadline(c.d.t(app.MsgApproved)+"  "+app.FormatMoney(sale.Amount), green)
		c.reason.SetText(app.ReasonText(res.Outcome.Reason, lang))
		c.receipt.show(seq)
	case app.VerdictDeclined:
		c.setHeadline(c.d.t(app.MsgDeclined), red)
		c.reason.SetText(app.ReasonText(res.Outcome.Reason, lang))
	case app.VerdictRecovered:
		c.amount.SetText(app.FormatMoney(sale.Amount)) // the same sale, ready to tap again
		c.setHeadline(c.d.t(app.MsgNotPaid), orange)
		c.reason.SetText(c.d.tf(app.MsgRecovered, app.FormatMoney(app.Money(res.Outcome.Amount)), app.FormatMoney(sale.Amount)))
		c.receipt.show(seq)
	default:
		c.setHeadline(c.d.t(app.MsgNotPaid), orange)
		c.reason.SetText(app.ReasonText(res.Outcome.Reason, lang))
	}
	c.d.SalesChanged()
	c.focus()
}

// Result is what the checkout shows: the headline and the sentence under it.
func (c *checkoutScreen) Result() (headline, reason string) { return c.headline.Text, c.reason.Text }

// refreshReaders shows the readers' live state.
func (c *checkoutScreen) refreshReaders() {
	b := c.d.svc.Board
	if b == nil {
		return
	}
	var lines []string
	if m := b.Message(); m == app.MsgServiceDown || m == app.MsgNoReader {
		lines = append(lines, m.Text(c.d.lang))
	}
	for _, r := range b.Readers() {
		line := "○ " + r.Name
		if r.Card {
			line = "● " + r.Name + " — " + app.MsgCardOnReader.Text(c.d.lang)
		}
		lines = append(lines, line)
	}
	c.readers.SetText(strings.Join(lines, "\n"))
	if c.busy() {
		c.reason.SetText(b.Message().Text(c.d.lang))
	}
}

// demoTap presents the demo phone once (demo mode only).
func (c *checkoutScreen) demoTap() {
	tap := c.d.svc.DemoTap
	if tap == nil {
		return
	}
	c.demoB.Disable()
	background(func() (struct{}, error) {
		return struct{}{}, tap(context.Background())
	}, func(_ struct{}, err error) {
		c.demoB.Enable()
		if err != nil {
			c.d.svc.Log("demo phone: %v", err)
		}
	})
}

// voided marks the result on the screen when its sale was just voided.
func (c *checkoutScreen) voided(seq int64) {
	if c.receipt.seq == seq && !c.busy() {
		c.setHeadline(c.d.t(app.MsgStateVoided), theme.Color(theme.ColorNameDisabled))
	}
}
