package banktest

import (
	"cmp"
	"slices"
	"testing"

	"lingqian/bank"
)

// Desk detail messages: single and set-based writes and lookups.

func byID(ms []bank.Message) []bank.Message {
	slices.SortFunc(ms, func(a, b bank.Message) int { return cmp.Compare(a.ID, b.ID) })
	return ms
}

func messageCases() []storeCase {
	return []storeCase{
		{"one message per ATC", func(t *testing.T, s bank.Store) {
			// Given a purchase holding ATC 7 of a wallet
			m := bank.Message{TerminalID: "T1", MerchantID: "M", Key: "k1", Seq: 1, Kind: bank.KindPurchase,
				PAN: "6231990000000018", PSN: "00", ATC: 7, State: bank.StatePosted, Slot: true}
			err := s.Write(ctx, func(tx bank.Tx) error {
				if err := tx.InsertMessage(&m); err != nil {
					return err
				}
				// When another desk's purchase claims the same ATC
				other := m
				other.TerminalID, other.Key, other.Seq = "T2", "k2", 1
				return tx.InsertMessage(&other)
			})
			// Then it is refused
			is(t, "two messages holding one ATC", err, bank.ErrExists)
		}},
		{"messages: found by key, seq and slot; each unique to its desk", func(t *testing.T, s bank.Store) {
			sd := seed(t, s)
			w := sd.wallets[0]
			m1, m2 := purchase("k1", 1, w, 1, 100), purchase("k2", 2, w, 2, 200)
			m2.IAD, m2.PDOLData, m2.CDOL1Data = []byte{0x06, 0x01}, []byte{0x01}, []byte{0x02, 0x03}
			write(t, s, func(tx bank.Tx) error {
				is(t, "message 1", tx.InsertMessage(&m1), nil)
				is(t, "message 2", tx.InsertMessage(&m2), nil)
				// New messages get the highest ID plus one
				same(t, "IDs", []int64{m1.ID, m2.ID}, []int64{1, 2})
				otherDesk := purchase("k1", 1, w, 3, 100)
				otherDesk.TerminalID = "T0000002"
				is(t, "another desk's k1 and seq 1", tx.InsertMessage(&otherDesk), nil)
				dupKey, dupSeq, dupSlot := purchase("k1", 3, w, 4, 1), purchase("k9", 2, w, 5, 1), purchase("k9", 9, w, 1, 1)
				is(t, "a key taken", tx.InsertMessage(&dupKey), bank.ErrExists)
				is(t, "a seq taken", tx.InsertMessage(&dupSeq), bank.ErrExists)
				is(t, "an ATC slot taken", tx.InsertMessage(&dupSlot), bank.ErrExists)
				// A replay is kept, without the slot
				replay := purchase("k10", 10, w, 1, 100)
				replay.Slot, replay.State, replay.Reason = false, bank.StateRejected, "replayed"
				return tx.InsertMessage(&replay)
			})
			var posting bank.Posting
			write(t, s, func(tx bank.Tx) error {
				got, err := tx.MessageByKey(suiteDesk, "k1")
				is(t, "by key", err, nil)
				same(t, "by key", got, m1)
				got, err = tx.MessageBySeq(suiteDesk, 2)
				is(t, "by seq", err, nil)
				same(t, "by seq", got, m2)
				got, err = tx.SlotHolder(w.PAN, w.PSN, 1)
				is(t, "slot holder", err, nil)
				same(t, "slot holder", got, m1)
				_, err = tx.MessageByKey(suiteDesk, "k99")
				is(t, "an unknown key", err, bank.ErrNotFound)
				_, err = tx.MessageBySeq(suiteDesk, 99)
				is(t, "an unknown seq", err, bank.ErrNotFound)
				_, err = tx.SlotHolder(w.PAN, w.PSN, 99)
				is(t, "a free slot", err, bank.ErrNotFound)
				// When message 1 is posted and confirmed
				posting = bank.Posting{At: suiteNow, Kind: "purchase", Memo: "k1", Lines: []bank.Line{
					{Account: ecash(w), Amount: 100}, {Account: "settlement:" + suiteMerchant, Amount: -100}}}
				is(t, "the posting", tx.Post(&posting), nil)
				m1.State, m1.Reason, m1.Confirmed, m1.PostingID = bank.StatePosted, "", true, posting.ID
				return tx.UpdateMessage(m1)
			})
			// Then it reads back so
			read(t, s, func(tx bank.Tx) error {
				got, err := tx.MessageByKey(suiteDesk, "k1")
				same(t, "posted", got, m1)
				return err
			})
			gone := m1
			gone.ID = 999
			is(t, "an unknown message changed", s.Write(ctx, func(tx bank.Tx) error { return tx.UpdateMessage(gone) }), bank.ErrNotFound)
		}},
		{"voids: every void of a seq, the first by seq", func(t *testing.T, s bank.Store) {
			sd := seed(t, s)
			p := purchase("k5", 5, sd.wallets[0], 1, 100)
			late, early := void("v7", 7, 5, p), void("v6", 6, 5, p)
			late.State, early.State = bank.StatePending, bank.StateRejected
			write(t, s, func(tx bank.Tx) error {
				is(t, "a void", tx.InsertMessage(&late), nil)
				return tx.InsertMessage(&early)
			})
			read(t, s, func(tx bank.Tx) error {
				first, err := tx.VoidOf(suiteDesk, 5)
				is(t, "the first void", err, nil)
				same(t, "the first void", first, early)
				all, err := tx.VoidsOf(suiteDesk, []int64{5, 8})
				is(t, "voids", err, nil)
				same(t, "voids", byID(all), []bank.Message{late, early})
				_, err = tx.VoidOf(suiteDesk, 8)
				is(t, "no void", err, bank.ErrNotFound)
				_, err = tx.VoidOf("T0000002", 5)
				is(t, "no void of another desk", err, bank.ErrNotFound)
				return nil
			})
		}},
		{"set-based lookups answer as the single ones; IDs follow the highest", func(t *testing.T, s bank.Store) {
			sd := seed(t, s)
			w, v := sd.wallets[0], sd.wallets[1]
			m1, m2 := purchase("k1", 1, w, 1, 100), purchase("k2", 2, w, 2, 100)
			m3, m4, m5 := purchase("k3", 3, v, 1, 100), purchase("k4", 4, w, 3, 100), purchase("k5", 5, w, 4, 100)
			write(t, s, func(tx bank.Tx) error {
				last, err := tx.LastMessageID()
				same(t, "the last ID of none", last, int64(0))
				is(t, "last ID", err, nil)
				is(t, "message 1", tx.InsertMessage(&m1), nil)
				is(t, "message 2", tx.InsertMessage(&m2), nil)
				if last, err = tx.LastMessageID(); last != 2 || err != nil {
					t.Fatalf("last ID %d %v, want 2", last, err)
				}
				m3.ID, m4.ID = 3, 4
				is(t, "messages 3 and 4", tx.InsertMessages([]bank.Message{m3, m4}), nil)
				is(t, "no messages", tx.InsertMessages(nil), nil)
				is(t, "message 5", tx.InsertMessage(&m5), nil)
				same(t, "the ID after a set", m5.ID, int64(5))
				return nil
			})
			read(t, s, func(tx bank.Tx) error {
				got, err := tx.MessagesByKeys(suiteDesk, []string{"k4", "k1", "k404"})
				is(t, "by keys", err, nil)
				same(t, "by keys", byID(got), []bank.Message{m1, m4})
				got, err = tx.MessagesBySeqs(suiteDesk, []int64{3, 2, 404})
				is(t, "by seqs", err, nil)
				same(t, "by seqs", byID(got), []bank.Message{m2, m3})
				got, err = tx.SlotHolders([]bank.ATCSlot{{PAN: w.PAN, PSN: w.PSN, ATC: 1}, {PAN: v.PAN, PSN: v.PSN, ATC: 1},
					{PAN: v.PAN, PSN: v.PSN, ATC: 9}})
				is(t, "slot holders", err, nil)
				same(t, "slot holders", byID(got), []bank.Message{m1, m3})
				got, err = tx.MessagesByKeys("T0000002", []string{"k1"})
				same(t, "another desk's keys", len(got), 0)
				is(t, "another desk's keys", err, nil)
				for name, ask := range map[string]func() ([]bank.Message, error){
					"keys":  func() ([]bank.Message, error) { return tx.MessagesByKeys(suiteDesk, nil) },
					"seqs":  func() ([]bank.Message, error) { return tx.MessagesBySeqs(suiteDesk, nil) },
					"voids": func() ([]bank.Message, error) { return tx.VoidsOf(suiteDesk, nil) },
					"slots": func() ([]bank.Message, error) { return tx.SlotHolders(nil) },
				} {
					got, err := ask()
					is(t, "no "+name, err, nil)
					same(t, "no "+name, len(got), 0)
				}
				return nil
			})
		}},
	}
}
