package wallet

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// readerEnd plays the reader's side of the vpcd protocol from a script.
// It stands in for pcscd's vpcd driver in these framing tests; the tests
// in device run the same phone against the real driver.
type readerEnd struct {
	t    *testing.T
	conn net.Conn
}

func listenReader(t *testing.T) (string, <-chan *readerEnd) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ch := make(chan *readerEnd, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		t.Cleanup(func() { c.Close() })
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		ch <- &readerEnd{t: t, conn: c}
	}()
	return l.Addr().String(), ch
}

func (r *readerEnd) send(payload ...byte) {
	r.t.Helper()
	frame := binary.BigEndian.AppendUint16(nil, uint16(len(payload)))
	if _, err := r.conn.Write(append(frame, payload...)); err != nil {
		r.t.Fatalf("reader send: %v", err)
	}
}

func (r *readerEnd) recv() []byte {
	r.t.Helper()
	var hdr [2]byte
	if _, err := io.ReadFull(r.conn, hdr[:]); err != nil {
		r.t.Fatalf("reader recv: %v", err)
	}
	b := make([]byte, binary.BigEndian.Uint16(hdr[:]))
	if _, err := io.ReadFull(r.conn, b); err != nil {
		r.t.Fatalf("reader recv: %v", err)
	}
	return b
}

func (r *readerEnd) closedByPhone() bool {
	_ = r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := r.conn.Read(make([]byte, 1))
	// EOF, or a reset when the reader wrote after the phone had gone.
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

type resetCounter struct {
	EchoCard
	resets int
}

func (c *resetCounter) Reset() { c.resets++ }

func tapAsync(addr string, app CardApplication, f Faults, untilPowerOff bool) (context.CancelFunc, <-chan TapResult, <-chan error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	res, errs := make(chan TapResult, 1), make(chan error, 1)
	go func() {
		r, err := Tap(ctx, addr, app, f, untilPowerOff)
		res <- r
		errs <- err
	}()
	return cancel, res, errs
}

func TestTap_ControlBytesAndAPDUs(t *testing.T) {
	// Given a phone tapped on a reader end
	addr, readers := listenReader(t)
	card := &resetCounter{}
	cancel, res, errs := tapAsync(addr, card, Faults{}, true)
	defer cancel()
	r := <-readers

	// When the reader asks for the ATR, powers the card on, resets it and sends a command
	r.send(ctlGetATR)
	atr := r.recv()
	r.send(ctlPowerOn)
	r.send(ctlReset)
	r.send(0x00, 0xB2, 0x01, 0x0C, 0x02, 0xCA, 0xFE, 0x00)
	resp := r.recv()

	// Then it answers with the contactless ATR and the echoed data, and power-on and reset each reset the application
	if !bytes.Equal(atr, ATR) {
		t.Errorf("ATR % X", atr)
	}
	if !bytes.Equal(resp, []byte{0xCA, 0xFE, 0x90, 0x00}) {
		t.Errorf("response % X", resp)
	}

	// When the reader powers the card down after using it
	r.send(ctlPowerOff)

	// Then the tap is over: the phone disconnects and says the desk was done
	if !r.closedByPhone() {
		t.Error("the phone stayed connected after power-off")
	}
	got := <-res
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if got.Commands != 1 || !got.PoweredOff || card.resets != 2 {
		t.Errorf("result %+v, resets %d", got, card.resets)
	}
}

func TestTap_PowerOffBeforeUseDoesNotEndTheTap(t *testing.T) {
	// Given a phone that waits for the desk to be done
	addr, readers := listenReader(t)
	cancel, res, _ := tapAsync(addr, EchoCard{}, Faults{}, true)
	defer cancel()
	r := <-readers

	// When pcscd powers an idle card down before any command, then uses it
	r.send(ctlPowerOff)
	r.send(ctlPowerOn)
	r.send(0x00, 0xA4, 0x04, 0x00, 0x01, 0xAA)

	// Then the phone is still there to answer
	if got := r.recv(); !bytes.Equal(got, []byte{0xAA, 0x90, 0x00}) {
		t.Fatalf("response % X", got)
	}
	cancel()
	if got := <-res; got.Commands != 1 || got.PoweredOff {
		t.Errorf("result %+v", got)
	}
}

func TestTap_Faults(t *testing.T) {
	cases := []struct {
		name      string
		faults    Faults
		answered  int // responses the reader receives before the phone leaves
		wantCount int
	}{
		{"drop after the first answer", Faults{DropAfter: 1}, 1, 1},
		{"drop while the second command is in flight", Faults{DropBefore: 2}, 1, 1},
		{"drop during the first command", Faults{DropBefore: 1}, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a phone with a fault
			addr, readers := listenReader(t)
			cancel, res, _ := tapAsync(addr, EchoCard{}, tc.faults, false)
			defer cancel()
			r := <-readers

			// When the reader sends commands
			for i := 0; i < tc.answered; i++ {
				r.send(0x00, 0xB2, 0x01, 0x0C, 0x00)
				r.recv()
			}
			r.send(0x00, 0xB2, 0x01, 0x0C, 0x00)

			// Then the phone leaves where the fault says, without answering further
			if !r.closedByPhone() {
				t.Fatal("phone did not leave")
			}
			if got := <-res; !got.Dropped || got.Commands != tc.wantCount {
				t.Errorf("result %+v", got)
			}
		})
	}
}

func TestTap_WaitsForTheReaderToListen(t *testing.T) {
	// Given a reader port that is not open yet
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()

	// When the phone is held out until its patience ends
	_, err = Tap(ctx, addr, EchoCard{}, Faults{}, false)

	// Then it reports that no reader accepted it
	if err == nil {
		t.Fatal("tap with no reader succeeded")
	}
}

func TestTap_FrameCutShort(t *testing.T) {
	// Given a reader end that announces 10 bytes and sends 3 before hanging up
	addr, readers := listenReader(t)
	cancel, _, errs := tapAsync(addr, EchoCard{}, Faults{}, false)
	defer cancel()
	r := <-readers
	_, _ = r.conn.Write([]byte{0x00, 0x0A, 1, 2, 3})
	r.conn.Close()

	// Then the phone reports the cut frame instead of answering garbage
	if err := <-errs; err == nil {
		t.Fatal("no error for a cut frame")
	}
}

func TestEchoCard_CommandCases(t *testing.T) {
	cases := []struct {
		name string
		cmd  []byte
		want []byte
	}{
		{"case 1", []byte{0, 0xA4, 4, 0}, []byte{0x90, 0}},
		{"case 2 short", []byte{0, 0xB2, 1, 0x0C, 0}, []byte{0x90, 0}},
		{"case 3 short", []byte{0, 0xA4, 4, 0, 2, 0xA0, 0x01}, []byte{0xA0, 0x01, 0x90, 0}},
		{"case 4 short", []byte{0, 0xA4, 4, 0, 1, 0xA0, 0}, []byte{0xA0, 0x90, 0}},
		{"case 3 extended", []byte{0, 0xA4, 4, 0, 0, 0, 2, 0xA0, 0x01}, []byte{0xA0, 0x01, 0x90, 0}},
		{"Lc longer than the data", []byte{0, 0xA4, 4, 0, 9, 0xA0}, []byte{0x90, 0}},
		{"too short to be a command", []byte{0}, []byte{0x90, 0}},
	}
	for _, tc := range cases {
		if got := (EchoCard{}).Process(tc.cmd); !bytes.Equal(got, tc.want) {
			t.Errorf("%s: % X, want % X", tc.name, got, tc.want)
		}
	}
}
