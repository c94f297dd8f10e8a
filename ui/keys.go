package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// keyEntry is an entry that lets the desk see its keys first, so F2–F6,
// Enter and Esc work wherever the cashier is typing.
type keyEntry struct {
	widget.Entry
	onKey  func(*fyne.KeyEvent) bool // true: the key is used up
	accept func(r rune) bool         // nil: every rune
	used   func()                    // each key and rune, for the idle lock
}

func newKeyEntry(onKey func(*fyne.KeyEvent) bool) *keyEntry {
	e := &keyEntry{onKey: onKey}
	e.ExtendBaseWidget(e)
	return e
}

func (e *keyEntry) TypedKey(ev *fyne.KeyEvent) {
	if e.used != nil {
		e.used()
	}
	if e.onKey != nil && e.onKey(ev) {
		return
	}
	e.Entry.TypedKey(ev)
}

func (e *keyEntry) TypedRune(r rune) {
	if e.used != nil {
		e.used()
	}
	if e.accept != nil && !e.accept(r) {
		return
	}
	e.Entry.TypedRune(r)
}
