package device

import (
	"context"
	"errors"
	"time"

	"github.com/ebfe/scard"

	"lingqian/app"
)

// Watch reports changes at the readers until ctx ends, then closes the
// channel. The first events describe the state found at the start; after
// a pcscd restart the service events say so and the reader and card
// events describe the new state.
func (p *PCSC) Watch(ctx context.Context) <-chan app.ReaderEvent {
	out := make(chan app.ReaderEvent, 16)
	go func() {
		defer close(out)
		w := &watcher{out: out, cards: map[string]bool{}}
		w.run(ctx)
	}()
	return out
}

type watcher struct {
	out     chan<- app.ReaderEvent
	service *bool           // nil until first known
	cards   map[string]bool // known readers → card present
}

func (w *watcher) emit(ctx context.Context, kind app.ReaderEventKind, reader string) bool {
	select {
	case w.out <- app.ReaderEvent{Kind: kind, Reader: reader, At: time.Now()}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (w *watcher) setService(ctx context.Context, up bool) bool {
	if w.service != nil && *w.service == up {
		return true
	}
	w.service = &up
	if !up {
		clear(w.cards)
		return w.emit(ctx, app.ServiceDown, "")
	}
	return w.emit(ctx, app.ServiceUp, "")
}

func (w *watcher) run(ctx context.Context) {
	wt := &waiter{}
	defer wt.release()
	stop := context.AfterFunc(ctx, wt.cancel)
	defer stop()

	for ctx.Err() == nil {
		sctx, err := wt.context()
		if err != nil {
			if !w.setService(ctx, false) || sleepCtx(ctx, serviceRetry) != nil {
				return
			}
			continue
		}
		names, err := listReaders(sctx)
		if err != nil {
			wt.drop()
			if errors.Is(wrap("watch", "", err), ErrNoService) && !w.setService(ctx, false) {
				return
			}
			continue
		}
		if !w.setService(ctx, true) || !w.syncReaders(ctx, names) {
			return
		}
		if err := w.follow(ctx, sctx, names); err != nil && ctx.Err() == nil {
			if errors.Is(wrap("watch", "", err), ErrNoService) {
				wt.drop()
				if !w.setService(ctx, false) || sleepCtx(ctx, serviceRetry) != nil {
					return
				}
			}
		}
	}
}

// syncReaders reports readers that came or went since the last listing.
func (w *watcher) syncReaders(ctx context.Context, names []string) bool {
	now := map[string]bool{}
	for _, n := range names {
		now[n] = true
		if _, known := w.cards[n]; !known {
			w.cards[n] = false
			if !w.emit(ctx, app.ReaderAdded, n) {
				return false
			}
		}
	}
	for n, card := range w.cards {
		if now[n] {
			continue
		}
		delete(w.cards, n)
		if card && !w.emit(ctx, app.CardRemoved, n) {
			return false
		}
		if !w.emit(ctx, app.ReaderRemoved, n) {
			return false
		}
	}
	return true
}

// follow reports card arrivals and departures on the given readers until
// the set of readers changes (nil) or the wait fails.
func (w *watcher) follow(ctx context.Context, sctx *scard.Context, names []string) error {
	_, err := observe(ctx, sctx, names, func(reader string, s scard.StateFlag) bool {
		present := s&scard.StatePresent != 0 && s&scard.StateMute == 0
		if present == w.cards[reader] {
			return false
		}
		w.cards[reader] = present
		kind := app.CardRemoved
		if present {
			kind = app.CardPresent
		}
		return !w.emit(ctx, kind, reader) // stop only when ctx ended
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
