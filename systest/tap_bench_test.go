package systest

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/desk"
	"lingqian/device"
	"lingqian/emv"
	"lingqian/internal/pcsctest"
	"lingqian/issuance"
	"lingqian/wallet"
)

// BenchmarkTapSameProcess_ToApproved is BenchmarkTap_ToApproved with the
// phone's e-cash application in the desk's process rather than in a
// lingqian-phone of its own: the two share one Go runtime, so beside the
// other it shows what the phone's being a process of its own costs or
// saves. Its metrics have the same names.
func BenchmarkTapSameProcess_ToApproved(b *testing.B) {
	d := pcsctest.Start(b)
	dir := b.TempDir()
	iss, _, err := issuance.OpenOrCreate(filepath.Join(dir, "issuer"), issuance.Options{})
	if err != nil {
		b.Fatal(err)
	}
	capk := filepath.Join(dir, "capk.json")
	if err := iss.WriteCAPKFile(capk); err != nil {
		b.Fatal(err)
	}
	card, err := wallet.Create(filepath.Join(dir, "wallet.json"), wallet.CreateOptions{},
		wallet.LocalIssuer(iss, issuance.Request{Balance: issuance.MaxAmount, SingleLimit: 100000}))
	if err != nil {
		b.Fatal(err)
	}
	bc := newTapCheckout(b, d, capk)

	// The phone stays on the reader: every purchase is then what a tap is
	// from the moment the desk sees the phone (connect, select, read,
	// authenticate, generate the cryptogram, journal), without the
	// reader's presence polling, which no purchase waits for twice.
	phone := &timedCard{app: card}
	taps := make([]time.Duration, 0, b.N)
	var sequence [][]byte
	b.ResetTimer()
	present(b, bc.pcsc, d, phone, func() {
		for i := range b.N {
			phone.reset()
			taps = append(taps, bc.charge(b, i))
			sequence = phone.commands()
			if i%uploadEvery == uploadEvery-1 { // as BenchmarkTap_ToApproved's phone does
				b.StopTimer()
				if _, err := card.TrimLog(func(uint16) bool { return true }); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		}
	})
	b.StopTimer()
	phoneWork := phone.spent()

	// The floor: the last tap's commands, echoed by a null card over the
	// same path (connect included), as many times as there were taps.
	var echo []time.Duration
	present(b, bc.pcsc, d, wallet.EchoCard{}, func() {
		echo = echoTaps(b, bc.pcsc, d.Reader, sequence, b.N, nil)
	})
	bc.report(b, taps, echo, phoneWork)
}

// tapCheckout is the desk's checkout on the daemon's reader, timed
// where the benchmarks need it.
type tapCheckout struct {
	co      *app.Checkout
	pcsc    *device.PCSC
	seen    *seeingReader
	journal *timedJournal
	kernel  *timedKernel
}

func newTapCheckout(b *testing.B, d *pcsctest.Daemon, capk string) *tapCheckout {
	ctx := context.Background()
	dk, err := desk.Open(ctx, filepath.Join(b.TempDir(), "desk"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { dk.Close() })
	co, closeReader, err := dk.Checkout(ctx, d.Reader, capk)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(closeReader)
	co.Limits = app.Limits{} // a benchmark of many sales, not of the offline limits
	pcsc := device.NewPCSC()
	b.Cleanup(func() { pcsc.Close() })
	// The clock starts when the desk sees the phone: what the checkout
	// does before (the limits, the torn taps to recover) it does while
	// the customer is still reaching for the reader.
	bc := &tapCheckout{co: co, pcsc: pcsc, seen: &seeingReader{pcsc: pcsc, reader: d.Reader}}
	bc.journal = &timedJournal{Journal: co.Journal}
	bc.kernel = &timedKernel{Kernel: co.Kernel, journal: bc.journal}
	co.Reader, co.Journal, co.Kernel = bc.seen, bc.journal, bc.kernel
	return bc
}

// charge runs purchase i and returns its time from the desk seeing the
// phone to approved.
func (bc *tapCheckout) charge(b *testing.B, i int) time.Duration {
	res, err := bc.co.Charge(context.Background(), app.Sale{Amount: 100, Cashier: app.Operator{ID: "bench", Role: app.RoleCashier}})
	took := time.Since(bc.seen.at)
	if bc.seen.trace != nil {
		bc.seen.trace.done()
	}
	if err != nil || !res.Approved() {
		b.Fatalf("tap %d: %v, %+v", i, err, res.Outcome.Reason)
	}
	return took
}

// echoTaps sends sequence n times to the null card on reader, each time
// in a session of its own as a tap has, and returns each session's time.
func echoTaps(b *testing.B, pcsc *device.PCSC, reader string, sequence [][]byte, n int, tr *deskTrace) []time.Duration {
	ctx := context.Background()
	echo := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		tr.seen()
		c, err := pcsc.Connect(ctx, reader)
		if err != nil {
			b.Fatal(err)
		}
		card := tr.card(c)
		for _, cmd := range sequence {
			if _, err := card.Transmit(ctx, cmd); err != nil {
				b.Fatal(err)
			}
		}
		card.Close()
		echo = append(echo, time.Since(start))
		tr.done()
	}
	return echo
}

// report gives the metrics docs/BENCHMARKS.md's table is made from.
func (bc *tapCheckout) report(b *testing.B, taps, echo, phoneWork []time.Duration) {
	tap, floor := p50(taps), p50(echo)+p50(phoneWork)
	b.ReportMetric(ms(tap), "tap-p50-ms")
	b.ReportMetric(ms(p50(echo)), "echo-p50-ms")
	b.ReportMetric(ms(p50(phoneWork)), "phone-p50-ms")
	b.ReportMetric(ms(floor), "floor-p50-ms")
	b.ReportMetric(float64(tap)/float64(floor), "tap/floor")
	b.ReportMetric(ms(p50(bc.journal.appends)), "journal-p50-ms")
	if len(bc.journal.before) > 0 {
		b.ReportMetric(ms(p50(bc.journal.before)), "journal-before-genac-p50-ms")
	}
	b.ReportMetric(ms(p50(bc.kernel.own)), "kernel-own-p50-ms")
	// The floor of a desk that keeps its promise: the echo and the phone's
	// own time, plus the two writes that must be on disk in their turn
	// (the tap before GENERATE AC, the purchase before "approved"), as
	// measured in this very run.
	durable := floor + p50(bc.journal.appends)
	if len(bc.journal.before) > 0 {
		durable += p50(bc.journal.before)
	}
	b.ReportMetric(ms(durable), "durable-floor-p50-ms")
	b.ReportMetric(float64(tap)/float64(durable), "tap/durable-floor")
}

// seeingReader is the desk's reader that notes when it saw the phone.
type seeingReader struct {
	pcsc   *device.PCSC
	reader string
	at     time.Time
	trace  *deskTrace // nil: no trace
}

func (r *seeingReader) Tap(ctx context.Context) (app.Card, error) {
	if _, err := r.pcsc.WaitForCard(ctx, r.reader); err != nil {
		return nil, err
	}
	r.at = time.Now()
	r.trace.seen()
	c, err := r.pcsc.Connect(ctx, r.reader)
	if err != nil {
		return nil, err
	}
	return r.trace.card(c), nil
}

// timedJournal is the desk's journal with the time of each append noted:
// the durable write is most of what the desk adds to the floor. The
// purchase's own entry and a torn tap written down before GENERATE AC
// (so that a desk killed after the card paid still knows the tap) are
// timed apart.
type timedJournal struct {
	app.Journal
	appends []time.Duration // the approved purchases' entries
	before  []time.Duration // torn taps written before the card is asked to pay
	spent   time.Duration   // all appends' time, for the kernel to take off its own
}

func (j *timedJournal) Append(ctx context.Context, e app.Entry) (app.Entry, error) {
	start := time.Now()
	kind := e.Kind
	e, err := j.Journal.Append(ctx, e)
	switch kind {
	case app.KindPurchase:
		j.note(&j.appends, start)
	case app.KindTorn:
		j.note(&j.before, start)
	default:
		j.note(nil, start)
	}
	return e, err
}

// The journal's two steps around GENERATE AC, where the journal has them:
// the tap written down before the card is asked, and the purchase
// written with the tap settled.
type (
	askingJournal interface {
		Ask(ctx context.Context, torn app.Entry) error
	}
	answeringJournal interface {
		Answer(ctx context.Context, key string, e *app.Entry) (app.Entry, error)
	}
)

func (j *timedJournal) Ask(ctx context.Context, torn app.Entry) error {
	a, ok := j.Journal.(askingJournal)
	if !ok {
		return errors.New("the journal writes no tap before GENERATE AC")
	}
	start := time.Now()
	err := a.Ask(ctx, torn)
	j.note(&j.before, start)
	return err
}

func (j *timedJournal) Answer(ctx context.Context, key string, e *app.Entry) (app.Entry, error) {
	a, ok := j.Journal.(answeringJournal)
	if !ok {
		return app.Entry{}, errors.New("the journal settles no tap")
	}
	start := time.Now()
	out, err := a.Answer(ctx, key, e)
	if e != nil && e.Kind == app.KindPurchase {
		j.note(&j.appends, start)
	} else {
		j.note(nil, start)
	}
	return out, err
}

func (j *timedJournal) note(to *[]time.Duration, start time.Time) {
	took := time.Since(start)
	j.spent += took
	if to != nil {
		*to = append(*to, took)
	}
}

// timedKernel is the desk's kernel with its own time noted: a purchase's
// time in the kernel less the time its commands spent on the wire.
// A journal write the kernel asks for before GENERATE AC is the journal's
// time, not the kernel's.
type timedKernel struct {
	app.Kernel
	journal *timedJournal
	own     []time.Duration
}

func (k *timedKernel) Run(ctx context.Context, card emv.Card, p emv.Purchase) emv.Outcome {
	wire := &timedWire{Card: card}
	journaled := k.journal.spent
	start := time.Now()
	out := k.Kernel.Run(ctx, wire, p)
	k.own = append(k.own, time.Since(start)-wire.spent-(k.journal.spent-journaled))
	return out
}

type timedWire struct {
	emv.Card
	spent time.Duration
}

func (w *timedWire) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	start := time.Now()
	resp, err := w.Card.Transmit(ctx, cmd)
	w.spent += time.Since(start)
	return resp, err
}

// present puts card on the reader, runs use once pcscd sees it there, and
// takes the card away again, waiting until pcscd sees it gone.
func present(b *testing.B, pcsc *device.PCSC, d *pcsctest.Daemon, card wallet.CardApplication, use func()) {
	b.Helper()
	ctx, leave := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _, _ = wallet.Tap(ctx, d.Addr(), card, wallet.Faults{}, false) })
	wait, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := pcsc.WaitForCard(wait, d.Reader); err != nil {
		b.Fatal(err)
	}
	use()
	leave()
	wg.Wait()
	if err := pcsc.WaitForRemoval(wait, d.Reader); err != nil {
		b.Fatal(err)
	}
}

// timedCard is the phone's application with the time it spends answering
// each tap's commands measured, and the commands kept.
type timedCard struct {
	app wallet.CardApplication

	mu    sync.Mutex
	cmds  [][]byte
	taken time.Duration
	taps  []time.Duration
}

func (t *timedCard) Reset() { t.app.Reset() }

func (t *timedCard) Process(cmd []byte) []byte {
	start := time.Now()
	resp := t.app.Process(cmd)
	t.mu.Lock()
	t.taken += time.Since(start)
	t.cmds = append(t.cmds, slices.Clone(cmd))
	t.mu.Unlock()
	return resp
}

// reset starts a new tap, keeping the last one's time.
func (t *timedCard) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.cmds) > 0 {
		t.taps = append(t.taps, t.taken)
	}
	t.cmds, t.taken = nil, 0
}

func (t *timedCard) commands() [][]byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.cmds)
}

// spent is the phone's time per tap.
func (t *timedCard) spent() []time.Duration {
	t.reset()
	return slices.Clone(t.taps)
}

func p50(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
