// Package device talks to card readers: PC/SC through pcscd, and an
// in-process loopback reader for tests. It is the only package that
// imports the PC/SC binding.
package device

import (
	"errors"
	"fmt"

	"github.com/ebfe/scard"
)

// The kinds of failure a caller can act on. Every error returned by this
// package matches exactly one of them with errors.Is.
var (
	// ErrCardLeft means the card is gone: removed from the field, or the
	// exchange was cut so that the reader could not deliver an answer.
	// For a payment kernel it means "this tap is over"; whether the last
	// command reached the card is unknown.
	ErrCardLeft = errors.New("the card left the reader")
	// ErrNoCard means no card is in the reader at the moment of connecting.
	ErrNoCard = errors.New("no card in the reader")
	// ErrNoReader means the named reader is not connected (or none is).
	ErrNoReader = errors.New("no card reader is connected")
	// ErrNoService means the smart-card service (pcscd) cannot be reached.
	// The layer keeps trying to reconnect to it by itself.
	ErrNoService = errors.New("the smart-card service is not running")
	// ErrReader is any other failure reported by the reader or service.
	ErrReader = errors.New("card reader failure")
)

// Error says what failed, where, and which kind of failure it was.
type Error struct {
	Op     string // "transmit", "connect", "wait", "list readers", …
	Reader string // empty when no particular reader is involved
	Kind   error  // one of the Err… values above
	Err    error  // the underlying cause, if any
}

func (e *Error) Error() string {
	msg := e.Op
	if e.Reader != "" {
		msg += " on " + fmt.Sprintf("%q", e.Reader)
	}
	msg += ": " + e.Kind.Error()
	if e.Err != nil {
		msg += " (" + e.Err.Error() + ")"
	}
	return msg
}

// Unwrap exposes both the kind and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// classify maps a PC/SC return code to the kind of failure it means for us.
func classify(err error) error {
	var code scard.Error
	if !errors.As(err, &code) {
		return ErrReader
	}
	switch code {
	case scard.ErrRemovedCard, scard.ErrNotTransacted, scard.ErrResetCard,
		scard.ErrUnpoweredCard, scard.ErrUnresponsiveCard, scard.ErrNoSmartcard:
		// A reset or unpowered card was powered down under us by the
		// reader: for a contactless tap that is the card leaving as well.
		return ErrCardLeft
	case scard.ErrNoService, scard.ErrServiceStopped, scard.ErrCommError,
		scard.ErrInvalidHandle, scard.ErrShutdown:
		// pcsc-lite answers a dead daemon's handles with these; all of them
		// mean the context must be established again.
		return ErrNoService
	case scard.ErrUnknownReader, scard.ErrReaderUnavailable, scard.ErrNoReadersAvailable:
		return ErrNoReader
	}
	return ErrReader
}

func wrap(op, reader string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Op: op, Reader: reader, Kind: classify(err), Err: err}
}
