package device

import (
	"context"
	"errors"
	"sync"
)

// errShortResponse is the cause given when a reader reports success but
// hands back fewer than the two status bytes every R-APDU carries. vpcd
// does this when the card leaves while a command is in flight.
var errShortResponse = errors.New("response shorter than its status word")

// link is one open session with a card, whatever carries it.
type link interface {
	transmit(command []byte) ([]byte, error)
	close() error
}

// Card is an open session with the card in one reader. It is safe for use
// by one goroutine at a time; Close may be called from any goroutine.
type Card struct {
	reader string
	atr    []byte

	mu     sync.Mutex
	link   link
	closed bool
}

// Reader names the reader holding the card.
func (c *Card) Reader() string { return c.reader }

// ATR is the card's answer to reset as the reader reported it.
func (c *Card) ATR() []byte { return append([]byte(nil), c.atr...) }

// Transmit sends one C-APDU and returns the R-APDU including its status
// word. A response without a status word, a removed card and an exchange
// the reader could not complete are all ErrCardLeft: after any of them the
// caller cannot know whether the card executed the command.
func (c *Card) Transmit(ctx context.Context, command []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	closed, l := c.closed, c.link
	c.mu.Unlock()
	if closed {
		return nil, &Error{Op: "transmit", Reader: c.reader, Kind: ErrCardLeft, Err: errors.New("session closed")}
	}
	resp, err := l.transmit(command)
	if err != nil {
		return nil, wrap("transmit", c.reader, err)
	}
	if len(resp) < 2 {
		return nil, &Error{Op: "transmit", Reader: c.reader, Kind: ErrCardLeft, Err: errShortResponse}
	}
	return resp, nil
}

// Close ends the session and powers the card down, as lifting the phone
// off the reader would. Closing twice is harmless.
func (c *Card) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	return c.link.close()
}
