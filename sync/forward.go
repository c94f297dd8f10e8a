package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"lingqian/app"
)

// Outbox is what forwarding needs of the desk's journal (store.DB has it).
type Outbox interface {
	// UnsentAfter are the entries after afterSeq the bank has not
	// acknowledged, oldest first.
	UnsentAfter(ctx context.Context, afterSeq int64, limit int) ([]app.Entry, error)
	// UnsentVoidsOf are the unsent voids of the purchases fromSeq to
	// toSeq, oldest first.
	UnsentVoidsOf(ctx context.Context, fromSeq, toSeq int64) ([]app.Entry, error)
	// SetStates appends states, all or none.
	SetStates(ctx context.Context, changes []app.StateChange) error
	// State is an entry's latest state.
	State(ctx context.Context, seq int64) (app.OutboxState, error)
}

// Limits of one batch. The bank takes up to 1000 messages and 1 MiB; the
// desk stays well inside both.
const (
	MaxBatch     = 500
	maxBatchBody = 900 << 10
)

// Progress counts what a forwarding pass did: the messages sent and the
// bank's answers, and the messages and amounts by the state they reached.
type Progress struct {
	Sent      int                            `json:"sent"`
	Accepted  int                            `json:"accepted"`
	Duplicate int                            `json:"duplicate"`
	Rejected  int                            `json:"rejected"`
	ByState   map[app.OutboxState]app.Totals `json:"by_state"`
}

func (p *Progress) add(s app.OutboxState, amount app.Money) {
	if p.ByState == nil {
		p.ByState = map[app.OutboxState]app.Totals{}
	}
	t := p.ByState[s]
	t.Add(amount)
	p.ByState[s] = t
}

// inFlight is how many batches are on the wire at once. With two the
// bank checks the cryptograms of one while its single writer clears the
// other, and the desk records the answers to one while the bank works on
// the next; taking turns with one batch left both sides idle half the
// time. More gives nothing when the bank clears one batch at a time.
const inFlight = 2

// ForwardOptions shape a forwarding pass. Zero values take the defaults.
type ForwardOptions struct {
	// BatchSize caps a batch (0: MaxBatch).
	BatchSize int
	// OnBatch, if given, is called after each answer is recorded.
	OnBatch func(Progress)
	// Dir is the desk's data folder: the hotlist version each batch
	// carries is read there, and the anchors the bank acknowledged are
	// kept there (AnchorsFile). Without it the desk claims no hotlist and
	// the client keeps the anchors in memory.
	Dir string
	// Asked says a person asked for this pass (Forward now, `lingqian
	// sync`): after the bank refused the desk's chains, only such a pass,
	// or one ForkPause after the refusal, reaches the bank; after the
	// desk's own chains did not verify, only such a pass checks them again.
	Asked bool
	// Check is what the desk verified of its chains before, kept by its
	// forwarder from pass to pass; nil checks them from the start.
	Check *ChainCheck
}

// Forward is ForwardWith without a folder, as a pass a person asked for.
func (c *Client) Forward(ctx context.Context, out Outbox, batchSize int, onBatch func(Progress)) (Progress, error) {
	return c.ForwardWith(ctx, out, ForwardOptions{BatchSize: batchSize, OnBatch: onBatch, Asked: true})
}

// ForwardWith sends every unsent entry, oldest first, in batches of at
// most o.BatchSize, up to inFlight of them on the wire at once. An entry
// goes captured → sent (its batch is cut and goes on the wire) → the
// bank's answer (Outcome). Each batch carries the heads of the desk's
// chains when out has them (Chains, anchor.go), verified by the desk
// before anything is sent (anchor_verify.go), and the hotlist version. A
// desk whose own chains do not verify sends nothing: ErrUnverified.
//
// After a batch fails no new one is sent; the answers to those already on
// the wire are still recorded. The failed batch's entries stay sent, and
// the next pass cuts the same batches from the oldest unsent entries and
// sends them again with the same keys. A batch the bank refuses because
// the desk's chain forked fails the pass with ErrChainForked, and passes
// nobody asked for wait ForkPause before trying again.
func (c *Client) ForwardWith(ctx context.Context, out Outbox, o ForwardOptions) (Progress, error) {
	batchSize := o.BatchSize
	if batchSize <= 0 || batchSize > MaxBatch {
		batchSize = MaxBatch
	}
	a, err := c.startAnchoring(ctx, out, o)
	if err != nil {
		return Progress{}, err
	}
	type answer struct {
		batch *pending
		ans   batchAnswer
		err   error
	}
	answers := make(chan answer, inFlight)
	var (
		p       Progress
		onWire  []*pending
		failed  error
		drained bool
	)
	for {
		for !drained && failed == nil && len(onWire) < inFlight {
			b, err := nextBatch(ctx, out, batchSize, onWire)
			if err != nil {
				failed = err
				break
			}
			if b == nil {
				drained = true
				break
			}
			body, named, err := a.body(ctx, b)
			if err != nil {
				failed = err
				break
			}
			onWire = append(onWire, b)
			go func() {
				ans, err := c.send(ctx, a, b, body, named)
				answers <- answer{b, ans, err}
			}()
		}
		if len(onWire) == 0 {
			return p, errors.Join(failed, a.save())
		}
		r := <-answers
		onWire = slices.DeleteFunc(onWire, func(b *pending) bool { return b == r.batch })
		err := r.err
		if err == nil {
			a.acknowledged(r.ans.Anchors)
			err = applyResults(ctx, out, r.batch.entries, r.ans.Results, &p)
		} else if api := (*APIError)(nil); Forked(err) && errors.As(err, &api) {
			a.refused(api)
		}
		if err != nil {
			if failed == nil {
				failed = err
			}
			continue
		}
		if o.OnBatch != nil {
			o.OnBatch(p)
		}
	}
}

// pending is a batch cut from the outbox and on its way to the bank.
type pending struct {
	entries []app.Entry
	batch   Batch
	// through is the last seq of the run of oldest unsent entries the
	// batch was cut from; voids pulled in with their purchases may lie
	// beyond it.
	through int64
}

// nextBatch cuts the next batch from the oldest unsent entries, leaving
// out those of the batches on the wire, adds the unsent voids of its
// purchases wherever they stand in the journal (a void that reaches the
// bank in a later batch than its purchase comes too late), and marks it
// sent. It halves the run until the body fits the bank's limit. nil when
// nothing is left.
func nextBatch(ctx context.Context, out Outbox, size int, onWire []*pending) (*pending, error) {
	// Runs are cut from the oldest unsent entries, so those not on the
	// wire come after the last run that is, except voids pulled ahead.
	after := int64(0)
	wire := map[int64]bool{}
	for _, b := range onWire {
		after = max(after, b.through)
		for _, e := range b.entries {
			wire[e.Seq] = true
		}
	}
	ahead := 0
	for seq := range wire {
		if seq > after {
			ahead++
		}
	}
	list, err := out.UnsentAfter(ctx, after, size+ahead)
	if err != nil {
		return nil, fmt.Errorf("sync: reading the outbox: %w", err)
	}
	run := make([]app.Entry, 0, size)
	for _, e := range list {
		if !wire[e.Seq] && len(run) < size {
			run = append(run, e)
		}
	}
	if len(run) == 0 {
		return nil, nil
	}
	var entries []app.Entry
	var b Batch
	for {
		if entries, err = withVoids(ctx, out, run, run, wire); err != nil {
			return nil, err
		}
		if b, err = batchOf(entries); err != nil {
			return nil, err
		}
		if len(b.Body) <= maxBatchBody || len(run) == 1 {
			break
		}
		run = run[:len(run)/2]
	}
	if err := markSent(ctx, out, entries); err != nil {
		return nil, err
	}
	// A void appended while the batch was cut was of a purchase still
	// captured then. Now that the run is sent no void of it can be
	// appended any more, so a second look finds every one.
	late, err := withVoids(ctx, out, run, entries, wire)
	if err != nil {
		return nil, err
	}
	if late = late[len(entries):]; len(late) > 0 {
		if err := markSent(ctx, out, late); err != nil {
			return nil, err
		}
		entries = append(entries, late...)
		if b, err = batchOf(entries); err != nil {
			return nil, err
		}
	}
	return &pending{entries: entries, batch: b, through: run[len(run)-1].Seq}, nil
}

// withVoids is have followed by the unsent voids of run's purchases that
// are neither in have nor on the wire.
func withVoids(ctx context.Context, out Outbox, run, have []app.Entry, wire map[int64]bool) ([]app.Entry, error) {
	voids, err := out.UnsentVoidsOf(ctx, run[0].Seq, run[len(run)-1].Seq)
	if err != nil {
		return nil, fmt.Errorf("sync: reading the outbox: %w", err)
	}
	in := make(map[int64]bool, len(have))
	for _, e := range have {
		in[e.Seq] = true
	}
	all := slices.Clip(have)
	for _, v := range voids {
		if !in[v.Seq] && !wire[v.Seq] {
			all = append(all, v)
		}
	}
	return all, nil
}

// batchOf makes the batch of entries.
func batchOf(entries []app.Entry) (Batch, error) {
	msgs := make([]Message, len(entries))
	for i, e := range entries {
		var err error
		if msgs[i], err = MessageOf(e); err != nil {
			return Batch{}, fmt.Errorf("sync: %w", err)
		}
	}
	return NewBatch(msgs)
}

// ErrWrongMerchant says the bank refused entries because they are not of
// the merchant this desk's certificate names: a copied data folder or a
// borrowed certificate, not a fault of the purchases.
var ErrWrongMerchant = errors.New("the bank says this desk's certificate is for another merchant than its journal")

// applyResults records the bank's answer for a batch's entries.
func applyResults(ctx context.Context, out Outbox, entries []app.Entry, results []Result, p *Progress) error {
	p.Sent += len(entries)
	changes := make([]app.StateChange, 0, len(entries))
	wrongMerchant := 0
	for i, r := range results {
		if (r.Status == StatusRejected || r.Status == StatusDuplicate) && r.Reason == "wrong_merchant" {
			// The refusal is about the certificate, not the purchase:
			// the entry stays unsent, to go again once the desk shows
			// its own certificate, instead of being lost as rejected.
			// The bank keeps what a certificate sent, so the same entry
			// sent again under that certificate answers as a duplicate
			// of the refusal: still not a verdict on the purchase.
			wrongMerchant++
			continue
		}
		if r.Status == StatusRejected && r.Reason == "internal_error" {
			// The bank failed on it and kept nothing: it is no verdict,
			// so the entry stays unsent and goes again at the next pass.
			continue
		}
		st, reason, err := stateOfResult(r)
		if err != nil {
			return fmt.Errorf("sync: entry %d: %w", entries[i].Seq, err)
		}
		changes = append(changes, app.StateChange{Seq: entries[i].Seq, State: st, Reason: reason})
		switch r.Status {
		case StatusAccepted:
			p.Accepted++
		case StatusDuplicate:
			p.Duplicate++
		case StatusRejected:
			p.Rejected++
		}
		p.add(st, entries[i].Amount)
	}
	if err := setStates(ctx, out, changes); err != nil {
		return err
	}
	if wrongMerchant > 0 {
		return fmt.Errorf("sync: %d entries kept for later: %w; restore the desk's own certificate or enrol it again", wrongMerchant, ErrWrongMerchant)
	}
	return nil
}

// markSent records the entries of a batch as sent, except those sent
// already by a pass whose answer was lost: their timeline stays as it is,
// so a bank that is down for days does not grow the outbox by rows on
// every pass. (Journals from earlier releases may hold entries queued, a
// step this forwarder no longer records: they are sent like captured
// ones.) Batches are cut from the oldest unsent entries, so the states
// within one are alike: looking at the first and the last says whether to
// look at each.
func markSent(ctx context.Context, out Outbox, entries []app.Entry) error {
	state := func(seq int64) (app.OutboxState, error) {
		s, err := out.State(ctx, seq)
		if err != nil {
			return "", fmt.Errorf("sync: state of entry %d: %w", seq, err)
		}
		return s, nil
	}
	first, err := state(entries[0].Seq)
	if err != nil {
		return err
	}
	last, err := state(entries[len(entries)-1].Seq)
	if err != nil {
		return err
	}
	move := entries
	if first == app.StateSent || last == app.StateSent || first != last {
		move = nil
		for _, e := range entries {
			s, err := state(e.Seq)
			if err != nil {
				return err
			}
			if s != app.StateSent {
				move = append(move, e)
			}
		}
	}
	if len(move) == 0 {
		return nil
	}
	changes := make([]app.StateChange, len(move))
	for i, e := range move {
		changes[i] = app.StateChange{Seq: e.Seq, State: app.StateSent}
	}
	return setStates(ctx, out, changes)
}

// stateOfResult maps the bank's result to the entry's next state.
//
// A duplicate is the bank saying it had this key already: it counts as
// posted at the desk (store's reports count duplicate under posted), so
// it becomes duplicate only when the first answer's state was posted. A
// duplicate whose first answer was still pending is acknowledged (the
// reconciliation feed finishes it), and one that was rejected is
// rejected — counting it as posted would overstate the shop's money.
func stateOfResult(r Result) (app.OutboxState, string, error) {
	switch r.Status {
	case StatusAccepted, StatusDuplicate:
		switch r.State {
		case BankPending:
			return app.StateAcknowledged, "", nil
		case BankRejected:
			return app.StateRejected, reasonOr(r.Reason), nil
		case BankPosted, "":
			if r.Status == StatusDuplicate {
				return app.StateDuplicate, r.Reason, nil
			}
			if r.State == "" {
				return app.StateAcknowledged, "", nil
			}
			return app.StatePosted, "", nil
		}
		return "", "", fmt.Errorf("the bank answered state %q", r.State)
	case StatusRejected:
		return app.StateRejected, reasonOr(r.Reason), nil
	}
	return "", "", fmt.Errorf("the bank answered status %q", r.Status)
}

func reasonOr(r string) string {
	if r == "" {
		return "rejected by the bank without a reason"
	}
	return r
}

// setStates records changes all at once; when that is refused (an entry
// reached a final state meanwhile, through another forwarder or the
// reconciliation feed) it records them one by one, skipping only the
// ones refused, so one entry cannot hold back the others.
func setStates(ctx context.Context, out Outbox, changes []app.StateChange) error {
	if len(changes) == 0 {
		return nil
	}
	err := out.SetStates(ctx, changes)
	if err == nil || ctx.Err() != nil {
		return wrapStates(err)
	}
	var errs []error
	for _, c := range changes {
		if err := out.SetStates(ctx, []app.StateChange{c}); err != nil {
			if s, serr := out.State(ctx, c.Seq); serr == nil && s.Final() {
				continue // already final: the bank's answer changes nothing
			}
			errs = append(errs, err)
		}
	}
	return wrapStates(errors.Join(errs...))
}

func wrapStates(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("sync: recording outbox states: %w", err)
}
