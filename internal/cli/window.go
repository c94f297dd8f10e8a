package cli

import (
	"context"
	"errors"
	"flag"
	"io"
	"log"
	"runtime/debug"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"

	"lingqian/app"
	"lingqian/desk"
	"lingqian/device"
	desksync "lingqian/sync"
	"lingqian/ui"
	"lingqian/wallet"
)

// The window forwards a sale a minute after it was made, and every two
// minutes at the latest: the cashier has that minute to void a mistaken
// sale (a void must travel with its purchase), and Forward now sends at once.
const (
	voidWindow   = time.Minute
	forwardEvery = 2 * time.Minute
)

// openWindow opens the desk's window on its data folder: the checkout over
// PC/SC, the readers watched, and the forwarder running in the background
// when the desk is enrolled.
func openWindow(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("lingqian", flag.ContinueOnError)
	fs.SetOutput(stderr)
	lang := fs.String("lang", defaultLanguage(), "language: en or zh-Hans")
	dataDir := fs.String("data", "", "the desk's data folder")
	theme := fs.String("theme", "", "theme: light, dark or system (default: the desk's setting)")
	capk := fs.String("capk", "", "extra CA public key file (JSON)")
	demoPhone := fs.String("demo-phone", "", "demo only: a wallet file the window can tap on the vpcd reader")
	demoVPCD := fs.String("demo-vpcd", "127.0.0.1:35963", "demo only: the vpcd reader slot the demo phone taps")
	say := newSpeaker("lingqian", args, io.Discard, stderr)
	if err := say.parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		say.badFlags(err)
		return exitError
	}
	switch *theme {
	case "", ui.ThemeSystem, ui.ThemeLight, ui.ThemeDark:
	default:
		return say.refuse(app.MsgCLIBadTheme, *theme)
	}
	logger := log.New(stderr, "lingqian: ", log.LstdFlags)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	d, err := desk.Open(ctx, *dataDir)
	if err != nil {
		return say.failErr(err)
	}
	defer d.Close()
	svc, closeSvc, err := services(ctx, d, *capk, logger)
	if err != nil {
		return say.failErr(err)
	}
	defer closeSvc()
	if *demoPhone != "" {
		svc.DemoTap = demoTap(*demoPhone, *demoVPCD)
	}

	a := fyneapp.NewWithID("cn.lingqian.desk")
	link := linkBank(ctx, d, &svc, logger)
	// The flags first, then what the desk's settings chose, then the
	// session's locale and the desktop's theme.
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if !given["lang"] {
		if l, err := svc.Settings.Language(ctx); err != nil {
			logger.Printf("settings: %v", err)
		} else if l != "" {
			*lang = l
		}
	}
	if *theme == "" {
		if t, err := svc.Settings.Theme(ctx); err != nil {
			logger.Printf("settings: %v", err)
		} else {
			*theme = t
		}
	}
	window := ui.NewDesk(a, svc, *lang)
	if *theme != "" {
		window.SetTheme(*theme)
	}

	markReady(window, logger.Printf)
	// Building the first screen leaves about 25 MB of garbage heap that the
	// runtime keeps resident; give it back once the window runs
	// (docs/BENCHMARKS.md: 180 → 154 MB resident, 154 → 121 MB PSS).
	a.Lifecycle().SetOnStarted(func() { go debug.FreeOSMemory() })
	link.start(window)
	watch := device.NewPCSC()
	defer watch.Close()
	go func() {
		for e := range watch.Watch(ctx) {
			svc.Board.Apply(e)
			fyne.Do(window.RefreshReaders)
		}
	}()
	go func() { // the banner's ages and the idle lock
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				idle, err := svc.Settings.IdleLock(ctx)
				if err != nil {
					logger.Printf("idle lock: %v", err)
				}
				fyne.Do(func() { window.RefreshBanner(); window.CheckIdle(idle) })
			}
		}
	}()
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	window.Window.ShowAndRun()
	return 0
}

// services wires the desk's use cases over its data folder.
func services(ctx context.Context, d *desk.Desk, capk string, logger *log.Logger) (ui.Services, func(), error) {
	settings := app.Settings{Store: d.DB}
	co, closeReader, err := d.WindowCheckout(ctx, settings, capk)
	if err != nil {
		return ui.Services{}, nil, err
	}
	svc := ui.Services{
		Staff:       &app.Staff{Store: d.DB, Audit: d.DB},
		Checkout:    co,
		Sales:       &app.Sales{Journal: d.DB, MerchantName: d.Name},
		Forwarding:  &app.Forwarding{Journal: d.DB, Settings: settings},
		Settings:    settings,
		Reports:     &app.EndOfDay{Store: d.DB, Terminal: d.Terminal, Merchant: d.Merchant},
		Board:       app.NewReaderBoard(),
		Export:      &app.Export{Docs: d.Documents(), Folder: desk.ExportFolder{Dir: d.ExportDir()}, Audit: d.DB},
		Print:       desk.Print,
		Unreachable: desk.Unavailable,
		Log:         logger.Printf,
	}
	svc.Export.Sales = svc.Sales
	svc.Enrolment = &app.BankEnrolment{Enroller: d.Enroller(), Audit: d.DB}
	teller, closeTeller, err := d.WindowTeller(ctx, settings, capk)
	if err != nil {
		closeReader()
		return ui.Services{}, nil, err
	}
	svc.Teller = teller
	svc.AfterEnrol = func() error { return d.Reidentify(capk, co, svc.Reports, teller) }
	return svc, func() { closeTeller(); closeReader() }, nil
}

// forwardEvent says a forwarder's event in the desk's words.
func forwardEvent(ev desksync.Event) app.ForwardEvent {
	p := ev.Progress
	posted := p.ByState[app.StatePosted].Count + p.ByState[app.StateDuplicate].Count
	out := app.ForwardEvent{At: ev.At, Done: ev.Kind == desksync.EventPass, Sent: p.Sent, Posted: posted, Rejected: p.Rejected, Err: ev.Err()}
	out.Forked = desksync.Forked(ev.ForwardErr)
	if fault, ok := desksync.Unverified(ev.ForwardErr); ok {
		out.Unverified = &fault
	}
	out.Reached = ev.Kind == desksync.EventBatch || ev.Report != nil || (ev.ForwardErr == nil || !desksync.Unavailable(ev.ForwardErr)) && ev.ReconcileErr == nil
	return out
}

// demoTap presents the demo wallet once on the vpcd reader, as the
// customer's phone would: for demonstrations only.
func demoTap(walletPath, addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		w, err := wallet.Open(walletPath)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_, err = wallet.Tap(ctx, addr, w, wallet.Faults{}, true)
		return err
	}
}
