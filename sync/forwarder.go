package sync

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// Options shape a Forwarder. Zero values take the defaults.
type Options struct {
	// Dir is the desk's data folder: the CA keys, hotlist and cursor
	// files live there. Without it nothing is refreshed and the cursor
	// is kept in memory only.
	Dir string
	// Interval is how often the forwarder forwards and reconciles on its
	// own, and how long it waits after a pass the bank could not serve.
	Interval time.Duration
	// RefreshEvery is how often the CA keys and the hotlist are pulled.
	RefreshEvery time.Duration
	// Settle is how long a purchase waits for others to share its batch.
	Settle time.Duration
	// BatchSize caps a batch (at most MaxBatch).
	BatchSize int
	// Wake, if set, is another "new purchase" signal besides Notify.
	Wake <-chan struct{}
	// OnHotlist, if set, gets every hotlist pulled, so the checkout can
	// use it at once. It runs on the forwarder's goroutine.
	OnHotlist func(*Hotlist)
}

// Defaults of Options.
const (
	DefaultInterval     = 30 * time.Second
	DefaultRefreshEvery = 15 * time.Minute
	DefaultSettle       = 200 * time.Millisecond
)

// EventKind says what an Event reports.
type EventKind int

const (
	// EventBatch: a batch was answered; Progress is the pass so far.
	EventBatch EventKind = iota + 1
	// EventPass: a pass ended; everything it found is in the event.
	EventPass
)

// Event is the forwarder's report, for the desk's banner and the CLI.
type Event struct {
	Kind     EventKind
	At       time.Time
	Progress Progress
	// Delivered: the pass left nothing unsent (every entry reached the bank).
	Delivered bool
	Report    *Report  // the reconciliation, when the pass pulled it
	Hotlist   *Hotlist // when the pass pulled it
	CAKeys    int      // keys pulled, when the pass pulled them

	ForwardErr, ReconcileErr, RefreshErr error
}

// Err is every failure of the pass, or nil.
func (e Event) Err() error { return errors.Join(e.ForwardErr, e.ReconcileErr, e.RefreshErr) }

// Forwarder forwards the journal to the bank in the background: when a
// purchase is recorded (Notify, or Options.Wake), on a timer, and when
// asked (ForwardNow). Notify and ForwardNow never block, so the checkout
// never waits for the network; events go out on Events, the oldest
// dropped when nobody reads them.
type Forwarder struct {
	client  *Client
	journal Journal
	opts    Options

	wake    chan struct{}
	now     chan struct{}
	events  chan Event
	running atomic.Bool
	// asked: the next pass is one a person asked for (anchor.go).
	asked atomic.Bool
	// check is what the passes verified of the desk's chains, so that
	// each checks only what was appended since (anchor_verify.go).
	check ChainCheck

	cursor      Cursor
	cursorRead  bool
	lastRefresh time.Time
}

// NewForwarder makes a forwarder over the client and the desk's journal.
func NewForwarder(c *Client, j Journal, opts Options) *Forwarder {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.RefreshEvery <= 0 {
		opts.RefreshEvery = DefaultRefreshEvery
	}
	if opts.Settle <= 0 {
		opts.Settle = DefaultSettle
	}
	return &Forwarder{client: c, journal: j, opts: opts,
		wake: make(chan struct{}, 1), now: make(chan struct{}, 1), events: make(chan Event, 64)}
}

// Notify says a purchase was recorded. It never blocks.
func (f *Forwarder) Notify() { poke(f.wake) }

// ForwardNow asks for a full pass at once (forward, reconcile, refresh),
// even while the forwarder is waiting out a bank that was down.
func (f *Forwarder) ForwardNow() {
	f.asked.Store(true)
	poke(f.now)
}

// Events is where progress is reported. It is never closed: a reader
// stops with the context it gave Run.
func (f *Forwarder) Events() <-chan Event { return f.events }

func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default: // one signal pending is as good as many
	}
}

// emit never blocks: when the channel is full the oldest event goes, as
// a banner only needs the latest.
func (f *Forwarder) emit(e Event) {
	for {
		select {
		case f.events <- e:
			return
		default:
		}
		select {
		case <-f.events:
		default:
		}
	}
}

// Run works until ctx is cancelled, then returns nil. A request in
// flight is abandoned; its entries stay sent and go again next time with
// the same keys. It starts with a full pass, whose first step checks the
// desk's chains from the start: seconds on a journal of a million
// entries, on this goroutine, never the window's; the checkout goes on
// meanwhile.
func (f *Forwarder) Run(ctx context.Context) error {
	if !f.running.CompareAndSwap(false, true) {
		return errors.New("sync: the forwarder is already running")
	}
	defer f.running.Store(false)
	tick := time.NewTicker(f.opts.Interval)
	defer tick.Stop()
	var quietUntil time.Time // after a failed pass, purchases do not wake it before this
	failures := 0
	pass := func(full bool) {
		ev := f.Pass(ctx, full, full && time.Since(f.lastRefresh) >= f.opts.RefreshEvery)
		if ctx.Err() != nil {
			return
		}
		if ev.Delivered {
			failures, quietUntil = 0, time.Time{}
			return
		}
		failures++
		quietUntil = time.Now().Add(passBackoff(failures, f.opts.Interval))
	}
	f.asked.Store(true) // the desk was just started by someone
	pass(true)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-f.now:
			pass(true)
		case <-tick.C:
			pass(true)
		case <-f.wake:
			f.settle(ctx, quietUntil, pass)
		case _, ok := <-f.opts.Wake:
			if !ok {
				f.opts.Wake = nil // a closed channel would wake it for ever
				continue
			}
			f.settle(ctx, quietUntil, pass)
		}
	}
}

// settle lets a burst of purchases gather into one batch, then forwards
// them, unless the bank was just found down (the timer tries again).
func (f *Forwarder) settle(ctx context.Context, quietUntil time.Time, pass func(bool)) {
	if time.Now().Before(quietUntil) {
		return
	}
	select {
	case <-ctx.Done():
		return
	case <-f.now:
		pass(true)
		return
	case <-time.After(f.opts.Settle):
	}
	pass(false)
}

// passBackoff spaces passes after failures, up to interval.
func passBackoff(failures int, interval time.Duration) time.Duration {
	return min(Backoff{Min: time.Second, Max: interval}.Delay(failures, 0, nil), interval)
}

// Pass forwards everything unsent and, if asked, reconciles and pulls the
// CA keys and hotlist. It reports batches as EventBatch and ends with an
// EventPass, which it also returns. It is what `lingqian sync --once` does;
// call it on a forwarder that is not running, or passes would overlap.
func (f *Forwarder) Pass(ctx context.Context, reconcile, refresh bool) Event {
	ev := Event{Kind: EventPass}
	// A pass outside Run is `lingqian sync --once`: someone asked for it.
	asked := f.asked.Swap(false) || !f.running.Load()
	p, err := f.client.ForwardWith(ctx, f.journal, ForwardOptions{BatchSize: f.opts.BatchSize, Dir: f.opts.Dir, Asked: asked, Check: &f.check,
		OnBatch: func(p Progress) { f.emit(Event{Kind: EventBatch, At: time.Now(), Progress: p}) }})
	ev.Progress, ev.ForwardErr, ev.Delivered = p, err, err == nil
	// A bank found down has been retried enough for one pass, and one that
	// refused the desk's certificate refuses every call: asking it for the
	// feed and the files as well would only make the desk wait, or say the
	// same refusal three times.
	stop := Unavailable(err) || Refused(err)
	if reconcile && !stop && ctx.Err() == nil {
		ev.Report, ev.ReconcileErr = f.reconcile(ctx)
		stop = Unavailable(ev.ReconcileErr) || Refused(ev.ReconcileErr)
	}
	if refresh && !stop && f.opts.Dir != "" && ctx.Err() == nil {
		ev.CAKeys, ev.Hotlist, ev.RefreshErr = f.refresh(ctx)
	}
	ev.At = time.Now()
	f.emit(ev)
	return ev
}

func (f *Forwarder) reconcile(ctx context.Context) (*Report, error) {
	if !f.cursorRead && f.opts.Dir != "" {
		c, err := ReadCursor(f.opts.Dir)
		if err != nil {
			return nil, err
		}
		f.cursor = c
	}
	f.cursorRead = true
	rep, err := f.client.Reconcile(ctx, f.journal, f.cursor.ReconciledThrough)
	if err != nil {
		return nil, err
	}
	f.cursor.ReconciledThrough, f.cursor.Reconciled = rep.Through, time.Now().UTC()
	if f.opts.Dir != "" {
		if err := WriteCursor(f.opts.Dir, f.cursor); err != nil {
			return &rep, err
		}
	}
	return &rep, nil
}

func (f *Forwarder) refresh(ctx context.Context) (int, *Hotlist, error) {
	n, kerr := f.client.RefreshCAKeys(ctx, f.opts.Dir)
	h, herr := f.client.RefreshHotlist(ctx, f.opts.Dir)
	if herr == nil && f.opts.OnHotlist != nil {
		f.opts.OnHotlist(h)
	}
	if kerr == nil && herr == nil {
		f.lastRefresh = time.Now()
	}
	return n, h, errors.Join(kerr, herr)
}
