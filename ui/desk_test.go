package ui

import (
	"context"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lingqian/app"
	"lingqian/device"
)

// findButton finds a button by its text among the window's content and overlays.
func (s *shop) findButton(text string) *widget.Button {
	s.t.Helper()
	var found *widget.Button
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if found != nil || o == nil || !o.Visible() {
			return
		}
		if b, ok := o.(*widget.Button); ok && b.Text == text {
			found = b
			return
		}
		if c, ok := o.(*fyne.Container); ok {
			for _, ch := range c.Objects {
				walk(ch)
			}
		}
		if w, ok := o.(fyne.Widget); ok {
			r := test.TempWidgetRenderer(s.t, w)
			for _, ch := range r.Objects() {
				walk(ch)
			}
		}
	}
	for _, o := range s.desk.Window.Canvas().Overlays().List() {
		walk(o)
	}
	walk(s.desk.Window.Content())
	if found == nil {
		s.t.Fatalf("no button %q on the screen", text)
	}
	return found
}

func TestSignIn_RightAndWrongPIN(t *testing.T) {
	// Given a desk at sign-in
	s := newShop(t, app.English, app.Limits{})
	if s.desk.Window.Canvas().Focused() != s.desk.signIn.operator {
		t.Fatal("the operator field does not have the focus at sign-in")
	}

	// When the cashier types a wrong PIN
	s.signIn(cashier, "0000")

	// Then the screen says so, stays at sign-in, and the PIN is cleared with the focus on it
	eventually(t, "wrong PIN message", func() bool { return s.desk.signIn.Message() == app.MsgWrongPIN.Text(app.English) })
	if s.desk.Operator() != nil || s.desk.signIn.pin.Text != "" || s.desk.Window.Canvas().Focused() != s.desk.signIn.pin {
		t.Fatal("a wrong PIN signed in, or left the PIN typed")
	}

	// When the right PIN follows
	s.typeKeys(cashierPIN)
	s.press(fyne.KeyReturn)

	// Then the checkout is open for the cashier, with the amount focused
	eventually(t, "signed in", func() bool { return s.amountFocused() })
	if s.desk.Screen() != 0 || !s.amountFocused() {
		t.Fatalf("screen %d, focus %v", s.desk.Screen(), s.desk.Window.Canvas().Focused())
	}
	if !strings.Contains(s.desk.who.Text, cashier) {
		t.Errorf("the window shows %q as signed in", s.desk.who.Text)
	}
}

func TestSignIn_TheFifthWrongPINLocks(t *testing.T) {
	s := newShop(t, app.English, app.Limits{})
	// Given five wrong PINs in a row
	for i := 0; i < 5; i++ {
		do(func() { s.desk.signIn.show("") })
		s.signIn(supervisor, "0000")
		eventually(t, "refused", func() bool { return s.desk.signIn.Message() != "" && !s.desk.signIn.working })
	}
	// When the right PIN is typed
	do(func() { s.desk.signIn.show("") })
	s.signIn(supervisor, supervisorPIN)

	// Then the operator is locked, as the CLI locks
	eventually(t, "locked message", func() bool { return s.desk.signIn.Message() == app.MsgLocked.Text(app.English) })
	if s.desk.Operator() != nil {
		t.Fatal("a locked operator signed in")
	}
}

func TestCheckout_ASaleApprovedByKeyboardAlone(t *testing.T) {
	// Given a cashier signed in by keyboard and a phone with 500.00
	s := newShop(t, app.English, app.Limits{})
	w := s.wallet(50000)
	s.signedIn(cashier)

	// When they type 12.50, press Enter and the customer taps
	headline, reason := s.sale("12.50", w, device.Leave{})

	// Then the window says approved for 12.50, with its receipt
	if headline != "APPROVED  12.50" || reason != "Approved." {
		t.Fatalf("result %q / %q", headline, reason)
	}
	eventually(t, "receipt", func() bool { return strings.Contains(s.desk.checkout.receipt.Text(), "offline e-cash") })
	rc := s.desk.checkout.receipt.Text()
	for _, want := range []string{"Test shop", "T0000001", "Sequence 1", "******", "12.50 CNY", "Cashier " + cashier, "ATC "} {
		if !strings.Contains(rc, want) {
			t.Errorf("receipt lacks %q:\n%s", want, rc)
		}
	}
	// And the journal holds it with the signed-in cashier, the wallet paid once
	e, err := s.db.Entry(context.Background(), 1)
	if err != nil || e.Kind != app.KindPurchase || e.Amount != 1250 || e.Operator != cashier {
		t.Fatalf("journal entry 1: %+v %v", e, err)
	}
	if w.Balance() != 50000-1250 {
		t.Errorf("balance %d", w.Balance())
	}
	// And the amount is cleared, focused, ready for the next sale
	if s.desk.checkout.amount.Text != "" || !s.amountFocused() {
		t.Error("the amount is not cleared and focused for the next sale")
	}
	// And the forwarder was woken, and the log says what happened
	if len(s.log.lines) == 0 || !strings.Contains(strings.Join(s.log.lines, "\n"), "checkout: approved 12.50 entry 1 cashier "+cashier) {
		t.Errorf("log %q", s.log.lines)
	}

	// When the next amount is typed with a slip and a Backspace
	s.typeKeys("3a0.505")
	s.press(fyne.KeyBackspace)
	// Then only digits, one point and two decimals were taken, and the last result is cleared
	if got := s.desk.checkout.amount.Text; got != "30.5" {
		t.Errorf("amount %q, want 30.5", got)
	}
	if h, _ := s.result(); h != "" {
		t.Errorf("the last result %q stays up while a new amount is typed", h)
	}
}

func TestCheckout_FunctionKeysAndEscape(t *testing.T) {
	s := newShop(t, app.English, app.Limits{})
	s.signedIn(cashier)
	// When F3, F4, F6 and F2 are pressed
	for _, k := range []struct {
		key    fyne.KeyName
		screen int
	}{{fyne.KeyF3, 1}, {fyne.KeyF4, 2}, {fyne.KeyF5, 3}, {fyne.KeyF6, 4}, {fyne.KeyF2, 0}} {
		s.press(k.key)
		// Then the screens switch, and the tabs show it
		if s.desk.Screen() != k.screen {
			t.Fatalf("%s: screen %d, want %d", k.key, s.desk.Screen(), k.screen)
		}
	}
	if !s.amountFocused() {
		t.Fatal("F2 does not put the focus on the amount")
	}
	// When a sale waits for a phone and the cashier presses Esc
	s.typeKeys("8.00")
	s.press(fyne.KeyReturn)
	eventually(t, "waiting", func() bool { return s.desk.checkout.busy() })
	if h, _ := s.result(); h != "Present phone: 8.00 CNY" {
		t.Errorf("while waiting: %q", h)
	}
	shown := s.results()
	s.press(fyne.KeyEscape)
	// Then the wait ends, nothing is charged, and the screen says so
	s.waitResult(shown)
	if h, r := s.result(); h != "NOT PAID" || r != "Cancelled. Nothing was charged." {
		t.Fatalf("after Esc: %q / %q", h, r)
	}
	if last, _ := s.db.LastSeq(context.Background()); last != 0 {
		t.Errorf("a cancelled sale left %d journal entries", last)
	}
}

func TestCheckout_DeclineSaysWhy(t *testing.T) {
	for _, tc := range []struct {
		lang, headline, reason string
	}{
		{app.English, "DECLINED", "Declined: not enough e-cash in the wallet."},
		{app.SimplifiedChinese, "交易拒绝", "拒绝：钱包电子现金余额不足。"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			// Given a phone with 5.00
			s := newShop(t, tc.lang, app.Limits{})
			w := s.wallet(500)
			s.signedIn(cashier)
			// When the cashier charges 12.50
			headline, reason := s.sale("12.50", w, device.Leave{})
			// Then the window says declined and why, in its language, and nothing is recorded
			if headline != tc.headline || reason != tc.reason {
				t.Fatalf("result %q / %q", headline, reason)
			}
			if w.Balance() != 500 {
				t.Errorf("balance %d", w.Balance())
			}
		})
	}
}

func TestCheckout_ARecoveredTornTapDoesNotPayTheNewSale(t *testing.T) {
	// Given a 12.50 sale whose phone left during GENERATE AC, after the wallet paid
	s := newShop(t, app.English, app.Limits{})
	w := s.wallet(50000)
	s.signedIn(cashier)
	headline, reason := s.sale("12.50", w, device.Leave{DuringCommand: 10})
	if headline != "NOT PAID" || !strings.Contains(reason, "tap the same phone again") {
		t.Fatalf("torn tap: %q / %q", headline, reason)
	}

	// When the cashier moves on to a 30.00 sale and the same phone is tapped
	do(func() { s.desk.checkout.amount.SetText("") })
	headline, reason = s.sale("30.00", w, device.Leave{})

	// Then the window says the earlier 12.50 went through and this sale is not paid
	if headline != "NOT PAID" || reason != "The earlier 12.50 went through; this 30.00 sale is not paid yet: tap again." {
		t.Fatalf("recovery: %q / %q", headline, reason)
	}
	if w.Balance() != 50000-1250 {
		t.Errorf("balance %d after the recovery", w.Balance())
	}
	// And the 30.00 stays typed: Enter and a tap pay it
	if s.desk.checkout.amount.Text != "30.00" {
		t.Fatalf("amount %q after the recovery", s.desk.checkout.amount.Text)
	}
	s.press(fyne.KeyReturn)
	s.tap(w, device.Leave{})
	if h, _ := s.result(); h != "APPROVED  30.00" {
		t.Fatalf("second tap: %q", h)
	}
	if w.Balance() != 50000-1250-3000 {
		t.Errorf("balance %d", w.Balance())
	}
}

func TestSignIn_AFreshDeskMakesItsFirstAdmin(t *testing.T) {
	// Given a desk with no operator
	s := newShopWith(t, app.English, app.Limits{}, false)

	// Then sign-in offers to make the first operator, an admin
	eventually(t, "first-admin mode", func() bool { return s.desk.signIn.first })
	if got := s.desk.signIn.heading.Text; got != app.MsgFirstTitle.Text(app.English) {
		t.Fatalf("heading %q", got)
	}

	// When the owner types an id and a PIN too short, twice
	s.typeKeys("owner")
	s.tab()
	s.typeKeys("12")
	s.press(fyne.KeyReturn)
	s.typeKeys("12")
	s.press(fyne.KeyReturn)
	// Then the screen says what a PIN is, and nobody is added
	eventually(t, "bad PIN", func() bool { return s.desk.signIn.Message() == "A PIN has 4 to 12 digits." })

	// When the PINs differ
	s.typeKeys("2468")
	s.press(fyne.KeyReturn)
	s.typeKeys("2469")
	s.press(fyne.KeyReturn)
	eventually(t, "PINs differ", func() bool { return s.desk.signIn.Message() == "The two PINs differ. Type them again." })

	// When they agree
	s.typeKeys("2468")
	s.press(fyne.KeyReturn)
	s.typeKeys("2468")
	s.press(fyne.KeyReturn)

	// Then the admin exists, is signed in, and later sign-ins are plain ones
	eventually(t, "signed in as the first admin", func() bool {
		op := s.desk.Operator()
		return op != nil && op.ID == "owner" && op.Role == app.RoleAdmin && s.amountFocused()
	})
	ops, err := s.db.Operators(context.Background())
	if err != nil || len(ops) != 1 || ops[0].Role != app.RoleAdmin {
		t.Fatalf("operators %+v %v", ops, err)
	}
	do(func() { s.desk.SignOut("") })
	s.signIn("owner", "2468")
	eventually(t, "signed in again", func() bool { return s.amountFocused() })
}
