package banktest

import (
	"cmp"
	"errors"
	"slices"
	"testing"
	"time"

	"lingqian/bank"
)

// The double-entry ledger and the exception queue.

func ledgerCases() []storeCase {
	return []storeCase{
		{"postings must balance", func(t *testing.T, s bank.Store) {
			write(t, s, func(tx bank.Tx) error {
				if err := tx.EnsureAccount("cash", bank.Asset); err != nil {
					return err
				}
				return tx.EnsureAccount("deposit:a", bank.Liability)
			})
			cases := []struct {
				name  string
				lines []bank.Line
				want  error
			}{
				{"one line", []bank.Line{{Account: "cash", Amount: 10}}, bank.ErrUnbalanced},
				{"debits over credits", []bank.Line{{Account: "cash", Amount: 10}, {Account: "deposit:a", Amount: -9}}, bank.ErrUnbalanced},
				{"a zero line", []bank.Line{{Account: "cash", Amount: 0}, {Account: "deposit:a", Amount: 0}}, bank.ErrUnbalanced},
				{"no account", []bank.Line{{Account: "", Amount: 10}, {Account: "deposit:a", Amount: -10}}, bank.ErrUnbalanced},
				{"an account that is not there", []bank.Line{{Account: "cash", Amount: 10}, {Account: "nowhere", Amount: -10}}, anyError},
				{"an amount out of range", []bank.Line{{Account: "cash", Amount: 1 << 62}, {Account: "deposit:a", Amount: -(1 << 62)}}, bank.ErrUnbalanced},
			}
			for _, tc := range cases {
				err := s.Write(ctx, func(tx bank.Tx) error {
					return tx.Post(&bank.Posting{At: time.Now(), Kind: "test", Lines: tc.lines})
				})
				if tc.want == anyError && err == nil || tc.want != anyError && !errors.Is(err, tc.want) {
					t.Fatalf("%s: error %v, want %v", tc.name, err, tc.want)
				}
			}
			// A good posting goes through, and moves both balances
			write(t, s, func(tx bank.Tx) error {
				return tx.Post(&bank.Posting{At: time.Now(), Kind: "test", Lines: []bank.Line{
					{Account: "cash", Amount: 10}, {Account: "deposit:a", Amount: -10}}})
			})
			b, err := bank.New(s, bank.Options{})
			if err != nil {
				t.Fatal(err)
			}
			is(t, "the ledger", b.Ledger().Balanced(ctx), nil)
			if n, lines, _ := b.Ledger().Postings(ctx); n != 1 || lines != 2 {
				t.Errorf("%d postings, %d lines", n, lines)
			}
			for account, want := range map[string]int64{"deposit:a": 10, "cash": 10} {
				if v, _ := b.Ledger().Balance(ctx, account); v != want {
					t.Errorf("%s: %d, want %d", account, v, want)
				}
			}
		}},
		{"postings in sets: the IDs given, each account moved once by its lines", func(t *testing.T, s bank.Store) {
			sd := seed(t, s)
			a, c := ecash(sd.wallets[0]), ecash(sd.wallets[1])
			settle := "settlement:" + suiteMerchant
			var last int64
			write(t, s, func(tx bank.Tx) error {
				var err error
				if last, err = tx.LastPostingID(); err != nil {
					return err
				}
				same(t, "the seed's postings", last, int64(3))
				ps := []bank.Posting{
					{ID: last + 1, At: suiteNow, Kind: "purchase", Memo: "p1", Lines: []bank.Line{{Account: a, Amount: 100}, {Account: settle, Amount: -100}}},
					{ID: last + 2, At: suiteNow, Kind: "purchase", Memo: "p2", Lines: []bank.Line{
						{Account: a, Amount: 50}, {Account: c, Amount: 25}, {Account: settle, Amount: -75}}},
				}
				is(t, "two postings", tx.PostAll(ps), nil)
				is(t, "no postings", tx.PostAll(nil), nil)
				next := bank.Posting{At: suiteNow, Kind: "purchase", Memo: "p3", Lines: []bank.Line{{Account: c, Amount: 5}, {Account: settle, Amount: -5}}}
				is(t, "one more", tx.Post(&next), nil)
				same(t, "the ID after a set", next.ID, last+3)
				// Making accounts that are there changes none of them
				return tx.EnsureAccounts([]bank.Account{{Name: a, Type: bank.Liability, Balance: 1}, {Name: "settlement:M002", Type: bank.Liability}})
			})
			read(t, s, func(tx bank.Tx) error {
				got, err := tx.Accounts([]string{settle, a, c, "settlement:M002", "nowhere"})
				slices.SortFunc(got, func(x, y bank.Account) int { return cmp.Compare(x.Name, y.Name) })
				same(t, "balances", got, []bank.Account{
					{Name: a, Type: bank.Liability, Balance: suiteLoad - 150},
					{Name: c, Type: bank.Liability, Balance: suiteLoad - 30},
					{Name: settle, Type: bank.Liability, Balance: 180},
					{Name: "settlement:M002", Type: bank.Liability},
				})
				n, err2 := tx.LastPostingID()
				same(t, "the last posting", n, last+3)
				got, err3 := tx.Accounts(nil)
				same(t, "no accounts asked", len(got), 0)
				return cmp.Or(err, err2, err3)
			})
		}},
		{"the ledger check finds a wallet whose balance drifted from its e-cash", func(t *testing.T, s bank.Store) {
			sd := seed(t, s)
			b, err := bank.New(s, bank.Options{})
			if err != nil {
				t.Fatal(err)
			}
			is(t, "the seed", b.Ledger().Balanced(ctx), nil)
			w := sd.wallets[1]
			w.KnownBalance++
			write(t, s, func(tx bank.Tx) error { return tx.UpdateWallet(w) })
			read(t, s, func(tx bank.Tx) error {
				st, err := tx.LedgerCheck()
				same(t, "the ledger's state", st, bank.LedgerState{Postings: 3, Lines: 6, DriftWallets: []string{w.PAN + "/" + w.PSN}})
				return err
			})
			is(t, "the ledger", b.Ledger().Balanced(ctx), bank.ErrUnbalanced)
		}},
	}
}

func exceptionCases() []storeCase {
	exception := func(i int, kind string, w bank.Wallet) bank.Exception {
		return bank.Exception{At: suiteNow.Add(time.Duration(i) * time.Second), Kind: kind, PAN: w.PAN, PSN: w.PSN,
			ATC: uint16(i), TerminalID: suiteDesk, MerchantID: suiteMerchant, MessageKey: "k" + string(rune('0'+i)), Detail: "detail"}
	}
	return []storeCase{
		{"the exception queue: newest first, open or resolved, as many as asked", func(t *testing.T, s bank.Store) {
			sd := seed(t, s)
			var es []bank.Exception
			write(t, s, func(tx bank.Tx) error {
				for i := range 3 {
					e := exception(i+1, "cloned_wallet", sd.wallets[0])
					if err := tx.AddException(&e); err != nil {
						return err
					}
					es = append(es, e)
				}
				if !(es[0].ID < es[1].ID && es[1].ID < es[2].ID) {
					t.Errorf("IDs %d, %d, %d do not grow", es[0].ID, es[1].ID, es[2].ID)
				}
				return tx.ResolveException(es[1].ID, bank.Resolution{At: suiteNow.Add(time.Hour), By: "op1", Note: "phoned"})
			})
			es[1].Resolved = bank.Resolution{At: suiteNow.Add(time.Hour), By: "op1", Note: "phoned"}
			read(t, s, func(tx bank.Tx) error {
				for _, c := range []struct {
					state bank.ExceptionState
					limit int
					want  []bank.Exception
				}{
					{bank.ExceptionsAll, 0, []bank.Exception{es[2], es[1], es[0]}},
					{bank.ExceptionsAll, 2, []bank.Exception{es[2], es[1]}},
					{bank.ExceptionsOpen, 0, []bank.Exception{es[2], es[0]}},
					{bank.ExceptionsResolved, -1, []bank.Exception{es[1]}},
				} {
					got, err := tx.ExceptionQueue(c.state, c.limit)
					is(t, string(c.state), err, nil)
					same(t, string(c.state), got, c.want)
				}
				all, err := tx.Exceptions(1)
				same(t, "the newest", all, []bank.Exception{es[2]})
				one, err2 := tx.Exception(es[1].ID)
				same(t, "one", one, es[1])
				_, err3 := tx.Exception(es[2].ID + 10)
				is(t, "an unknown exception", err3, bank.ErrNotFound)
				_, err4 := tx.ExceptionQueue("closed", 0)
				if err4 == nil {
					t.Error("a queue of no state")
				}
				return cmp.Or(err, err2)
			})
		}},
		{"resolving: each once, a wallet's open ones of some kinds at once", func(t *testing.T, s bank.Store) {
			sd := seed(t, s)
			w, v := sd.wallets[0], sd.wallets[1]
			var es []bank.Exception
			write(t, s, func(tx bank.Tx) error {
				for i, e := range []bank.Exception{exception(1, "balance_chain", w), exception(2, "balance_mismatch", w),
					exception(3, "cloned_wallet", w), exception(4, "balance_chain", v), exception(5, "balance_chain", w)} {
					if err := tx.AddException(&e); err != nil {
						return err
					}
					es = append(es, e)
					if i == 4 {
						return tx.ResolveException(e.ID, bank.Resolution{At: suiteNow, By: "op1", Note: "done"})
					}
				}
				return nil
			})
			r := bank.Resolution{At: suiteNow.Add(time.Hour), By: "op2", Note: "re-entered"}
			write(t, s, func(tx bank.Tx) error {
				is(t, "resolved again", tx.ResolveException(es[4].ID, r), bank.ErrExists)
				is(t, "an unknown exception", tx.ResolveException(es[4].ID+10, r), bank.ErrNotFound)
				n, err := tx.ResolveWalletExceptions(w.PAN, w.PSN, []string{"balance_chain", "balance_mismatch"}, r)
				same(t, "resolved", n, 2)
				none, err2 := tx.ResolveWalletExceptions(w.PAN, w.PSN, nil, r)
				same(t, "no kinds", none, 0)
				return cmp.Or(err, err2)
			})
			read(t, s, func(tx bank.Tx) error {
				open, err := tx.ExceptionQueue(bank.ExceptionsOpen, 0)
				same(t, "still open", open, []bank.Exception{es[3], es[2]})
				got, err2 := tx.Exception(es[0].ID)
				same(t, "closed by the wallet's resolution", got.Resolved, r)
				return cmp.Or(err, err2)
			})
		}},
	}
}
