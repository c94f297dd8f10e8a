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
// the settings, without a restart.
type bankLink struct {
	ctx    context.Context
	d      *desk.Desk
	svc    *ui.Services
	logger *log.Logger

	mu         sync.Mutex
	forwarder  *desksync.Forwarder
	reconciler app.Reconciler
	window     *ui.Desk
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
	client, err := l.d.BankClient(desksync.DefaultRetries)
	if err != nil {
		l.logger.Printf("forwarding off: %v", err)
		return
	}
	fw := desksync.NewForwarder(client, l.d.DB, desksync.Options{Dir: l.d.Dir, Interval: forwardEvery, OnHotlist: l.d.UseHotlist})
	l.forwarder, l.reconciler = fw, l.d.Reconciler(client)
	l.svc.Forwarding.Use(fw)
	go func() {
		if err := fw.Run(l.ctx); err != nil && l.ctx.Err() == nil {
			l.logger.Printf("forwarder stopped: %v", err)
		}
	}()
	go func() {
		for {
			select {
			case <-l.ctx.Done():
				return
			case ev := <-fw.Events():
				l.svc.Forwarding.Apply(forwardEvent(ev))
				if err := ev.Err(); err != nil && ev.Kind == desksync.EventPass {
					l.logger.Printf("forwarding: %v", err)
				}
				fyne.Do(window.SalesChanged)
			}
		}
	}()
}

// enrolled takes the identity the desk was just enrolled as, then starts
// forwarding. Fyne goroutine (the settings screen calls it).
func (l *bankLink) enrolled(reidentify func() error) error {
	if err := reidentify(); err != nil {
		return err
	}
	l.mu.Lock()
	window := l.window
	l.mu.Unlock()
	l.start(window)
	return nil
}
