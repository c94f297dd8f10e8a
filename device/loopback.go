package device

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// Application is a card application as a reader sees it: it is reset when
// the card enters the field and answers each C-APDU with one R-APDU.
type Application interface {
	Reset()
	Process(command []byte) []byte
}

// Leave says when a card presented to the loopback reader leaves the field
// on its own, to test torn exchanges. Zero values mean never.
type Leave struct {
	// AfterAnswers: the card leaves once it has answered this many commands.
	AfterAnswers int
	// DuringCommand: the card executes this command (1-based) but leaves
	// before its answer reaches the reader.
	DuringCommand int
	// BeforeCommand: the card leaves just as this command (1-based) is
	// sent, without executing it.
	BeforeCommand int
}

// Loopback is an in-process reader with at most one card application in
// its field. It behaves as the PC/SC reader does, typed errors included,
// so the kernel can be tested without pcscd.
type Loopback struct {
	name string

	mu      sync.Mutex
	app     Application
	leave   Leave
	served  int           // commands executed in the current tap
	tap     int           // incremented on every tap and removal
	changed chan struct{} // closed and replaced on every change
}

// NewLoopback returns an empty loopback reader with the given name.
func NewLoopback(name string) *Loopback {
	return &Loopback{name: name, changed: make(chan struct{})}
}

// Tap places a card in the field; a card already there is removed first.
func (l *Loopback) Tap(app Application, leave Leave) {
	l.mu.Lock()
	defer l.mu.Unlock()
	app.Reset()
	l.app, l.leave, l.served = app, leave, 0
	l.changeLocked()
}

// Remove takes the card out of the field.
func (l *Loopback) Remove() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.app != nil {
		l.app = nil
		l.changeLocked()
	}
}

func (l *Loopback) changeLocked() {
	l.tap++
	close(l.changed)
	l.changed = make(chan struct{})
}

// Readers lists the one reader.
func (l *Loopback) Readers(ctx context.Context) ([]string, error) {
	return []string{l.name}, ctx.Err()
}

// WaitForCard returns when a card is in the field.
func (l *Loopback) WaitForCard(ctx context.Context, readers ...string) (string, error) {
	if len(readers) > 0 && !slices.Contains(readers, l.name) {
		<-ctx.Done()
		return "", ctx.Err()
	}
	return l.name, l.waitUntil(ctx, func() bool { return l.app != nil })
}

// WaitForRemoval returns when the field is empty.
func (l *Loopback) WaitForRemoval(ctx context.Context, reader string) error {
	return l.waitUntil(ctx, func() bool { return l.app == nil })
}

func (l *Loopback) waitUntil(ctx context.Context, cond func() bool) error {
	for {
		l.mu.Lock()
		ok, ch := cond(), l.changed
		l.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// Connect opens a session with the card in the field.
func (l *Loopback) Connect(ctx context.Context, reader string) (*Card, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if reader != l.name {
		return nil, &Error{Op: "connect", Reader: reader, Kind: ErrNoReader}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.app == nil {
		return nil, &Error{Op: "connect", Reader: reader, Kind: ErrNoCard}
	}
	return &Card{reader: l.name, atr: contactlessATR, link: &loopbackLink{reader: l, tap: l.tap}}, nil
}

// contactlessATR is what PC/SC reports for a contactless card without
// historical bytes.
var contactlessATR = []byte{0x3B, 0x80, 0x80, 0x01, 0x01}

type loopbackLink struct {
	reader *Loopback
	tap    int
}

var errRemoved = errors.New("card removed")

func (k *loopbackLink) transmit(command []byte) ([]byte, error) {
	l := k.reader
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.app == nil || l.tap != k.tap {
		return nil, &Error{Op: "transmit", Reader: l.name, Kind: ErrCardLeft, Err: errRemoved}
	}
	if l.served+1 == l.leave.BeforeCommand {
		l.app = nil
		l.changeLocked()
		return nil, &Error{Op: "transmit", Reader: l.name, Kind: ErrCardLeft, Err: errRemoved}
	}
	resp := l.app.Process(append([]byte(nil), command...))
	l.served++
	switch {
	case l.served == l.leave.DuringCommand:
		l.app = nil
		l.changeLocked()
		return nil, &Error{Op: "transmit", Reader: l.name, Kind: ErrCardLeft, Err: errRemoved}
	case l.served == l.leave.AfterAnswers:
		l.app = nil
		l.changeLocked()
	}
	return append([]byte(nil), resp...), nil
}

func (k *loopbackLink) close() error { return nil }
