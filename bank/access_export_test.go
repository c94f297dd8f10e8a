package bank

import (
	"context"
	"testing"
)

// AccessState is what the access limits measured, for tests: they assert
// sizes and counts, never timings.
type AccessState struct {
	Addresses    int   // client addresses the per-address limiter holds
	MaxAddresses int   // its cap
	Evicted      int64 // addresses forgotten while still in use, to stay under the cap
	HashSlots    int   // password checks allowed at once
	HashPeak     int64 // the most that ever ran at once
	Hashes       int64 // password checks computed
}

func Access(b *Bank) AccessState {
	b.limit.mu.Lock()
	evicted := b.limit.evicted
	b.limit.mu.Unlock()
	return AccessState{
		Addresses: b.limit.size(), MaxAddresses: b.limit.max, Evicted: evicted,
		HashSlots: cap(b.hashes.slots), HashPeak: b.hashes.peak.Load(), Hashes: b.hashes.computed.Load(),
	}
}

// AddrKey is the client an address counts as.
var AddrKey = addrKey

// HoldHashSlots takes every hashing slot, as sign-ins in progress would,
// until the returned function (also run at cleanup) gives them back.
func HoldHashSlots(tb testing.TB, b *Bank) (release func()) {
	tb.Helper()
	var held []func()
	for range cap(b.hashes.slots) {
		r, err := b.hashes.acquire(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		held = append(held, r)
	}
	release = func() {
		for _, r := range held {
			r()
		}
	}
	tb.Cleanup(release)
	return release
}
