package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"lingqian/app"
)

// openSettings opens F6 at part i (0 desk, 1 bank, 2 operators) by keyboard.
func (s *shop) openSettings(part int) *settingsScreen {
	s.t.Helper()
	s.press(fyne.KeyF6)
	eventually(s.t, "settings", func() bool { return s.desk.Screen() == 4 })
	var st *settingsScreen
	do(func() { st = s.desk.settings })
	for i := 0; i < 3 && st.sections.SelectedIndex() != part; i++ {
		s.press(fyne.KeyPageDown)
	}
	eventually(s.t, "settings part", func() bool { return st.sections.SelectedIndex() == part })
	return st
}

// fill puts the focus on an entry and types text into it, as a person
// clicking into the field and typing would.
func (s *shop) fill(e *keyEntry, text string) {
	s.t.Helper()
	do(func() { e.SetText(""); s.desk.Window.Canvas().Focus(e) })
	s.typeKeys(text)
}

// audited says whether the audit log has a line by who containing detail.
func (s *shop) audited(who, detail string) bool {
	s.t.Helper()
	log, err := s.db.AuditLog(context.Background(), time.Time{}, 0)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, e := range log {
		if e.Operator == who && strings.Contains(e.Detail, detail) {
			return true
		}
	}
	return false
}

func TestSettings_AnAdminSetsTheOfflineLimitsTheIdleLockAndTheReader(t *testing.T) {
	// Given an admin on the settings' desk part
	s := newShop(t, app.English, app.Limits{})
	s.signedIn(admin)
	st := s.openSettings(0)
	eventually(t, "limits read", func() bool { return st.limits[0].Text == "1000.00" })

	// When they type limits where one purchase may exceed the whole, and Enter
	s.fill(st.limits[0], "800.00")
	s.fill(st.limits[1], "500.00")
	s.press(fyne.KeyReturn)
	// Then the screen says what is wrong, and nothing changes
	eventually(t, "order refused", func() bool { return st.message.Text == app.MsgLimitOrder.Text(app.English) })

	// When they write them right, with an idle lock of 15 minutes and the loopback reader
	s.fill(st.limits[0], "200.00")
	s.fill(st.limits[1], "3000.00")
	s.fill(st.limits[2], "150")
	s.fill(st.limits[3], "48")
	s.fill(st.idle, "15")
	do(func() { st.reader.SetSelected("Loopback 00") })
	s.fill(st.limits[3], "48")
	s.press(fyne.KeyReturn)

	// Then they are saved, the checkout uses them at once, and each is audited in the admin's name
	eventually(t, "saved", func() bool { return st.message.Text == "Saved." })
	ctx := context.Background()
	want := app.Limits{PerPurchase: 20000, PendingAmount: 300000, PendingCount: 150, OldestPending: 48 * time.Hour}
	if got, err := s.desk.svc.Settings.Limits(ctx); err != nil || got != want {
		t.Fatalf("stored limits %+v %v", got, err)
	}
	var used app.Limits
	do(func() { used = s.desk.svc.Checkout.Limits })
	if used != want {
		t.Errorf("the checkout still uses %+v", used)
	}
	if idle, _ := s.desk.svc.Settings.IdleLock(ctx); idle != 15*time.Minute {
		t.Errorf("idle lock %v", idle)
	}
	if r, _ := s.desk.svc.Settings.Reader(ctx); r != "Loopback 00" {
		t.Errorf("reader %q", r)
	}
	for _, line := range []string{`limit_per_purchase: (unset) → "20000"`, `limit_oldest_pending_hours: (unset) → "48"`,
		`idle_lock_minutes: (unset) → "15"`, `reader: (unset) → "Loopback 00"`} {
		if !s.audited(admin, line) {
			t.Errorf("no audit line %q by %s", line, admin)
		}
	}

	// When a sale over the new limit for one purchase is charged
	s.press(fyne.KeyF2)
	eventually(t, "checkout", func() bool { return s.amountFocused() })
	s.typeKeys("250.00")
	s.press(fyne.KeyReturn)
	// Then it is refused by the new limit
	eventually(t, "refused", func() bool {
		_, r := s.desk.checkout.Result()
		return strings.Contains(r, "over the offline limit of 200.00")
	})

	// When the idle lock is typed beyond a day, then it is refused in words
	st = s.openSettings(0)
	s.fill(st.idle, "2000")
	s.press(fyne.KeyReturn)
	eventually(t, "idle refused", func() bool { return st.message.Text == app.MsgIdleRange.Text(app.English) })
}

func TestSettings_OthersSeeThemReadOnly(t *testing.T) {
	for _, tc := range []struct {
		who, pin   string
		note       app.Message
		readerOpen bool
	}{
		{cashier, cashierPIN, app.MsgAdminOnly, false},
		{supervisor, supervisorPIN, app.MsgSupervisorNote, true},
	} {
		t.Run(tc.who, func(t *testing.T) {
			// Given someone not an admin on the settings
			s := newShop(t, app.English, app.Limits{})
			s.signedIn(tc.who)
			st := s.openSettings(0)

			// Then they are told who may change them, and see them without changing them
			eventually(t, "note", func() bool { return st.note.Visible() && st.note.Text == tc.note.Text(app.English) })
			var limitsOff, readerOff, enrolOff, listHidden, languageOff bool
			do(func() {
				limitsOff, readerOff, languageOff = st.limits[0].Disabled(), st.reader.Disabled(), st.language.Disabled()
				enrolOff, listHidden = st.bank.enrolB.Disabled(), !st.ops.list.Visible()
			})
			if !limitsOff || readerOff == tc.readerOpen || !enrolOff || !listHidden || languageOff {
				t.Fatalf("limits off %v, reader off %v, enrol off %v, operators hidden %v, language off %v",
					limitsOff, readerOff, enrolOff, listHidden, languageOff)
			}
			eventually(t, "limits shown", func() bool { return st.limits[0].Text == "1000.00" })
		})
	}
}

func TestSettings_TheLanguageSwitchesToChineseAndIsKept(t *testing.T) {
	// Given a cashier on a desk shown in English
	s := newShop(t, app.English, app.Limits{})
	s.signedIn(cashier)
	st := s.openSettings(0)

	// When they choose 简体中文
	do(func() { st.language.SetSelected("简体中文") })

	// Then the desk is shown in Chinese at once, still on the settings, still signed in
	eventually(t, "Chinese", func() bool { return s.desk.Language() == app.SimplifiedChinese })
	eventually(t, "settings in Chinese", func() bool {
		return s.desk.Screen() == 4 && s.desk.settings != st && s.desk.settings.sections.Items[0].Text == "本机"
	})
	var texts []string
	do(func() { texts = shownTexts(s.desk.Window) })
	if !hasHan(texts) || len(englishOnly(texts)) > 0 {
		t.Errorf("shown after the switch: %q", texts)
	}
	if s.desk.tabs.Items[4].Text != app.MsgTabSettings.Text(app.SimplifiedChinese) || s.desk.Operator().ID != cashier {
		t.Errorf("tab %q, operator %v", s.desk.tabs.Items[4].Text, s.desk.Operator())
	}
	// And the choice is kept in the desk's settings, audited as the cashier's
	if l, _ := s.desk.svc.Settings.Language(context.Background()); l != app.SimplifiedChinese {
		t.Errorf("stored language %q", l)
	}
	if !s.audited(cashier, `language: (unset) → "zh-Hans"`) {
		t.Error("the switch is not audited")
	}

	// When English is chosen again, then English it is
	do(func() { s.desk.settings.language.SetSelected("English") })
	eventually(t, "English", func() bool { return s.desk.Language() == app.English })
}

// tapKeyButton taps the settings' button with this text, as a mouse would.
func (s *shop) tapKeyButton(text string) {
	s.t.Helper()
	var found *keyButton
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if found != nil || o == nil || !o.Visible() {
			return
		}
		if b, ok := o.(*keyButton); ok && b.Text == text {
			found = b
			return
		}
		if c, ok := o.(*fyne.Container); ok {
			for _, ch := range c.Objects {
				walk(ch)
			}
		}
		if w, ok := o.(fyne.Widget); ok {
			for _, ch := range test.TempWidgetRenderer(s.t, w).Objects() {
				walk(ch)
			}
		}
	}
	do(func() { walk(s.desk.Window.Content()) })
	if found == nil {
		s.t.Fatalf("no button %q on the screen", text)
	}
	do(func() { test.Tap(found) })
}
