package sqlitefile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
)

// Migration is one file migrations/NNNN_name.sql. The schema version is
// PRAGMA user_version: it lives in the database header, so it changes in
// the same transaction as the schema and can be read without knowing any
// table.
type Migration struct {
	Version int    // NNNN: the schema version the file brings the database to
	Name    string // the file's name, for messages
	SQL     string
}

// LoadMigrations reads migrations/*.sql from fsys in the order of their
// numbers, which must run 1, 2, 3… without gaps.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var migs []Migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: the name must start with its number and _", base)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", base, err)
		}
		migs = append(migs, Migration{Version: v, Name: base, SQL: string(b)})
	}
	if len(migs) == 0 {
		return nil, errors.New("migrations: none embedded")
	}
	slices.SortFunc(migs, func(a, b Migration) int { return a.Version - b.Version })
	for i, m := range migs {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: expected number %d: numbers run 1, 2, 3… without gaps", m.Name, i+1)
		}
	}
	return migs, nil
}

// migrate applies the migrations the file lacks, all in one immediate
// transaction with the version bump (and, on a new file, the application
// id): a crash leaves the file at the version it had, and two processes
// opening a new folder at the same moment take turns, the second finding
// the work done.
func (s *Spec) migrate(ctx context.Context, w *sql.DB, migs []Migration) error {
	latest := len(migs)
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	// Read inside the write transaction: another process may have
	// migrated the file since the read-only look in Open.
	var have int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return fmt.Errorf("migrate: read schema version: %w", err)
	}
	if have > latest {
		return fmt.Errorf("schema version %d, this release knows up to %d: %w", have, latest, s.Newer)
	}
	if have == latest {
		return nil
	}
	// PRAGMA takes no parameters; the numbers are ours, not input.
	if have == 0 {
		if _, err := tx.ExecContext(ctx, "PRAGMA application_id = "+strconv.Itoa(int(s.AppID))); err != nil {
			return fmt.Errorf("migrate: set application id: %w", err)
		}
	}
	for _, m := range migs[have:] {
		if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(latest)); err != nil {
		return fmt.Errorf("migrate: set schema version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: commit: %w", err)
	}
	return nil
}
