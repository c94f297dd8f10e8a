package bank

import (
	"container/list"
	"math"
	"net/netip"
	"sync"
	"time"
)

// limiter bounds the unauthenticated calls (login, enrol) per client
// address, so codes and passwords cannot be tried at speed from one
// place: a bucket of limitBurst requests refilled at limitRate a second.
//
// An IPv4 address is one client; an IPv6 client is its /64, the block a
// single site is given, so one host cannot take a fresh address for every
// try. The buckets are kept in the order last used and never exceed max:
// a new address takes the place of the least recently used one. Refusing
// new addresses when full would let a flood from many addresses shut out
// every honest newcomer; forgetting the oldest at worst hands an address
// that has been quiet longest a fresh burst, and an attacker needs as
// many addresses as there are buckets to reach it, which already buys
// that many bursts. Guessing is bounded per customer by the lock-out and
// bank-wide by the hashing slots, not here.
type limiter struct {
	mu      sync.Mutex
	max     int
	buckets map[netip.Addr]*list.Element
	order   list.List // of *bucket, the most recently used at the front
	evicted int64     // buckets forgotten while still in use
}

type bucket struct {
	key    netip.Addr
	tokens float64
	last   time.Time
}

const (
	limitBurst = 20
	limitRate  = 2.0
	maxBuckets = 10000 // about 1 MB of buckets
)

// newLimiter keeps at most max addresses (0: maxBuckets).
func newLimiter(max int) *limiter {
	if max <= 0 {
		max = maxBuckets
	}
	return &limiter{max: max, buckets: map[netip.Addr]*list.Element{}}
}

// addrKey is the client an address counts as: the IPv4 address (an
// IPv4-mapped IPv6 one too), or the IPv6 address's /64. An address that
// does not parse (never from net/http's server) counts as one unknown
// client.
func addrKey(remote string) netip.Addr {
	var a netip.Addr
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		a = ap.Addr()
	} else if a, err = netip.ParseAddr(remote); err != nil {
		return netip.Addr{}
	}
	a = a.WithZone("").Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

// allow takes one request from remote's bucket. When it is empty, wait is
// how long until it holds one again.
func (l *limiter) allow(remote string, now time.Time) (ok bool, wait time.Duration) {
	key := addrKey(remote)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.forgetIdle(now)
	el, known := l.buckets[key]
	if known {
		l.order.MoveToFront(el)
	} else {
		for l.order.Len() >= l.max {
			l.drop(l.order.Back())
			l.evicted++
		}
		el = l.order.PushFront(&bucket{key: key, tokens: limitBurst, last: now})
		l.buckets[key] = el
	}
	b := el.Value.(*bucket)
	if now.After(b.last) {
		b.tokens = min(limitBurst, b.tokens+now.Sub(b.last).Seconds()*limitRate)
		b.last = now
	}
	if b.tokens < 1 {
		secs := (1 - b.tokens) / limitRate
		return false, time.Duration(math.Ceil(secs * float64(time.Second)))
	}
	b.tokens--
	return true, 0
}

// forgetIdle drops the least recently used buckets that have filled up
// again: a full bucket is the same as none. It looks only at the back, so
// each call costs what it frees.
func (l *limiter) forgetIdle(now time.Time) {
	for el := l.order.Back(); el != nil; el = l.order.Back() {
		b := el.Value.(*bucket)
		if b.tokens+now.Sub(b.last).Seconds()*limitRate < limitBurst {
			return
		}
		l.drop(el)
	}
}

func (l *limiter) drop(el *list.Element) {
	delete(l.buckets, el.Value.(*bucket).key)
	l.order.Remove(el)
}

// size is how many addresses the limiter holds.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}
