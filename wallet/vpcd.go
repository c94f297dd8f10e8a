// Package wallet is the customer's phone: the e-cash card application it
// presents to a reader, and the transport that presents it to a PC/SC
// stack as a virtual contactless card through vsmartcard's vpcd driver.
package wallet

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// CardApplication is what the phone presents in the reader's field: it is
// reset when the field comes up and answers each C-APDU with one R-APDU.
type CardApplication interface {
	Reset()
	Process(command []byte) []byte
}

// ATR is the answer to reset the virtual card gives: the PC/SC contactless
// ATR without historical bytes.
var ATR = []byte{0x3B, 0x80, 0x80, 0x01, 0x01}

// vpcd control bytes: a frame of one byte from the reader is one of these.
const (
	ctlPowerOff = 0x00
	ctlPowerOn  = 0x01
	ctlReset    = 0x02
	ctlGetATR   = 0x04
)

// maxFrame bounds what the phone accepts from the reader: an extended
// C-APDU is at most 65,544 bytes, and a 2-byte length cannot say more.
const maxFrame = 0xFFFF

// Faults make the phone misbehave on purpose, to test how a desk copes
// with a customer who lifts the phone too early. Zero values mean never.
type Faults struct {
	// DropAfter: the phone leaves once it has answered this many commands.
	DropAfter int
	// DropBefore: the phone executes this command (1-based) and leaves
	// before its answer is sent.
	DropBefore int
	// Delay is added before every answer, as a slow phone would.
	Delay time.Duration
}

// TapResult says how a tap ended.
type TapResult struct {
	Commands int  // C-APDUs answered
	Dropped  bool // the phone left on purpose (a fault)
	// PoweredOff: the reader powered the card down after at least one
	// command: the desk is done with this tap.
	PoweredOff bool
}

// Tap presents app to the vpcd reader at addr for one tap: it connects,
// answers the reader, and disconnects (the phone leaves the field) when
// ctx ends, a fault says so, the reader closes the connection, or — when
// untilPowerOff — the reader powers the card down after using it.
//
// It waits for the reader to accept the connection, so a phone can be
// held out before pcscd is up.
func Tap(ctx context.Context, addr string, app CardApplication, faults Faults, untilPowerOff bool) (TapResult, error) {
	return TapTraced(ctx, addr, app, faults, untilPowerOff, nil)
}

// dialReader connects to vpcd, retrying while the reader is not listening.
func dialReader(ctx context.Context, addr string) (*net.TCPConn, error) {
	var d net.Dialer
	for {
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			tc := c.(*net.TCPConn)
			// Without this the reader's kernel holds small frames back,
			// adding tens of milliseconds to every APDU.
			if err := tc.SetNoDelay(true); err != nil {
				_ = tc.Close()
				return nil, fmt.Errorf("vpcd %s: set TCP_NODELAY: %w", addr, err)
			}
			return tc, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("vpcd %s: %w", addr, ctx.Err())
		}
		t := time.NewTimer(100 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("vpcd %s: %w (last: %v)", addr, ctx.Err(), err)
		case <-t.C:
		}
	}
}

type session struct {
	conn          net.Conn
	in            *bufio.Reader
	app           CardApplication
	faults        Faults
	untilPowerOff bool
	result        TapResult
	trace         *Trace
}

func newSession(conn net.Conn, app CardApplication, faults Faults, untilPowerOff bool) *session {
	return &session{conn: conn, app: app, faults: faults, untilPowerOff: untilPowerOff}
}

var errDropped = errors.New("the phone left the field")

func (s *session) serve() error {
	for {
		frame, err := s.read()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
				return nil // the reader went away: the tap is over
			}
			return err
		}
		if len(frame) == 1 {
			if s.trace != nil {
				at := nowNS()
				s.trace.add(FrameTrace{Control: frame[0], In: 1, Read: at, Answered: at})
			}
			done, err := s.control(frame[0])
			if err != nil || done {
				return err
			}
			continue
		}
		if len(frame) == 0 {
			continue
		}
		if err := s.command(frame); err != nil {
			if errors.Is(err, errDropped) {
				s.result.Dropped = true
				return nil
			}
			return err
		}
	}
}

// control handles a one-byte frame. done is true when the tap is over.
func (s *session) control(b byte) (done bool, err error) {
	switch b {
	case ctlPowerOff:
		if s.untilPowerOff && s.result.Commands > 0 {
			s.result.PoweredOff = true
			return true, nil
		}
	case ctlPowerOn, ctlReset:
		s.app.Reset()
	case ctlGetATR:
		return false, s.write(ATR)
	}
	// Unknown control bytes carry no reply in the vpcd protocol.
	return false, nil
}

func (s *session) command(cmd []byte) error {
	n := s.result.Commands + 1
	var ft FrameTrace
	if s.trace != nil {
		ft = FrameTrace{Command: true, INS: cmd[1], In: len(cmd), Read: nowNS()}
	}
	resp := s.app.Process(cmd)
	if s.trace != nil {
		ft.Answered, ft.Out = nowNS(), len(resp)
	}
	if s.faults.DropBefore == n {
		return errDropped
	}
	if s.faults.Delay > 0 {
		time.Sleep(s.faults.Delay)
	}
	if err := s.write(resp); err != nil {
		return err
	}
	if s.trace != nil {
		ft.Sent = nowNS()
		s.trace.add(ft)
	}
	s.result.Commands = n
	if s.faults.DropAfter == n {
		return errDropped
	}
	return nil
}

// read takes the next frame. vpcd sends a frame's length and its bytes
// in one segment, so through the buffer a frame costs one read from the
// socket rather than one for its length and one for its bytes.
func (s *session) read() ([]byte, error) {
	if s.in == nil {
		s.in = bufio.NewReaderSize(ackingReader{s.conn}, 4096)
	}
	var hdr [2]byte
	if _, err := io.ReadFull(s.in, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(hdr[:]))
	frame := make([]byte, n)
	if _, err := io.ReadFull(s.in, frame); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("vpcd: frame of %d bytes cut short: %w", n, err)
	}
	return frame, nil
}

// ackingReader re-arms TCP_QUICKACK before every read from the socket.
type ackingReader struct{ conn net.Conn }

func (r ackingReader) Read(p []byte) (int, error) {
	quickAck(r.conn)
	return r.conn.Read(p)
}

func (s *session) write(payload []byte) error {
	if len(payload) > maxFrame {
		return fmt.Errorf("vpcd: answer of %d bytes does not fit a frame", len(payload))
	}
	out := make([]byte, 2+len(payload))
	binary.BigEndian.PutUint16(out, uint16(len(payload)))
	copy(out[2:], payload)
	_, err := s.conn.Write(out)
	return err
}
