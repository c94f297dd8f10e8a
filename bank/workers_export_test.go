package bank

import "testing"

// PanicVerifying makes the clearing workers panic when they come to a
// message for which pick says true, until the test ends.
func PanicVerifying(tb testing.TB, pick func(atc uint16, amount int64) bool) {
	tb.Helper()
	hook := func(m *Message) {
		if pick(m.ATC, m.Amount) {
			panic("injected by the test")
		}
	}
	verifyHook.Store(&hook)
	tb.Cleanup(MendVerifying)
}

// MendVerifying ends what PanicVerifying began: the bank as mended.
func MendVerifying() { verifyHook.Store(nil) }
