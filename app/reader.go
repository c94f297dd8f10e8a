// Package app is the desk's domain: what a cashier, a shop owner and a
// teller work with, in plain Go. It declares the small interfaces it needs
// and leaves readers, storage and the network to the packages that
// implement them.
package app

import (
	"sort"
	"sync"
	"time"
)

// ReaderEventKind is what changed at the card readers.
type ReaderEventKind int

const (
	ServiceDown   ReaderEventKind = iota // the smart-card service cannot be reached
	ServiceUp                            // the smart-card service answers again
	ReaderAdded                          // a reader was plugged in
	ReaderRemoved                        // a reader was unplugged
	CardPresent                          // a card or phone entered a reader's field
	CardRemoved                          // the card or phone left the field
)

func (k ReaderEventKind) String() string {
	switch k {
	case ServiceDown:
		return "service down"
	case ServiceUp:
		return "service up"
	case ReaderAdded:
		return "reader added"
	case ReaderRemoved:
		return "reader removed"
	case CardPresent:
		return "card present"
	case CardRemoved:
		return "card removed"
	}
	return "unknown"
}

// ReaderEvent is one change at the readers, as the reader layer saw it.
type ReaderEvent struct {
	Kind   ReaderEventKind
	Reader string // empty for service events
	At     time.Time
}

// ReaderStatus is one reader as the cashier sees it.
type ReaderStatus struct {
	Name string
	Card bool // a card or phone is in the field
}

// ReaderBoard keeps the state of the readers from their events, so every
// screen shows the same picture. It is safe for concurrent use.
type ReaderBoard struct {
	mu      sync.Mutex
	service bool
	readers map[string]bool // name → card present
}

// NewReaderBoard starts with the service unknown-as-down and no readers.
func NewReaderBoard() *ReaderBoard {
	return &ReaderBoard{readers: map[string]bool{}}
}

// Apply records one event.
func (b *ReaderBoard) Apply(e ReaderEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e.Kind {
	case ServiceDown:
		b.service = false
		clear(b.readers)
	case ServiceUp:
		b.service = true
	case ReaderAdded:
		b.service = true
		if _, ok := b.readers[e.Reader]; !ok {
			b.readers[e.Reader] = false
		}
	case ReaderRemoved:
		delete(b.readers, e.Reader)
	case CardPresent:
		b.readers[e.Reader] = true
	case CardRemoved:
		b.readers[e.Reader] = false
	}
}

// Readers lists the connected readers by name.
func (b *ReaderBoard) Readers() []ReaderStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]ReaderStatus, 0, len(b.readers))
	for n, c := range b.readers {
		out = append(out, ReaderStatus{Name: n, Card: c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Message is the one sentence the cashier needs about the readers.
func (b *ReaderBoard) Message() Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case !b.service:
		return MsgServiceDown
	case len(b.readers) == 0:
		return MsgNoReader
	}
	for _, card := range b.readers {
		if card {
			return MsgCardOnReader
		}
	}
	return MsgPresentPhone
}
