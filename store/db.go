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
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/mattn/go-sqlite3"
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
	// ErrFinalState: the entry's outbox state is final and cannot change.
	ErrFinalState = errors.New("outbox state is final")
	// ErrTampered: a stored seal does not match what it seals.
	ErrTampered = errors.New("stored data does not match its seal")
)

// applicationID marks the file as a desk database ("LQDK"); 0001_init.sql sets it.
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
	dir := filepath.Dir(abs)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: open %s: create folder: %w", abs, err)
	}
	migs, err := loadMigrations()
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", abs, err)
	}
	latest := migs[len(migs)-1].version

	created := false
	switch st, err := os.Stat(abs); {
	case errors.Is(err, os.ErrNotExist):
		// Made here rather than by SQLite so that the mode is 0600 whatever
		// the umask; SQLite gives its -wal and -shm files the same mode.
		f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("store: open %s: create: %w", abs, err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("store: open %s: create: %w", abs, err)
		}
		created = true
	case err != nil:
		return nil, fmt.Errorf("store: open %s: %w", abs, err)
	case st.IsDir():
		return nil, fmt.Errorf("store: open %s: %w: it is a folder", abs, ErrInvalid)
	case st.Size() > 0:
		// Look before writing anything: opening the writer switches the
		// file to WAL, which would change a newer release's file.
		if err := checkVersion(abs, latest); err != nil {
			return nil, err
		}
	}

	// The writer keeps up to 32 MiB of pages: marking a forwarder's batch
	// touches index pages all over the outbox, and with SQLite's default
	// 2 MiB each one is read again from the OS (3× slower when measured).
	w, err := sql.Open("sqlite3", dsn(abs, map[string]string{
		"_journal_mode":    "WAL",
		"_synchronous":     "FULL",
		"_foreign_keys":    "on",
		"_busy_timeout":    fmt.Sprint(busyTimeout.Milliseconds()),
		"_txlock":          "immediate",
		"_stmt_cache_size": "64",
		"_cache_size":      "-32768",
	}))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", abs, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	db := &DB{path: abs, w: w}
	ctx := context.Background()
	if err := db.checkWriter(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", abs, err)
	}
	if err := migrate(ctx, w, migs); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", abs, err)
	}
	if created {
		// The new file's directory entry must reach the disk too, or a
		// power cut could lose the whole database along with its rows.
		if err := syncDir(dir); err != nil {
			w.Close()
			return nil, fmt.Errorf("store: open %s: %w", abs, err)
		}
	}

	r, err := sql.Open("sqlite3", dsn(abs, map[string]string{
		"mode":             "ro",
		"_query_only":      "on",
		"_busy_timeout":    fmt.Sprint(busyTimeout.Milliseconds()),
		"_stmt_cache_size": "32",
	}))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: read pool: %w", abs, err)
	}
	r.SetMaxOpenConns(max(4, runtime.NumCPU()))
	r.SetMaxIdleConns(max(4, runtime.NumCPU()))
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("store: open %s: read pool: %w", abs, err)
	}
	db.r = r
	return db, nil
}

// Close closes the database. The writer closes last, so that SQLite
// checkpoints the WAL into the main file when it is the last connection.
func (db *DB) Close() error {
	var errR error
	if db.r != nil {
		errR = db.r.Close()
	}
	errW := db.w.Close()
	if err := errors.Join(errR, errW); err != nil {
		return fmt.Errorf("store: close %s: %w", db.path, err)
	}
	return nil
}

// Path is the database file.
func (db *DB) Path() string { return db.path }

// dsn makes a file: URI; SQLite reads mode=, go-sqlite3 the _ parameters.
func dsn(path string, params map[string]string) string {
	q := url.Values{}
	for k, v := range params {
		q.Set(k, v)
	}
	u := url.URL{Path: path}
	return "file:" + u.EscapedPath() + "?" + q.Encode()
}

// checkVersion reads the schema version of an existing file through a
// read-only connection, which does not change the file.
func checkVersion(path string, latest int) error {
	ro, err := sql.Open("sqlite3", dsn(path, map[string]string{"mode": "ro", "_query_only": "on"}))
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	defer ro.Close()
	ctx := context.Background()
	var version, appID int
	if err := ro.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("store: open %s: read schema version: %w", path, notDB(err))
	}
	if err := ro.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return fmt.Errorf("store: open %s: read application id: %w", path, notDB(err))
	}
	if version == 0 {
		var tables int
		if err := ro.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&tables); err != nil {
			return fmt.Errorf("store: open %s: %w", path, notDB(err))
		}
		if tables > 0 {
			return fmt.Errorf("store: open %s: %w: it has tables but no schema version", path, ErrNotDeskDB)
		}
		return nil
	}
	if appID != applicationID {
		return fmt.Errorf("store: open %s: %w (application id %#x)", path, ErrNotDeskDB, appID)
	}
	if version > latest {
		return fmt.Errorf("store: open %s: schema version %d, this release knows up to %d: %w", path, version, latest, ErrNewerSchema)
	}
	return nil
}

// notDB turns SQLite's "file is not a database" into ErrNotDeskDB.
func notDB(err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrNotADB {
		return fmt.Errorf("%w: %w", ErrNotDeskDB, err)
	}
	return err
}

// checkWriter makes sure the DSN took: a wrong parameter name would
// silently leave the desk without its durability guarantees.
func (db *DB) checkWriter(ctx context.Context) error {
	var mode string
	var syncMode, fk int
	if err := db.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return notDB(err)
	}
	if err := db.w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&syncMode); err != nil {
		return err
	}
	if err := db.w.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return err
	}
	if mode != "wal" {
		return fmt.Errorf("journal mode is %q, not wal: the file system may not support it", mode)
	}
	if syncMode != 2 || fk != 1 {
		return fmt.Errorf("synchronous=%d foreign_keys=%d, want 2 (FULL) and 1", syncMode, fk)
	}
	// Without a limit the WAL file keeps the size of its largest burst.
	if _, err := db.w.ExecContext(ctx, "PRAGMA journal_size_limit = 67108864"); err != nil {
		return err
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync folder: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync folder: %w", err)
	}
	return nil
}

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
