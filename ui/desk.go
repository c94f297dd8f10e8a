// Package ui is the desk's Fyne window. It talks to app only, and updates
// widgets from other goroutines through fyne.Do.
package ui

import (
	"context"
	"log"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lingqian/app"
)

// Services are the desk's use cases the window shows.
type Services struct {
	Staff      *app.Staff
	Checkout   *app.Checkout
	Sales      *app.Sales
	Forwarding *app.Forwarding
	Settings   app.Settings
	Reports    *app.EndOfDay
	Board      *app.ReaderBoard
	// Reconciler asks the bank how the desk's messages stand; nil on a
	// desk not enrolled.
	Reconciler app.Reconciler
	// Export writes reports and the forwarding list as CSV and PDF.
	Export *app.Export
	// Enrolment is the settings' bank: what the desk is enrolled as, and
	// enrolling it with a one-time code.
	Enrolment *app.BankEnrolment
	// AfterEnrol gives the checkout and the reports the terminal and
	// merchant ids of an enrolment just made from the settings. Fyne
	// goroutine, no sale running. nil: the window must be opened again.
	AfterEnrol func() error
	// Teller is teller mode (F5); nil on a desk without a bank.
	Teller *app.Teller
	// Unreachable says whether an error means the bank could not be reached.
	Unreachable func(error) bool
	// Print sends receipt lines to the OS's printer; nil when none is set up.
	Print func(title string, lines []string) error
	// AfterSale runs when a sale was recorded (the forwarder's wake-up).
	AfterSale func()
	// DemoTap presents the demo phone once; nil outside demo mode.
	DemoTap func(ctx context.Context) error
	// Log gets one line per event worth keeping; nil: the standard logger.
	Log func(format string, args ...any)
}

// Desk is the desk's main window.
type Desk struct {
	Window fyne.Window
	app    fyne.App
	svc    Services
	lang   string
	theme  string

	mu       sync.Mutex
	operator *app.Operator
	lastUsed time.Time

	// modal is the dialog open over the screens, if any: Enter or Esc
	// close it, and the function keys wait until it is gone.
	modal dialog.Dialog

	signIn   *signInScreen
	checkout *checkoutScreen
	journal  *journalScreen
	eod      *endOfDayScreen
	settings *settingsScreen
	teller   *tellerScreen
	banner   *banner
	tabs     *container.AppTabs
	who      *widget.Label
	main     fyne.CanvasObject
}

// NewDesk builds the window at sign-in.
func NewDesk(a fyne.App, svc Services, lang string) *Desk {
	d := &Desk{app: a, svc: svc, lang: lang, theme: ThemeSystem, lastUsed: time.Now()}
	a.Settings().SetTheme(newDeskTheme(ThemeSystem))
	if d.svc.Log == nil {
		d.svc.Log = log.Printf
	}
	useLanguage(lang, d.svc.Log)
	d.Window = a.NewWindow("Lingqian 零钱")
	d.signIn = newSignIn(d)
	d.Window.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) { d.key(ev) })
	d.Window.SetContent(d.signIn.content)
	d.Window.Resize(fyne.NewSize(1024, 600))
	d.signIn.show("")
	d.signIn.checkFirst()
	return d
}

func (d *Desk) t(m app.Message) string               { return m.Text(d.lang) }
func (d *Desk) tf(m app.Message, args ...any) string { return m.Textf(d.lang, args...) }

// build makes the screens behind sign-in, the first time someone signs
// in: the window shows sign-in sooner, with less to lay out.
func (d *Desk) build() {
	if d.main != nil {
		return
	}
	d.checkout = newCheckout(d)
	d.journal = newJournal(d)
	d.eod = newEndOfDay(d)
	d.settings = newSettings(d)
	d.teller = newTeller(d)
	d.banner = newBanner(d)

	d.tabs = container.NewAppTabs(
		container.NewTabItem(d.t(app.MsgTabCheckout), d.checkout.content),
		container.NewTabItem(d.t(app.MsgTabForwarding), d.journal.content),
		container.NewTabItem(d.t(app.MsgTabEndOfDay), d.eod.content),
		container.NewTabItem(d.t(app.MsgTabTeller), d.teller.content),
		container.NewTabItem(d.t(app.MsgTabSettings), d.settings.content),
	)
	d.tabs.OnSelected = func(*container.TabItem) { d.onTab() }
	d.who = widget.NewLabel("")
	signOut := widget.NewButtonWithIcon(d.t(app.MsgSignOut), theme.LogoutIcon(), func() { d.SignOut("") })
	d.main = container.NewBorder(d.banner.content, container.NewBorder(nil, nil, nil, signOut, d.who), nil, nil, d.tabs)
}

// Operator is who is signed in, or nil.
func (d *Desk) Operator() *app.Operator {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.operator
}

// touch records that someone used the desk, for the idle lock.
func (d *Desk) touch() {
	d.mu.Lock()
	d.lastUsed = time.Now()
	d.mu.Unlock()
}

// signedIn opens the desk for an operator. Fyne goroutine.
func (d *Desk) signedIn(op app.Operator) {
	d.build()
	d.who.SetText(d.tf(app.MsgSignedInAs, op.ID, app.RoleText(op.Role, d.lang)))
	d.Window.SetContent(d.main)
	d.tabs.SelectIndex(0)
	d.checkout.reset()
	d.mu.Lock()
	d.operator, d.lastUsed = &op, time.Now()
	d.mu.Unlock()
	d.checkout.focus()
	d.banner.refresh()
	d.svc.Log("signin: %s (%s)", op.ID, op.Role)
}

// SignOut locks the desk: back to sign-in, saying why. Fyne goroutine.
func (d *Desk) SignOut(why string) {
	if d.checkout != nil {
		d.checkout.cancel()
	}
	if d.teller != nil {
		d.teller.cancel()
	}
	d.mu.Lock()
	d.operator = nil
	d.mu.Unlock()
	d.Window.SetContent(d.signIn.content)
	d.signIn.show(why)
}

// CheckIdle locks the desk when nobody used it for the idle-lock time.
// Fyne goroutine; the window's ticker calls it.
func (d *Desk) CheckIdle(limit time.Duration) {
	d.mu.Lock()
	idle, in := time.Since(d.lastUsed), d.operator != nil
	d.mu.Unlock()
	if !in || limit <= 0 || idle < limit || (d.checkout != nil && d.checkout.busy()) || (d.teller != nil && d.teller.busy()) {
		return
	}
	d.SignOut(d.tf(app.MsgIdleLocked, int(limit/time.Minute)))
}

// key handles the desk's keys wherever the focus is: F2–F6 switch screens,
// F9 taps the demo phone. It says whether it used the key.
func (d *Desk) key(ev *fyne.KeyEvent) bool {
	d.touch()
	if d.modal != nil {
		switch ev.Name {
		case fyne.KeyEscape, fyne.KeyReturn, fyne.KeyEnter:
			d.closeModal()
		}
		return true
	}
	if d.Operator() == nil || d.main == nil {
		return false
	}
	screens := map[fyne.KeyName]int{fyne.KeyF2: 0, fyne.KeyF3: 1, fyne.KeyF4: 2, fyne.KeyF5: 3, fyne.KeyF6: 4}
	if i, ok := screens[ev.Name]; ok {
		d.tabs.SelectIndex(i)
		return true
	}
	if ev.Name == fyne.KeyF9 && d.svc.DemoTap != nil {
		d.checkout.demoTap()
		return true
	}
	if d.tabs.SelectedIndex() == 0 {
		return d.checkout.key(ev)
	}
	if d.tabs.SelectedIndex() == 3 && ev.Name == fyne.KeyEscape {
		d.teller.cancel()
		return true
	}
	return false
}

// Screen is the index of the screen shown: 0 checkout … 4 settings; -1 at sign-in.
func (d *Desk) Screen() int {
	if d.main == nil || d.Operator() == nil {
		return -1
	}
	return d.tabs.SelectedIndex()
}

func (d *Desk) onTab() {
	d.touch()
	switch d.tabs.SelectedIndex() {
	case 0:
		d.checkout.focus()
	case 1:
		d.journal.refresh()
	case 2:
		d.eod.refresh()
	case 3:
		d.teller.refresh()
	case 4:
		d.settings.refresh()
	}
}

// RefreshReaders shows the readers' state. Fyne goroutine.
func (d *Desk) RefreshReaders() {
	if d.main != nil {
		d.checkout.refreshReaders()
		d.settings.refreshReaders()
	}
}

// RefreshBanner reads the forwarding state again (off the Fyne goroutine).
func (d *Desk) RefreshBanner() {
	if d.main != nil {
		d.banner.refresh()
	}
}

// SalesChanged is called when the journal changed under the window.
func (d *Desk) SalesChanged() {
	if d.main == nil {
		return
	}
	d.banner.refresh()
	if d.tabs.SelectedIndex() == 1 {
		d.journal.refresh()
	}
}

// shown serialises what background work shows. Fyne's window runs every
// fyne.Do on its one goroutine; its test driver runs it at once on the
// caller's, and the lock keeps results from touching widgets at the same
// time as each other or as a test's keys.
var shown sync.Mutex

// background runs work off the Fyne goroutine and shows its result on it.
func background[T any](work func() (T, error), show func(T, error)) {
	go func() {
		v, err := work()
		fyne.Do(func() {
			shown.Lock()
			defer shown.Unlock()
			show(v, err)
		})
	}()
}

// export runs an export off the Fyne goroutine and says where the file is.
func (d *Desk) export(run func(op app.Operator) (string, error)) {
	op := d.Operator()
	if op == nil || d.svc.Export == nil {
		return
	}
	background(func() (string, error) { return run(*op) }, func(msg string, err error) {
		if err != nil {
			d.svc.Log("export: %v", err)
			msg = app.Explain(err, d.lang)
		}
		d.inform(d.t(app.MsgExportTitle), msg)
	})
}

// inform shows a message that Enter, Esc or OK closes.
func (d *Desk) inform(title, msg string) {
	d.showModal(dialog.NewInformation(title, msg, d.Window))
}

// showModal opens a dialog as the desk's modal one.
func (d *Desk) showModal(dlg dialog.Dialog) {
	d.closeModal()
	d.modal = dlg
	dlg.SetOnClosed(func() {
		if d.modal == dlg {
			d.modal = nil
		}
	})
	dlg.Show()
}

func (d *Desk) closeModal() {
	if m := d.modal; m != nil {
		d.modal = nil
		m.Hide()
	}
}
