package banktest

import (
	"testing"
	"time"

	"lingqian/bank"
)

// The merchant guarantee's tables: a PAN's hotlist entry, and unloads held
// for the settlement window.

func guaranteeCases() []storeCase {
	return []storeCase{
		{"a PAN's hotlist entry", func(t *testing.T, s bank.Store) {
			write(t, s, func(tx bank.Tx) error {
				_, err := tx.AddHotlist("6231990000000018", "lost phone", suiteNow)
				return err
			})
			read(t, s, func(tx bank.Tx) error {
				e, err := tx.HotlistEntry("6231990000000018")
				is(t, "the entry", err, nil)
				same(t, "the entry", e, bank.HotlistEntry{PAN: "6231990000000018", Reason: "lost phone", Version: 1, At: suiteNow})
				_, err = tx.HotlistEntry("6231990000000026")
				is(t, "a PAN not hotlisted", err, bank.ErrNotFound)
				return nil
			})
		}},
		{"held unloads: kept per wallet, the due ones earliest first, each paid once", func(t *testing.T, s bank.Store) {
			sd := seed(t, s)
			held := func(w bank.Wallet, paysIn time.Duration) bank.HeldUnload {
				return bank.HeldUnload{PAN: w.PAN, PSN: w.PSN, Customer: "alice", Amount: 1000, TerminalID: suiteDesk,
					Operator: "op1", Approver: bank.ApproverCustomer, At: suiteNow, PaysAt: suiteNow.Add(paysIn)}
			}
			us := []bank.HeldUnload{held(sd.wallets[0], 2*time.Hour), held(sd.wallets[0], time.Hour),
				held(sd.wallets[1], time.Hour), held(sd.wallets[0], 10*time.Hour)}
			write(t, s, func(tx bank.Tx) error {
				for i := range us {
					if err := tx.AddHeldUnload(&us[i]); err != nil {
						return err
					}
					if i > 0 && us[i].ID <= us[i-1].ID {
						t.Errorf("IDs %d then %d", us[i-1].ID, us[i].ID)
					}
				}
				return nil
			})
			later := suiteNow.Add(3 * time.Hour)
			read(t, s, func(tx bank.Tx) error {
				got, err := tx.HeldUnloads(sd.wallets[0].PAN, sd.wallets[0].PSN)
				is(t, "a wallet's", err, nil)
				same(t, "a wallet's", got, []bank.HeldUnload{us[0], us[1], us[3]})
				got, err = tx.DueUnloads(later, 10)
				is(t, "due", err, nil)
				same(t, "due", got, []bank.HeldUnload{us[1], us[2], us[0]})
				got, err = tx.DueUnloads(later, 1)
				same(t, "the first due", got, []bank.HeldUnload{us[1]})
				return err
			})
			// When one is paid
			paid := us[1]
			paid.PaidAt, paid.Paid, paid.LoadID = later, 400, 77
			write(t, s, func(tx bank.Tx) error {
				is(t, "paid", tx.PayHeldUnload(paid), nil)
				is(t, "paid again", tx.PayHeldUnload(paid), bank.ErrExists)
				gone := paid
				gone.ID = us[3].ID + 10
				is(t, "an unknown unload", tx.PayHeldUnload(gone), bank.ErrNotFound)
				return nil
			})
			if err := s.Write(ctx, func(tx bank.Tx) error {
				timeless := us[0]
				timeless.Paid = 1
				return tx.PayHeldUnload(timeless)
			}); err == nil {
				t.Error("a payout without its time was recorded")
			}
			// Then it is no longer due, and reads back paid
			read(t, s, func(tx bank.Tx) error {
				got, err := tx.DueUnloads(later, 10)
				is(t, "due after", err, nil)
				same(t, "due after", got, []bank.HeldUnload{us[2], us[0]})
				got, err = tx.HeldUnloads(sd.wallets[0].PAN, sd.wallets[0].PSN)
				same(t, "the wallet's after", got, []bank.HeldUnload{us[0], paid, us[3]})
				return err
			})
		}},
	}
}
