package banktest

import (
	"errors"
	"testing"

	"lingqian/bank"
)

// Set-based writes refused, the reconciliation feed, a wallet's messages
// and the merchants' days.

// anyError stands for "some error" where the engines word a refusal
// differently (a foreign key SQLite reports as a constraint failure).
var anyError = errors.New("any error")

func moreMessageCases() []storeCase {
	return []storeCase{
		{"set-based writes refuse what their single forms refuse, and write nothing", func(t *testing.T, s bank.Store) {
			// Given a bank with two wallets and a message of its desk
			sd := seed(t, s)
			w := sd.wallets[0]
			write(t, s, func(tx bank.Tx) error {
				m := purchase("k1", 1, w, 1, 100)
				return tx.InsertMessage(&m)
			})
			next := func(key string, seq int64, atc uint16) bank.Message {
				m := purchase(key, seq, w, atc, 100)
				m.ID = 100
				return m
			}
			cases := []struct {
				name  string
				write func(tx bank.Tx) error
				want  error
			}{
				{"a message under a key taken", func(tx bank.Tx) error {
					return tx.InsertMessages([]bank.Message{next("k1", 2, 2)})
				}, bank.ErrExists},
				{"a message on a seq taken", func(tx bank.Tx) error {
					return tx.InsertMessages([]bank.Message{next("k2", 1, 2)})
				}, bank.ErrExists},
				{"a message on an ATC slot taken", func(tx bank.Tx) error {
					return tx.InsertMessages([]bank.Message{next("k2", 2, 1)})
				}, bank.ErrExists},
				{"one key twice in the set", func(tx bank.Tx) error {
					a, b := next("k2", 2, 2), next("k2", 3, 3)
					b.ID = 101
					return tx.InsertMessages([]bank.Message{a, b})
				}, bank.ErrExists},
				{"a wallet the bank did not issue", func(tx bank.Tx) error {
					missing := w
					missing.PAN = "6231990000000999"
					return tx.UpdateWallets([]bank.Wallet{w, missing})
				}, bank.ErrNotFound},
				{"a posting that does not balance", func(tx bank.Tx) error {
					return tx.PostAll([]bank.Posting{{ID: 100, At: suiteNow, Kind: "purchase", Memo: "m", Lines: []bank.Line{
						{Account: ecash(w), Amount: 10}, {Account: "settlement:" + suiteMerchant, Amount: -9}}}})
				}, bank.ErrUnbalanced},
				{"a posting to an account not there", func(tx bank.Tx) error {
					return tx.PostAll([]bank.Posting{{ID: 100, At: suiteNow, Kind: "purchase", Memo: "m", Lines: []bank.Line{
						{Account: ecash(w), Amount: 10}, {Account: "settlement:M404", Amount: -10}}}})
				}, anyError},
				{"a single posting to an account not there", func(tx bank.Tx) error {
					return tx.Post(&bank.Posting{At: suiteNow, Kind: "purchase", Memo: "m", Lines: []bank.Line{
						{Account: ecash(w), Amount: 10}, {Account: "settlement:M404", Amount: -10}}})
				}, anyError},
			}
			for _, tc := range cases {
				before := snap(t, s, sd)

				// When the write is tried
				err := s.Write(ctx, tc.write)

				// Then it fails as the single form would, and nothing changed
				if tc.want == anyError && err == nil || tc.want != anyError && !errors.Is(err, tc.want) {
					t.Fatalf("%s: error %v, want %v", tc.name, err, tc.want)
				}
				same(t, tc.name+": the store after", snap(t, s, sd), before)
			}
		}},
		{"the feed: a desk's messages after a seq, in seq order, as many as asked", func(t *testing.T, s bank.Store) {
			sd := seed(t, s)
			w := sd.wallets[0]
			write(t, s, func(tx bank.Tx) error {
				for _, seq := range []int64{3, 1, 4, 2} {
					m := purchase("k"+string(rune('0'+seq)), seq, w, uint16(seq), 100*seq)
					if seq == 4 {
						m.State, m.Reason = bank.StateRejected, "cloned_wallet"
					}
					if err := tx.InsertMessage(&m); err != nil {
						return err
					}
				}
				return nil
			})
			entry := func(seq int64, state bank.MessageState, reason string) bank.FeedEntry {
				return bank.FeedEntry{Seq: seq, Key: "k" + string(rune('0'+seq)), Kind: bank.KindPurchase, State: state,
					Reason: reason, Amount: 100 * seq}
			}
			read(t, s, func(tx bank.Tx) error {
				all, err := tx.TerminalStates(suiteDesk, 0, 0)
				is(t, "the whole feed", err, nil)
				same(t, "the whole feed", all, []bank.FeedEntry{entry(1, bank.StatePending, ""), entry(2, bank.StatePending, ""),
					entry(3, bank.StatePending, ""), entry(4, bank.StateRejected, "cloned_wallet")})
				some, err := tx.TerminalStates(suiteDesk, 1, 2)
				is(t, "after 1, two", err, nil)
				same(t, "after 1, two", some, all[1:3])
				none, err := tx.TerminalStates("T0000002", 0, 0)
				same(t, "another desk's", len(none), 0)
				return err
			})
		}},
		{"a wallet's messages in ATC order", func(t *testing.T, s bank.Store) {
			sd := seed(t, s)
			w := sd.wallets[0]
			var in []bank.Message
			write(t, s, func(tx bank.Tx) error {
				for i, atc := range []uint16{3, 1, 2} {
					m := purchase("k"+string(rune('1'+i)), int64(i+1), w, atc, 100)
					if err := tx.InsertMessage(&m); err != nil {
						return err
					}
					in = append(in, m)
				}
				replay := purchase("k9", 9, w, 1, 100)
				replay.Slot, replay.State = false, bank.StateRejected
				in = append(in, replay)
				other := purchase("k8", 8, sd.wallets[1], 1, 100)
				if err := tx.InsertMessage(&other); err != nil {
					return err
				}
				return tx.InsertMessage(&in[3])
			})
			read(t, s, func(tx bank.Tx) error {
				got, err := tx.WalletMessages(w.PAN, w.PSN)
				same(t, "by ATC, then as they came", got, []bank.Message{in[1], in[3], in[2], in[0]})
				return err
			})
		}},
		{"merchant days: purchases per merchant and day by state, voided ones nowhere", func(t *testing.T, s bank.Store) {
			sd := seed(t, s)
			w := sd.wallets[0]
			type sale struct {
				merchant, date string
				state          bank.MessageState
				reason         string
				amount         int64
			}
			sales := []sale{
				{"M002", "2026-03-01", bank.StatePosted, "", 70},
				{"M001", "2026-03-01", bank.StatePosted, "", 100},
				{"M001", "2026-03-02", bank.StatePosted, "", 10},
				{"M001", "2026-03-01", bank.StatePosted, "", 50},
				{"M001", "2026-03-01", bank.StatePending, "", 30},
				{"M001", "2026-03-01", bank.StateRejected, "cloned_wallet", 20},
				{"M001", "2026-03-01", bank.StateRejected, "voided", 999},
			}
			write(t, s, func(tx bank.Tx) error {
				for i, sl := range sales {
					m := purchase("k"+string(rune('a'+i)), int64(i+1), w, uint16(i+1), sl.amount)
					m.MerchantID, m.Date, m.State, m.Reason = sl.merchant, sl.date, sl.state, sl.reason
					if err := tx.InsertMessage(&m); err != nil {
						return err
					}
				}
				v := void("kv", 99, 1, purchase("kz", 1, w, 1, 70))
				return tx.InsertMessage(&v)
			})
			m1d1 := bank.DayTotals{MerchantID: "M001", Date: "2026-03-01", Posted: bank.Totals{Count: 2, Amount: 150},
				Pending: bank.Totals{Count: 1, Amount: 30}, Rejected: bank.Totals{Count: 1, Amount: 20}}
			m1d2 := bank.DayTotals{MerchantID: "M001", Date: "2026-03-02", Posted: bank.Totals{Count: 1, Amount: 10}}
			m2d1 := bank.DayTotals{MerchantID: "M002", Date: "2026-03-01", Posted: bank.Totals{Count: 1, Amount: 70}}
			read(t, s, func(tx bank.Tx) error {
				for _, c := range []struct {
					f    bank.ReportFilter
					want []bank.DayTotals
				}{
					{bank.ReportFilter{}, []bank.DayTotals{m1d1, m1d2, m2d1}},
					{bank.ReportFilter{MerchantID: "M002"}, []bank.DayTotals{m2d1}},
					{bank.ReportFilter{Date: "2026-03-02"}, []bank.DayTotals{m1d2}},
					{bank.ReportFilter{MerchantID: "M001", Date: "2026-03-01"}, []bank.DayTotals{m1d1}},
					{bank.ReportFilter{MerchantID: "M404"}, nil},
				} {
					got, err := tx.MerchantDays(c.f)
					is(t, "merchant days", err, nil)
					if len(got) == 0 && len(c.want) == 0 {
						continue
					}
					same(t, "merchant days", got, c.want)
				}
				return nil
			})
		}},
	}
}
