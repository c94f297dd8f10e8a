package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"lingqian/app"
	"lingqian/device"
	"lingqian/emv"
	"lingqian/emv/oda"
	"lingqian/issuance"
	"lingqian/store"
	"lingqian/wallet"
)

var testIssuer = sync.OnceValues(func() (*issuance.Issuer, error) { return issuance.New(issuance.Options{}) })

// shop is a desk window over a real journal on disk, the real kernel, and
// a loopback reader on which the test places the customer's phone.
type shop struct {
	t       *testing.T
	a       fyne.App
	db      *store.DB
	reader  *device.Loopback
	iss     *issuance.Issuer
	desk    *Desk
	forward *countingForwarder
	log     *logLines
}

// Operators every test shop has.
const (
	admin, adminPIN           = "admin", "1111"
	cashier, cashierPIN       = "li.na", "1234"
	supervisor, supervisorPIN = "wang.wei", "9999"
)

func newShop(t *testing.T, lang string, limits app.Limits) *shop {
	t.Helper()
	return newShopWith(t, lang, limits, true)
}

// newShopWith is newShop; without operators the desk has none yet.
func newShopWith(t *testing.T, lang string, limits app.Limits, operators bool) *shop {
	t.Helper()
	iss, err := testIssuer()
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	staff := &app.Staff{Store: db, Audit: db}
	if operators {
		addOperators(t, staff)
	}
	keys := oda.NewStore()
	if err := keys.Add(iss.CAPK()); err != nil {
		t.Fatal(err)
	}
	term := emv.DefaultTerminal()
	term.Keys = keys
	k, err := emv.NewKernel(term)
	if err != nil {
		t.Fatal(err)
	}
	s := &shop{t: t, db: db, reader: device.NewLoopback("Loopback 00"), iss: iss, forward: &countingForwarder{}, log: &logLines{}}
	settings := app.Settings{Store: db}
	for key, v := range map[string]int64{app.SettingLimitPurchase: int64(limits.PerPurchase)} {
		if v > 0 {
			if err := db.SetSetting(ctx, key, itoa(v), "test"); err != nil {
				t.Fatal(err)
			}
		}
	}
	lim, err := settings.Limits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	co := &app.Checkout{Journal: db, Audit: db, Kernel: k, Reader: loopbackReader{s.reader}, Terminal: "T0000001",
		Merchant: "M00000000000001", Limits: lim}
	board := app.NewReaderBoard()
	board.Apply(app.ReaderEvent{Kind: app.ReaderAdded, Reader: "Loopback 00"})
	s.a = test.NewApp()
	t.Cleanup(func() { s.a.Quit() })
	s.desk = NewDesk(s.a, Services{
		Staff:      staff,
		Checkout:   co,
		Sales:      &app.Sales{Journal: db, MerchantName: "Test shop"},
		Forwarding: &app.Forwarding{Journal: db, Settings: settings, Forwarder: s.forward},
		Settings:   settings,
		Reports:    &app.EndOfDay{Store: db, Terminal: "T0000001", Merchant: "M00000000000001"},
		Board:      board,
		Log:        s.log.printf,
	}, lang)
	s.desk.Window.Resize(fyne.NewSize(1000, 620))
	return s
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

type loopbackReader struct{ l *device.Loopback }

func (r loopbackReader) Tap(ctx context.Context) (app.Card, error) {
	name, err := r.l.WaitForCard(ctx)
	if err != nil {
		return nil, err
	}
	return r.l.Connect(ctx, name)
}

// countingForwarder stands in for the bank's forwarder, which the
// system tests run for real: it counts the passes asked for.
type countingForwarder struct {
	mu sync.Mutex
	n  int
}

func (f *countingForwarder) ForwardNow() { f.mu.Lock(); f.n++; f.mu.Unlock() }
func (f *countingForwarder) asked() int  { f.mu.Lock(); defer f.mu.Unlock(); return f.n }

type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (s *shop) wallet(balance int64) *wallet.Card {
	s.t.Helper()
	w, err := wallet.Create(filepath.Join(s.t.TempDir(), "w.json"), wallet.CreateOptions{},
		wallet.LocalIssuer(s.iss, issuance.Request{Balance: balance, Effective: time.Now().AddDate(0, -1, 0)}))
	if err != nil {
		s.t.Fatal(err)
	}
	return w
}

// do runs a person's action on the window, never at the same time as a
// result being shown (see shown).
func do(f func()) {
	shown.Lock()
	defer shown.Unlock()
	f()
}

// typeKeys types text into what has the focus, as a keyboard would.
func (s *shop) typeKeys(text string) {
	s.t.Helper()
	var f fyne.Focusable
	do(func() { f = s.desk.Window.Canvas().Focused() })
	if f == nil {
		s.t.Fatalf("nothing has the focus to type %q into", text)
	}
	for _, r := range text {
		do(func() { f.TypedRune(r) })
	}
}

// press presses a key on what has the focus, or on the window.
func (s *shop) press(k fyne.KeyName) {
	do(func() {
		if f := s.desk.Window.Canvas().Focused(); f != nil {
			f.TypedKey(&fyne.KeyEvent{Name: k})
			return
		}
		s.desk.Window.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: k})
	})
}

// tab moves the focus on, as the Tab key does.
func (s *shop) tab() { do(func() { s.desk.Window.Canvas().FocusNext() }) }

// tapButton taps the button with this text, as a mouse would.
func (s *shop) tapButton(text string) {
	s.t.Helper()
	var b *widget.Button
	do(func() { b = s.findButton(text) })
	do(func() { test.Tap(b) })
}

// signIn signs in by keyboard: operator, Tab, PIN, Enter.
func (s *shop) signIn(id, pin string) {
	s.t.Helper()
	s.typeKeys(id)
	s.tab()
	s.typeKeys(pin)
	s.press(fyne.KeyReturn)
}

// eventually waits (bounded) for cond, which reads widgets.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var ok bool
		do(func() { ok = cond() })
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *shop) signedIn(id string) {
	s.t.Helper()
	s.signIn(id, map[string]string{admin: adminPIN, cashier: cashierPIN, supervisor: supervisorPIN}[id])
	eventually(s.t, "signed in as "+id, func() bool {
		op := s.desk.Operator()
		return op != nil && op.ID == id && s.amountFocused()
	})
}

// sale types the amount and Enter, puts the phone on the reader, and waits
// for the result.
func (s *shop) sale(amount string, w device.Application, leave device.Leave) (headline, reason string) {
	s.t.Helper()
	s.typeKeys(amount)
	s.press(fyne.KeyReturn)
	s.tap(w, leave)
	return s.result()
}

// tap waits for the checkout to wait for a phone, puts the phone on the
// reader, and waits for the result to be shown.
func (s *shop) tap(w device.Application, leave device.Leave) {
	s.t.Helper()
	shown := s.results()
	eventually(s.t, "waiting for the phone", func() bool { return s.desk.checkout.busy() })
	s.reader.Tap(w, leave)
	s.waitResult(shown)
	s.reader.Remove()
}

func (s *shop) results() int {
	var n int
	do(func() { n = s.desk.checkout.shown })
	return n
}

// waitResult waits until a result after the shown-th is on the screen.
func (s *shop) waitResult(shown int) {
	s.t.Helper()
	eventually(s.t, "the sale's result", func() bool { return s.desk.checkout.shown > shown })
}

// containsText says whether a label or text under o shows want.
func containsText(t *testing.T, o fyne.CanvasObject, want string) bool {
	switch v := o.(type) {
	case *widget.Label:
		if strings.Contains(v.Text, want) {
			return true
		}
	case *fyne.Container:
		for _, ch := range v.Objects {
			if containsText(t, ch, want) {
				return true
			}
		}
	}
	if w, ok := o.(fyne.Widget); ok {
		for _, ch := range test.TempWidgetRenderer(t, w).Objects() {
			if containsText(t, ch, want) {
				return true
			}
		}
	}
	return false
}

// result is the checkout's headline and the sentence under it.
func (s *shop) result() (headline, reason string) {
	do(func() { headline, reason = s.desk.checkout.Result() })
	return headline, reason
}

// amountFocused says whether the checkout's amount has the focus.
func (s *shop) amountFocused() bool {
	return s.desk.checkout != nil && s.desk.Window.Canvas().Focused() == s.desk.checkout.amount
}

func addOperators(t *testing.T, staff *app.Staff) {
	t.Helper()
	ctx := context.Background()
	if err := staff.Add(ctx, nil, app.Operator{ID: admin, Role: app.RoleAdmin}, adminPIN); err != nil {
		t.Fatal(err)
	}
	by := &app.Operator{ID: admin, Role: app.RoleAdmin}
	for _, op := range []struct {
		id, pin string
		role    app.Role
	}{{cashier, cashierPIN, app.RoleCashier}, {supervisor, supervisorPIN, app.RoleSupervisor}} {
		if err := staff.Add(ctx, by, app.Operator{ID: op.id, Role: op.role}, op.pin); err != nil {
			t.Fatal(err)
		}
	}
}
