package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"lingqian/bank"
	"lingqian/bank/banktest"
	"lingqian/bank/pgstore"
	"lingqian/internal/pgtest"
)

// cluster is the DSN of the PostgreSQL cluster every test here shares,
// each in a database of its own; "" when PostgreSQL is not installed, and
// then every test skips.
var cluster string

func TestMain(m *testing.M) {
	dsn, stop, err := pgtest.StartMain()
	if err != nil && !errors.Is(err, pgtest.ErrNotInstalled) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cluster = dsn
	code := m.Run()
	if err := stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

var ctx = context.Background()

// open opens a store on dsn, closed when t ends.
func open(t testing.TB, dsn string) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// raw runs SQL on the database behind the store's back.
func raw(t testing.TB, dsn, q string) error {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, q)
	return err
}

func TestPostgreSQL_StoreSuite(t *testing.T) {
	banktest.StoreSuite(t, func(t *testing.T) bank.Store { return open(t, pgtest.NewDB(t, cluster)) })
}

func TestPostgreSQL_RefusesNewerAndForeignDatabases(t *testing.T) {
	newer := pgtest.NewDB(t, cluster)
	open(t, newer).Close()
	if err := raw(t, newer, `UPDATE bank_schema SET version = 99`); err != nil {
		t.Fatal(err)
	}
	foreign := pgtest.NewDB(t, cluster)
	if err := raw(t, foreign, `CREATE TABLE journal (seq INTEGER)`); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		dsn  string
		want error
	}{
		{"made by a newer release", newer, bank.ErrNewerSchema},
		{"another program's database", foreign, bank.ErrNotBankDB},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := tables(t, tc.dsn)
			_, err := pgstore.Open(ctx, tc.dsn)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if after := tables(t, tc.dsn); after != before {
				t.Errorf("tables %q, were %q", after, before)
			}
		})
	}
}

// tables lists a database's tables and its schema version.
func tables(t *testing.T, dsn string) string {
	t.Helper()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var names string
	if err := conn.QueryRow(ctx, `SELECT coalesce(string_agg(tablename, ' ' ORDER BY tablename), '')
		FROM pg_tables WHERE schemaname = current_schema()`).Scan(&names); err != nil {
		t.Fatal(err)
	}
	var version int
	_ = conn.QueryRow(ctx, `SELECT version FROM bank_schema`).Scan(&version)
	return fmt.Sprintf("%s at %d", names, version)
}

func TestPostgreSQL_ProcessesOpeningAtOnceMigrateOnce(t *testing.T) {
	// Given a new database and eight bank processes starting on it at once
	dsn := pgtest.NewDB(t, cluster)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			s, err := pgstore.Open(ctx, dsn)
			if err == nil {
				s.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()

	// Then every one opened it, and the schema is there once, at its version
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if got := tables(t, dsn); got != "accounts admin_log bank_schema chain_anchors customers desks enrolment_codes exceptions held_unloads "+
		"hotlist hotlist_served idempotency loads messages meta phone_records posting_lines postings sessions wallets at 6" {
		t.Errorf("schema: %s", got)
	}
}

func TestPostgreSQL_ReopensWithItsData(t *testing.T) {
	dsn := pgtest.NewDB(t, cluster)
	for i := range 2 {
		s := open(t, dsn)
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
		s.Close()
	}
}

func TestPostgreSQL_LedgerAndAdminLogAreAppendOnly_DriftIsFound(t *testing.T) {
	// Given a ledger with one posting
	dsn := pgtest.NewDB(t, cluster)
	s := open(t, dsn)
	err := s.Write(ctx, func(tx bank.Tx) error {
		if err := tx.EnsureAccounts([]bank.Account{{Name: "cash", Type: bank.Asset}, {Name: "deposit:a", Type: bank.Liability}}); err != nil {
			return err
		}
		return tx.Post(&bank.Posting{At: time.Now(), Kind: "test", Lines: []bank.Line{{Account: "cash", Amount: 10}, {Account: "deposit:a", Amount: -10}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := bank.New(s, bank.Options{})

	// Then no SQL changes or removes its postings, or the admin log's lines
	for _, q := range []string{`UPDATE posting_lines SET amount = 11 WHERE line = 1`, `DELETE FROM postings`,
		`DELETE FROM posting_lines`, `TRUNCATE postings CASCADE`, `UPDATE postings SET memo = 'x'`,
		`UPDATE admin_log SET by_whom = 'x'`, `DELETE FROM admin_log`} {
		if err := raw(t, dsn, q); err == nil {
			t.Errorf("%s: done", q)
		}
	}
	// And a balance changed behind the ledger's back is found
	if err := raw(t, dsn, `UPDATE accounts SET balance = 5 WHERE name = 'cash'`); err != nil {
		t.Fatal(err)
	}
	if err := b.Ledger().Balanced(ctx); !errors.Is(err, bank.ErrUnbalanced) {
		t.Errorf("a drifted account: %v", err)
	}
}
