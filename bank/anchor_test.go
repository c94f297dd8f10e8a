package bank_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"lingqian/bank"
	"lingqian/bank/banktest"
)

// link is the hash of link seq of an honest desk's journal; forged is
// the same link after a rewrite that recomputed every hash.
func link(seq int64) string   { return linkOf("honest", seq) }
func forged(seq int64) string { return linkOf("forged", seq) }

func linkOf(history string, seq int64) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s %d", history, seq)))
	return hex.EncodeToString(h[:])
}

// head names the journal at seq with hash, and its anchor.
func head(seq int64, hash string, anchorSeq int64, anchorHash string) []bank.ChainHead {
	return []bank.ChainHead{{Name: bank.ChainJournal, Seq: seq, Hash: hash, AnchorSeq: anchorSeq, AnchorHash: anchorHash}}
}

// step is one batch and how the bank answers it.
type step struct {
	chains  []bank.ChainHead // nil: a batch without chains
	status  int
	code    string
	anchors string // the answer's anchors, "journal:5 audit:2"
}

// batchWith sends one purchase of 100 fen with chains, under a fresh key.
func batchWith(t *testing.T, d *banktest.Desk, msg bank.WireMessage, chains []bank.ChainHead) (int, string, string) {
	t.Helper()
	body, err := json.Marshal(bank.BatchRequest{Messages: []bank.WireMessage{msg}, Chains: chains})
	if err != nil {
		t.Fatal(err)
	}
	r, err := d.Client.Raw(t.Context(), "POST", "/v1/desk/batches", banktest.NewKey("batch"), body)
	if err != nil {
		t.Fatal(err)
	}
	var ans struct {
		Anchors []bank.AnchorJSON `json:"anchors"`
	}
	_ = json.Unmarshal(r.Body, &ans)
	var said []string
	for _, a := range ans.Anchors {
		said = append(said, fmt.Sprintf("%s:%d", a.Name, a.Seq))
	}
	return r.Status, r.Code(), strings.Join(said, " ")
}

func TestBatchChains_AnchoredAtTheBank(t *testing.T) {
	ok := func(chains []bank.ChainHead, anchors string) step {
		return step{chains: chains, status: http.StatusOK, anchors: anchors}
	}
	need := func(chains []bank.ChainHead, anchors string) step {
		return step{chains: chains, status: http.StatusConflict, code: bank.CodeAnchorNeeded, anchors: anchors}
	}
	fork := func(chains []bank.ChainHead) step {
		return step{chains: chains, status: http.StatusConflict, code: bank.CodeChainForked}
	}
	bad := func(chains []bank.ChainHead) step {
		return step{chains: chains, status: http.StatusBadRequest, code: bank.CodeBadRequest}
	}
	both := func(j, a int64) []bank.ChainHead {
		return []bank.ChainHead{{Name: bank.ChainJournal, Seq: j, Hash: link(j)}, {Name: bank.ChainAudit, Seq: a, Hash: linkOf("audit", a)}}
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"the first batch anchors its head", []step{ok(head(3, link(3), 0, ""), "journal:3")}},
		{"the next batch shows its hash at the anchor", []step{
			ok(head(3, link(3), 0, ""), "journal:3"), ok(head(5, link(5), 3, link(3)), "journal:5")}},
		{"the same head again", []step{ok(head(3, link(3), 0, ""), "journal:3"), ok(head(3, link(3), 0, ""), "journal:3")}},
		{"an empty journal, then its first entries", []step{ok(head(0, "", 0, ""), "journal:0"), ok(head(2, link(2), 0, ""), "journal:2")}},
		{"both chains", []step{ok(both(3, 7), "journal:3 audit:7")}},
		{"a desk that lost its anchors is asked for one", []step{
			ok(head(3, link(3), 0, ""), "journal:3"), need(head(5, link(5), 0, ""), "journal:3"), ok(head(5, link(5), 3, link(3)), "journal:5")}},
		{"an anchor the bank never gave", []step{
			ok(head(3, link(3), 0, ""), "journal:3"), need(head(6, link(6), 4, link(4)), "journal:3")}},
		{"an older anchor is not enough", []step{
			ok(head(3, link(3), 0, ""), "journal:3"), ok(head(5, link(5), 3, link(3)), "journal:5"),
			need(head(7, link(7), 3, link(3)), "journal:5")}},
		{"a batch cut before the last one answered comes late", []step{
			ok(head(3, link(3), 0, ""), "journal:3"), ok(head(5, link(5), 3, link(3)), "journal:5"),
			need(head(4, link(4), 3, link(3)), "journal:5"), ok(head(5, link(5), 5, link(5)), "journal:5")}},
		{"the journal rewritten under the anchor", []step{
			ok(head(3, link(3), 0, ""), "journal:3"), fork(head(5, forged(5), 3, forged(3)))}},
		{"the head's link with another hash", []step{ok(head(3, link(3), 0, ""), "journal:3"), fork(head(3, forged(3), 0, ""))}},
		{"a journal gone backwards (a restored backup)", []step{
			ok(head(5, link(5), 0, ""), "journal:5"), need(head(3, link(3), 0, ""), "journal:5"), fork(head(3, link(3), 5, ""))}},
		{"chains stopped once sent", []step{ok(head(3, link(3), 0, ""), "journal:3"), need(nil, "journal:3")}},
		{"a chain stopped once sent", []step{ok(both(3, 7), "journal:3 audit:7"), need(head(3, link(3), 0, ""), "audit:7")}},
		{"a desk that never sent chains", []step{ok(nil, ""), ok(nil, "")}},
		{"a name that is not a chain's", []step{bad([]bank.ChainHead{{Name: "Journal!", Seq: 1, Hash: link(1)}})}},
		{"a short hash", []step{bad(head(1, "ABCD", 0, ""))}},
		{"a chain named twice", []step{bad(append(head(1, link(1), 0, ""), head(2, link(2), 0, "")...))}},
		{"an empty chain with a hash", []step{bad(head(0, link(0), 0, ""))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a desk of a bank, and a wallet to buy with
			e := newEnv(t)
			e.customer("alice", 100000)
			w, _ := e.wallet("alice", 50000)
			d := e.desk("M001", false)

			for i, s := range tc.steps {
				// When the desk sends a purchase with the step's chains
				msg := d.Purchase(t, w, 100)
				status, code, anchors := batchWith(t, d, msg, s.chains)

				// Then the bank answers as the step says
				if status != s.status || code != s.code || (s.anchors != "" && anchors != s.anchors) {
					t.Fatalf("batch %d: %d %q anchors %q, want %d %q anchors %q", i+1, status, code, anchors, s.status, s.code, s.anchors)
				}
				// And a refused batch has nothing of it cleared
				if status != http.StatusOK && posted(t, d, msg.Key) {
					t.Errorf("batch %d: refused, yet its message was cleared", i+1)
				}
			}
		})
	}
}

// posted says whether the bank's feed for the desk names the message.
func posted(t *testing.T, d *banktest.Desk, key string) bool {
	t.Helper()
	return slices.ContainsFunc(d.Reconciliation(t).Messages, func(m bank.ReconMessage) bool { return m.Key == key })
}

func TestBatchChains_AForkOpensOneExceptionAndAResolvedOneAnchorsAfresh(t *testing.T) {
	// Given a desk whose journal the bank anchored at 5
	e := newEnv(t)
	e.customer("alice", 100000)
	w, _ := e.wallet("alice", 50000)
	d := e.desk("M001", false)
	if s, c, _ := batchWith(t, d, d.Purchase(t, w, 100), head(5, link(5), 0, "")); s != http.StatusOK {
		t.Fatalf("first batch: %d %s", s, c)
	}

	// When it comes back rewritten, twice
	for range 2 {
		if s, c, _ := batchWith(t, d, d.Purchase(t, w, 100), head(6, forged(6), 5, forged(5))); c != bank.CodeChainForked {
			t.Fatalf("rewritten journal: %d %s", s, c)
		}
	}

	// Then one exception is open for a person, naming the desk and the chain
	open := forkExceptions(t, e, bank.ExceptionsOpen)
	if len(open) != 1 || open[0].Kind != bank.ExceptionChainForked || open[0].TerminalID != d.TerminalID ||
		open[0].MerchantID != "M001" || open[0].MessageKey != bank.ChainJournal || !strings.Contains(open[0].Detail, "rewritten") {
		t.Fatalf("open exceptions %+v", open)
	}

	// When a person resolves it, and the desk sends its chain as it is now
	e.clock.advance(time.Second)
	err := e.b.Store().Write(e.ctx, func(tx bank.Tx) error {
		return tx.ResolveException(open[0].ID, bank.Resolution{At: e.clock.now(), By: "teller.wu", Note: "restored from a backup; sales re-entered"})
	})
	if err != nil {
		t.Fatal(err)
	}
	s, c, anchors := batchWith(t, d, d.Purchase(t, w, 100), head(6, forged(6), 5, forged(5)))

	// Then it is anchored afresh, and held to that from now on
	if s != http.StatusOK || anchors != "journal:6" {
		t.Fatalf("after the resolution: %d %s %q", s, c, anchors)
	}
	if s, c, _ := batchWith(t, d, d.Purchase(t, w, 100), head(7, forged(7), 6, forged(6))); s != http.StatusOK {
		t.Errorf("the next batch: %d %s", s, c)
	}
	if s, c, _ := batchWith(t, d, d.Purchase(t, w, 100), head(8, link(8), 7, link(7))); c != bank.CodeChainForked {
		t.Errorf("the old history again: %d %s", s, c)
	}
	if open := forkExceptions(t, e, bank.ExceptionsOpen); len(open) != 1 {
		t.Errorf("%d open exceptions, want the new fork's", len(open))
	}
}

func forkExceptions(t *testing.T, e *env, state bank.ExceptionState) []bank.Exception {
	t.Helper()
	var list []bank.Exception
	err := e.b.Store().Read(e.ctx, func(tx bank.Tx) error {
		var err error
		list, err = tx.ExceptionQueue(state, 0)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return list
}
