package bank

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
)

// The bank verifies a batch's purchases and an upload's records in worker
// goroutines (parallel). net/http recovers a panic only in the goroutine
// that runs the handler: a panic in a goroutine the handler started is
// recovered by no one and ends the whole process, with every desk's and
// phone's request in flight. So each worker recovers on its own, per
// item: the item that made the code panic is refused as invalid, the
// others of its batch are cleared as usual, and the bank goes on serving.

// workItem is what a clearing worker verifies.
type workItem interface {
	// hookMessage is the message the item is about, for verifyHook.
	hookMessage() *Message
	// verifyPanicked gives the item its verdict when verifying it
	// panicked with v.
	verifyPanicked(v any)
}

// internalErrorDetail is what the log says of an item whose verification
// panicked; the panic's stack goes to the process's log with it.
const internalErrorDetail = "internal error verifying"

// verifyHook, when set, is called by the worker before it verifies each
// item. Tests set it to make verification panic for one chosen message;
// it is nil in production.
var verifyHook atomic.Pointer[func(*Message)]

// work runs f on it, and turns a panic into its verdict and a log line
// with the stack. parallel has no Bank at hand, so the line goes to the
// process's default logger, which lingqian-bank writes to standard error
// as its own.
func work[T workItem](it T, f func(T)) {
	defer func() {
		if v := recover(); v != nil {
			it.verifyPanicked(v)
			m := it.hookMessage()
			slog.Error(internalErrorDetail, "terminal", m.TerminalID, "seq", m.Seq, "pan", MaskPAN(m.PAN), "atc", m.ATC,
				"panic", maskPANs(fmt.Sprint(v)), "stack", string(debug.Stack()))
		}
	}()
	if h := verifyHook.Load(); h != nil {
		(*h)(it.hookMessage())
	}
	f(it)
}

func (p *prepared) hookMessage() *Message { return &p.msg }

func (p *prepared) verifyPanicked(v any) {
	p.panicked = true
	p.reason, p.detail = ReasonInternal, fmt.Sprintf("%s: %v (stack in the log)", internalErrorDetail, v)
}

// hookMessage is the uploaded record as far as it goes before verifyRecord
// builds its message: the ATC, amount and AC the phone sent.
func (u *upRecord) hookMessage() *Message {
	return &Message{ATC: u.entry.ATC, Amount: u.entry.Amount, AC: u.entry.AC}
}

func (u *upRecord) verifyPanicked(any) { u.reason = ReasonInvalid }
