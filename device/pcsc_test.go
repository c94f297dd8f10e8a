package device_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/device"
	"lingqian/internal/pcsctest"
	"lingqian/wallet"
)

// selectPPSE is the first command of every tap.
var selectPPSE = []byte{0x00, 0xA4, 0x04, 0x00, 0x0E, '2', 'P', 'A', 'Y', '.', 'S', 'Y', 'S', '.', 'D', 'D', 'F', '0', '1', 0x00}

// countingCard echoes like a null card and counts what it executed, so a
// test can tell whether a command reached the card before it left.
type countingCard struct {
	wallet.EchoCard
	executed atomic.Int32
}

func (c *countingCard) Process(cmd []byte) []byte {
	c.executed.Add(1)
	return c.EchoCard.Process(cmd)
}

// phone taps a card application on the daemon's reader in the background.
type phone struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when the tap is over
	result wallet.TapResult
}

// lastLift is when the previous phone left. pcscd polls a vpcd slot for
// presence every 400 ms, and a phone that comes back before the poll is
// taken for the same card never having left (a person cannot re-tap that
// fast); tests wait out one poll between phones.
var lastLift time.Time

const presencePoll = 500 * time.Millisecond

func tapPhone(t *testing.T, d *pcsctest.Daemon, card wallet.CardApplication, faults wallet.Faults, untilPowerOff bool) *phone {
	t.Helper()
	time.Sleep(time.Until(lastLift.Add(presencePoll)))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	p := &phone{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		defer func() { lastLift = time.Now() }()
		res, err := wallet.Tap(ctx, d.Addr(), card, faults, untilPowerOff)
		if err != nil {
			t.Errorf("phone tap: %v", err)
		}
		p.result = res
	}()
	t.Cleanup(func() { p.lift() })
	return p
}

// ended waits for the tap to end by itself and says how it went.
func (p *phone) ended(t *testing.T) wallet.TapResult {
	t.Helper()
	select {
	case <-p.done:
		return p.result
	case <-time.After(10 * time.Second):
		t.Fatal("the phone's tap did not end")
		return wallet.TapResult{}
	}
}

// lift takes the phone away and returns how its tap went.
func (p *phone) lift() wallet.TapResult {
	p.cancel()
	<-p.done
	return p.result
}

func connectCard(t *testing.T, r *device.PCSC, reader string) *device.Card {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	name, err := r.WaitForCard(ctx, reader)
	if err != nil {
		t.Fatalf("wait for card: %v", err)
	}
	card, err := r.Connect(ctx, name)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = card.Close() })
	return card
}

func TestPCSC_APDURoundTripThroughPcscd(t *testing.T) {
	// Given a real pcscd with the vpcd reader, and a phone presenting a null card
	d := pcsctest.Start(t)
	r := device.NewPCSC()
	defer r.Close()
	p := tapPhone(t, d, wallet.EchoCard{}, wallet.Faults{}, true)

	// When the desk waits for the card, connects and sends SELECT PPSE
	card := connectCard(t, r, d.Reader)
	resp, err := card.Transmit(context.Background(), selectPPSE)

	// Then the answer is the echoed data with 90 00, and the ATR is the contactless one
	if err != nil {
		t.Fatalf("transmit: %v", err)
	}
	want := append([]byte("2PAY.SYS.DDF01"), 0x90, 0x00)
	if !bytes.Equal(resp, want) {
		t.Fatalf("response % X, want % X", resp, want)
	}
	if !bytes.Equal(card.ATR(), wallet.ATR) {
		t.Errorf("ATR % X, want % X", card.ATR(), wallet.ATR)
	}

	// And closing the session ends the phone's tap: the reader powered it down
	if err := card.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if res := p.ended(t); !res.PoweredOff || res.Commands != 1 {
		t.Errorf("phone's tap ended as %+v, want powered off after 1 command", res)
	}
}

func TestPCSC_ReadersListsTheVirtualReader(t *testing.T) {
	// Given a real pcscd with the private vpcd configuration
	d := pcsctest.Start(t)
	r := device.NewPCSC()
	defer r.Close()

	// When the desk lists its readers
	names, err := r.Readers(context.Background())

	// Then both vpcd slots are there
	if err != nil {
		t.Fatalf("readers: %v", err)
	}
	if len(names) != 2 || names[0] != d.Reader {
		t.Fatalf("readers %q, want %q and slot 1", names, d.Reader)
	}
}

func TestPCSC_CardLeftIsTyped(t *testing.T) {
	cases := []struct {
		name   string
		faults wallet.Faults
		// settle waits for pcscd to notice the removal before the next command
		settle       bool
		wantExecuted int32    // commands the card ran, the torn one included
		wantCause    []string // what pcscd said, as the error shows it
	}{
		// Before pcscd notices, vpcd either fails to send the command
		// (SCARD_E_NOT_TRANSACTED) or sends it and reads the closed
		// socket's end as an empty answer: which one is a race.
		{"between commands, before the reader noticed", wallet.Faults{DropAfter: 1}, false, 1,
			[]string{"Transaction failed", "response shorter than its status word"}},
		{"between commands, after the reader noticed", wallet.Faults{DropAfter: 1}, true, 1,
			[]string{"Card was removed"}}, // SCARD_W_REMOVED_CARD
		{"while a command is in flight", wallet.Faults{DropBefore: 2}, false, 2,
			[]string{"response shorter than its status word"}}, // vpcd: success, empty answer
	}
	d := pcsctest.Start(t)
	r := device.NewPCSC()
	defer r.Close()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a phone that leaves the field at a chosen moment
			app := &countingCard{}
			p := tapPhone(t, d, app, tc.faults, false)
			card := connectCard(t, r, d.Reader)
			if _, err := card.Transmit(context.Background(), selectPPSE); err != nil {
				t.Fatalf("first command: %v", err)
			}
			if tc.settle {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				if err := r.WaitForRemoval(ctx, d.Reader); err != nil {
					t.Fatalf("wait for removal: %v", err)
				}
			}

			// When the desk sends the next command
			_, err := card.Transmit(context.Background(), selectPPSE)

			// Then it gets the typed "card left" error, saying where
			if !errors.Is(err, device.ErrCardLeft) {
				t.Fatalf("error %v, want ErrCardLeft", err)
			}
			if !slices.ContainsFunc(tc.wantCause, func(c string) bool { return strings.Contains(err.Error(), c) }) {
				t.Errorf("error %q does not come from any of %q", err, tc.wantCause)
			}
			var de *device.Error
			if !errors.As(err, &de) || de.Reader != d.Reader || de.Op != "transmit" {
				t.Errorf("error %#v does not say the operation and reader", err)
			}
			if got := app.executed.Load(); got != tc.wantExecuted {
				t.Errorf("card executed %d commands, want %d", got, tc.wantExecuted)
			}
			if res := p.ended(t); !res.Dropped {
				t.Errorf("phone's tap ended as %+v, want dropped", res)
			}
			_ = card.Close()
		})
	}
}

func TestPCSC_RecoversAfterPcscdRestart(t *testing.T) {
	// Given a desk that has worked with the reader, and watches it
	d := pcsctest.Start(t)
	r := device.NewPCSC()
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	events := r.Watch(ctx)
	waitEvent(t, events, app.ReaderAdded, d.Reader)

	tapPhone(t, d, wallet.EchoCard{}, wallet.Faults{}, false)
	card := connectCard(t, r, d.Reader)
	if _, err := card.Transmit(ctx, selectPPSE); err != nil {
		t.Fatalf("before restart: %v", err)
	}

	// When pcscd stops
	d.Stop()

	// Then the open session fails with a typed error, the watch says the
	// service is down, and listing readers says so too
	if _, err := card.Transmit(ctx, selectPPSE); !errors.Is(err, device.ErrNoService) && !errors.Is(err, device.ErrCardLeft) {
		t.Fatalf("transmit with pcscd stopped: %v, want ErrNoService or ErrCardLeft", err)
	}
	_ = card.Close()
	waitEvent(t, events, app.ServiceDown, "")
	if _, err := r.Readers(ctx); !errors.Is(err, device.ErrNoService) {
		t.Fatalf("readers with pcscd stopped: %v, want ErrNoService", err)
	}

	// When pcscd starts again and the phone is tapped again
	if err := d.Restart(); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, app.ServiceUp, "")
	waitEvent(t, events, app.ReaderAdded, d.Reader)
	tapPhone(t, d, wallet.EchoCard{}, wallet.Faults{}, false)

	// Then the same reader layer, in the same process, works again
	card = connectCard(t, r, d.Reader)
	resp, err := card.Transmit(ctx, selectPPSE)
	if err != nil || len(resp) < 2 || resp[len(resp)-2] != 0x90 {
		t.Fatalf("after restart: % X, %v", resp, err)
	}
	waitEvent(t, events, app.CardPresent, d.Reader)
}

func TestPCSC_WaitForCardEndsWithItsContext(t *testing.T) {
	// Given a reader with no card
	d := pcsctest.Start(t)
	r := device.NewPCSC()
	defer r.Close()

	// When the wait is cancelled
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := r.WaitForCard(ctx, d.Reader)

	// Then it returns the context's error promptly
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v, want deadline exceeded", err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("cancellation took %v", waited)
	}
}

func TestPCSC_WatchReportsTapsAndLifts(t *testing.T) {
	// Given a watched reader
	d := pcsctest.Start(t)
	r := device.NewPCSC()
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	events := r.Watch(ctx)
	waitEvent(t, events, app.ServiceUp, "")
	waitEvent(t, events, app.ReaderAdded, d.Reader)

	// When a phone is tapped and lifted
	p := tapPhone(t, d, wallet.EchoCard{}, wallet.Faults{}, false)
	waitEvent(t, events, app.CardPresent, d.Reader)
	p.lift()

	// Then both are reported for that reader
	waitEvent(t, events, app.CardRemoved, d.Reader)
}

func TestPCSC_ConnectWithoutCard(t *testing.T) {
	// Given an empty reader and an unknown one
	d := pcsctest.Start(t)
	r := device.NewPCSC()
	defer r.Close()

	// When the desk connects to each, then the errors say which case it is
	if _, err := r.Connect(context.Background(), d.Reader); !errors.Is(err, device.ErrNoCard) {
		t.Errorf("empty reader: %v, want ErrNoCard", err)
	}
	if _, err := r.Connect(context.Background(), "No Such Reader 00 00"); !errors.Is(err, device.ErrNoReader) {
		t.Errorf("unknown reader: %v, want ErrNoReader", err)
	}
}

// waitEvent reads events until one of the given kind (and reader, if
// named) arrives.
func waitEvent(t *testing.T, events <-chan app.ReaderEvent, kind app.ReaderEventKind, reader string) {
	t.Helper()
	timeout := time.After(15 * time.Second)
	for {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatalf("watch ended before %v", kind)
			}
			if e.Kind == kind && (reader == "" || e.Reader == reader) {
				return
			}
		case <-timeout:
			t.Fatalf("no %v event for %q within 15 s", kind, reader)
		}
	}
}
