package device

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/ebfe/scard"
)

// pnpReader is pcsc-lite's pseudo reader whose state changes when a reader
// is plugged in or out.
const pnpReader = `\\?PnP?\Notification`

// serviceRetry is how long the layer waits before trying to reach pcscd
// again after it went away.
const serviceRetry = 250 * time.Millisecond

// PCSC reaches the card readers through the PC/SC service (pcscd).
//
// A PC/SC context dies with the daemon that issued it; PCSC notices the
// errors that say so, drops the context and establishes a new one, so a
// restart of pcscd needs no restart of the desk. Each blocking wait and
// each card session has a context of its own: pcsc-lite serialises calls
// on one context, and a wait must never hold up a card exchange.
type PCSC struct {
	mu  sync.Mutex
	ctx *scard.Context // for short calls: listing readers
}

// NewPCSC returns a reader layer. It reaches pcscd lazily, so it can be
// created before the service runs.
func NewPCSC() *PCSC { return &PCSC{} }

// Close releases the layer's own PC/SC context. Cards already connected
// keep working until they are closed.
func (p *PCSC) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx != nil {
		_ = p.ctx.Release()
		p.ctx = nil
	}
	return nil
}

// Readers lists the connected readers. No reader is an empty list, not an
// error; an unreachable service is ErrNoService.
func (p *PCSC) Readers(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for attempt := 0; ; attempt++ {
		if p.ctx == nil {
			c, err := scard.EstablishContext()
			if err != nil {
				return nil, wrap("list readers", "", err)
			}
			p.ctx = c
		}
		names, err := listReaders(p.ctx)
		if err == nil {
			return names, nil
		}
		err = wrap("list readers", "", err)
		if !errors.Is(err, ErrNoService) || attempt > 0 {
			return nil, err
		}
		// The context may be stale after a pcscd restart: one fresh try.
		_ = p.ctx.Release()
		p.ctx = nil
	}
}

func listReaders(c *scard.Context) ([]string, error) {
	names, err := c.ListReaders()
	if errors.Is(err, scard.ErrNoReadersAvailable) {
		return nil, nil
	}
	return names, err
}

// WaitForCard blocks until a card is present in one of the named readers
// (any reader when none is named) and returns that reader's name. A card
// already lying on a reader counts. It keeps waiting across pcscd restarts
// and reader plug-ins; only ctx ends it early.
func (p *PCSC) WaitForCard(ctx context.Context, readers ...string) (string, error) {
	return p.waitFor(ctx, readers, false, func(s scard.StateFlag) bool {
		return s&scard.StatePresent != 0 && s&scard.StateMute == 0
	})
}

// WaitForRemoval blocks until the named reader is empty (or gone), so a
// phone left on the reader is not taken for a new tap.
func (p *PCSC) WaitForRemoval(ctx context.Context, reader string) error {
	_, err := p.waitFor(ctx, []string{reader}, true, func(s scard.StateFlag) bool {
		return s&scard.StatePresent == 0
	})
	return err
}

// waitFor runs GetStatusChange on a context of its own until one of the
// wanted readers reaches a state that done accepts. When goneCounts, a
// wanted reader that is not connected at all satisfies the wait too.
func (p *PCSC) waitFor(ctx context.Context, wanted []string, goneCounts bool, done func(scard.StateFlag) bool) (string, error) {
	w := &waiter{}
	defer w.release()
	stop := context.AfterFunc(ctx, w.cancel)
	defer stop()

	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		sctx, err := w.context()
		if err != nil {
			if sleepCtx(ctx, serviceRetry) != nil {
				return "", ctx.Err()
			}
			continue
		}
		names, err := listReaders(sctx)
		if err != nil {
			w.drop()
			continue
		}
		if len(wanted) > 0 {
			names = slices.DeleteFunc(names, func(n string) bool { return !slices.Contains(wanted, n) })
			if len(names) == 0 && goneCounts {
				return wanted[0], nil
			}
		}
		reader, err := observe(ctx, sctx, names, func(_ string, s scard.StateFlag) bool { return done(s) })
		switch {
		case reader != "":
			return reader, nil
		case err == nil:
			continue // the reader list changed: list again
		case ctx.Err() != nil:
			return "", ctx.Err()
		}
		if errors.Is(wrap("wait", "", err), ErrNoService) {
			w.drop()
			if sleepCtx(ctx, serviceRetry) != nil {
				return "", ctx.Err()
			}
		}
		// Other errors (a reader vanished between list and wait) mean
		// the list is stale: start over.
	}
}

// waiter owns the PC/SC context of one blocking wait, so that it can be
// cancelled from another goroutine without touching anyone else's.
type waiter struct {
	mu     sync.Mutex
	ctx    *scard.Context
	closed bool
}

func (w *waiter) context() (*scard.Context, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctx == nil {
		c, err := scard.EstablishContext()
		if err != nil {
			return nil, err
		}
		w.ctx = c
	}
	return w.ctx, nil
}

func (w *waiter) cancel() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctx != nil {
		_ = w.ctx.Cancel()
	}
}

func (w *waiter) drop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ctx != nil {
		_ = w.ctx.Release()
		w.ctx = nil
	}
}

func (w *waiter) release() { w.drop() }

// observe waits on the given readers plus the plug-and-play pseudo reader,
// and after every change shows each reader's state to visit. It returns
// the first reader visit accepts, or "" with a nil error when the set of
// readers changed and must be listed again.
func observe(ctx context.Context, sctx *scard.Context, names []string, visit func(reader string, s scard.StateFlag) bool) (string, error) {
	states := make([]scard.ReaderState, 0, len(names)+1)
	for _, n := range names {
		states = append(states, scard.ReaderState{Reader: n, CurrentState: scard.StateUnaware})
	}
	states = append(states, scard.ReaderState{Reader: pnpReader, CurrentState: scard.StateUnaware})
	for first := true; ; first = false {
		// A bounded timeout makes the loop notice a context cancelled in
		// the instant between the check and the wait.
		err := sctx.GetStatusChange(states, time.Second)
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if errors.Is(err, scard.ErrTimeout) {
			continue
		}
		if err != nil {
			return "", err
		}
		for i := range states[:len(names)] {
			s := states[i].EventState
			if s&(scard.StateUnknown|scard.StateUnavailable) != 0 {
				return "", nil // the reader went away
			}
			if visit(names[i], s) {
				return names[i], nil
			}
		}
		if !first && states[len(states)-1].EventState&scard.StateChanged != 0 {
			return "", nil
		}
		for i := range states {
			states[i].CurrentState = states[i].EventState &^ scard.StateChanged
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Connect opens a session with the card in the named reader. Contactless
// cards speak T=1; T=0 is accepted for contact cards.
func (p *PCSC) Connect(ctx context.Context, reader string) (*Card, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l, atr, err := connectLink(reader)
	if err != nil {
		err = wrap("connect", reader, err)
		var e *Error
		if errors.As(err, &e) && e.Kind == ErrCardLeft {
			e.Kind = ErrNoCard
		}
		return nil, err
	}
	return &Card{reader: reader, atr: atr, link: l}, nil
}
