package bank_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"lingqian/bank"
)

func rawExec(t *testing.T, path, q string) error {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.Exec(q)
	return err
}

func TestSQLite_RefusesNewerAndForeignDatabases(t *testing.T) {
	dir := t.TempDir()
	newer := filepath.Join(dir, "newer.db")
	s, err := bank.OpenSQLite(newer)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := rawExec(t, newer, "PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(dir, "foreign.db")
	if err := rawExec(t, foreign, "CREATE TABLE journal (seq INTEGER)"); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("not sqlite "), 100), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		path string
		want error
	}{
		{"made by a newer release", newer, bank.ErrNewerSchema},
		{"another program's database", foreign, bank.ErrNotBankDB},
		{"not a database", garbage, bank.ErrNotBankDB},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := os.ReadFile(tc.path)
			_, err := bank.OpenSQLite(tc.path)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if after, _ := os.ReadFile(tc.path); !bytes.Equal(before, after) {
				t.Error("the file was changed")
			}
		})
	}
}

func TestSQLite_ReopensWithItsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bank.db")
	ctx := context.Background()
	for i := range 2 {
		s, err := bank.OpenSQLite(path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := bank.New(s, bank.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := b.AddCustomer(ctx, "alice", "s3cret", 100); err != nil {
				t.Fatal(err)
			}
		} else if d, err := b.Deposit(ctx, "alice"); err != nil || d != 100 {
			t.Errorf("deposit after reopening: %d %v", d, err)
		}
		if err := b.AddCustomer(ctx, "alice", "s3cret", 100); !errors.Is(err, bank.ErrExists) {
			t.Errorf("a second alice: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLedger_PostingsMustBalance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bank.db")
	s, err := bank.OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	err = s.Write(ctx, func(tx bank.Tx) error {
		if err := tx.EnsureAccount("cash", bank.Asset); err != nil {
			return err
		}
		return tx.EnsureAccount("deposit:a", bank.Liability)
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		lines []bank.Line
	}{
		{"one line", []bank.Line{{Account: "cash", Amount: 10}}},
		{"debits over credits", []bank.Line{{Account: "cash", Amount: 10}, {Account: "deposit:a", Amount: -9}}},
		{"a zero line", []bank.Line{{Account: "cash", Amount: 0}, {Account: "deposit:a", Amount: 0}}},
		{"no account", []bank.Line{{Account: "", Amount: 10}, {Account: "deposit:a", Amount: -10}}},
		{"an account that is not there", []bank.Line{{Account: "cash", Amount: 10}, {Account: "nowhere", Amount: -10}}},
		{"an amount out of range", []bank.Line{{Account: "cash", Amount: 1 << 62}, {Account: "deposit:a", Amount: -(1 << 62)}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Write(ctx, func(tx bank.Tx) error {
				return tx.Post(&bank.Posting{At: time.Now(), Kind: "test", Lines: tc.lines})
			})
			if err == nil {
				t.Fatal("posted")
			}
		})
	}
	// A good posting goes through, and moves both balances
	err = s.Write(ctx, func(tx bank.Tx) error {
		return tx.Post(&bank.Posting{At: time.Now(), Kind: "test", Lines: []bank.Line{{Account: "cash", Amount: 10}, {Account: "deposit:a", Amount: -10}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := bank.New(s, bank.Options{})
	if err := b.Ledger().Balanced(ctx); err != nil {
		t.Fatal(err)
	}
	if n, lines, _ := b.Ledger().Postings(ctx); n != 1 || lines != 2 {
		t.Errorf("%d postings, %d lines", n, lines)
	}
	if v, _ := b.Ledger().Balance(ctx, "deposit:a"); v != 10 {
		t.Errorf("deposit %d", v)
	}
	// The ledger is append-only, even to SQL
	if err := rawExec(t, path, "UPDATE posting_lines SET amount = 11 WHERE line = 1"); err == nil {
		t.Error("a posting line was changed")
	}
	if err := rawExec(t, path, "DELETE FROM postings"); err == nil {
		t.Error("postings were deleted")
	}
	// And a balance changed behind the ledger's back is found
	if err := rawExec(t, path, "UPDATE accounts SET balance = 5 WHERE name = 'cash'"); err != nil {
		t.Fatal(err)
	}
	if err := b.Ledger().Balanced(ctx); !errors.Is(err, bank.ErrUnbalanced) {
		t.Errorf("a drifted account: %v", err)
	}
}

func TestSQLite_OneMessagePerATC(t *testing.T) {
	s, err := bank.OpenSQLite(filepath.Join(t.TempDir(), "bank.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m := bank.Message{TerminalID: "T1", MerchantID: "M", Key: "k1", Seq: 1, Kind: bank.KindPurchase, PAN: "6231990000000018",
		PSN: "00", ATC: 7, State: bank.StatePosted, Slot: true}
	err = s.Write(context.Background(), func(tx bank.Tx) error {
		if err := tx.InsertMessage(&m); err != nil {
			return err
		}
		other := m
		other.TerminalID, other.Key, other.Seq = "T2", "k2", 1
		return tx.InsertMessage(&other)
	})
	if !errors.Is(err, bank.ErrExists) {
		t.Errorf("two messages held one ATC: %v", err)
	}
}
