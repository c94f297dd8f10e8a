package sync

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"lingqian/app"
)

// Journal is what reconciliation needs of the desk's journal (store.DB has it).
type Journal interface {
	Outbox
	// Entries are the entries with fromSeq <= seq <= toSeq, in order.
	Entries(ctx context.Context, fromSeq, toSeq int64) ([]app.Entry, error)
	// States are the latest states of the forwarded entries with
	// fromSeq <= seq <= toSeq.
	States(ctx context.Context, fromSeq, toSeq int64) (map[int64]app.OutboxState, error)
	LastSeq(ctx context.Context) (int64, error)
}

// Kinds of difference between the desk's journal and the bank's feed.
const (
	DiffMissing        = "missing"         // the desk has it as delivered; the bank does not list it
	DiffDuplicate      = "duplicate"       // the bank lists it as a duplicate, or lists its seq twice
	DiffAmountMismatch = "amount_mismatch" // desk and bank disagree on the amount
	DiffRejected       = "rejected"        // the bank rejected it (Reason says why)
	DiffKeyMismatch    = "key_mismatch"    // the bank has another message under this seq
	DiffUnknown        = "unknown"         // the bank lists a seq the desk never forwarded
	DiffStateMismatch  = "state_mismatch"  // the desk holds a final state the bank contradicts
)

// Difference is one message where desk and bank do not agree.
type Difference struct {
	Kind       string `json:"kind"`
	Seq        int64  `json:"seq"`
	Key        string `json:"key,omitempty"`
	Reason     string `json:"reason,omitempty"`
	DeskAmount int64  `json:"desk_amount"`
	BankAmount int64  `json:"bank_amount"`
	DeskState  string `json:"desk_state,omitempty"`
	BankState  string `json:"bank_state,omitempty"`
}

// Report is the outcome of a reconciliation pull.
type Report struct {
	SinceSeq int64 `json:"since_seq"`
	// Bank is the totals as the bank gave them; Desk the desk's purchases
	// after SinceSeq (voided ones left out) by their state after the pull.
	Bank        Totals       `json:"bank"`
	Desk        Totals       `json:"desk"`
	Differences []Difference `json:"differences"`
	Updated     int          `json:"updated"` // entries whose state the feed moved on
	// Through is how far the desk and the bank are settled: every
	// forwarded entry up to it is final and agrees with the bank. The
	// next pull can start there.
	Through int64 `json:"through"`
}

// maxFeedPages bounds the pulls of one reconciliation; a bank that pages
// its feed is followed that far, one that does not is asked once more.
const maxFeedPages = 1000

// Reconcile pulls the bank's feed for the messages after sinceSeq, moves
// the desk's timelines on (pending → posted or rejected; an entry whose
// answer was lost is acknowledged when the bank lists it) and compares
// the two sides.
func (c *Client) Reconcile(ctx context.Context, j Journal, sinceSeq int64) (Report, error) {
	if sinceSeq < 0 {
		sinceSeq = 0
	}
	rep := Report{SinceSeq: sinceSeq, Through: sinceSeq, Differences: []Difference{}}
	last, err := j.LastSeq(ctx)
	if err != nil {
		return rep, fmt.Errorf("sync: reconciliation: %w", err)
	}
	// The desk's side is read while the bank's feed is on its way.
	type deskSide struct {
		entries []app.Entry
		states  map[int64]app.OutboxState
		err     error
	}
	read := make(chan deskSide, 1)
	go func() {
		var d deskSide
		if last > sinceSeq {
			d.entries, d.err = j.Entries(ctx, sinceSeq+1, last)
			if d.err == nil {
				d.states, d.err = j.States(ctx, sinceSeq+1, last)
			}
		}
		read <- d
	}()
	bank, totals, err := c.pullFeed(ctx, sinceSeq, last)
	desk := <-read
	if err != nil {
		return rep, err
	}
	if desk.err != nil {
		return rep, fmt.Errorf("sync: reconciliation: %w", desk.err)
	}
	rep.Bank = totals
	entries, states := desk.entries, desk.states
	r := reconciler{rep: &rep, bank: bank, seen: map[int64]bool{}, voided: map[int64]bool{}}
	for _, e := range entries {
		if e.Kind == app.KindVoid {
			r.voided[e.Ref] = true
		}
	}
	var changes []app.StateChange
	settled := true
	for _, e := range entries {
		if !e.Kind.Forwarded() {
			if settled {
				rep.Through = e.Seq
			}
			continue
		}
		state, ok := states[e.Seq]
		if !ok {
			return rep, fmt.Errorf("sync: reconciliation: entry %d has no outbox state", e.Seq)
		}
		next, reason, agrees := r.compare(e, state)
		if next != "" && next != state {
			changes = append(changes, app.StateChange{Seq: e.Seq, State: next, Reason: reason})
			state = next
		}
		r.count(e, state)
		if settled && state.Final() && agrees {
			rep.Through = e.Seq
		} else {
			settled = false
		}
	}
	for seq, list := range bank {
		if !r.seen[seq] {
			for _, m := range list {
				rep.Differences = append(rep.Differences, Difference{Kind: DiffUnknown, Seq: seq, Key: m.Key,
					BankAmount: m.Amount, BankState: m.State, Reason: m.Reason})
			}
		}
	}
	if err := setStates(ctx, j, changes); err != nil {
		return rep, err
	}
	rep.Updated = len(changes)
	sortDifferences(rep.Differences)
	return rep, nil
}

// pullFeed gathers the feed after sinceSeq by seq. A bank that lists only
// part of it at once is asked again from the last seq it listed, while
// that moves on and stays short of the desk's last entry.
func (c *Client) pullFeed(ctx context.Context, sinceSeq, last int64) (map[int64][]BankMessage, Totals, error) {
	bank := map[int64][]BankMessage{}
	var totals Totals
	from := sinceSeq
	for page := 0; page < maxFeedPages; page++ {
		f, err := c.Feed(ctx, from)
		if err != nil {
			return nil, totals, fmt.Errorf("sync: reconciliation: %w", err)
		}
		if page == 0 {
			totals = f.Totals
		}
		top := from
		for _, m := range f.Messages {
			if m.Seq <= from {
				continue // since_seq read as inclusive by the bank: already have it
			}
			bank[m.Seq] = append(bank[m.Seq], m)
			top = max(top, m.Seq)
		}
		if top == from || top >= last {
			break
		}
		from = top
	}
	return bank, totals, nil
}

type reconciler struct {
	rep    *Report
	bank   map[int64][]BankMessage
	seen   map[int64]bool
	voided map[int64]bool
}

// compare looks at one forwarded entry against the bank's listing: the
// state it should move to (empty: none), with its reason, and whether the
// two sides agree.
func (r *reconciler) compare(e app.Entry, state app.OutboxState) (app.OutboxState, string, bool) {
	list := r.bank[e.Seq]
	r.seen[e.Seq] = true
	diff := func(kind string, m BankMessage) {
		r.rep.Differences = append(r.rep.Differences, Difference{Kind: kind, Seq: e.Seq, Key: e.IdempotencyKey,
			Reason: m.Reason, DeskAmount: int64(e.Amount), BankAmount: m.Amount, DeskState: string(state), BankState: m.State})
	}
	if len(list) == 0 {
		switch state {
		case app.StateCaptured, app.StateQueued, app.StateSent:
			return "", "", false // not delivered yet: nothing to compare
		}
		diff(DiffMissing, BankMessage{})
		return "", "", false
	}
	agrees := true
	if len(list) > 1 {
		diff(DiffDuplicate, list[1])
		agrees = false
	}
	m := list[0]
	if m.Key != "" && m.Key != e.IdempotencyKey {
		diff(DiffKeyMismatch, m)
		return "", "", false
	}
	if m.Amount != int64(e.Amount) {
		diff(DiffAmountMismatch, m)
		agrees = false
	}
	var next app.OutboxState
	reason := ""
	switch m.State {
	case BankPosted:
		next = app.StatePosted
	case BankRejected:
		next, reason = app.StateRejected, reasonOr(m.Reason)
		if !(m.Reason == ReasonVoided && r.voided[e.Seq]) {
			diff(DiffRejected, m) // a purchase the desk voided is cancelled as it should be
		}
	case BankDuplicate:
		next, reason = app.StateDuplicate, m.Reason
		diff(DiffDuplicate, m)
		agrees = false
	case BankPending:
		if state == app.StateCaptured || state == app.StateQueued || state == app.StateSent {
			next = app.StateAcknowledged // the bank has it: its answer was lost
		}
		return next, "", false
	default:
		diff(DiffStateMismatch, m)
		return "", "", false
	}
	if state.Final() {
		if !sameOutcome(state, next) {
			diff(DiffStateMismatch, m)
			agrees = false
		}
		return "", "", agrees
	}
	return next, reason, agrees
}

// sameOutcome: a duplicate at the desk is posted money, like posted.
func sameOutcome(desk, bank app.OutboxState) bool {
	posted := func(s app.OutboxState) bool { return s == app.StatePosted || s == app.StateDuplicate }
	return desk == bank || (posted(desk) && posted(bank))
}

// count adds a purchase to the desk's totals by its state.
func (r *reconciler) count(e app.Entry, state app.OutboxState) {
	if e.Kind != app.KindPurchase || r.voided[e.Seq] {
		return
	}
	switch state {
	case app.StatePosted, app.StateDuplicate:
		r.rep.Desk.Posted.Add(e.Amount)
	case app.StateRejected:
		r.rep.Desk.Rejected.Add(e.Amount)
	default:
		r.rep.Desk.Pending.Add(e.Amount)
	}
}

// sortDifferences orders by seq, then kind, then key: the order must not
// depend on map iteration.
func sortDifferences(d []Difference) {
	slices.SortStableFunc(d, func(a, b Difference) int {
		return cmp.Or(cmp.Compare(a.Seq, b.Seq), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Key, b.Key))
	})
}
