package emv

import (
	"context"
	"errors"
	"fmt"
)

// Card is the one thing the kernel needs of a reader: one C-APDU out, one
// R-APDU (with its status word) back.
type Card interface {
	Transmit(ctx context.Context, command []byte) ([]byte, error)
}

// SW is an ISO 7816 status word.
type SW uint16

const (
	swOK          SW = 0x9000
	swNotFound    SW = 0x6A82 // file or application not found
	swNoData      SW = 0x6A88 // referenced data not found
	swConditions  SW = 0x6985 // conditions of use not satisfied
	swBlocked     SW = 0x6283 // selected file invalidated
	swFuncBlocked SW = 0x6A81 // function not supported (blocked card)
)

// errTransport marks a failure to exchange at all (the card left, the
// reader failed), as opposed to an answer the kernel did not like.
type errTransport struct{ err error }

func (e errTransport) Error() string { return e.err.Error() }
func (e errTransport) Unwrap() error { return e.err }

// exchanger sends commands and follows T=0's GET RESPONSE (61xx) and
// wrong-Le (6Cxx) conventions, so contact cards work as well.
type exchanger struct {
	card Card
	sent int
}

func (x *exchanger) send(ctx context.Context, cmd []byte) ([]byte, SW, error) {
	var data []byte
	for round := 0; round < 32; round++ {
		x.sent++
		resp, err := x.card.Transmit(ctx, cmd)
		if err != nil {
			return nil, 0, errTransport{fmt.Errorf("command %02X%02X: %w", cmd[0], cmd[1], err)}
		}
		if len(resp) < 2 {
			return nil, 0, errTransport{fmt.Errorf("command %02X%02X: answer of %d bytes", cmd[0], cmd[1], len(resp))}
		}
		sw := SW(resp[len(resp)-2])<<8 | SW(resp[len(resp)-1])
		data = append(data, resp[:len(resp)-2]...)
		switch sw >> 8 {
		case 0x61: // more data waits: fetch it
			cmd = []byte{0x00, 0xC0, 0x00, 0x00, byte(sw)}
			continue
		case 0x6C: // wrong Le: send again with the right one
			if len(cmd) >= 5 {
				cmd = append(append([]byte(nil), cmd[:len(cmd)-1]...), byte(sw))
				data = nil
				continue
			}
		}
		return data, sw, nil
	}
	return nil, 0, errors.New("card kept asking for GET RESPONSE")
}

func isTransport(err error) bool {
	var t errTransport
	return errors.As(err, &t)
}

func selectCommand(name []byte) []byte {
	cmd := append([]byte{0x00, 0xA4, 0x04, 0x00, byte(len(name))}, name...)
	return append(cmd, 0x00)
}
