package bank

import (
	"context"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// CodeBusy is the answer when the bank has no room for a password check
// now: 503 with Retry-After. Nothing was counted against the customer.
const CodeBusy = "busy"

const (
	// defaultHashWait is how long a sign-in waits for a hashing slot:
	// long enough to ride out a burst, short enough that a client is told
	// to come back rather than held.
	defaultHashWait = time.Second
	// busyRetryAfter is the Retry-After of a busy answer.
	busyRetryAfter = time.Second
	// waitersPerSlot bounds how many sign-ins may wait at once, so the
	// queue is bounded in length as well as in time.
	waitersPerSlot = 4
)

// hasher bounds the argon2id work of the whole bank. Each check holds
// 19 MiB for tens of milliseconds; unbounded, a flood of sign-ins from
// many addresses (each within its own address's limit) would take every
// CPU and the bank's memory. At most cap(slots) checks run at once; a
// sign-in waits at most wait for a slot, and at most waitersPerSlot per
// slot wait at all; the others are answered busy at once.
type hasher struct {
	slots      chan struct{}
	wait       time.Duration
	waiting    atomic.Int64
	maxWaiters int64

	// What tests and the log look at.
	running  atomic.Int64
	peak     atomic.Int64
	computed atomic.Int64
	typical  atomic.Int64 // nanoseconds: a moving average of one check
}

// newHasher makes the limit: slots checks at once (0: two a CPU, which
// keeps the CPUs busy while a check waits on memory), each sign-in
// waiting at most wait (0: defaultHashWait).
func newHasher(slots int, wait time.Duration) *hasher {
	if slots <= 0 {
		slots = 2 * runtime.NumCPU()
	}
	if wait <= 0 {
		wait = defaultHashWait
	}
	h := &hasher{slots: make(chan struct{}, slots), wait: wait, maxWaiters: int64(waitersPerSlot * slots)}
	h.typical.Store(int64(50 * time.Millisecond))
	return h
}

func errBusy() *APIError {
	e := apiErr(http.StatusServiceUnavailable, CodeBusy, "the bank is checking too many passwords at once: try again in a moment")
	e.RetryAfter = busyRetryAfter
	return e
}

// acquire takes a slot or answers busy. release gives it back; calling it
// again does nothing, so a caller may release early and defer it too.
func (h *hasher) acquire(ctx context.Context) (release func(), err error) {
	select {
	case h.slots <- struct{}{}:
	default:
		if h.waiting.Add(1) > h.maxWaiters {
			h.waiting.Add(-1)
			return nil, errBusy()
		}
		t := time.NewTimer(h.wait)
		select {
		case h.slots <- struct{}{}:
			err = nil
		case <-t.C:
			err = errBusy()
		case <-ctx.Done():
			err = errBusy()
		}
		t.Stop()
		h.waiting.Add(-1)
		if err != nil {
			return nil, err
		}
	}
	var once sync.Once
	return func() { once.Do(func() { <-h.slots }) }, nil
}

// check compares password with hash; the caller holds a slot.
func (h *hasher) check(hash, password string) bool {
	n := h.running.Add(1)
	for p := h.peak.Load(); n > p && !h.peak.CompareAndSwap(p, n); p = h.peak.Load() {
	}
	start := time.Now()
	ok := checkPassword(hash, password)
	took := int64(time.Since(start))
	h.running.Add(-1)
	h.computed.Add(1)
	// A moving average over about eight checks; two checks racing here
	// lose one sample, which does not matter.
	old := h.typical.Load()
	h.typical.Store(old + (took-old)/8)
	return ok
}

// pause takes as long as a check usually does, without doing one: a
// locked customer's answer must not come back sooner than a wrong
// password's, or the timing would tell that the user exists.
func (h *hasher) pause(ctx context.Context) {
	t := time.NewTimer(time.Duration(h.typical.Load()))
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
