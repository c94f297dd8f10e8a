package banktest

import (
	"testing"
	"time"

	"lingqian/bank"
)

// What judges a desk's good faith without its word: every purchase kept
// on an ATC, a cryptogram posted once, the hotlist version sent to each
// desk, and a chain's anchors placed in time.

func goodFaithCases() []storeCase {
	return []storeCase{
		{"purchases at ATCs: every one kept on each slot, any desk, any state; voids are not purchases", func(t *testing.T, s bank.Store) {
			sd := seed(t, s)
			w, v := sd.wallets[0], sd.wallets[1]
			holder, copied, other := purchase("k1", 1, w, 1, 100), purchase("k2", 2, w, 1, 100), purchase("k3", 3, v, 1, 100)
			copied.TerminalID, copied.Slot, copied.AC = "T0000002", false, []byte{9, 9, 9, 9, 9, 9, 9, 9}
			copied.State, copied.Reason = bank.StateRejected, bank.ReasonHotlisted
			later, voided := purchase("k4", 4, w, 2, 100), void("v5", 5, 1, holder)
			write(t, s, func(tx bank.Tx) error {
				for _, m := range []*bank.Message{&holder, &copied, &other, &later, &voided} {
					if err := tx.InsertMessage(m); err != nil {
						return err
					}
				}
				return nil
			})
			read(t, s, func(tx bank.Tx) error {
				got, err := tx.PurchasesAt([]bank.ATCSlot{{PAN: w.PAN, PSN: w.PSN, ATC: 1}, {PAN: v.PAN, PSN: v.PSN, ATC: 1},
					{PAN: w.PAN, PSN: w.PSN, ATC: 9}})
				is(t, "purchases at slots", err, nil)
				same(t, "purchases at slots", byID(got), []bank.Message{holder, copied, other})
				got, err = tx.PurchasesAt(nil)
				is(t, "no slots", err, nil)
				same(t, "no slots", len(got), 0)
				return nil
			})
		}},
		{"a cryptogram is posted once, whichever desk sends it; refused copies of it are kept", func(t *testing.T, s bank.Store) {
			sd := seed(t, s)
			w := sd.wallets[0]
			first := purchase("k1", 1, w, 1, 100)
			first.State = bank.StatePosted
			write(t, s, func(tx bank.Tx) error { return tx.InsertMessage(&first) })
			again := func(terminal, key string, seq int64, state bank.MessageState) bank.Message {
				m := purchase(key, seq, w, 1, 100)
				m.TerminalID, m.Slot, m.State = terminal, false, state
				return m
			}
			// When the same cryptogram is posted again, one by one or in a set
			one, set := again("T0000002", "k2", 1, bank.StatePosted), again(suiteDesk, "k3", 3, bank.StatePosted)
			set.ID = 7
			is(t, "posted again", s.Write(ctx, func(tx bank.Tx) error { return tx.InsertMessage(&one) }), bank.ErrExists)
			is(t, "posted again in a set", s.Write(ctx, func(tx bank.Tx) error { return tx.InsertMessages([]bank.Message{set}) }), bank.ErrExists)
			// Then a copy refused is kept, and another cryptogram on the ATC posted
			refused := again("T0000002", "k4", 4, bank.StateRejected)
			refused.Reason = bank.ReasonReplayed
			counterfeit := again("T0000002", "k5", 5, bank.StatePosted)
			counterfeit.AC = []byte{0xCC, 1, 2, 3, 4, 5, 6, 7}
			write(t, s, func(tx bank.Tx) error {
				is(t, "a refused copy", tx.InsertMessage(&refused), nil)
				return tx.InsertMessage(&counterfeit)
			})
			read(t, s, func(tx bank.Tx) error {
				got, err := tx.PurchasesAt([]bank.ATCSlot{{PAN: w.PAN, PSN: w.PSN, ATC: 1}})
				same(t, "kept", byID(got), []bank.Message{first, refused, counterfeit})
				return err
			})
		}},
		{"the hotlist sent to a desk: none, then the last one set", func(t *testing.T, s bank.Store) {
			seed(t, s)
			read(t, s, func(tx bank.Tx) error {
				_, err := tx.HotlistServed(suiteDesk)
				is(t, "never sent", err, bank.ErrNotFound)
				return nil
			})
			first := bank.ServedHotlist{TerminalID: suiteDesk, Version: 3, At: suiteNow}
			then := bank.ServedHotlist{TerminalID: suiteDesk, Version: 5, At: suiteNow.Add(time.Minute)}
			write(t, s, func(tx bank.Tx) error { return tx.SetHotlistServed(first) })
			write(t, s, func(tx bank.Tx) error { return tx.SetHotlistServed(then) })
			read(t, s, func(tx bank.Tx) error {
				got, err := tx.HotlistServed(suiteDesk)
				is(t, "sent", err, nil)
				same(t, "sent", got, then)
				return nil
			})
			unknown := bank.ServedHotlist{TerminalID: "T0000404", Version: 1, At: suiteNow}
			if err := s.Write(ctx, func(tx bank.Tx) error { return tx.SetHotlistServed(unknown) }); err == nil {
				t.Error("a hotlist sent to a desk the bank never enrolled was recorded")
			}
		}},
		{"anchors in time: the lowest seq since a moment, the highest until one, in one epoch", func(t *testing.T, s bank.Store) {
			at := func(minutes int) time.Time { return suiteNow.Add(time.Duration(minutes) * time.Minute) }
			anchor := func(epoch, seq int64, minutes int) bank.ChainAnchor {
				return bank.ChainAnchor{TerminalID: suiteDesk, Chain: bank.ChainJournal, Epoch: epoch, Seq: seq,
					Hash: []byte{byte(epoch), byte(seq)}, At: at(minutes)}
			}
			a3, a7, a9, next := anchor(1, 3, 0), anchor(1, 7, 10), anchor(1, 9, 20), anchor(2, 2, 30)
			write(t, s, func(tx bank.Tx) error {
				for _, a := range []bank.ChainAnchor{a9, a3, a7, next,
					{TerminalID: suiteDesk, Chain: bank.ChainAudit, Epoch: 1, Seq: 1, Hash: []byte{1}, At: at(5)},
					{TerminalID: "T0000002", Chain: bank.ChainJournal, Epoch: 1, Seq: 1, Hash: []byte{1}, At: at(5)}} {
					if err := tx.AddAnchor(a); err != nil {
						return err
					}
				}
				return nil
			})
			read(t, s, func(tx bank.Tx) error {
				for _, c := range []struct {
					name    string
					first   bool
					epoch   int64
					minutes int
					want    *bank.ChainAnchor
				}{
					{"since before all", true, 1, -5, &a3},
					{"since the moment of one", true, 1, 10, &a7},
					{"since between two", true, 1, 11, &a9},
					{"since after all", true, 1, 21, nil},
					{"since, in the next epoch", true, 2, 0, &next},
					{"until after all", false, 1, 60, &a9},
					{"until the moment of one", false, 1, 10, &a7},
					{"until between two", false, 1, 9, &a3},
					{"until before all", false, 1, -1, nil},
				} {
					var got bank.ChainAnchor
					var err error
					if c.first {
						got, err = tx.FirstAnchorSince(suiteDesk, bank.ChainJournal, c.epoch, at(c.minutes))
					} else {
						got, err = tx.LastAnchorUntil(suiteDesk, bank.ChainJournal, c.epoch, at(c.minutes))
					}
					if c.want == nil {
						is(t, c.name, err, bank.ErrNotFound)
						continue
					}
					is(t, c.name, err, nil)
					same(t, c.name, got, *c.want)
				}
				return nil
			})
		}},
	}
}
