// Package pgstore keeps the bank on PostgreSQL: bank.Store and bank.Tx
// through pgx, for a bank that serves from several processes on one
// database. The bank's rules stay in Go (package bank); this package only
// reads and writes rows, answering exactly as the SQLite store does, so
// the same conformance suite (bank/banktest.StoreSuite) runs on both.
//
// Write transactions are SERIALIZABLE and run again when PostgreSQL
// finds they could not have run one after the other (docs/decisions.md,
// "The bank on PostgreSQL"): to the bank, writes still happen one at a
// time, whichever process makes them.
//
// lingqian-bank uses it for --db postgres://… (cmd/lingqian-bank).
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"lingqian/bank"
)

// Store is bank.Store on a PostgreSQL database.
type Store struct {
	pool    *pgxpool.Pool
	retries atomic.Int64
	// writer lets one of this process's writes run at a time, as on
	// SQLite: two of one process nearly always touch the same rows (a
	// desk's two batches on the wire, the merchant's settlement account),
	// and run side by side one would be thrown away and run again. Only
	// writes of different processes meet in the database.
	writer sync.Mutex
}

var _ bank.Store = (*Store)(nil)

// Open connects to the database at dsn (a postgres:// URL or key=value
// string, as libpq takes) and brings its schema up to date. A database
// from a newer release is refused with bank.ErrNewerSchema, one holding
// other tables with bank.ErrNotBankDB; both are left as they are.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx words it with the password blanked out.
		return nil, fmt.Errorf("bank: the PostgreSQL DSN: %w", err)
	}
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		cfg.ConnConfig.RuntimeParams["application_name"] = "lingqian-bank"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("bank: open PostgreSQL at %s: %w", where(cfg), err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("bank: open PostgreSQL at %s: %w", where(cfg), err)
	}
	return &Store{pool: pool}, nil
}

// where names a database for messages without its password.
func where(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("%s:%d/%s", c.Host, c.Port, c.Database)
}

// Close closes every connection.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Retries counts the write attempts run again after a serialization
// failure or a deadlock since the store was opened.
func (s *Store) Retries() int64 { return s.retries.Load() }

// maxAttempts bounds how often one Write runs: enough for a handful of
// bank processes clearing the same merchant's batches at once.
const maxAttempts = 30

// Write runs fn in a SERIALIZABLE transaction, and runs it again (after a
// short random pause) when PostgreSQL aborts it for a serialization
// failure or a deadlock: fn must change nothing outside the transaction
// that a second run would not set again. The bank's writes are such (see
// docs/decisions.md). As on SQLite, the request's cancellation does not
// abandon a write that began, and this process's writes run one at a
// time (Store.writer): fn must not call Write.
func (s *Store) Write(ctx context.Context, fn func(bank.Tx) error) error {
	ctx = context.WithoutCancel(ctx)
	s.writer.Lock()
	defer s.writer.Unlock()
	for attempt := 1; ; attempt++ {
		err := s.attempt(ctx, fn)
		if err == nil || !retryable(err) {
			return err
		}
		if attempt == maxAttempts {
			return fmt.Errorf("bank: write given up after %d attempts: %w", attempt, err)
		}
		s.retries.Add(1)
		time.Sleep(backoff(attempt))
	}
}

// backoff grows with the attempts and is random, so transactions that
// collided do not collide again in step.
func backoff(attempt int) time.Duration {
	ceiling := time.Millisecond << min(attempt, 7) // up to 128 ms
	return rand.N(ceiling) + time.Millisecond
}

func (s *Store) attempt(ctx context.Context, fn func(bank.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable})
	if err != nil {
		return fmt.Errorf("bank: begin: %w", err)
	}
	// Rolled back unless committed, however fn ends (a panic too), so
	// the connection goes back to the pool clean.
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit a no-op
	t := &pgTx{ctx: ctx, tx: tx}
	if err := fn(t); err != nil {
		// fn may have turned the failure into an error of its own (an
		// API error, say): the transaction's first conflict decides.
		if t.conflict != nil {
			return fmt.Errorf("bank: %w", t.conflict)
		}
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		if t.conflict != nil {
			err = t.conflict // an error fn let pass rolled the transaction back
		}
		return fmt.Errorf("bank: commit: %w", err)
	}
	return nil
}

// Read runs fn on one REPEATABLE READ, READ ONLY snapshot: every query
// sees the database as it was at the first, and a write fails.
func (s *Store) Read(ctx context.Context, fn func(bank.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("bank: begin read: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read only: nothing to keep
	return fn(&pgTx{ctx: ctx, tx: tx})
}

// SQLSTATE codes the store tells apart.
const (
	codeSerialization = "40001"
	codeDeadlock      = "40P01"
	codeUnique        = "23505"
	codeForeignKey    = "23503"
)

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// retryable says a write failed only because another ran at the same
// time: run alone, it may succeed.
func retryable(err error) bool {
	switch sqlState(err) {
	case codeSerialization, codeDeadlock:
		return true
	}
	return false
}

// pgTx implements bank.Tx on one PostgreSQL transaction; the files tx_*.go
// hold its methods, one file per group of tables.
type pgTx struct {
	ctx context.Context
	tx  pgx.Tx
	// conflict is the first serialization failure or deadlock of the
	// transaction, whatever the caller made of the error.
	conflict error
}

// A method added to bank.Tx without its PostgreSQL form fails the build
// here.
var _ bank.Tx = (*pgTx)(nil)

// note keeps the first conflict and passes err on.
func (t *pgTx) note(err error) error {
	if err != nil && t.conflict == nil && retryable(err) {
		t.conflict = err
	}
	return err
}

func (t *pgTx) exec(q string, args ...any) (pgconn.CommandTag, error) {
	tag, err := t.tx.Exec(t.ctx, q, args...)
	return tag, t.note(err)
}

func (t *pgTx) row(q string, args ...any) pgx.Row {
	return notedRow{t, t.tx.QueryRow(t.ctx, q, args...)}
}

type notedRow struct {
	t *pgTx
	r pgx.Row
}

func (r notedRow) Scan(dest ...any) error { return r.t.note(r.r.Scan(dest...)) }

// list runs q and scans each row with scan.
func list[T any](t *pgTx, what string, scan func(pgx.Row) (T, error), q string, args ...any) ([]T, error) {
	rows, err := t.tx.Query(t.ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, t.note(err))
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, t.note(err))
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, t.note(err))
	}
	return out, nil
}

// one maps "no rows" to bank.ErrNotFound, naming what was looked for.
func one(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, bank.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// inserted maps an insert that wrote fewer rows than it was given (ON
// CONFLICT DO NOTHING skipped them) or broke a unique index to
// bank.ErrExists. Skipping, not failing, leaves the transaction usable,
// as a refused statement leaves an SQLite one; and in a SERIALIZABLE
// transaction PostgreSQL skips only for rows the transaction can see: a
// row a concurrent one wrote is a serialization failure instead, and the
// write runs again.
func inserted(tag pgconn.CommandTag, err error, want int, what string) error {
	switch {
	case sqlState(err) == codeUnique:
		return fmt.Errorf("%s: %w", what, bank.ErrExists)
	case err != nil:
		return fmt.Errorf("%s: %w", what, err)
	case tag.RowsAffected() != int64(want):
		return fmt.Errorf("%s: %w", what, bank.ErrExists)
	}
	return nil
}

// nanos stores a time as SQLite does; the zero time is 0.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// nullID is an ID column that holds NULL for none.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// noLimit is a LIMIT's value: NULL, which is no limit, for limit <= 0.
func noLimit(limit int) any {
	if limit <= 0 {
		return nil
	}
	return int64(limit)
}
