package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"lingqian/bank"
	"lingqian/bank/pgstore"
)

// place is where a command finds the bank: its data folder (keys, and the
// SQLite database) and, with --db, the PostgreSQL database instead.
type place struct {
	data *string
	db   *string
}

// flags makes a command's flag set with the --data and --db flags every
// command has.
func flags(name string, stderr io.Writer) (*flag.FlagSet, place) {
	fs := flag.NewFlagSet("lingqian-bank "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs, place{
		data: fs.String("data", defaultData(), "the bank's data folder"),
		db:   fs.String("db", "", "the bank's PostgreSQL database, postgres://USER[:PASSWORD]@HOST[:PORT]/NAME (default: SQLite in --data)"),
	}
}

// where names the bank's database for logs and messages, without a
// password.
func (p place) where() string {
	if *p.db != "" {
		return pgstore.Redacted(*p.db)
	}
	return filepath.Join(*p.data, bank.DBFile)
}

// store opens the --db database, or is nil for SQLite in the data folder.
// Only a postgres:// URL is taken: a path or a word there is more likely
// a mistake than a database.
func (p place) store() (bank.Store, error) {
	dsn := *p.db
	if dsn == "" {
		return nil, nil
	}
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return nil, fmt.Errorf("--db %s: want a postgres:// URL (without --db the bank keeps SQLite in --data)", pgstore.Redacted(dsn))
	}
	st, err := pgstore.Open(context.Background(), dsn)
	if err != nil {
		return nil, fmt.Errorf("--db %s: %w", pgstore.Redacted(dsn), err)
	}
	return st, nil
}

// open opens the bank for a command with opts: the keys and the SQLite
// database from the data folder, the database from --db when given. A
// command that needs no keys and has --db leaves the data folder alone:
// it may run where the keys are not.
func (p place) open(opts bank.Options) (*bank.Bank, error) {
	st, err := p.store()
	if err != nil {
		return nil, err
	}
	if st == nil || opts.Keys {
		opts.Store = st
		return bank.Open(*p.data, opts)
	}
	b, err := bank.New(st, opts)
	if err != nil {
		st.Close()
		return nil, err
	}
	return b, nil
}

// openExisting is open for a command that reads or changes what must be
// there already: on SQLite, a report on a mistyped folder says so rather
// than showing an empty new bank. A PostgreSQL database is there or its
// connection fails.
func (p place) openExisting(opts bank.Options) (*bank.Bank, error) {
	if *p.db == "" {
		if _, err := os.Stat(filepath.Join(*p.data, bank.DBFile)); err != nil {
			return nil, fmt.Errorf("no bank in %s (check --data or --db): %w", *p.data, err)
		}
	}
	return p.open(opts)
}
