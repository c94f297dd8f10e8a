package sync

import (
	"context"
	"errors"
	"fmt"

	"lingqian/app"
)

// Outbox is what forwarding needs of the desk's journal (store.DB has it).
type Outbox interface {
	// Unsent are the entries the bank has not acknowledged, oldest first.
	Unsent(ctx context.Context, limit int) ([]app.Entry, error)
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

// Forward sends every unsent entry, oldest first, in batches of at most
// batchSize (0: MaxBatch). An entry goes captured → queued (in the next
// batch) → sent (its batch is on the wire) → the bank's answer (Outcome).
// The next batch is read and queued while the one before is on the wire,
// so the desk's disk and the bank work at the same time. onBatch, if
// given, is called after each answer.
//
// It stops at the first batch that fails: its entries stay sent, the
// next one's stay queued, and the next pass cuts and sends the same
// batches again with the same keys.
func (c *Client) Forward(ctx context.Context, out Outbox, batchSize int, onBatch func(Progress)) (Progress, error) {
	if batchSize <= 0 || batchSize > MaxBatch {
		batchSize = MaxBatch
	}
	var p Progress
	cur, err := nextBatch(ctx, out, batchSize, nil)
	for err == nil && cur != nil {
		if err = moveTo(ctx, out, cur.entries, app.StateQueued, app.StateSent); err != nil {
			break
		}
		type answer struct {
			results []Result
			err     error
		}
		done := make(chan answer, 1)
		go func(b Batch) {
			r, err := c.SendBatch(ctx, b)
			done <- answer{r, err}
		}(cur.batch)
		next, nerr := nextBatch(ctx, out, batchSize, cur.entries)
		a := <-done
		if a.err != nil {
			return p, a.err
		}
		if err = applyResults(ctx, out, cur.entries, a.results, &p); err != nil {
			break
		}
		if onBatch != nil {
			onBatch(p)
		}
		cur, err = next, nerr
	}
	return p, err
}

// pending is a batch cut from the outbox and queued.
type pending struct {
	entries []app.Entry
	batch   Batch
}

// nextBatch cuts the next batch from the oldest unsent entries, leaving
// out those of the batch on the wire, and queues it. It halves the batch
// until its body fits the bank's limit. nil when nothing is left.
func nextBatch(ctx context.Context, out Outbox, size int, onWire []app.Entry) (*pending, error) {
	list, err := out.Unsent(ctx, size+len(onWire))
	if err != nil {
		return nil, fmt.Errorf("sync: reading the outbox: %w", err)
	}
	skip := make(map[int64]bool, len(onWire))
	for _, e := range onWire {
		skip[e.Seq] = true
	}
	entries := make([]app.Entry, 0, size)
	for _, e := range list {
		if !skip[e.Seq] && len(entries) < size {
			entries = append(entries, e)
		}
	}
	if len(entries) == 0 {
		return nil, nil
	}
	msgs := make([]Message, len(entries))
	for i, e := range entries {
		if msgs[i], err = MessageOf(e); err != nil {
			return nil, fmt.Errorf("sync: %w", err)
		}
	}
	b, err := NewBatch(msgs)
	for err == nil && len(b.Body) > maxBatchBody && len(msgs) > 1 {
		msgs, entries = msgs[:len(msgs)/2], entries[:len(entries)/2]
		b, err = NewBatch(msgs)
	}
	if err != nil {
		return nil, err
	}
	if err := moveTo(ctx, out, entries, app.StateCaptured, app.StateQueued); err != nil {
		return nil, err
	}
	return &pending{entries: entries, batch: b}, nil
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
		if r.Status == StatusRejected && r.Reason == "wrong_merchant" {
			// The refusal is about the certificate, not the purchase:
			// the entry stays unsent, to go again once the desk shows
			// its own certificate, instead of being lost as rejected.
			wrongMerchant++
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

// moveTo appends state to to the entries whose latest state is from.
// Entries elsewhere keep their timeline as it is: a batch sent before
// whose answer was lost is not queued again, so a bank that is down for
// days does not grow the outbox by rows on every pass. Batches are cut
// from the oldest unsent entries, so the states within one are alike:
// looking at the first and the last says whether to look at each.
func moveTo(ctx context.Context, out Outbox, entries []app.Entry, from, to app.OutboxState) error {
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
	if first != from || last != from {
		move = nil
		for _, e := range entries {
			s, err := state(e.Seq)
			if err != nil {
				return err
			}
			if s == from {
				move = append(move, e)
			}
		}
	}
	if len(move) == 0 {
		return nil
	}
	changes := make([]app.StateChange, len(move))
	for i, e := range move {
		changes[i] = app.StateChange{Seq: e.Seq, State: to}
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
