package banktest

import (
	"testing"
	"time"

	"lingqian/bank"
)

// The heads of the desks' hash chains the bank accepted, and the
// exception that finds a desk's chain forked.

// noEmpty is a with an empty hash as nil: the engines may read an empty
// BLOB or BYTEA back either way.
func noEmpty(a bank.ChainAnchor) bank.ChainAnchor {
	if len(a.Hash) == 0 {
		a.Hash = nil
	}
	return a
}

func anchorCases() []storeCase {
	return []storeCase{
		{"chain anchors: one per desk, chain, epoch and seq; the newest by epoch, then seq", func(t *testing.T, s bank.Store) {
			anchor := func(terminal, chain string, epoch, seq int64) bank.ChainAnchor {
				a := bank.ChainAnchor{TerminalID: terminal, Chain: chain, Epoch: epoch, Seq: seq,
					At: suiteNow.Add(time.Duration(epoch*100+seq) * time.Second)}
				if seq > 0 {
					a.Hash = []byte{byte(epoch), byte(seq), 0xAB}
				}
				return a
			}
			empty, e1s5, e2s3 := anchor(suiteDesk, "journal", 1, 0), anchor(suiteDesk, "journal", 1, 5), anchor(suiteDesk, "journal", 2, 3)
			write(t, s, func(tx bank.Tx) error {
				for _, a := range []bank.ChainAnchor{empty, e1s5, anchor(suiteDesk, "journal", 1, 2), e2s3,
					anchor(suiteDesk, "audit", 1, 9), anchor("T0000002", "journal", 3, 1)} {
					if err := tx.AddAnchor(a); err != nil {
						return err
					}
				}
				again := e1s5
				again.Hash = []byte{1}
				is(t, "an anchor taken", tx.AddAnchor(again), bank.ErrExists)
				return nil
			})
			read(t, s, func(tx bank.Tx) error {
				got, err := tx.NewestAnchor(suiteDesk, "journal")
				is(t, "the newest", err, nil)
				same(t, "the newest", got, e2s3)
				got, err = tx.AnchorAt(suiteDesk, "journal", 1, 5)
				is(t, "at 1/5", err, nil)
				same(t, "at 1/5", got, e1s5)
				got, err = tx.AnchorAt(suiteDesk, "journal", 1, 0)
				is(t, "an empty chain's", err, nil)
				same(t, "an empty chain's", noEmpty(got), empty)
				_, err = tx.AnchorAt(suiteDesk, "journal", 2, 5)
				is(t, "none at 2/5", err, bank.ErrNotFound)
				_, err = tx.NewestAnchor(suiteDesk, "settings")
				is(t, "no chain", err, bank.ErrNotFound)
				return nil
			})
		}},
		{"the newest exception of a desk's kind about a key", func(t *testing.T, s bank.Store) {
			var es []bank.Exception
			write(t, s, func(tx bank.Tx) error {
				for i, c := range []struct{ terminal, kind, key string }{
					{suiteDesk, "chain_forked", "journal"}, {suiteDesk, "chain_forked", "journal"},
					{suiteDesk, "chain_forked", "audit"}, {"T0000002", "chain_forked", "journal"},
					{suiteDesk, "balance_chain", "journal"},
				} {
					e := bank.Exception{At: suiteNow.Add(time.Duration(i) * time.Second), Kind: c.kind, TerminalID: c.terminal,
						MerchantID: suiteMerchant, MessageKey: c.key, Detail: "d"}
					if err := tx.AddException(&e); err != nil {
						return err
					}
					es = append(es, e)
				}
				return nil
			})
			read(t, s, func(tx bank.Tx) error {
				got, err := tx.NewestException(suiteDesk, "chain_forked", "journal")
				is(t, "the newest", err, nil)
				same(t, "the newest", got, es[1])
				_, err = tx.NewestException(suiteDesk, "chain_forked", "settings")
				is(t, "none", err, bank.ErrNotFound)
				return nil
			})
		}},
	}
}
