// Package store is the desk's SQLite database: the journal of card
// transactions with its hash chain, the outbox timelines of what goes to
// the bank, operators and their PINs, the audit log, X and Z reports and
// settings.
//
// A purchase approved offline is money until the bank has posted it, so
// every write is one immediate transaction committed with
// synchronous=FULL in WAL mode: when a call returns nil, the row survives
// a power cut or kill -9. All writes go through one connection, so they
// never wait on each other inside SQLite; queries use a separate
// read-only pool and see the last committed state.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"lingqian/internal/sqlitefile"
)

// Errors a caller may want to tell apart. They are wrapped: use errors.Is.
var (
	// ErrNewerSchema: the database was written by a newer release of the
	// desk. It is left untouched.
	ErrNewerSchema = errors.New("the database was made by a newer release of Lingqian: use that release or a newer one")
	// ErrNotDeskDB: the file is an SQLite database of something else.
	ErrNotDeskDB = errors.New("not a Lingqian desk database")
	// ErrInvalid: the input breaks a rule (a missing key, a bad PIN, a
	// void of something that is not a purchase…); the message says which.
	ErrInvalid = errors.New("invalid")
	// ErrDuplicateKey: an entry with the same idempotency key is in the journal.
	ErrDuplicateKey = errors.New("idempotency key already in the journal")
	// ErrAlreadyVoided: the purchase has a void already.
	ErrAlreadyVoided = errors.New("purchase already voided")
	// ErrForwarded: the purchase has left the desk for the bank, so the
	// desk can no longer void it.
	ErrForwarded = errors.New("the purchase has gone to the bank")
	// ErrFinalState: the entry's outbox state is final and cannot change.
	ErrFinalState = errors.New("outbox state is final")
	// ErrTampered: a stored seal does not match what it seals.
	ErrTampered = errors.New("stored data does not match its seal")
)

// applicationID marks the file as a desk database ("LQDK"); 0001_init.sql
// sets the same value.
const applicationID = 0x4C51444B

// busyTimeout is how long a statement waits for another process (the
// desktop app and a headless subcommand on the same data folder) to
// finish its write before giving up.
const busyTimeout = 10 * time.Second

// DB is the desk's database. It is safe for concurrent use.
type DB struct {
	path string
	w    *sql.DB // one connection: every write, in immediate transactions
	r    *sql.DB // read-only pool for queries
}

// Open opens the database at path, creating it (and its folder, 0700;
// the file 0600) if needed, and brings its schema up to date. A database
// from a newer release is refused with ErrNewerSchema and not modified.
func Open(path string) (*DB, error) {
	if path == "" {
		return nil, fmt.Errorf("store: open: %w: empty path", ErrInvalid)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("store: open %s: create folder: %w", abs, err)
	}
	if st, err := os.Stat(abs); err == nil && st.IsDir() {
		return nil, fmt.Errorf("store: open %s: %w: it is a folder", abs, ErrInvalid)
	}
	f, err := sqlitefile.Open(abs, sqlitefile.Spec{
		AppID:       applicationID,
		Migrations:  migrationFiles,
		BusyTimeout: busyTimeout,
		// The writer keeps up to 32 MiB of pages: marking a forwarder's
		// batch touches index pages all over the outbox, and with SQLite's
		// default 2 MiB each one is read again from the OS (3× slower when
		// measured).
		WriterParams: map[string]string{"_stmt_cache_size": "64", "_cache_size": "-32768"},
		// Without a limit the WAL file keeps the size of its largest burst.
		WriterPragmas: []string{"PRAGMA journal_size_limit = 67108864"},
		ReaderParams:  map[string]string{"_stmt_cache_size": "32"},
		Readers:       max(4, runtime.NumCPU()),
		Foreign:       ErrNotDeskDB,
		Newer:         ErrNewerSchema,
		// A purchase approved offline is money: a new database whose
		// directory entry a power cut could lose is not opened at all.
		DirSyncBestEffort: false,
	})
	if err != nil {
		return nil, openError(abs, err)
	}
	db := &DB{path: f.Path, w: f.Writer, r: f.Reader}
	// Schema 3 chains the audit rows of older releases here, before
	// anything else writes to the log.
	if err := db.finishChainUpgrade(context.Background()); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the database, the read pool first and the writer last.
func (db *DB) Close() error {
	f := sqlitefile.File{Path: db.path, Writer: db.w, Reader: db.r}
	if err := f.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", db.path, err)
	}
	return nil
}

// Path is the database file.
func (db *DB) Path() string { return db.path }

// write runs fn in one immediate transaction on the writer and commits.
// Once begun, it is not cancelled with ctx: a purchase the card already
// approved must reach the disk even if the screen that asked has gone.
func (db *DB) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx = context.WithoutCancel(ctx)
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// read runs fn in one read transaction on the read pool, so that every
// query in it sees the same snapshot.
func (db *DB) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.r.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to lose
	return fn(tx)
}

// querier is what both *sql.DB and *sql.Tx give.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// nanos is how a time is stored: nanoseconds since 1970 UTC.
func nanos(t time.Time) (int64, error) {
	if t.Before(minTime) || t.After(maxTime) {
		return 0, fmt.Errorf("%w: time %s is out of range", ErrInvalid, t.Format(time.RFC3339))
	}
	return t.UnixNano(), nil
}

// fromNanos is the stored time back, in UTC.
func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// nullNanos stores the zero time as NULL.
func nullNanos(t time.Time) (any, error) {
	if t.IsZero() {
		return nil, nil
	}
	return nanos(t)
}

// blob keeps an empty slice a zero-length BLOB: go-sqlite3 binds nil as NULL.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
