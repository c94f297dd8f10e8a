package bank

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"lingqian/emv/oda"
	"lingqian/issuance"
)

// capkFile is the CA public key file of DESIGN section 7 for the issuer's
// CA key: what desks verify the bank's wallets with.
func capkFile(iss *issuance.Issuer) ([]byte, error) {
	return oda.MarshalFile([]oda.CAPK{iss.CAPK()})
}

func (b *Bank) handleCAPK(w http.ResponseWriter, r *http.Request, _ caller) error {
	if b.capk == nil {
		return internal(fmt.Errorf("the bank was opened without its issuer"))
	}
	writeRaw(w, http.StatusOK, b.capk)
	return nil
}

// HotlistResponse is the answer to GET /v1/desk/hotlist.
type HotlistResponse struct {
	Version int64    `json:"version"`
	PANs    []string `json:"pans"`
}

// handleHotlist answers the hotlist, and records first that this desk was
// sent its version (goodfaith.go): a batch of the desk claiming an older
// one is judged with this one.
func (b *Bank) handleHotlist(w http.ResponseWriter, r *http.Request, c caller) error {
	resp := HotlistResponse{PANs: []string{}}
	var served ServedHotlist
	err := b.store.Read(r.Context(), func(tx Tx) error {
		v, entries, err := tx.Hotlist()
		if err != nil {
			return err
		}
		resp.Version = v
		for _, e := range entries {
			resp.PANs = append(resp.PANs, e.PAN)
		}
		served, err = servedHotlist(tx, c.desk.TerminalID)
		return err
	})
	if err != nil {
		return internal(err)
	}
	if resp.Version > served.Version {
		if err := b.noteHotlistServed(r.Context(), c.desk.TerminalID, resp.Version); err != nil {
			return internal(err)
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// handleBatch clears a batch of detail messages. The whole batch is one
// transaction together with its idempotency record: a crash at any moment
// leaves every message of it cleared and answered, or none, so a desk that
// sends it again (same key or not) never has a message posted twice or
// lost. One commit per batch rather than per message keeps the fsyncs to
// one per thousand messages.
func (b *Bank) handleBatch(w http.ResponseWriter, r *http.Request, c caller) error {
	var req BatchRequest
	key, body, err := readPost(w, r, &req)
	if err != nil {
		return err
	}
	switch {
	case req.Messages == nil:
		return badRequest(`"messages" is missing`)
	case len(req.Messages) > MaxBatch:
		return badRequest("a batch holds at most %d messages, this one %d", MaxBatch, len(req.Messages))
	case req.HotlistVersion < 0:
		return badRequest("hotlist_version must be 0 or more")
	}
	claims, err := parseChains(req.Chains)
	if err != nil {
		return err
	}
	id := newIdem(c.client(), key, body)
	if done, err := b.precheck(w, r, id); done || err != nil {
		return err
	}
	bs, preps, err := b.prepareBatch(r.Context(), c.desk, req.Messages)
	if err != nil {
		return internal(err)
	}
	bs.hotlistVersion = req.HotlistVersion
	var anchors anchoring
	err = b.commit(w, r, id, func(tx Tx) (answer, error) {
		// The chains first: a desk refused has nothing of its batch cleared.
		var err error
		if anchors, err = b.anchor(tx, c.desk, claims); err != nil {
			return answer{}, err
		}
		if anchors.refused() {
			return answer{}, errAnchoring
		}
		btx, err := newBatchTx(tx, c.desk.TerminalID, preps)
		if err != nil {
			return answer{}, err
		}
		resp, err := b.clearBatch(btx, bs, preps)
		if err != nil {
			return answer{}, err
		}
		if err := btx.flush(); err != nil {
			return answer{}, err
		}
		return answer{status: http.StatusOK, body: batchAnswer{BatchResponse: resp, Anchors: anchors.acks},
			unsettled: slices.ContainsFunc(resp.Results, func(r Result) bool { return r.Reason == ReasonInternal })}, nil
	})
	return b.anchored(r.Context(), w, c.desk, anchors, err)
}

// clearBatch clears every message of a batch in order on tx, and answers
// for each.
func (b *Bank) clearBatch(tx Tx, bs *batchState, preps []*prepared) (BatchResponse, error) {
	resp := BatchResponse{Results: make([]Result, 0, len(preps))}
	for _, p := range preps {
		res, err := b.clear(tx, bs, p)
		if err != nil {
			return BatchResponse{}, fmt.Errorf("clearing message %d: %w", p.wire.Seq, err)
		}
		resp.Results = append(resp.Results, res)
	}
	// A void that waited for its purchase may have been done by a
	// purchase later in this batch: answer with where it ends.
	for i, res := range resp.Results {
		if p := preps[i]; res.Status == StatusAccepted && res.State == string(StatePending) && p.msg.Kind == KindVoid {
			m, err := tx.MessageByKey(bs.desk.TerminalID, res.Key)
			if err != nil {
				return BatchResponse{}, err
			}
			resp.Results[i].State, resp.Results[i].Reason = string(m.State), m.Reason
			if m.State == StateRejected {
				resp.Results[i].Status = StatusRejected
			}
		}
	}
	return resp, nil
}

// prepareBatch parses every message and verifies the purchases'
// cryptograms against their wallets, in parallel, outside the write
// transaction. A wallet's keys and data objects never change after issue,
// so what is read here is what clearing would read.
func (b *Bank) prepareBatch(ctx context.Context, desk *Desk, msgs []WireMessage) (*batchState, []*prepared, error) {
	now := b.now()
	preps := make([]*prepared, len(msgs))
	wallets := map[WalletKey]*Wallet{}
	for i := range msgs {
		p := &prepared{wire: &msgs[i], keyed: msgs[i].keyed()}
		preps[i] = p
		if !p.keyed {
			continue
		}
		p.msg, p.invalid = msgs[i].parse(desk.TerminalID, now)
		if p.invalid != nil {
			p.detail = p.invalid.Error()
			continue
		}
		if p.msg.Kind == KindPurchase {
			wallets[WalletKey{p.msg.PAN, p.msg.PSN}] = nil
		}
	}
	bs := newBatchState(desk, preps)
	err := b.store.Read(ctx, func(tx Tx) error {
		found, err := tx.Wallets(slices.Collect(maps.Keys(wallets)))
		for i := range found {
			wallets[WalletKey{found[i].PAN, found[i].PSN}] = &found[i]
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	var todo []*prepared
	for _, p := range preps {
		if p.keyed && p.invalid == nil && p.msg.Kind == KindPurchase {
			todo = append(todo, p)
		}
	}
	check := func(p *prepared) {
		w := wallets[WalletKey{p.msg.PAN, p.msg.PSN}]
		if w == nil {
			p.reason, p.detail = ReasonUnknownWallet, "the bank issued no wallet with this PAN and PSN"
			return
		}
		p.reason, p.detail = verify(b.issuer, w, &p.msg)
	}
	parallel(todo, check)
	return bs, preps, nil
}

// parallel runs f on every item with as many goroutines as CPUs. A
// panic in f fails its item alone (work, in workers.go): a goroutine the
// handler started is beyond net/http's recovery, and would end the bank.
func parallel[T workItem](items []T, f func(T)) {
	n := min(runtime.NumCPU(), len(items))
	if n <= 1 {
		for _, it := range items {
			work(it, f)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan T)
	for range n {
		wg.Go(func() {
			for it := range next {
				work(it, f)
			}
		})
	}
	for _, it := range items {
		next <- it
	}
	close(next)
	wg.Wait()
}

// ReconMessage is one message in a desk's reconciliation feed.
type ReconMessage struct {
	Seq    int64  `json:"seq"`
	Key    string `json:"key"`
	Kind   string `json:"kind"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	Amount int64  `json:"amount"`
}

// ReconTotals sums a desk's purchases by state.
type ReconTotals struct {
	Posted   Totals `json:"posted"`
	Pending  Totals `json:"pending"`
	Rejected Totals `json:"rejected"`
}

// ReconResponse is the answer to GET /v1/desk/reconciliation.
type ReconResponse struct {
	Messages []ReconMessage `json:"messages"`
	Totals   ReconTotals    `json:"totals"`
}

// maxRecon bounds one page of the reconciliation feed.
const maxRecon = 100000

func (b *Bank) handleReconciliation(w http.ResponseWriter, r *http.Request, c caller) error {
	q := r.URL.Query()
	since, limit := int64(0), maxRecon
	if s := q.Get("since_seq"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 {
			return badRequest("since_seq must be a whole number, 0 or more")
		}
		since = v
	}
	if s := q.Get("limit"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > maxRecon {
			return badRequest("limit must be 1 to %d", maxRecon)
		}
		limit = v
	}
	var msgs []FeedEntry
	err := b.store.Read(r.Context(), func(tx Tx) error {
		var err error
		msgs, err = tx.TerminalStates(c.desk.TerminalID, since, limit)
		return err
	})
	if err != nil {
		return internal(err)
	}
	writeJSON(w, http.StatusOK, reconcile(msgs))
	return nil
}

// reconcile lists the messages and sums the purchases by state, as a
// desk's report does: a voided purchase counts in no total.
func reconcile(msgs []FeedEntry) ReconResponse {
	resp := ReconResponse{Messages: make([]ReconMessage, 0, len(msgs))}
	for _, m := range msgs {
		resp.Messages = append(resp.Messages, ReconMessage{Seq: m.Seq, Key: m.Key, Kind: m.Kind,
			State: string(m.State), Reason: m.Reason, Amount: m.Amount})
		if m.Kind != KindPurchase || m.Reason == ReasonVoided {
			continue
		}
		switch m.State {
		case StatePosted:
			resp.Totals.Posted.Add(m.Amount)
		case StatePending:
			resp.Totals.Pending.Add(m.Amount)
		default:
			resp.Totals.Rejected.Add(m.Amount)
		}
	}
	return resp
}
