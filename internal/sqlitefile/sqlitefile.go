// Package sqlitefile opens a SQLite database file the way Lingqian keeps
// one, for the desk and for the bank alike: the file made 0600, a file
// that is not ours or is from a newer release refused before anything
// writes to it, one writer connection in WAL with synchronous=FULL so
// that a committed transaction survives kill -9 and power cuts, the
// numbered migrations applied, and a read-only pool for queries.
//
// What differs between the two products (application id, migrations,
// pool sizes, extra settings, the error values their callers match) is
// given in a Spec. The errors it returns do not name the file: the
// caller wraps them with its own "…: open <path>:" prefix.
package sqlitefile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
)

// Spec is what one product's database file is.
type Spec struct {
	// AppID is PRAGMA application_id, written on a new file in the same
	// transaction as the first migration; a file with another one is
	// refused. It must not be 0, which every other SQLite file has.
	AppID int32
	// Migrations holds the files migrations/NNNN_name.sql, as
	// //go:embed migrations/*.sql gives them.
	Migrations fs.FS
	// BusyTimeout is how long a statement waits for another process on
	// the same file to finish its write.
	BusyTimeout time.Duration
	// WriterParams and ReaderParams are added to the DSN of the writer and
	// of the read pool (statement and page cache sizes…). They cannot
	// weaken what Open sets itself: those parameters are applied last.
	WriterParams, ReaderParams map[string]string
	// WriterPragmas run on the writer once its settings are checked, for
	// settings the DSN cannot carry.
	WriterPragmas []string
	// Readers is the size of the read-only pool; 0 leaves database/sql's
	// defaults.
	Readers int
	// Foreign and Newer are the caller's own errors, wrapped when the file
	// is not a database of this product (or not a database at all) and
	// when a newer release wrote it, so that its callers match them with
	// errors.Is. Both are required.
	Foreign, Newer error
	// DirSyncBestEffort makes a failure to sync the folder after creating
	// the file no error. Not every platform or file system can sync a
	// folder; a product that must not lose a new file to a power cut
	// leaves this false and refuses to run there instead.
	DirSyncBestEffort bool
}

// File is an open database. Its two handles are safe for concurrent use.
type File struct {
	// Path is the absolute path of the file.
	Path string
	// Writer has one connection: every write goes through it, in
	// immediate transactions, so writers never wait on each other inside
	// SQLite and never deadlock on a lock upgrade.
	Writer *sql.DB
	// Reader is the read-only pool; it sees the last committed state.
	Reader *sql.DB
}

// Open opens the database at path, creating the file (not its folder) if
// needed, and brings its schema up to date. A file of another program,
// or not a database, is refused with spec.Foreign; one from a newer
// release with spec.Newer; either is left byte for byte as it was.
func Open(path string, spec Spec) (*File, error) {
	if spec.AppID == 0 || spec.Foreign == nil || spec.Newer == nil || spec.Migrations == nil {
		return nil, errors.New("incomplete database spec: application id, migrations and errors are required")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	migs, err := LoadMigrations(spec.Migrations)
	if err != nil {
		return nil, err
	}
	created, err := create(abs)
	if err != nil {
		return nil, err
	}
	if !created {
		if err := spec.check(abs, len(migs)); err != nil {
			return nil, err
		}
	}

	ctx := context.Background()
	w, err := sql.Open("sqlite3", dsn(abs, spec.WriterParams, map[string]string{
		"_journal_mode": "WAL",
		"_synchronous":  "FULL",
		"_foreign_keys": "on",
		"_busy_timeout": strconv.FormatInt(spec.BusyTimeout.Milliseconds(), 10),
		"_txlock":       "immediate",
	}))
	if err != nil {
		return nil, fmt.Errorf("writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := spec.setUpWriter(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	if err := spec.migrate(ctx, w, migs); err != nil {
		w.Close()
		return nil, err
	}
	// After the migrations rather than right after creating the file, so
	// that the -wal file's directory entry is made durable too: the
	// migrated schema may still be only there.
	if created {
		if err := syncDir(filepath.Dir(abs)); err != nil && !spec.DirSyncBestEffort {
			w.Close()
			return nil, err
		}
	}

	r, err := sql.Open("sqlite3", dsn(abs, spec.ReaderParams, map[string]string{
		"mode":          "ro",
		"_query_only":   "on",
		"_busy_timeout": strconv.FormatInt(spec.BusyTimeout.Milliseconds(), 10),
	}))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("read pool: %w", err)
	}
	if spec.Readers > 0 {
		r.SetMaxOpenConns(spec.Readers)
		r.SetMaxIdleConns(spec.Readers)
	}
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("read pool: %w", err)
	}
	return &File{Path: abs, Writer: w, Reader: r}, nil
}

// Close closes the read pool, then the writer: SQLite checkpoints the WAL
// into the main file when the last connection closes, and that is the
// writer's to do.
func (f *File) Close() error {
	errR := f.Reader.Close()
	errW := f.Writer.Close()
	return errors.Join(errR, errW)
}

// create makes the file if there is none and tells whether it did. It is
// made here rather than by SQLite so that its mode is 0600 whatever the
// umask; SQLite gives the -wal and -shm files the same mode.
func create(path string) (bool, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		if err := f.Close(); err != nil {
			return false, fmt.Errorf("create: %w", err)
		}
		return true, nil
	}
	if !errors.Is(err, os.ErrExist) {
		return false, fmt.Errorf("create: %w", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return false, err
	}
	if st.IsDir() {
		return false, errors.New("it is a folder")
	}
	return false, nil
}

// check looks at an existing file through a read-only connection before
// anything writes to it: opening the writer switches the file to WAL,
// which must not happen to another program's database or to a newer
// release's.
func (s *Spec) check(path string, latest int) error {
	ro, err := sql.Open("sqlite3", dsn(path, nil, map[string]string{"mode": "ro", "_query_only": "on"}))
	if err != nil {
		return err
	}
	defer ro.Close()
	ctx := context.Background()
	var version, appID, tables int
	if err := ro.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", s.notDB(err))
	}
	if err := ro.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return fmt.Errorf("read application id: %w", s.notDB(err))
	}
	if err := ro.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&tables); err != nil {
		return fmt.Errorf("list tables: %w", s.notDB(err))
	}
	switch {
	case version == 0 && tables == 0:
		return nil // new
	case version == 0:
		// Migrations set the application id and the version in one
		// transaction, so even a file with our id is not ours without one.
		return fmt.Errorf("%w: it has tables but no schema version", s.Foreign)
	case appID != int(s.AppID):
		return fmt.Errorf("%w (application id %#x)", s.Foreign, appID)
	case version > latest:
		return fmt.Errorf("schema version %d, this release knows up to %d: %w", version, latest, s.Newer)
	}
	return nil
}

// notDB turns SQLite's "file is not a database" into s.Foreign.
func (s *Spec) notDB(err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrNotADB {
		return fmt.Errorf("%w: %w", s.Foreign, err)
	}
	return err
}

// setUpWriter makes sure the DSN took, since a misspelt parameter would
// silently take the durability guarantees away, then runs the caller's
// pragmas.
func (s *Spec) setUpWriter(ctx context.Context, w *sql.DB) error {
	var mode string
	var syncMode, fk int
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return s.notDB(err)
	}
	if err := w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&syncMode); err != nil {
		return err
	}
	if err := w.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, not wal: the file system may not support it", mode)
	}
	if syncMode != 2 || fk != 1 {
		return fmt.Errorf("SQLite settings did not take: synchronous=%d foreign_keys=%d, want 2 (FULL) and 1", syncMode, fk)
	}
	for _, p := range s.WriterPragmas {
		if _, err := w.ExecContext(ctx, p); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	return nil
}

// dsn makes a file: URI; SQLite reads mode=, go-sqlite3 the _ parameters.
// fixed is applied after extra, so it wins.
func dsn(path string, extra, fixed map[string]string) string {
	q := url.Values{}
	for _, params := range []map[string]string{extra, fixed} {
		for k, v := range params {
			q.Set(k, v)
		}
	}
	u := url.URL{Path: path}
	return "file:" + u.EscapedPath() + "?" + q.Encode()
}

// syncDir makes the directory entries in dir durable.
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
