package app

import (
	"context"
	"sync"
	"time"
)

// ForwardEvent is what the forwarder reports, in the desk's words.
type ForwardEvent struct {
	At time.Time
	// Done: a pass ended; otherwise a batch was answered mid-pass.
	Done bool
	// Reached: the bank answered during this pass or batch.
	Reached bool
	// Sent, Posted and Rejected count the pass so far.
	Sent, Posted, Rejected int
	// Err is why the pass fell short, for the log; nil when it did not.
	Err error
	// Forked: the bank refused the desk's batches because its journal or
	// audit log is not what it sent before (sync.Forked). Forwarding
	// waits on a person at the bank; the sales stay on the desk.
	Forked bool
	// Unverified, when set, is where the desk's own journal or audit log
	// stopped verifying (sync.Unverified): the forwarder sends nothing
	// until a person has looked at it.
	Unverified *ChainFault
}

// ChainFault says where the desk's own check of its journal or audit log
// found them not holding: the forwarder sends nothing while it does, so
// that no head of a rewritten chain reaches the bank.
type ChainFault struct {
	// Chain is ChainJournal or ChainAudit.
	Chain string
	// Seq is the journal entry or audit row where it stops holding; 0
	// for a setting or operator row the audit log does not vouch for.
	Seq int64
	// Reason is what was found, in English, for the log and support.
	Reason string
}

// Forwarder is the background forwarding the banner can start.
type Forwarder interface {
	// ForwardNow asks for a pass at once; it never blocks.
	ForwardNow()
}

// PendingJournal is what the banner needs of the journal.
type PendingJournal interface {
	Pending(ctx context.Context) (Pending, error)
}

// Banner is what every screen shows about forwarding.
type Banner struct {
	Enrolled    bool // the desk has a bank to forward to
	Online      bool // the bank answered the last pass
	LastContact time.Time
	Pending     Pending
	// Oldest is how long the oldest pending sale has waited.
	Oldest time.Duration
	Limits Limits
	// What the offline limits still allow; negative never (0 at the limit).
	LeftAmount Money
	LeftCount  int
	LeftAge    time.Duration
	// Busy: a pass is running; Sent and Posted are its progress.
	Busy         bool
	Sent, Posted int
	Failed       bool // the last pass fell short
	// Forked: forwarding stopped because the bank refused this desk's
	// chains; the banner says so until a pass gets through (Stopped).
	Forked bool
	// Unverified: forwarding stopped because this desk's own journal or
	// audit log does not verify, here; said before Forked, as the desk's
	// own finding is the more precise.
	Unverified *ChainFault
}

// Stopped is what the banner says about forwarding that stopped for a
// person to look at, or "" while it goes on. StoppedText says it whole.
func (b Banner) Stopped() Message {
	switch u := b.Unverified; {
	case u != nil && u.Chain == ChainJournal:
		return MsgForwardingUnverifiedJournal
	case u != nil && u.Seq > 0:
		return MsgForwardingUnverifiedAudit
	case u != nil:
		return MsgForwardingUnverifiedRecords
	case b.Forked:
		return MsgForwardingForked
	}
	return ""
}

// StoppedText is the banner's two lines about forwarding that stopped,
// in lang: why, and what to do; both "" while it goes on.
func (b Banner) StoppedText(lang string) (why, todo string) {
	m := b.Stopped()
	switch {
	case m == "":
		return "", ""
	case b.Unverified != nil && m != MsgForwardingUnverifiedRecords:
		return m.Textf(lang, b.Unverified.Seq), MsgForwardingUnverifiedHelp.Text(lang)
	case b.Unverified != nil:
		return m.Text(lang), MsgForwardingUnverifiedHelp.Text(lang)
	}
	return m.Text(lang), MsgForwardingForkedHelp.Text(lang)
}

// Forwarding keeps the forwarding state for the banner and starts passes.
// Apply is called from the forwarder's goroutine, Banner from any.
type Forwarding struct {
	Journal   PendingJournal
	Settings  Settings
	Forwarder Forwarder // nil on a desk not enrolled
	Now       func() time.Time

	mu    sync.Mutex
	state Banner
}

// Apply records one event of the forwarder.
func (f *Forwarding) Apply(ev ForwardEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ev.Reached {
		f.state.Online, f.state.LastContact = true, ev.At
	}
	f.state.Busy, f.state.Sent, f.state.Posted = !ev.Done, ev.Sent, ev.Posted
	if ev.Done {
		f.state.Failed = ev.Err != nil
		f.state.Forked = ev.Forked
		f.state.Unverified = ev.Unverified
		if ev.Err != nil && !ev.Reached {
			f.state.Online = false
		}
	}
}

// Use starts forwarding through fw: for a desk enrolled while the window
// is open.
func (f *Forwarding) Use(fw Forwarder) {
	f.mu.Lock()
	f.Forwarder = fw
	f.mu.Unlock()
}

func (f *Forwarding) forwarder() Forwarder {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.Forwarder
}

// ForwardNow starts a pass; it says false when the desk has no bank.
func (f *Forwarding) ForwardNow() bool {
	fw := f.forwarder()
	if fw == nil {
		return false
	}
	f.mu.Lock()
	f.state.Busy, f.state.Sent, f.state.Posted = true, 0, 0
	f.mu.Unlock()
	fw.ForwardNow()
	return true
}

// Banner reads the journal and the limits and gives the banner's state.
func (f *Forwarding) Banner(ctx context.Context) (Banner, error) {
	f.mu.Lock()
	b := f.state
	b.Enrolled = f.Forwarder != nil
	f.mu.Unlock()
	var err error
	if b.Pending, err = f.Journal.Pending(ctx); err != nil {
		return b, err
	}
	if b.Limits, err = f.Settings.Limits(ctx); err != nil {
		return b, err
	}
	now := time.Now()
	if f.Now != nil {
		now = f.Now()
	}
	if !b.Pending.Oldest.IsZero() {
		b.Oldest = max(now.Sub(b.Pending.Oldest), 0)
	}
	l := b.Limits
	b.LeftAmount = max(l.PendingAmount-b.Pending.Amount, 0)
	b.LeftCount = max(l.PendingCount-b.Pending.Count, 0)
	b.LeftAge = l.OldestPending
	if !b.Pending.Oldest.IsZero() {
		b.LeftAge = max(l.OldestPending-b.Oldest, 0)
	}
	return b, nil
}
