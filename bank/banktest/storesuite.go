package banktest

import (
	"cmp"
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"lingqian/bank"
	"lingqian/emv/oda"
)

// StoreSuite holds every behaviour the bank asks of its storage, for each
// engine to run: the bank's rules are in Go, so an engine only has to
// answer as this suite says. open makes a new, empty store for each case
// (and closes it when the case ends); the cases run in parallel.
//
// What cannot be said through bank.Store (a file refused, SQL run behind
// the store's back, several processes) stays with each engine's tests.
func StoreSuite(t *testing.T, open func(t *testing.T) bank.Store) {
	t.Helper()
	for _, c := range storeCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, open(t))
		})
	}
}

// storeCase is one behaviour of a store.
type storeCase struct {
	name string
	run  func(t *testing.T, s bank.Store)
}

func storeCases() []storeCase {
	return slices.Concat(transactionCases(), accessCases(), walletCases(), messageCases(), moreMessageCases(),
		ledgerCases(), exceptionCases(), anchorCases(), guaranteeCases(), goodFaithCases())
}

// suiteNow has nanoseconds, which a store must keep: a time read back
// equals the one written.
var suiteNow = time.Date(2026, 3, 1, 9, 30, 0, 123456789, time.UTC)

var ctx = context.Background()

func write(t *testing.T, s bank.Store, fn func(tx bank.Tx) error) {
	t.Helper()
	if err := s.Write(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, s bank.Store, fn func(tx bank.Tx) error) {
	t.Helper()
	if err := s.Read(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

// is fails the test unless err is target (nil: no error).
func is(t *testing.T, what string, err, target error) {
	t.Helper()
	switch {
	case target == nil && err != nil:
		t.Fatalf("%s: %v", what, err)
	case target != nil && !errors.Is(err, target):
		t.Fatalf("%s: error %v, want %v", what, err, target)
	}
}

// same fails the test unless got deeply equals want.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// seeded is what most cases start from: alice with 3000.00 on deposit,
// two wallets of hers each loaded with 1000.00 from it, and the desk
// T0000001 of merchant M001.
type seeded struct {
	customer bank.Customer
	wallets  [2]bank.Wallet
}

const (
	suiteDesk     = "T0000001"
	suiteMerchant = "M001"
	suiteLoad     = 100000
)

func suiteWallet(i int, customer int64) bank.Wallet {
	return bank.Wallet{PAN: []string{"6231990000000018", "6231990000000026"}[i], PSN: "00", CustomerID: customer,
		ICCKey: oda.PublicKey{Modulus: []byte{0xC1, 0x00, byte(i)}, Exponent: []byte{3}}, AIP: []byte{0x39, 0x00},
		CDOL1: []byte{0x9F, 0x02, 0x06}, Currency: "156", Status: bank.WalletActive, KnownBalance: suiteLoad, Created: suiteNow}
}

func ecash(w bank.Wallet) string { return "ecash:" + w.PAN + "/" + w.PSN }

func seed(t *testing.T, s bank.Store) seeded {
	t.Helper()
	var sd seeded
	write(t, s, func(tx bank.Tx) error {
		sd.customer = bank.Customer{User: "alice", PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA", Created: suiteNow}
		if err := tx.CreateCustomer(&sd.customer); err != nil {
			return err
		}
		if err := tx.EnsureAccounts([]bank.Account{{Name: bank.CashAccount, Type: bank.Asset},
			{Name: "deposit:alice", Type: bank.Liability}, {Name: "settlement:" + suiteMerchant, Type: bank.Liability}}); err != nil {
			return err
		}
		if err := tx.Post(&bank.Posting{At: suiteNow, Kind: "deposit", Memo: "opening deposit of alice",
			Lines: []bank.Line{{Account: bank.CashAccount, Amount: 3 * suiteLoad}, {Account: "deposit:alice", Amount: -3 * suiteLoad}}}); err != nil {
			return err
		}
		for i := range sd.wallets {
			w := suiteWallet(i, sd.customer.ID)
			if err := tx.CreateWallet(w); err != nil {
				return err
			}
			if err := tx.EnsureAccount(ecash(w), bank.Liability); err != nil {
				return err
			}
			p := bank.Posting{At: suiteNow, Kind: "voucher", Memo: "voucher", Lines: []bank.Line{
				{Account: "deposit:alice", Amount: suiteLoad}, {Account: ecash(w), Amount: -suiteLoad}}}
			if err := tx.Post(&p); err != nil {
				return err
			}
			if err := tx.AddLoad(&bank.Load{PAN: w.PAN, PSN: w.PSN, Kind: bank.LoadVoucher, Amount: suiteLoad,
				BalanceAfter: suiteLoad, PostingID: p.ID, At: suiteNow}); err != nil {
				return err
			}
			sd.wallets[i] = w
		}
		return tx.CreateDesk(bank.Desk{TerminalID: suiteDesk, MerchantID: suiteMerchant, CertSerial: "01",
			NotAfter: suiteNow.AddDate(1, 0, 0), Enrolled: suiteNow})
	})
	return sd
}

// purchase is a desk message as clearing writes it, its cryptogram's
// bytes made from its ATC; IAD and the DOL data are left out (NULL).
func purchase(key string, seq int64, w bank.Wallet, atc uint16, amount int64) bank.Message {
	return bank.Message{TerminalID: suiteDesk, MerchantID: suiteMerchant, Key: key, Seq: seq, Kind: bank.KindPurchase,
		At: suiteNow, Received: suiteNow.Add(time.Second), PAN: w.PAN, PSN: w.PSN, ATC: atc, Amount: amount,
		Currency: "156", Date: "2026-03-01", CID: 0x40, AID: []byte{0xA0, 0, 0, 3, 0x33, 1, 1, 1},
		AC: []byte{byte(atc >> 8), byte(atc), 2, 3, 4, 5, 6, 7}, TVR: []byte{0, 0, 0, 0, 0}, UN: []byte{1, 2, 3, 4},
		GenACResponse: []byte{0x77, 0x00}, State: bank.StatePending, Slot: true}
}

func void(key string, seq, ref int64, of bank.Message) bank.Message {
	v := of
	v.Key, v.Seq, v.Kind, v.Ref, v.Slot, v.ID = key, seq, bank.KindVoid, ref, false, 0
	return v
}

// snapshot is what a case reads back to see that a refused write changed
// nothing.
type snapshot struct {
	Ledger   bank.LedgerState
	Wallets  []bank.Wallet
	Messages []bank.Message
	Accounts []bank.Account
}

func snap(t *testing.T, s bank.Store, sd seeded) snapshot {
	t.Helper()
	var sn snapshot
	read(t, s, func(tx bank.Tx) error {
		var err error
		if sn.Ledger, err = tx.LedgerCheck(); err != nil {
			return err
		}
		for _, w := range sd.wallets {
			ms, err := tx.WalletMessages(w.PAN, w.PSN)
			if err != nil {
				return err
			}
			sn.Messages = append(sn.Messages, ms...)
			if w, err = tx.Wallet(w.PAN, w.PSN); err != nil {
				return err
			}
			sn.Wallets = append(sn.Wallets, w)
		}
		sn.Accounts, err = tx.Accounts([]string{bank.CashAccount, "deposit:alice", "settlement:" + suiteMerchant,
			ecash(sd.wallets[0]), ecash(sd.wallets[1])})
		slices.SortFunc(sn.Accounts, func(a, b bank.Account) int { return cmp.Compare(a.Name, b.Name) })
		return err
	})
	return sn
}

func transactionCases() []storeCase {
	return []storeCase{
		{"a failed write leaves nothing behind", func(t *testing.T, s bank.Store) {
			// Given a write that makes a customer and then fails
			failed := errors.New("a rule said no")
			err := s.Write(ctx, func(tx bank.Tx) error {
				if err := tx.CreateCustomer(&bank.Customer{User: "bob", PasswordHash: "h", Created: suiteNow}); err != nil {
					return err
				}
				return failed
			})
			// Then Write says so, and the customer is not there
			is(t, "the write", err, failed)
			read(t, s, func(tx bank.Tx) error {
				_, err := tx.Customer("bob")
				is(t, "bob", err, bank.ErrNotFound)
				return nil
			})
		}},
		{"a read sees one snapshot and cannot write", func(t *testing.T, s bank.Store) {
			seed(t, s)
			err := s.Read(ctx, func(tx bank.Tx) error {
				// Given a read that has begun
				before, err := tx.Account(bank.CashAccount)
				if err != nil {
					return err
				}
				// When a write commits meanwhile
				var wg sync.WaitGroup
				var werr error
				wg.Go(func() {
					werr = s.Write(ctx, func(tx bank.Tx) error {
						return tx.Post(&bank.Posting{At: suiteNow, Kind: "deposit", Memo: "more", Lines: []bank.Line{
							{Account: bank.CashAccount, Amount: 5}, {Account: "deposit:alice", Amount: -5}}})
					})
				})
				wg.Wait()
				is(t, "the write beside the read", werr, nil)
				// Then the read still sees the balance it began with
				after, err := tx.Account(bank.CashAccount)
				if err != nil {
					return err
				}
				same(t, "cash within the read", after, before)
				// And it cannot write
				if err := tx.EnsureAccount("nowhere", bank.Asset); err == nil {
					t.Error("a read wrote an account")
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			read(t, s, func(tx bank.Tx) error {
				a, err := tx.Account(bank.CashAccount)
				same(t, "cash after", a.Balance, int64(3*suiteLoad+5))
				return err
			})
		}},
	}
}
