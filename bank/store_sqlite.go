package bank

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// applicationID marks the file as a bank database ("LQBK").
const applicationID = 0x4C51424B

// busyTimeout is how long a statement waits for another process on the
// same data folder (the server and an administrative command) to finish
// its write.
const busyTimeout = 15 * time.Second

// SQLite is the embedded default Store: one file, WAL with
// synchronous=FULL so a committed transaction survives kill -9 and power
// cuts, every write through one connection in immediate transactions
// (writers never deadlock on lock upgrades), reads from a read-only pool.
type SQLite struct {
	path string
	w    *sql.DB
	r    *sql.DB
}

var _ Store = (*SQLite)(nil)

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var out []migration
	for _, n := range names {
		base := filepath.Base(n)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: the name must start with its number", base)
		}
		data, err := migrationFS.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", base, err)
		}
		out = append(out, migration{version: v, name: base, sql: string(data)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: numbers must run 1, 2, 3… without gaps", m.name)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no migrations embedded")
	}
	return out, nil
}

// OpenSQLite opens the database at path, creating it (mode 0600) if
// needed, and brings its schema up to date. A database from a newer
// release is refused with ErrNewerSchema and left as it is.
func OpenSQLite(path string) (*SQLite, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("bank: open %s: %w", path, err)
	}
	migs, err := loadMigrations()
	if err != nil {
		return nil, fmt.Errorf("bank: open %s: %w", abs, err)
	}
	// Made here rather than by SQLite so the mode is 0600 whatever the
	// umask; SQLite gives its -wal and -shm files the same mode.
	if f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("bank: open %s: %w", abs, err)
		}
		syncDir(filepath.Dir(abs))
	} else if !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("bank: open %s: %w", abs, err)
	}
	if err := checkSchema(abs, len(migs)); err != nil {
		return nil, err
	}
	w, err := sql.Open("sqlite3", dsn(abs, map[string]string{
		"_journal_mode": "WAL",
		"_synchronous":  "FULL",
		"_foreign_keys": "on",
		"_busy_timeout": strconv.FormatInt(busyTimeout.Milliseconds(), 10),
		"_txlock":       "immediate",
		// Clearing runs the same few statements for every message:
		// preparing them again each time was a third of its time. A
		// batch adds its set-based statements, in a few sizes each; the
		// cache holds them all beside the single-row ones.
		"_stmt_cache_size": "128",
		"_cache_size":      "-32768", // KiB of pages: the indexes clearing probes stay in memory
	}))
	if err != nil {
		return nil, fmt.Errorf("bank: open %s: %w", abs, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &SQLite{path: abs, w: w}
	ctx := context.Background()
	if err := s.checkPragmas(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("bank: open %s: %w", abs, err)
	}
	if err := s.migrate(ctx, migs); err != nil {
		w.Close()
		return nil, fmt.Errorf("bank: open %s: %w", abs, err)
	}
	r, err := sql.Open("sqlite3", dsn(abs, map[string]string{
		"mode":             "ro",
		"_query_only":      "on",
		"_foreign_keys":    "on",
		"_busy_timeout":    strconv.FormatInt(busyTimeout.Milliseconds(), 10),
		"_stmt_cache_size": "32",
	}))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("bank: open %s: read pool: %w", abs, err)
	}
	n := max(4, runtime.NumCPU())
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.r = r
	return s, nil
}

// dsn makes a file: URI; SQLite reads mode=, go-sqlite3 the _ parameters.
func dsn(path string, params map[string]string) string {
	q := url.Values{}
	for k, v := range params {
		q.Set(k, v)
	}
	u := url.URL{Path: path}
	return "file:" + u.EscapedPath() + "?" + q.Encode()
}

// checkSchema looks at an existing file through a read-only connection
// before anything writes to it: opening the writer switches the file to
// WAL, which must not happen to another program's database or to a newer
// release's.
func checkSchema(path string, latest int) error {
	ro, err := sql.Open("sqlite3", dsn(path, map[string]string{"mode": "ro"}))
	if err != nil {
		return fmt.Errorf("bank: open %s: %w", path, err)
	}
	defer ro.Close()
	ctx := context.Background()
	var version, appID, tables int
	if err := ro.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("bank: open %s: %w", path, notDB(err))
	}
	if err := ro.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return fmt.Errorf("bank: open %s: %w", path, notDB(err))
	}
	if err := ro.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&tables); err != nil {
		return fmt.Errorf("bank: open %s: %w", path, notDB(err))
	}
	switch {
	case version == 0 && tables == 0:
		return nil // new
	case appID != applicationID:
		return fmt.Errorf("bank: open %s: %w (application id %#x)", path, ErrNotBankDB, appID)
	case version > latest:
		return fmt.Errorf("bank: open %s: schema version %d, this release knows up to %d: %w", path, version, latest, ErrNewerSchema)
	}
	return nil
}

func notDB(err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrNotADB {
		return fmt.Errorf("%w: %w", ErrNotBankDB, err)
	}
	return err
}

// checkPragmas makes sure the DSN took: a misspelt parameter would
// silently leave the bank without its durability guarantees.
func (s *SQLite) checkPragmas(ctx context.Context) error {
	var mode string
	var syncMode, fk int
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return notDB(err)
	}
	if err := s.w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&syncMode); err != nil {
		return err
	}
	if err := s.w.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
		return err
	}
	if !strings.EqualFold(mode, "wal") || syncMode != 2 || fk != 1 {
		return fmt.Errorf("SQLite settings did not take: journal_mode %s, synchronous %d, foreign_keys %d", mode, syncMode, fk)
	}
	return nil
}

// migrate applies the migrations the file lacks, all in one immediate
// transaction: a server and a command opening a new folder at the same
// moment take turns, and the second finds the work done.
func (s *SQLite) migrate(ctx context.Context, migs []migration) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if version > len(migs) {
		return fmt.Errorf("schema version %d, this release knows up to %d: %w", version, len(migs), ErrNewerSchema)
	}
	if version == len(migs) {
		return nil
	}
	if version == 0 {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", applicationID)); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	for _, m := range migs[version:] {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migrate: %s: %w", m.name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migs))); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Close closes the database; the writer last, so SQLite checkpoints the
// WAL into the main file when it is the last connection.
func (s *SQLite) Close() error {
	errR := s.r.Close()
	errW := s.w.Close()
	if err := errors.Join(errR, errW); err != nil {
		return fmt.Errorf("bank: close %s: %w", s.path, err)
	}
	return nil
}

// Path is the database file.
func (s *SQLite) Path() string { return s.path }

// Write runs fn in an immediate transaction on the writer. The request's
// cancellation does not abandon a write that began: a batch half cleared
// when its desk hung up is finished and remembered, so the desk's retry
// gets the answer instead of a second pass.
func (s *SQLite) Write(ctx context.Context, fn func(Tx) error) error {
	ctx = context.WithoutCancel(ctx)
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("bank: begin: %w", err)
	}
	if err := fn(&sqlTx{ctx: ctx, tx: tx}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("bank: commit: %w", err)
	}
	return nil
}

// Read runs fn in a read transaction: one snapshot for all its queries.
func (s *SQLite) Read(ctx context.Context, fn func(Tx) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("bank: begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(&sqlTx{ctx: ctx, tx: tx})
}

// sqlTx implements Tx on one SQLite transaction; the files
// store_sqlite_*.go hold its methods, one file per group of tables.
type sqlTx struct {
	ctx context.Context
	tx  *sql.Tx
}

func (t *sqlTx) exec(q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(t.ctx, q, args...)
}

func (t *sqlTx) row(q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(t.ctx, q, args...)
}

func (t *sqlTx) query(q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(t.ctx, q, args...)
}

// rowsPerStatement bounds a multi-row statement: 32 rows of the widest
// table (messages, 30 columns) stay under the 999 parameters older SQLite
// builds allow.
const rowsPerStatement = 32

// execRows runs head VALUES (…), (…) tail over args, cols of them a row,
// and counts the rows changed. Runs of 32, 16, 8, 4, 2 and 1 rows keep
// the distinct statement texts few, so they all stay prepared.
func (t *sqlTx) execRows(head, tail string, cols int, args []any) (int64, error) {
	if cols <= 0 || len(args)%cols != 0 {
		return 0, fmt.Errorf("%d values do not make rows of %d", len(args), cols)
	}
	var changed int64
	for rows := len(args) / cols; rows > 0; {
		n := rowsPerStatement
		for n > rows {
			n /= 2
		}
		res, err := t.exec(rowsStatement(head, tail, n, cols), args[:n*cols]...)
		if err != nil {
			return changed, err
		}
		c, err := res.RowsAffected()
		if err != nil {
			return changed, err
		}
		changed += c
		args, rows = args[n*cols:], rows-n
	}
	return changed, nil
}

type statementShape struct {
	head, tail string
	rows, cols int
}

// statements holds the texts execRows made: a few sizes for each of its
// callers, which every batch needs again.
var statements sync.Map // statementShape → string

// rowsStatement is head VALUES (?, ?), (?, ?) tail for rows of cols.
func rowsStatement(head, tail string, rows, cols int) string {
	shape := statementShape{head, tail, rows, cols}
	if q, ok := statements.Load(shape); ok {
		return q.(string)
	}
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	q := head + strings.Repeat(row+", ", rows-1) + row + tail
	statements.Store(shape, q)
	return q
}

// jsonList is v as a JSON array for json_each, which lets one statement
// take a whole set of keys as a single parameter.
func jsonList(v any) (string, error) {
	data, err := json.Marshal(v)
	return string(data), err
}

// one maps "no rows" to ErrNotFound, naming what was looked for.
func one(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// unique maps a UNIQUE or PRIMARY KEY violation to ErrExists.
func unique(err error, what string) error {
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrConstraint &&
		(se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey) {
		return fmt.Errorf("%s: %w", what, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// nanos stores a time; the zero time is 0.
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

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// syncDir makes a new directory entry durable; not every platform can, and
// the file's own data is synced anyway, so a failure is not an error.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}
