package sync

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	gosync "sync"
	"time"

	"lingqian/app"
)

// The bank holds a desk to the hashes it anchored, but it can only
// compare hashes: a journal rewritten with fresh hashes and the anchored
// hash put back at the anchored entry would pass. So the desk names no
// head it has not verified itself, by recomputing its chains: all of them
// at the first pass after it starts, then at each pass the links appended
// since, from the hash of the last link verified, held in memory only (a
// file could be edited too), after checking that link's row still
// recomputes to it. docs/decisions.md says what this does not cover.

// ErrUnverified: the desk's own journal or audit log does not verify, so
// forwarding stopped before anything was sent. It stays stopped until a
// person asks for a pass again (Forward now, `lingqian sync`) and the
// chains verify then.
var ErrUnverified = errors.New("this desk's journal or audit log does not verify: forwarding stopped and nothing was sent; call support and delete nothing")

// UnverifiedError says where the desk's chains stopped verifying.
type UnverifiedError struct {
	Fault app.ChainFault
}

func (e *UnverifiedError) Error() string {
	where := fmt.Sprintf("journal entry %d", e.Fault.Seq)
	if e.Fault.Chain == app.ChainAudit {
		where = "audit log"
		if e.Fault.Seq > 0 {
			where = fmt.Sprintf("audit log row %d", e.Fault.Seq)
		}
	}
	return fmt.Sprintf("sync: %v (%s: %s)", ErrUnverified, where, e.Fault.Reason)
}

func (e *UnverifiedError) Unwrap() error { return ErrUnverified }

// Unverified is where the desk's chains stopped verifying when err says
// they did.
func Unverified(err error) (app.ChainFault, bool) {
	var u *UnverifiedError
	if errors.As(err, &u) {
		return u.Fault, true
	}
	return app.ChainFault{}, false
}

// FullCheckEvery is how often a forwarder that keeps running checks its
// chains from the start again: the check from the last verified link does
// not look below it, and a shop's PC may run for weeks.
const FullCheckEvery = 24 * time.Hour

// keepLinks is how many verified heads of each chain are kept: enough to
// hold the anchors a pass names (the heads of the passes before it), each
// checked again at every pass.
const keepLinks = 4

// ChainCheck is what one desk's forwarding has verified of its chains, in
// memory. A Forwarder keeps one for its life; a pass without one checks
// everything. Safe for concurrent use.
type ChainCheck struct {
	mu     gosync.Mutex
	known  []app.ChainHead // the last keepLinks verified heads of each chain
	fullAt time.Time       // when the chains were last checked from the start
	fault  *UnverifiedError
}

// heads verifies the chains from the links known (from the start when
// none are, or FullCheckEvery after the last such check) and gives their
// heads. After a fault it answers the same fault without reading, unless
// asked: a person asked for the pass, so everything is checked again.
func (c *ChainCheck) heads(ctx context.Context, ch Chains, asked bool) ([]app.ChainHead, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fault != nil {
		if !asked {
			return nil, c.fault
		}
		c.fault, c.known = nil, nil
	}
	if time.Since(c.fullAt) >= FullCheckEvery {
		c.known = nil
	}
	full := len(c.known) == 0
	heads, fault, err := ch.VerifyChains(ctx, c.known)
	if err != nil {
		return nil, fmt.Errorf("sync: verifying the desk's chains: %w", err)
	}
	if fault != nil {
		c.fault, c.known = &UnverifiedError{Fault: *fault}, nil
		return nil, c.fault
	}
	if full {
		c.fullAt = time.Now()
	}
	for _, h := range heads {
		c.remember(h)
	}
	return heads, nil
}

// remember keeps h among the verified links, dropping its chain's oldest
// beyond keepLinks.
func (c *ChainCheck) remember(h app.ChainHead) {
	if h.Seq <= 0 {
		return
	}
	n := 0
	for _, k := range c.known {
		if k.Name == h.Name {
			if k.Seq == h.Seq {
				return
			}
			n++
		}
	}
	if n >= keepLinks {
		for i, k := range c.known {
			if k.Name == h.Name {
				c.known = append(c.known[:i:i], c.known[i+1:]...)
				break
			}
		}
	}
	c.known = append(c.known, app.ChainHead{Name: h.Name, Seq: h.Seq, Hash: bytes.Clone(h.Hash)})
}

// hashAt is the verified hash of a chain's link seq, when it is one of
// those kept.
func (c *ChainCheck) hashAt(name string, seq int64) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range c.known {
		if k.Name == name && k.Seq == seq {
			return k.Hash, true
		}
	}
	return nil, false
}
