package systest

import (
	"context"
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

// BenchmarkTap_ToApproved is DESIGN section 8's first figure: a purchase
// from the moment the desk sees the phone on the reader to "approved"
// (journal committed, card released), through the real pcscd, vpcd and the phone's
// e-cash application, against its floor: the same C-APDUs sent through
// the same path to a null card that echoes them, plus the time the phone
// spent answering them (its cryptography and the writes of its wallet
// file). Target: p50 ≤ 1.2 × the floor's p50.
//
// Each iteration is one purchase with the phone on the reader. Reported:
// tap-p50-ms, floor-p50-ms (echo + phone) and their ratio.
func BenchmarkTap_ToApproved(b *testing.B) {
	ctx := context.Background()
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
	dk, err := desk.Open(ctx, filepath.Join(dir, "desk"))
	if err != nil {
		b.Fatal(err)
	}
	defer dk.Close()
	co, closeReader, err := dk.Checkout(ctx, d.Reader, capk)
	if err != nil {
		b.Fatal(err)
	}
	defer closeReader()
	co.Limits = app.Limits{} // a benchmark of many sales, not of the offline limits
	pcsc := device.NewPCSC()
	defer pcsc.Close()
	// The clock starts when the desk sees the phone: what the checkout
	// does before (the limits, the torn taps to recover) it does while
	// the customer is still reaching for the reader.
	seen := &seeingReader{pcsc: pcsc, reader: d.Reader}
	co.Reader = seen
	journal := &timedJournal{Journal: co.Journal}
	co.Journal = journal
	kernel := &timedKernel{Kernel: co.Kernel}
	co.Kernel = kernel

	// The phone stays on the reader: every purchase is then what a tap is
	// from the moment the desk sees the phone (connect, select, read,
	// authenticate, generate the cryptogram, journal), without the
	// reader's presence polling, which no purchase waits for twice.
	phone := &timedCard{app: card}
	taps := make([]time.Duration, 0, b.N)
	var sequence [][]byte
	b.ResetTimer()
	present(b, pcsc, d, phone, func() {
		for i := range b.N {
			phone.reset()
			res, err := co.Charge(ctx, app.Sale{Amount: 100, Cashier: app.Operator{ID: "bench", Role: app.RoleCashier}})
			taps = append(taps, time.Since(seen.at))
			if err != nil || !res.Approved() {
				b.Fatalf("tap %d: %v, %+v", i, err, res.Outcome.Reason)
			}
			sequence = phone.commands()
		}
	})
	b.StopTimer()
	phoneWork := phone.spent()

	// The floor: the last tap's commands, echoed by a null card over the
	// same path (connect included), as many times as there were taps.
	echo := make([]time.Duration, 0, b.N)
	present(b, pcsc, d, wallet.EchoCard{}, func() {
		for range b.N {
			start := time.Now()
			c, err := pcsc.Connect(ctx, d.Reader)
			if err != nil {
				b.Fatal(err)
			}
			for _, cmd := range sequence {
				if _, err := c.Transmit(ctx, cmd); err != nil {
					b.Fatal(err)
				}
			}
			c.Close()
			echo = append(echo, time.Since(start))
		}
	})
	tap, floor := p50(taps), p50(echo)+p50(phoneWork)
	b.ReportMetric(ms(tap), "tap-p50-ms")
	b.ReportMetric(ms(p50(echo)), "echo-p50-ms")
	b.ReportMetric(ms(p50(phoneWork)), "phone-p50-ms")
	b.ReportMetric(ms(floor), "floor-p50-ms")
	b.ReportMetric(float64(tap)/float64(floor), "tap/floor")
	b.ReportMetric(ms(p50(journal.appends)), "journal-p50-ms")
	b.ReportMetric(ms(p50(kernel.own)), "kernel-own-p50-ms")
	b.Logf("%d taps of %d commands: tap p50 %v, echo p50 %v, phone p50 %v", b.N, len(sequence),
		tap.Round(time.Microsecond), p50(echo).Round(time.Microsecond), p50(phoneWork).Round(time.Microsecond))
}

// seeingReader is the desk's reader that notes when it saw the phone.
type seeingReader struct {
	pcsc   *device.PCSC
	reader string
	at     time.Time
}

func (r *seeingReader) Tap(ctx context.Context) (app.Card, error) {
	if _, err := r.pcsc.WaitForCard(ctx, r.reader); err != nil {
		return nil, err
	}
	r.at = time.Now()
	return r.pcsc.Connect(ctx, r.reader)
}

// timedJournal is the desk's journal with the time of each append noted:
// the durable write is most of what the desk adds to the floor.
type timedJournal struct {
	app.Journal
	appends []time.Duration
}

func (j *timedJournal) Append(ctx context.Context, e app.Entry) (app.Entry, error) {
	start := time.Now()
	e, err := j.Journal.Append(ctx, e)
	j.appends = append(j.appends, time.Since(start))
	return e, err
}

// timedKernel is the desk's kernel with its own time noted: a purchase's
// time in the kernel less the time its commands spent on the wire.
type timedKernel struct {
	app.Kernel
	own []time.Duration
}

func (k *timedKernel) Run(ctx context.Context, card emv.Card, p emv.Purchase) emv.Outcome {
	wire := &timedWire{Card: card}
	start := time.Now()
	out := k.Kernel.Run(ctx, wire, p)
	k.own = append(k.own, time.Since(start)-wire.spent)
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
