package banktest

import (
	"cmp"
	"slices"
	"testing"
	"time"

	"lingqian/bank"
)

// Wallets, loads, the phones' records and the hotlist.

func sortWallets(ws []bank.Wallet) []bank.Wallet {
	slices.SortFunc(ws, func(a, b bank.Wallet) int { return cmp.Or(cmp.Compare(a.PAN, b.PAN), cmp.Compare(a.PSN, b.PSN)) })
	return ws
}

func phoneRecord(w bank.Wallet, atc uint16, amount int64) bank.PhoneRecord {
	return bank.PhoneRecord{PAN: w.PAN, PSN: w.PSN, ATC: atc, Amount: amount, Currency: "156", Date: "2026-03-01",
		Merchant: suiteMerchant, AC: []byte{byte(atc >> 8), byte(atc), 2, 3, 4, 5, 6, 7}, BalanceAfter: suiteLoad - amount,
		Entry: []byte(`{"atc":1}`), Uploaded: suiteNow}
}

func walletCases() []storeCase {
	return []storeCase{
		{"wallets: made once, read back whole, changed where they may change", func(t *testing.T, s bank.Store) {
			sd := seed(t, s)
			w := sd.wallets[0]
			write(t, s, func(tx bank.Tx) error {
				got, err := tx.Wallet(w.PAN, w.PSN)
				is(t, "the wallet", err, nil)
				same(t, "the wallet", got, w)
				again := suiteWallet(0, sd.customer.ID)
				is(t, "the same PAN and PSN again", tx.CreateWallet(again), bank.ErrExists)
				// A second card of the PAN, made later: listed first
				second := w
				second.PSN, second.Created = "01", suiteNow.Add(time.Hour)
				is(t, "a second PSN", tx.CreateWallet(second), nil)
				list, err := tx.WalletsByPAN(w.PAN)
				is(t, "by PAN", err, nil)
				same(t, "by PAN", list, []bank.Wallet{second, w})
				_, err = tx.Wallet("6231990000000999", "00")
				is(t, "an unknown wallet", err, bank.ErrNotFound)
				// When its state changes
				w.Status, w.KnownBalance, w.LastATC = bank.WalletCloned, 123, 65535
				w.PhoneBalance, w.PhoneATC, w.PhoneAt = 456, 9, suiteNow.Add(time.Minute)
				return tx.UpdateWallet(w)
			})
			read(t, s, func(tx bank.Tx) error {
				// Then it reads back as changed
				got, err := tx.Wallet(w.PAN, w.PSN)
				same(t, "the wallet changed", got, w)
				return err
			})
			is(t, "an unknown wallet changed", s.Write(ctx, func(tx bank.Tx) error {
				w := sd.wallets[1]
				w.PAN = "6231990000000999"
				return tx.UpdateWallet(w)
			}), bank.ErrNotFound)
		}},
		{"wallets in sets: found as they are, changed all or not at all", func(t *testing.T, s bank.Store) {
			sd := seed(t, s)
			a, b := sd.wallets[0], sd.wallets[1]
			missing := bank.WalletKey{PAN: "6231990000000999", PSN: "00"}
			read(t, s, func(tx bank.Tx) error {
				got, err := tx.Wallets([]bank.WalletKey{{PAN: b.PAN, PSN: b.PSN}, missing, {PAN: a.PAN, PSN: a.PSN}})
				is(t, "wallets", err, nil)
				same(t, "wallets", sortWallets(got), []bank.Wallet{a, b})
				got, err = tx.Wallets(nil)
				same(t, "no wallets asked", len(got), 0)
				return err
			})
			a.KnownBalance, b.LastATC = 7, 3
			write(t, s, func(tx bank.Tx) error { return tx.UpdateWallets([]bank.Wallet{a, b}) })
			gone := a
			gone.PAN, gone.KnownBalance = missing.PAN, 1
			changed := b
			changed.KnownBalance = 1
			err := s.Write(ctx, func(tx bank.Tx) error { return tx.UpdateWallets([]bank.Wallet{changed, gone}) })
			is(t, "a set with a wallet not there", err, bank.ErrNotFound)
			read(t, s, func(tx bank.Tx) error {
				got, err := tx.Wallets([]bank.WalletKey{{PAN: a.PAN, PSN: a.PSN}, {PAN: b.PAN, PSN: b.PSN}})
				same(t, "after", sortWallets(got), []bank.Wallet{a, b})
				return err
			})
		}},
		{"loads: one per ARQC's ATC, listed in order", func(t *testing.T, s bank.Store) {
			sd := seed(t, s)
			w := sd.wallets[0]
			var loads []bank.Load
			read(t, s, func(tx bank.Tx) error {
				var err error
				loads, err = tx.Loads(w.PAN, w.PSN)
				return err
			})
			if len(loads) != 1 || loads[0].Kind != bank.LoadVoucher || loads[0].PostingID == 0 || loads[0].ID == 0 {
				t.Fatalf("the voucher's load: %+v", loads)
			}
			write(t, s, func(tx bank.Tx) error {
				load := bank.Load{PAN: w.PAN, PSN: w.PSN, Kind: bank.LoadOnline, ATC: 5, Amount: 10, BalanceAfter: 20,
					TerminalID: "T0000002", Operator: "op1", At: suiteNow}
				is(t, "a load at ATC 5", tx.AddLoad(&load), nil)
				replay := load
				is(t, "a second load at ATC 5", tx.AddLoad(&replay), bank.ErrExists)
				unload := bank.Load{PAN: w.PAN, PSN: w.PSN, Kind: bank.LoadUnload, ATC: 5, Amount: 10, BalanceAfter: 10,
					TerminalID: "T0000002", Operator: "op2", At: suiteNow.Add(time.Second)}
				is(t, "an unload returning it", tx.AddLoad(&unload), nil)
				reentry := bank.Load{PAN: w.PAN, PSN: w.PSN, Kind: bank.LoadReentry, ATC: 9, BalanceAfter: 10,
					TerminalID: "T0000002", Operator: "op1", At: suiteNow.Add(2 * time.Second)}
				is(t, "a re-entry", tx.AddLoad(&reentry), nil)
				if !(loads[0].ID < load.ID && load.ID < unload.ID && unload.ID < reentry.ID) {
					t.Errorf("IDs %d, %d, %d, %d do not grow", loads[0].ID, load.ID, unload.ID, reentry.ID)
				}
				loads = append(loads, load, unload, reentry)
				return nil
			})
			read(t, s, func(tx bank.Tx) error {
				got, err := tx.Loads(w.PAN, w.PSN)
				same(t, "loads", got, loads)
				return err
			})
		}},
		{"phone records: one per ATC, found singly and in sets", func(t *testing.T, s bank.Store) {
			sd := seed(t, s)
			w := sd.wallets[0]
			r3, r1 := phoneRecord(w, 3, 30), phoneRecord(w, 1, 10)
			write(t, s, func(tx bank.Tx) error {
				is(t, "record 3", tx.InsertPhoneRecord(r3), nil)
				is(t, "record 1", tx.InsertPhoneRecord(r1), nil)
				other := r3
				other.AC = []byte{9, 9, 9, 9, 9, 9, 9, 9}
				is(t, "another record at ATC 3", tx.InsertPhoneRecord(other), bank.ErrExists)
				return nil
			})
			read(t, s, func(tx bank.Tx) error {
				got, err := tx.PhoneRecord(w.PAN, w.PSN, 3)
				is(t, "record 3", err, nil)
				same(t, "record 3", got, r3)
				_, err = tx.PhoneRecord(w.PAN, w.PSN, 2)
				is(t, "no record 2", err, bank.ErrNotFound)
				all, err := tx.PhoneRecords(w.PAN, w.PSN)
				is(t, "records", err, nil)
				same(t, "records in ATC order", all, []bank.PhoneRecord{r1, r3})
				some, err := tx.PhoneRecordsFor([]bank.ATCSlot{{PAN: w.PAN, PSN: w.PSN, ATC: 3}, {PAN: w.PAN, PSN: w.PSN, ATC: 2}})
				same(t, "records for slots", some, []bank.PhoneRecord{r3})
				return err
			})
		}},
		{"awaiting desk: the phones' records no desk message holds the ATC of", func(t *testing.T, s bank.Store) {
			sd := seed(t, s)
			w := sd.wallets[0]
			r1, r2 := phoneRecord(w, 1, 10), phoneRecord(w, 2, 20)
			r2.Date = "2026-03-02"
			write(t, s, func(tx bank.Tx) error {
				is(t, "record 1", tx.InsertPhoneRecord(r1), nil)
				is(t, "record 2", tx.InsertPhoneRecord(r2), nil)
				m := purchase("k1", 1, w, 1, 10)
				return tx.InsertMessage(&m)
			})
			read(t, s, func(tx bank.Tx) error {
				got, err := tx.AwaitingDesk(bank.ReportFilter{})
				is(t, "awaiting", err, nil)
				same(t, "awaiting", got, []bank.PhoneRecord{r2})
				got, err = tx.AwaitingDesk(bank.ReportFilter{Date: "2026-03-01"})
				same(t, "awaiting on the 1st", len(got), 0)
				return err
			})
		}},
		{"hotlist: each addition moves its version on", func(t *testing.T, s bank.Store) {
			write(t, s, func(tx bank.Tx) error {
				v, list, err := tx.Hotlist()
				is(t, "the empty hotlist", err, nil)
				same(t, "the empty hotlist", []any{v, len(list)}, []any{int64(0), 0})
				for i, pan := range []string{"6231990000000026", "6231990000000018", "6231990000000026"} {
					v, err := tx.AddHotlist(pan, "reason "+string(rune('a'+i)), suiteNow.Add(time.Duration(i)*time.Second))
					is(t, "hotlisting", err, nil)
					same(t, "version", v, int64(i+1))
				}
				return nil
			})
			read(t, s, func(tx bank.Tx) error {
				v, list, err := tx.Hotlist()
				same(t, "the hotlist", []any{v, list}, []any{int64(3), []bank.HotlistEntry{
					{PAN: "6231990000000018", Reason: "reason b", Version: 2, At: suiteNow.Add(time.Second)},
					{PAN: "6231990000000026", Reason: "reason c", Version: 3, At: suiteNow.Add(2 * time.Second)},
				}})
				return err
			})
		}},
	}
}
