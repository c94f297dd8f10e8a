package cli

import (
	"context"
	"log"
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"lingqian/app"
	"lingqian/desk"
	desksync "lingqian/sync"
	"lingqian/ui"
)

// bankLink is the window's forwarding and reconciliation: started when the
// window opens on an enrolled desk, or as soon as the desk is enrolled from
// the settings, without a restart. An enrolment over an earlier one
// replaces both, so the sales of the new identity go with its certificate.
type bankLink struct {
	ctx    context.Context
	d      *desk.Desk
	svc    *ui.Services
	logger *log.Logger

	mu         sync.Mutex
	forwarder  *desksync.Forwarder
	reconciler app.Reconciler
	window     *ui.Desk
	stop       context.CancelFunc // stops the forwarder running and its event reader
	done       chan struct{}      // closed once they have both returned
}

// linkBank gives the window's services the desk's bank: the reconciler,
// the forwarder's wake-up after a sale, and an AfterEnrol that takes the
// new identity and forwards with its certificate.
func linkBank(ctx context.Context, d *desk.Desk, svc *ui.Services, logger *log.Logger) *bankLink {
	link := &bankLink{ctx: ctx, d: d, svc: svc, logger: logger}
	svc.Reconciler, svc.AfterSale = link, link.afterSale
	reidentify := svc.AfterEnrol
	svc.AfterEnrol = func() error { return link.enrolled(reidentify) }
	return link
}

// Reconcile asks the bank, once there is one.
func (l *bankLink) Reconcile(ctx context.Context, sinceSeq int64) (app.Reconciliation, error) {
	l.mu.Lock()
	r := l.reconciler
	l.mu.Unlock()
	if r == nil {
		return app.Reconciliation{}, app.ErrNotEnrolled
	}
	return r.Reconcile(ctx, sinceSeq)
}

// afterSale wakes the forwarder when the void window has passed.
func (l *bankLink) afterSale() {
	l.mu.Lock()
	fw := l.forwarder
	l.mu.Unlock()
	if fw != nil {
		time.AfterFunc(voidWindow, fw.Notify)
	}
}

// start begins forwarding if the desk is enrolled and it has not begun.
// The window must exist: the forwarder's events are shown in it.
func (l *bankLink) start(window *ui.Desk) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.window = window
	if l.forwarder != nil || !l.d.Enrolled(l.ctx) {
		return
	}
	l.begin()
}

// enrolled takes the identity the desk was just enrolled as, then forwards
// with its certificate: a forwarder already running has the former one
// and is replaced. Fyne goroutine (the settings screen calls it, with no
// sale running); what it waits for, it waits for off that goroutine.
func (l *bankLink) enrolled(reidentify func() error) error {
	if err := reidentify(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.stop != nil {
		l.stop()
	}
	l.forwarder, l.reconciler, l.stop = nil, nil, nil
	if !l.d.Enrolled(l.ctx) {
		l.svc.Forwarding.Use(nil)
		return nil
	}
	l.begin()
	return nil
}

// begin makes a forwarder and a reconciler with the desk's certificate as
// it is now, and runs the forwarder as soon as the one before it (stopped
// by the caller) has returned: two must never forward one journal at once.
// l.mu is held.
func (l *bankLink) begin() {
	client, err := l.d.BankClient(desksync.DefaultRetries)
	if err != nil {
		l.logger.Printf("forwarding off: %v", err)
		l.svc.Forwarding.Use(nil)
		return
	}
	fw := desksync.NewForwarder(client, l.d.DB, desksync.Options{Dir: l.d.Dir, Interval: forwardEvery, OnHotlist: l.d.UseHotlist})
	ctx, stop := context.WithCancel(l.ctx)
	before, done := l.done, make(chan struct{})
	l.forwarder, l.reconciler, l.stop, l.done = fw, l.d.Reconciler(client), stop, done
	// The banner's Forward now reaches the new forwarder at once: a poke
	// waits in its channel until Run takes it.
	l.svc.Forwarding.Use(fw)
	go l.run(ctx, fw, l.window, before, done)
}

// run runs fw and shows its events in the window until ctx ends, after
// the forwarder before it has returned; it closes done when both stopped.
func (l *bankLink) run(ctx context.Context, fw *desksync.Forwarder, window *ui.Desk, before <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	if before != nil {
		<-before // cancelled already: it returns as soon as its request does
	}
	events := make(chan struct{})
	go func() {
		defer close(events)
		for {
			select {
			case <-ctx.Done():
				return
			case ev := <-fw.Events():
				l.svc.Forwarding.Apply(forwardEvent(ev))
				if err := ev.Err(); err != nil && ev.Kind == desksync.EventPass {
					l.logger.Printf("forwarding: %v", err)
				}
				if window != nil {
					fyne.Do(window.SalesChanged)
				}
			}
		}
	}()
	if err := fw.Run(ctx); err != nil && ctx.Err() == nil {
		l.logger.Printf("forwarder stopped: %v", err)
	}
	<-events
}

// running is the forwarder the window uses and the channel closed once it
// stopped, for tests.
func (l *bankLink) running() (*desksync.Forwarder, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.forwarder, l.done
}
