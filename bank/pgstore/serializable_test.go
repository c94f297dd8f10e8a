package pgstore_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"lingqian/bank"
	"lingqian/bank/pgstore"
	"lingqian/emv/oda"
	"lingqian/internal/pgtest"
)

// What clearing does in each batch's transaction, from two stores (two
// processes' pools) at once: read the highest message and posting IDs and
// write the next ones, read a wallet and write its new balance, post to
// one merchant's account. Run one at a time, none would fail and the
// balance would be the load less every purchase; so it must be here.
func TestWrite_ConcurrentWritersRunAsIfOneAtATime(t *testing.T) {
	// Given a wallet of 1000.00 and two stores on its database
	dsn := pgtest.NewDB(t, cluster)
	stores := []*pgstore.Store{open(t, dsn), open(t, dsn)}
	const load, writers, each, amount = 100000, 8, 5, 10
	w := bank.Wallet{PAN: "6231990000000018", PSN: "00", ICCKey: oda.PublicKey{Modulus: []byte{0xC1}, Exponent: []byte{3}},
		AIP: []byte{0x39, 0}, CDOL1: []byte{0x9F, 2, 6}, Currency: "156", Status: bank.WalletActive, KnownBalance: load, Created: time.Now()}
	ecash := "ecash:" + w.PAN + "/" + w.PSN
	err := stores[0].Write(ctx, func(tx bank.Tx) error {
		c := bank.Customer{User: "alice", PasswordHash: "h", Created: time.Now()}
		if err := tx.CreateCustomer(&c); err != nil {
			return err
		}
		w.CustomerID = c.ID
		if err := tx.CreateWallet(w); err != nil {
			return err
		}
		if err := tx.EnsureAccounts([]bank.Account{{Name: "deposit:alice", Type: bank.Liability}, {Name: ecash, Type: bank.Liability},
			{Name: "settlement:M001", Type: bank.Liability}}); err != nil {
			return err
		}
		return tx.Post(&bank.Posting{At: time.Now(), Kind: "voucher", Memo: "voucher", Lines: []bank.Line{
			{Account: "deposit:alice", Amount: load}, {Account: ecash, Amount: -load}}})
	})
	if err != nil {
		t.Fatal(err)
	}

	// When writers on both stores each clear purchases of it at once
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		s := stores[i%2]
		wg.Go(func() {
			for j := range each {
				errs[i] = errors.Join(errs[i], s.Write(ctx, func(tx bank.Tx) error { return clearOne(tx, w, i, j, amount) }))
			}
		})
	}
	wg.Wait()

	// Then every write went through, none lost or doubled
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	t.Logf("write attempts run again: %d and %d", stores[0].Retries(), stores[1].Retries())
	err = stores[1].Read(ctx, func(tx bank.Tx) error {
		got, err := tx.Wallet(w.PAN, w.PSN)
		if err != nil {
			return err
		}
		last, err := tx.LastMessageID()
		if err != nil {
			return err
		}
		st, err := tx.LedgerCheck()
		if err != nil {
			return err
		}
		spent := int64(writers * each * amount)
		if got.KnownBalance != load-spent || last != writers*each || st.Postings != 1+writers*each {
			t.Errorf("balance %d (want %d), last message %d, %d postings", got.KnownBalance, load-spent, last, st.Postings)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := bank.New(stores[0], bank.Options{})
	if err := b.Ledger().Balanced(ctx); err != nil {
		t.Fatal(err)
	}
}

// clearOne does what clearing does for one purchase, the way batchTx
// does it: IDs from the highest, set-based writes.
func clearOne(tx bank.Tx, w bank.Wallet, writer, n int, amount int64) error {
	wal, err := tx.Wallet(w.PAN, w.PSN)
	if err != nil {
		return err
	}
	lastMsg, err := tx.LastMessageID()
	if err != nil {
		return err
	}
	lastPosting, err := tx.LastPostingID()
	if err != nil {
		return err
	}
	key := fmt.Sprintf("w%d-%d", writer, n)
	p := bank.Posting{ID: lastPosting + 1, At: time.Now(), Kind: "purchase", Memo: key, Lines: []bank.Line{
		{Account: "ecash:" + w.PAN + "/" + w.PSN, Amount: amount}, {Account: "settlement:M001", Amount: -amount}}}
	if err := tx.PostAll([]bank.Posting{p}); err != nil {
		return err
	}
	wal.LastATC++
	m := bank.Message{ID: lastMsg + 1, TerminalID: "T0000001", MerchantID: "M001", Key: key, Seq: lastMsg + 1,
		Kind: bank.KindPurchase, PAN: w.PAN, PSN: w.PSN, ATC: wal.LastATC, Amount: amount, State: bank.StatePosted,
		Slot: true, PostingID: p.ID}
	if err := tx.InsertMessages([]bank.Message{m}); err != nil {
		return err
	}
	wal.KnownBalance -= amount
	return tx.UpdateWallets([]bank.Wallet{wal})
}

func TestWrite_RunsAgainWhateverFnMadeOfTheConflict(t *testing.T) {
	cases := []struct {
		name string
		// after is what fn returns when its write hit the conflict
		after func(err error) error
	}{
		{"fn passed the error on", func(err error) error { return err }},
		{"fn let it pass", func(error) error { return nil }},
		{"fn made an error of its own of it", func(error) error { return errors.New("the deposit holds too little") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given an account and two stores on its database
			dsn := pgtest.NewDB(t, cluster)
			a, b := open(t, dsn), open(t, dsn)
			post := func(tx bank.Tx, amount int64) error {
				return tx.Post(&bank.Posting{At: time.Now(), Kind: "deposit", Memo: "m", Lines: []bank.Line{
					{Account: "cash", Amount: amount}, {Account: "deposit:a", Amount: -amount}}})
			}
			err := a.Write(ctx, func(tx bank.Tx) error {
				return tx.EnsureAccounts([]bank.Account{{Name: "cash", Type: bank.Asset}, {Name: "deposit:a", Type: bank.Liability}})
			})
			if err != nil {
				t.Fatal(err)
			}

			// When a write reads the account, another moves it and
			// commits, and then the first moves it too
			runs := 0
			err = a.Write(ctx, func(tx bank.Tx) error {
				runs++
				if _, err := tx.Account("cash"); err != nil {
					return err
				}
				if runs == 1 {
					if err := b.Write(ctx, func(tx bank.Tx) error { return post(tx, 5) }); err != nil {
						t.Fatal(err)
					}
					if err := post(tx, 7); err != nil {
						return tc.after(err)
					}
					t.Fatal("the second write to the account went through")
				}
				return post(tx, 7)
			})

			// Then the first write ran again and went through, after the other
			if err != nil || runs != 2 || a.Retries() != 1 {
				t.Fatalf("error %v after %d runs, %d retries", err, runs, a.Retries())
			}
			var cash bank.Account
			err = b.Read(ctx, func(tx bank.Tx) error {
				var err error
				cash, err = tx.Account("cash")
				return err
			})
			if err != nil || cash.Balance != 12 {
				t.Fatalf("cash %d %v, want 12", cash.Balance, err)
			}
		})
	}
}
