package sync

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	gosync "sync"
	"time"

	"lingqian/app"
)

// Anchoring (docs/bank-api.md, "Chains"): every batch names the heads of
// the desk's hash chains, read after the batch was cut so that they cover
// every message in it, and the desk's hash now at the last anchor the
// bank acknowledged. The bank keeps the heads; a desk whose chain no
// longer runs through them is refused chain_forked.

// AnchorsFile is where the desk keeps what the bank acknowledged of its
// chains and a refusal it is waiting on a person for. Losing it costs one
// anchor_needed round trip, never a sale.
const AnchorsFile = "anchors.json"

// ForkPause is how long a desk the bank refused for a forked chain waits
// before trying again by itself: a person at the bank must resolve it,
// and the desk must not hammer the bank meanwhile. A pass a person asks
// for tries at once.
const ForkPause = time.Hour

// Bank codes of anchoring.
const (
	codeChainForked  = "chain_forked"
	codeAnchorNeeded = "anchor_needed"
)

// ErrChainForked: the bank refused the desk's batches because the desk's
// journal or audit log no longer holds to what it sent before (rewritten,
// or restored from an older backup). Forwarding stops; the sales stay on
// the desk, unsent, until a person at the bank has looked at it.
var ErrChainForked = errors.New("the bank says this desk's journal or audit log is not what it sent before: forwarding stopped, and the sales stay on the desk until the bank has looked at it")

// Forked says whether err is the bank's chain_forked refusal, or the
// desk waiting on one.
func Forked(err error) bool { return errors.Is(err, ErrChainForked) }

// Chains is what anchoring needs of the desk's store; store.DB has it.
// An Outbox without it sends no chains.
type Chains interface {
	// VerifyChains checks the desk's chains from the links in known,
	// verified before (from the start when none are), and gives their
	// heads, read in one snapshot; a fault where they do not hold.
	VerifyChains(ctx context.Context, known []app.ChainHead) ([]app.ChainHead, *app.ChainFault, error)
	// ChainHash is the desk's hash now at link seq of a chain;
	// app.ErrNotFound when it has no such link.
	ChainHash(ctx context.Context, chain string, seq int64) ([]byte, error)
}

// Anchor is a chain's newest anchor at the bank, as it answers a batch or
// asks for one.
type Anchor struct {
	Name string `json:"name"`
	Seq  int64  `json:"seq"`
}

// ChainHead is a chain as a batch names it.
type ChainHead struct {
	Name       string `json:"name"`
	Seq        int64  `json:"seq"`
	Hash       string `json:"hash"`
	AnchorSeq  int64  `json:"anchor_seq"`
	AnchorHash string `json:"anchor_hash"`
}

// AnchorState is what the desk keeps between passes.
type AnchorState struct {
	// Anchors: by chain, the seq of the bank's newest anchor.
	Anchors map[string]int64 `json:"anchors"`
	// Forked, when set, is the bank's last chain_forked refusal.
	Forked *ForkRefusal `json:"forked,omitempty"`
}

// ForkRefusal is the bank's chain_forked refusal as the desk keeps it.
type ForkRefusal struct {
	At      time.Time `json:"at"`
	Message string    `json:"message"`
}

// ReadAnchors reads dir/anchors.json; a desk that never forwarded has none.
func ReadAnchors(dir string) (AnchorState, error) {
	var s AnchorState
	path := filepath.Join(dir, AnchorsFile)
	if _, err := readJSON(path, &s); err != nil {
		return AnchorState{}, fmt.Errorf("sync: %s: %w", path, err)
	}
	for name, seq := range s.Anchors {
		if seq < 0 {
			return AnchorState{}, fmt.Errorf("sync: %s: anchor %s at %d", path, name, seq)
		}
	}
	return s, nil
}

// WriteAnchors replaces dir/anchors.json at once.
func WriteAnchors(dir string, s AnchorState) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("sync: encoding the anchors: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, AnchorsFile), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("sync: saving the anchors: %w", err)
	}
	return nil
}

// memAnchors keeps a client's anchors when it forwards without a folder.
type memAnchors struct {
	mu gosync.Mutex
	s  AnchorState
}

// anchoring is one forwarding pass's side of it: the state it started
// with and the answers since, the hotlist version, and the heads last
// verified.
type anchoring struct {
	chains  Chains // nil: this outbox sends no chains
	check   *ChainCheck
	asked   bool // the pass's first check may start again after a fault
	dir     string
	mem     *memAnchors
	hotlist int64
	state   AnchorState
	changed bool
	heads   []app.ChainHead
}

// startAnchoring reads what the desk keeps and verifies the desk's
// chains: a desk whose own chains do not hold sends nothing. A desk
// waiting on a person after a fork does not reach the bank unless asked
// to, or after ForkPause.
func (c *Client) startAnchoring(ctx context.Context, out Outbox, o ForwardOptions) (*anchoring, error) {
	a := &anchoring{dir: o.Dir, mem: &c.anchors, check: o.Check, asked: o.Asked}
	if a.check == nil {
		a.check = &ChainCheck{}
	}
	a.chains, _ = out.(Chains)
	if o.Dir != "" {
		var err error
		if a.state, err = ReadAnchors(o.Dir); err != nil {
			return nil, err
		}
		// A hotlist the desk cannot read is one it does not have: its
		// purchases were taken without it.
		if h, err := ReadHotlist(o.Dir); err == nil {
			a.hotlist = h.Version
		}
	} else {
		a.mem.mu.Lock()
		a.state = a.mem.s
		a.state.Anchors = cloneAnchors(a.mem.s.Anchors)
		a.mem.mu.Unlock()
	}
	if a.chains != nil {
		var err error
		if a.heads, err = a.verified(ctx); err != nil {
			return nil, err
		}
	}
	if f := a.state.Forked; f != nil && !o.Asked && time.Since(f.At) < ForkPause {
		return nil, fmt.Errorf("sync: %w (the bank said on %s: %s)", ErrChainForked, f.At.Local().Format(time.DateTime), f.Message)
	}
	return a, nil
}

func cloneAnchors(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// verified are the heads of the desk's chains, verified (ChainCheck).
func (a *anchoring) verified(ctx context.Context) ([]app.ChainHead, error) {
	asked := a.asked
	a.asked = false
	return a.check.heads(ctx, a.chains, asked)
}

// body is p's body with the hotlist version and the chains: the heads as
// last verified, verified again when p holds an entry past them. It also gives
// the anchors it named, for bodyAt: the goroutine that sends p must not
// read the state the answers change.
func (a *anchoring) body(ctx context.Context, p *pending) ([]byte, map[string]int64, error) {
	named := cloneAnchors(a.state.Anchors)
	if a.chains == nil {
		body, err := p.batch.bodyWith(a.hotlist, nil)
		return body, named, err
	}
	last := int64(0)
	for _, e := range p.entries {
		last = max(last, e.Seq)
	}
	if a.heads == nil || headOf(a.heads, app.ChainJournal) < last {
		heads, err := a.verified(ctx)
		if err != nil {
			return nil, nil, err
		}
		a.heads = heads
	}
	chains, err := a.chainsAt(ctx, a.heads, func(name string) int64 { return named[name] })
	if err != nil {
		return nil, nil, err
	}
	body, err := p.batch.bodyWith(a.hotlist, chains)
	return body, named, err
}

// bodyAt is the body again for the anchors the bank asked for, the
// others as named, with the heads verified afresh. It runs on the
// goroutine that sends p: it changes nothing of a but what the check
// guards.
func (a *anchoring) bodyAt(ctx context.Context, p *pending, named map[string]int64, wanted []Anchor) ([]byte, error) {
	heads, err := a.check.heads(ctx, a.chains, false)
	if err != nil {
		return nil, err
	}
	want := map[string]int64{}
	for _, w := range wanted {
		want[w.Name] = w.Seq
	}
	anchorOf := func(name string) int64 {
		if seq, ok := want[name]; ok {
			return seq
		}
		return named[name]
	}
	chains, err := a.chainsAt(ctx, heads, anchorOf)
	if err != nil {
		return nil, err
	}
	return p.batch.bodyWith(a.hotlist, chains)
}

func headOf(heads []app.ChainHead, name string) int64 {
	for _, h := range heads {
		if h.Name == name {
			return h.Seq
		}
	}
	return 0
}

// chainsAt names each verified head with the desk's hash at its anchor:
// the verified hash when the anchor is a link the check keeps (it is
// usually the head of an earlier pass), else the hash now stored there,
// below the links verified. A link the desk no longer has is named with
// no hash: the bank decides.
func (a *anchoring) chainsAt(ctx context.Context, heads []app.ChainHead, anchorOf func(string) int64) ([]ChainHead, error) {
	out := make([]ChainHead, 0, len(heads))
	for _, h := range heads {
		c := ChainHead{Name: h.Name, Seq: h.Seq, AnchorSeq: anchorOf(h.Name)}
		if h.Seq > 0 {
			c.Hash = hex.EncodeToString(h.Hash)
		}
		if sum, ok := a.check.hashAt(h.Name, c.AnchorSeq); ok {
			c.AnchorHash = hex.EncodeToString(sum)
		} else if c.AnchorSeq > 0 {
			sum, err := a.chains.ChainHash(ctx, h.Name, c.AnchorSeq)
			switch {
			case errors.Is(err, app.ErrNotFound):
			case err != nil:
				return nil, fmt.Errorf("sync: the %s's link %d: %w", h.Name, c.AnchorSeq, err)
			default:
				c.AnchorHash = hex.EncodeToString(sum)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// acknowledged keeps the anchors a batch's answer gave.
func (a *anchoring) acknowledged(anchors []Anchor) {
	if a.state.Forked != nil {
		a.state.Forked, a.changed = nil, true
	}
	for _, an := range anchors {
		if a.state.Anchors == nil {
			a.state.Anchors = map[string]int64{}
		}
		if a.state.Anchors[an.Name] != an.Seq {
			a.state.Anchors[an.Name], a.changed = an.Seq, true
		}
	}
}

// refused keeps the bank's chain_forked refusal.
func (a *anchoring) refused(api *APIError) {
	a.state.Forked, a.changed = &ForkRefusal{At: time.Now().UTC(), Message: api.Message}, true
}

// save keeps the state when it changed: once a pass, not per batch,
// since a lost state costs only a round trip.
func (a *anchoring) save() error {
	if !a.changed {
		return nil
	}
	a.changed = false
	if a.dir != "" {
		return WriteAnchors(a.dir, a.state)
	}
	a.mem.mu.Lock()
	a.mem.s = AnchorState{Anchors: cloneAnchors(a.state.Anchors), Forked: a.state.Forked}
	a.mem.mu.Unlock()
	return nil
}

// send posts p's batch with body, and once more with the hashes the bank
// asks for when it answers anchor_needed; a chain_forked refusal comes
// back as ErrChainForked.
func (c *Client) send(ctx context.Context, a *anchoring, p *pending, body []byte, named map[string]int64) (batchAnswer, error) {
	ans, err := c.sendBatch(ctx, p.batch, body)
	var api *APIError
	if errors.As(err, &api) && api.Code == codeAnchorNeeded && a.chains != nil {
		again, berr := a.bodyAt(ctx, p, named, api.Anchors)
		if berr != nil {
			return batchAnswer{}, errors.Join(err, berr)
		}
		ans, err = c.sendBatch(ctx, p.batch, again)
	}
	if errors.As(err, &api) && api.Code == codeChainForked {
		return batchAnswer{}, fmt.Errorf("sync: %w: %w", ErrChainForked, err)
	}
	return ans, err
}
