package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"lingqian/app"
	"lingqian/device"
)

// fillSupervisor types into the supervisor form that has the focus:
// supervisor, PIN and the extra fields, each after a Tab.
func (s *shop) fillSupervisor(confirm string, fields ...string) {
	s.t.Helper()
	eventually(s.t, "the supervisor form", func() bool { return s.desk.Window.Canvas().Overlays().Top() != nil })
	for i, f := range fields {
		if i > 0 {
			s.tab()
		}
		s.typeKeys(f)
	}
	s.tapButton(confirm)
}

// dialogText waits for an information dialog and gives its text.
func (s *shop) dialogSays(want string) {
	s.t.Helper()
	eventually(s.t, "a dialog saying "+want, func() bool {
		top := s.desk.Window.Canvas().Overlays().Top()
		return top != nil && containsText(s.t, top, want)
	})
}

func TestVoid_ASupervisorVoidsASaleFromItsReceipt(t *testing.T) {
	ctx := context.Background()
	// Given an approved 12.50 sale on the screen
	s := newShop(t, app.English, app.Limits{})
	w := s.wallet(50000)
	s.signedIn(cashier)
	if h, _ := s.sale("12.50", w, device.Leave{}); h != "APPROVED  12.50" {
		t.Fatalf("sale: %q", h)
	}
	eventually(t, "receipt", func() bool { return s.desk.checkout.receipt.content.Visible() })

	// When the cashier taps Void and signs the form with their own PIN
	s.tapButton("Void")
	s.fillSupervisor("Void", cashier, cashierPIN, "wrong item")
	// Then it is refused: a cashier cannot void
	s.dialogSays("Your role does not allow this.")
	if v, _ := s.db.Voided(ctx, 1); v {
		t.Fatal("a cashier voided a sale")
	}
	s.press(fyne.KeyEscape) // the message closes by keyboard

	// When a supervisor signs it with a reason
	s.tapButton("Void")
	s.fillSupervisor("Void", supervisor, supervisorPIN, "wrong item")

	// Then the sale is voided in the journal, audited, and the receipt says so
	s.dialogSays("Sale 1 is voided.")
	if v, _ := s.db.Voided(ctx, 1); !v {
		t.Fatal("the sale is not voided")
	}
	e, err := s.db.Entry(ctx, 2)
	if err != nil || e.Kind != app.KindVoid || e.Ref != 1 || e.Operator != supervisor || e.Note != "wrong item" {
		t.Fatalf("void entry: %+v %v", e, err)
	}
	eventually(t, "receipt marked voided", func() bool {
		h, _ := s.desk.checkout.Result()
		return strings.Contains(s.desk.checkout.receipt.Text(), "VOIDED") && h == "voided"
	})
	log, _ := s.db.AuditLog(ctx, time.Time{}, 100)
	if log[len(log)-1].Action != app.AuditVoid || log[len(log)-1].Operator != supervisor {
		t.Errorf("last audit row %+v", log[len(log)-1])
	}
	// And, the message closed with Enter, the forwarding list shows it voided
	s.press(fyne.KeyReturn)
	s.press(fyne.KeyF3)
	eventually(t, "the list shows the void", func() bool {
		return len(s.desk.journal.rows) == 1 && s.desk.journal.rows[0].Voided
	})
}

func TestCheckout_ASupervisorLetsASalePastAnOfflineLimit(t *testing.T) {
	// Given a desk whose offline limit for one purchase is 10.00
	s := newShop(t, app.English, app.Limits{PerPurchase: 1000})
	w := s.wallet(50000)
	s.signedIn(cashier)

	// When the cashier charges 12.50
	shown := s.results()
	s.typeKeys("12.50")
	s.press(fyne.KeyReturn)
	s.waitResult(shown)

	// Then it is not charged, and the window says why
	h, r := s.result()
	if h != "NOT PAID" || !strings.Contains(r, "offline limit") {
		t.Fatalf("over the limit: %q / %q", h, r)
	}
	// When a supervisor allows it and the phone is tapped
	s.tapButton(app.MsgSupervisorPass.Text(app.English))
	shown = s.results()
	s.fillSupervisor("Allow", supervisor, supervisorPIN)
	eventually(t, "waiting for the phone", func() bool { return s.desk.checkout.busy() })
	s.reader.Tap(w, device.Leave{})
	s.waitResult(shown)
	s.reader.Remove()

	// Then it is approved, recorded with the cashier, and the override audited
	if h, _ := s.result(); h != "APPROVED  12.50" {
		t.Fatalf("after the override: %q", h)
	}
	e, err := s.db.Entry(context.Background(), 1)
	if err != nil || e.Operator != cashier {
		t.Fatalf("entry %+v %v", e, err)
	}
}

func TestBanner_ForwardNowAndWhatIsPending(t *testing.T) {
	// Given two sales not yet at the bank
	s := newShop(t, app.English, app.Limits{})
	w := s.wallet(50000)
	s.signedIn(cashier)
	s.sale("12.50", w, device.Leave{})
	s.sale("7.50", w, device.Leave{})

	// Then the banner shows them, and what the offline limits still allow
	eventually(t, "banner pending", func() bool {
		txt := s.desk.banner.Text()
		return strings.Contains(txt, "Pending: 2 sales, 20.00 CNY, oldest") && strings.Contains(txt, "Offline limits left: 49980.00 CNY, 1998 sales")
	})

	// When Forward now is tapped
	s.tapButton("Forward now")

	// Then a pass is asked for and the banner shows it running
	eventually(t, "forward asked", func() bool { return s.forward.asked() == 1 })
	s.desk.svc.Forwarding.Apply(app.ForwardEvent{At: time.Now(), Reached: true, Sent: 2, Posted: 1})
	do(s.desk.RefreshBanner)
	eventually(t, "progress", func() bool {
		txt := s.desk.banner.Text()
		return strings.Contains(txt, "Forwarding: 2 sent, 1 posted") && strings.Contains(txt, "Bank online")
	})
	// When the pass ends with the bank unreachable
	s.desk.svc.Forwarding.Apply(app.ForwardEvent{At: time.Now(), Done: true, Err: context.DeadlineExceeded})
	do(s.desk.RefreshBanner)
	eventually(t, "offline", func() bool {
		txt := s.desk.banner.Text()
		return strings.Contains(txt, "Bank offline") && strings.Contains(txt, "Forward now")
	})
}

func TestIdleLock_TheDeskLocksItself(t *testing.T) {
	// Given a cashier signed in
	s := newShop(t, app.English, app.Limits{})
	s.signedIn(cashier)
	// When the desk has been idle past its lock time
	do(func() { s.desk.CheckIdle(time.Nanosecond) })
	// Then it is back at sign-in, saying why, with nobody signed in
	if s.desk.Operator() != nil || !strings.Contains(s.desk.signIn.Message(), "locked itself") {
		t.Fatalf("after idle: %v %q", s.desk.Operator(), s.desk.signIn.Message())
	}
}
