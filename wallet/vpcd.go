// Package wallet is the customer's phone: the e-cash card application it
// presents to a reader, and the transport that presents it to a PC/SC
// stack as a virtual contactless card through vsmartcard's vpcd driver.
package wallet

import (
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
	conn, err := dialReader(ctx, addr)
	if err != nil {
		return TapResult{}, err
	}
	s := &session{conn: conn, app: app, faults: faults, untilPowerOff: untilPowerOff}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	defer conn.Close()
	err = s.serve()
	if ctx.Err() != nil {
		return s.result, nil // the phone was taken away: a normal end
	}
	return s.result, err
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
	app           CardApplication
	faults        Faults
	untilPowerOff bool
	result        TapResult
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
	resp := s.app.Process(cmd)
	if s.faults.DropBefore == n {
		return errDropped
	}
	if s.faults.Delay > 0 {
		time.Sleep(s.faults.Delay)
	}
	if err := s.write(resp); err != nil {
		return err
	}
	s.result.Commands = n
	if s.faults.DropAfter == n {
		return errDropped
	}
	return nil
}

func (s *session) read() ([]byte, error) {
	quickAck(s.conn)
	var hdr [2]byte
	if _, err := io.ReadFull(s.conn, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(hdr[:]))
	frame := make([]byte, n)
	quickAck(s.conn)
	if _, err := io.ReadFull(s.conn, frame); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("vpcd: frame of %d bytes cut short: %w", n, err)
	}
	return frame, nil
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
