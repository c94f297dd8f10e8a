package bank

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"

	"lingqian/internal/sqlitefile"
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

// OpenSQLite opens the database at path, creating it (mode 0600) if
// needed, and brings its schema up to date. A database from a newer
// release is refused with ErrNewerSchema and left as it is.
func OpenSQLite(path string) (*SQLite, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("bank: open %s: %w", path, err)
	}
	f, err := sqlitefile.Open(abs, sqlitefile.Spec{
		AppID:       applicationID,
		Migrations:  migrationFS,
		BusyTimeout: busyTimeout,
		WriterParams: map[string]string{
			// Clearing runs the same few statements for every message:
			// preparing them again each time was a third of its time. A
			// batch adds its set-based statements, in a few sizes each;
			// the cache holds them all beside the single-row ones.
			"_stmt_cache_size": "128",
			"_cache_size":      "-32768", // KiB of pages: the indexes clearing probes stay in memory
		},
		ReaderParams: map[string]string{"_foreign_keys": "on", "_stmt_cache_size": "32"},
		Readers:      max(4, runtime.NumCPU()),
		Foreign:      ErrNotBankDB,
		Newer:        ErrNewerSchema,
		// Not every platform can sync a folder, and the file's own data is
		// synced anyway, so a failure there is not an error.
		DirSyncBestEffort: true,
	})
	if err != nil {
		return nil, fmt.Errorf("bank: open %s: %w", abs, err)
	}
	return &SQLite{path: f.Path, w: f.Writer, r: f.Reader}, nil
}

// Close closes the database, the read pool first and the writer last.
func (s *SQLite) Close() error {
	f := sqlitefile.File{Path: s.path, Writer: s.w, Reader: s.r}
	if err := f.Close(); err != nil {
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
