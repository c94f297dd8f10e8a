package bank

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Anchoring a desk's hash chains (docs/bank-api.md, "Chains").
//
// A desk's journal and audit log are hash-chained, and a desk rewritten on
// the shop PC can recompute every hash. So each batch names the head of
// each chain (seq, hash) and the desk's hash now at the last anchor the
// bank acknowledged; the bank keeps the heads it accepted, and refuses a
// desk whose chain no longer runs through them. Every batch must prove
// the desk's hash at the bank's newest anchor N of each chain, as its
// anchor or as its head: when it names another link (its sync state was
// lost, another process of the desk moved the anchor on, a batch came in
// after a later one) the bank answers anchor_needed with N and the desk
// asks again with its hash there. A desk whose hash at a link the bank
// anchored differs, or whose chain no longer reaches N, is refused
// chain_forked with nothing of the batch cleared, and a person is given
// an exception. Once that exception is resolved, the desk's next head
// starts a new epoch of anchors.

// Error codes and the exception of anchoring.
const (
	CodeChainForked      = "chain_forked"
	CodeAnchorNeeded     = "anchor_needed"
	ExceptionChainForked = "chain_forked"
)

// Chains a desk keeps; a batch may name others (a newer desk), which are
// anchored alike.
const (
	ChainJournal = "journal"
	ChainAudit   = "audit"
)

// maxChains bounds the chains one batch names.
const maxChains = 8

// ChainHead is one of the desk's chains as a batch names it: its head and
// the desk's hash now at the bank's last acknowledged anchor (0 and ""
// when it knows none; a seq with "" when its chain has no such link).
// Hashes are 64 hex digits.
type ChainHead struct {
	Name       string `json:"name"`
	Seq        int64  `json:"seq"`
	Hash       string `json:"hash"`
	AnchorSeq  int64  `json:"anchor_seq"`
	AnchorHash string `json:"anchor_hash"`
}

// AnchorJSON is a chain's newest anchor at the bank: in a batch's answer,
// what the desk names as its anchor next time; with anchor_needed, the
// link whose hash the bank wants.
type AnchorJSON struct {
	Name string `json:"name"`
	Seq  int64  `json:"seq"`
}

// ChainAnchor is a head of a desk's chain the bank accepted.
type ChainAnchor struct {
	TerminalID, Chain string
	Epoch             int64 // from 1; a resolved chain_forked exception starts the next
	Seq               int64
	Hash              []byte // empty for seq 0
	At                time.Time
}

// batchAnswer is the answer to a batch: its results and the anchors.
type batchAnswer struct {
	BatchResponse
	Anchors []AnchorJSON `json:"anchors,omitempty"`
}

// chainClaim is a ChainHead checked and decoded.
type chainClaim struct {
	name             string
	seq, anchorSeq   int64
	hash, anchorHash []byte // anchorHash nil: the desk has no such link
}

// parseChains checks the batch's chains; a bad one refuses the batch.
func parseChains(heads []ChainHead) ([]chainClaim, error) {
	if len(heads) > maxChains {
		return nil, badRequest("a batch names at most %d chains, this one %d", maxChains, len(heads))
	}
	seen := map[string]bool{}
	out := make([]chainClaim, 0, len(heads))
	for i, h := range heads {
		if !validChainName(h.Name) {
			return nil, badRequest("chains[%d]: name must be 1 to 32 of a-z, 0-9 and _", i)
		}
		if seen[h.Name] {
			return nil, badRequest("chains[%d]: %s is named twice", i, h.Name)
		}
		seen[h.Name] = true
		c := chainClaim{name: h.Name, seq: h.Seq, anchorSeq: h.AnchorSeq}
		var err error
		switch {
		case h.Seq < 0 || h.AnchorSeq < 0:
			return nil, badRequest("chains[%d]: seq and anchor_seq are 0 or more", i)
		case h.Seq == 0 && h.Hash != "":
			return nil, badRequest("chains[%d]: an empty chain (seq 0) has no hash", i)
		case h.AnchorSeq == 0 && h.AnchorHash != "":
			return nil, badRequest("chains[%d]: anchor_hash without an anchor_seq", i)
		}
		if h.Seq > 0 {
			if c.hash, err = hashField(h.Hash); err != nil {
				return nil, badRequest("chains[%d].hash: %v", i, err)
			}
		}
		if h.AnchorHash != "" {
			if c.anchorHash, err = hashField(h.AnchorHash); err != nil {
				return nil, badRequest("chains[%d].anchor_hash: %v", i, err)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

func validChainName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func hashField(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return nil, errors.New("64 hex digits")
	}
	return b, nil
}

// anchoring is what checking a batch's chains found.
type anchoring struct {
	acks    []AnchorJSON  // each chain's newest anchor once the batch is accepted
	need    []AnchorJSON  // the links the bank wants the desk's hash at
	fork    *chainFork    // the first chain that forked
	record  []ChainAnchor // the heads to keep when the batch is accepted
	rebased []string      // chains anchored afresh after a resolved exception
	none    bool          // the batch named no chains, and none was required
}

type chainFork struct{ chain, reason string }

// errAnchoring refuses a batch's transaction when anchoring did not
// accept it; handleBatch answers from the anchoring.
var errAnchoring = errors.New("the batch's chains were not accepted")

func (a *anchoring) refused() bool { return a.fork != nil || len(a.need) > 0 }

// anchor checks the batch's chains against the desk's anchors in tx and,
// when they hold, keeps the new heads.
func (b *Bank) anchor(tx Tx, desk *Desk, claims []chainClaim) (anchoring, error) {
	var a anchoring
	named := map[string]bool{}
	for _, c := range claims {
		named[c.name] = true
	}
	// A desk that sent chains must go on sending them.
	for _, name := range []string{ChainJournal, ChainAudit} {
		if named[name] {
			continue
		}
		n, err := tx.NewestAnchor(desk.TerminalID, name)
		switch {
		case isNotFound(err):
		case err != nil:
			return a, err
		case n.Seq > 0:
			a.need = append(a.need, AnchorJSON{Name: name, Seq: n.Seq})
		}
	}
	a.none = len(claims) == 0 && len(a.need) == 0
	now := b.now()
	for _, c := range claims {
		if err := b.judge(tx, desk, c, now, &a); err != nil {
			return a, err
		}
	}
	if a.refused() {
		return a, nil
	}
	for _, r := range a.record {
		if err := tx.AddAnchor(r); err != nil && !errors.Is(err, ErrExists) {
			return a, err
		}
	}
	return a, nil
}

// judge checks one chain; see the comment at the top for the rules.
func (b *Bank) judge(tx Tx, desk *Desk, c chainClaim, now time.Time, a *anchoring) error {
	head := ChainAnchor{TerminalID: desk.TerminalID, Chain: c.name, Seq: c.seq, Hash: c.hash, At: now}
	newest, err := tx.NewestAnchor(desk.TerminalID, c.name)
	if isNotFound(err) || (err == nil && newest.Seq == 0) {
		// Nothing to hold the desk to yet: its first head is the anchor.
		head.Epoch = max(newest.Epoch, 1)
		if c.seq > 0 {
			a.record = append(a.record, head)
		}
		a.acks = append(a.acks, AnchorJSON{Name: c.name, Seq: c.seq})
		return nil
	}
	if err != nil {
		return err
	}
	head.Epoch = newest.Epoch
	held := func(seq int64) (ChainAnchor, bool, error) {
		if seq == 0 || seq > newest.Seq {
			return ChainAnchor{}, false, nil
		}
		an, err := tx.AnchorAt(desk.TerminalID, c.name, newest.Epoch, seq)
		if isNotFound(err) {
			return ChainAnchor{}, false, nil
		}
		return an, err == nil, err
	}
	forked := func(reason string) error {
		ex, err := tx.NewestException(desk.TerminalID, ExceptionChainForked, c.name)
		if err != nil && !isNotFound(err) {
			return err
		}
		if err == nil && !ex.Resolved.At.IsZero() && ex.Resolved.At.After(newest.At) {
			// A person looked at the fork after the last anchor and closed
			// it: the desk's chain as it is now is the one to hold it to.
			head.Epoch = newest.Epoch + 1
			a.record = append(a.record, head)
			a.acks = append(a.acks, AnchorJSON{Name: c.name, Seq: c.seq})
			a.rebased = append(a.rebased, c.name)
			return nil
		}
		if a.fork == nil {
			a.fork = &chainFork{chain: c.name, reason: reason}
		}
		return nil
	}
	at, ok, err := held(c.seq)
	if err != nil {
		return err
	}
	if ok && !bytes.Equal(at.Hash, c.hash) {
		return forked(fmt.Sprintf("its %s's link %d has another hash than the head the bank anchored there on %s",
			c.name, c.seq, at.At.Format(time.RFC3339)))
	}
	if c.anchorSeq > 0 {
		an, ok, err := held(c.anchorSeq)
		if err != nil {
			return err
		}
		switch {
		case ok && c.anchorHash == nil:
			return forked(fmt.Sprintf("its %s has no link %d, which the bank anchored on %s: the chain is shorter than what it sent before",
				c.name, c.anchorSeq, an.At.Format(time.RFC3339)))
		case ok && !bytes.Equal(an.Hash, c.anchorHash):
			return forked(fmt.Sprintf("its %s's link %d has another hash than the head the bank anchored there on %s: "+
				"the chain was rewritten", c.name, c.anchorSeq, an.At.Format(time.RFC3339)))
		}
	}
	proven := c.anchorSeq == newest.Seq || c.seq == newest.Seq
	switch {
	case c.seq < newest.Seq && c.anchorSeq == newest.Seq:
		return forked(fmt.Sprintf("its %s ends at link %d, before link %d the bank anchored: the chain went backwards",
			c.name, c.seq, newest.Seq))
	case !proven:
		a.need = append(a.need, AnchorJSON{Name: c.name, Seq: newest.Seq})
		return nil
	case c.seq > newest.Seq:
		a.record = append(a.record, head)
	}
	a.acks = append(a.acks, AnchorJSON{Name: c.name, Seq: max(c.seq, newest.Seq)})
	return nil
}

// anchorNeededBody is the 409 anchor_needed answer: the error and the
// links whose hashes the bank wants.
type anchorNeededBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Anchors []AnchorJSON `json:"anchors"`
}

// anchored finishes a batch after its transaction: err is what committing
// it gave. A batch anchoring refused is answered here: anchor_needed with
// the links wanted, or chain_forked with an exception opened for a person.
func (b *Bank) anchored(ctx context.Context, w http.ResponseWriter, desk *Desk, a anchoring, err error) error {
	if !errors.Is(err, errAnchoring) {
		if err == nil {
			for _, name := range a.rebased {
				b.log.Warn("desk chain anchored afresh after its chain_forked exception was resolved", "terminal", desk.TerminalID, "chain", name)
			}
			if a.none {
				b.log.Info("batch without chains: nothing to anchor", "terminal", desk.TerminalID)
			}
		}
		return err
	}
	if a.fork != nil {
		id, xerr := b.openForkException(ctx, desk, *a.fork)
		b.log.Warn("desk chain forked: batch refused", "terminal", desk.TerminalID, "merchant", desk.MerchantID,
			"chain", a.fork.chain, "reason", a.fork.reason, "exception", id, "error", xerr)
		if xerr != nil {
			return internal(fmt.Errorf("opening the chain_forked exception: %w", xerr))
		}
		return apiErr(http.StatusConflict, CodeChainForked,
			"the desk's %s does not hold to what it sent before: %s; nothing of this batch was cleared, and a person at the bank must look at it (exception %d)",
			a.fork.chain, a.fork.reason, id)
	}
	b.log.Info("batch asked for the desk's hash at its newest anchors", "terminal", desk.TerminalID, "anchors", fmt.Sprint(a.need))
	var body anchorNeededBody
	body.Error.Code = CodeAnchorNeeded
	body.Error.Message = "send the batch again with anchor_seq set to the seq given for each chain, and the desk's hash there"
	body.Anchors = a.need
	writeJSON(w, http.StatusConflict, body)
	return nil
}

// openForkException opens the exception of a desk's forked chain, unless
// one is open already: a desk that tries again is not a new case.
func (b *Bank) openForkException(ctx context.Context, desk *Desk, f chainFork) (int64, error) {
	var id int64
	err := b.store.Write(ctx, func(tx Tx) error {
		ex, err := tx.NewestException(desk.TerminalID, ExceptionChainForked, f.chain)
		switch {
		case err == nil && ex.Resolved.At.IsZero():
			id = ex.ID
			return nil
		case err != nil && !isNotFound(err):
			return err
		}
		e := Exception{At: b.now(), Kind: ExceptionChainForked, TerminalID: desk.TerminalID, MerchantID: desk.MerchantID,
			MessageKey: f.chain, Detail: "the desk's " + f.chain + " forked: " + f.reason}
		if err := tx.AddException(&e); err != nil {
			return err
		}
		id = e.ID
		return nil
	})
	return id, err
}
