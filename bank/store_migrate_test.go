package bank_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"testing/fstest"
	"time"

	"lingqian/bank"
	"lingqian/internal/sqlitefile"
)

// openVersion1 makes a bank database at path as the first release did:
// migration 0001 only.
func openVersion1(t *testing.T, path string) *sqlitefile.File {
	t.Helper()
	init, err := os.ReadFile(filepath.Join("migrations", "0001_init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := sqlitefile.Open(path, sqlitefile.Spec{
		AppID:      0x4C51424B,
		Migrations: fstest.MapFS{"migrations/0001_init.sql": {Data: init}},
		Foreign:    errors.New("foreign"), Newer: errors.New("newer"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSQLite_Version1KeepsItsLoadsAndExceptions(t *testing.T) {
	// Given a database of the first release with a wallet, its loads and an exception
	path := filepath.Join(t.TempDir(), bank.DBFile)
	f := openVersion1(t, path)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano()
	for _, q := range []string{
		`INSERT INTO customers (id, username, password_hash, created_at) VALUES (1, 'alice', 'x', 0)`,
		`INSERT INTO wallets (pan, psn, customer_id, icc_modulus, icc_exponent, aip, cdol1, currency, status, known_balance, created_at)
			VALUES ('6231990000000018', '00', 1, x'C1', x'03', x'3900', x'9F0206', '156', 'active', 49000, 0)`,
		`INSERT INTO loads (pan, psn, kind, atc, amount, balance_after, terminal_id, at)
			VALUES ('6231990000000018', '00', 'voucher', 0, 50000, 50000, '', 1), ('6231990000000018', '00', 'load', 3, 1000, 49000, 'T0000002', 2)`,
		`INSERT INTO exceptions (at, kind, pan, psn, atc, terminal_id, merchant_id, message_key, detail)
			VALUES (` + strconv.FormatInt(at, 10) + `, 'balance_chain', '6231990000000018', '00', 4, '', '', '', 'broken')`,
	} {
		if _, err := f.Writer.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	// When this release opens it
	s, err := bank.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	// Then the loads are there with no operator, the exception is open,
	// and the new kind and resolutions can be written
	ctx := context.Background()
	err = s.Write(ctx, func(tx bank.Tx) error {
		loads, err := tx.Loads("6231990000000018", "00")
		if err != nil {
			return err
		}
		if len(loads) != 2 || loads[1].Kind != bank.LoadOnline || loads[1].ATC != 3 || loads[1].TerminalID != "T0000002" || loads[1].Operator != "" {
			t.Errorf("loads %+v", loads)
		}
		open, err := tx.ExceptionQueue(bank.ExceptionsOpen, 0)
		if err != nil {
			return err
		}
		if len(open) != 1 || open[0].Detail != "broken" || !open[0].At.Equal(time.Unix(0, at)) {
			t.Errorf("open exceptions %+v", open)
		}
		if err := tx.AddLoad(&bank.Load{PAN: "6231990000000018", PSN: "00", Kind: bank.LoadReentry, ATC: 4,
			BalanceAfter: 48000, TerminalID: "T0000002", Operator: "t1", At: time.Now()}); err != nil {
			return err
		}
		n, err := tx.ResolveWalletExceptions("6231990000000018", "00", []string{bank.ReasonBalanceChain},
			bank.Resolution{At: time.Now(), By: "t1", Note: "log lost"})
		if n != 1 {
			t.Errorf("resolved %d", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// And a resolved exception does not resolve again
	err = s.Write(ctx, func(tx bank.Tx) error {
		return tx.ResolveException(1, bank.Resolution{At: time.Now(), By: "t2", Note: "again"})
	})
	if !errors.Is(err, bank.ErrExists) {
		t.Errorf("second resolution: %v, want ErrExists", err)
	}
	err = s.Write(ctx, func(tx bank.Tx) error {
		return tx.ResolveException(99, bank.Resolution{At: time.Now(), By: "t2", Note: "again"})
	})
	if !errors.Is(err, bank.ErrNotFound) {
		t.Errorf("unknown exception: %v, want ErrNotFound", err)
	}
}
