package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// Migrations are numbered files, 0001_init.sql, 0002_….sql, applied in
// order. The schema version is PRAGMA user_version: it lives in the
// database header, so it changes in the same transaction as the schema
// and can be read without knowing any table.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads the embedded files; their numbers must run 1, 2, 3…
func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var migs []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a number and _", base)
		}
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", base, err)
		}
		migs = append(migs, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(migs, func(i, j int) bool { return migs[i].version < migs[j].version })
	for i, m := range migs {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected number %d", m.name, i+1)
		}
	}
	if len(migs) == 0 {
		return nil, fmt.Errorf("migrations: none embedded")
	}
	return migs, nil
}

// SchemaVersion is the schema version this release writes.
func SchemaVersion() int {
	migs, err := loadMigrations()
	if err != nil {
		return 0
	}
	return migs[len(migs)-1].version
}

// migrate applies, each in its own immediate transaction together with
// the version bump, every migration the database has not had. A crash
// between two leaves a database at a known version that the next Open
// continues from.
func migrate(ctx context.Context, w *sql.DB, migs []migration) error {
	latest := migs[len(migs)-1].version
	for _, m := range migs {
		err := func() error {
			tx, err := w.BeginTx(ctx, nil)
			if err != nil {
				return fmt.Errorf("begin: %w", err)
			}
			defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
			// Read inside the write transaction: another process may have
			// migrated the file since the check in Open.
			var have int
			if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
				return fmt.Errorf("read schema version: %w", err)
			}
			if have > latest {
				return fmt.Errorf("schema version %d, this release knows up to %d: %w", have, latest, ErrNewerSchema)
			}
			if have >= m.version {
				return nil
			}
			if have != m.version-1 {
				return fmt.Errorf("schema version %d cannot take migration %s", have, m.name)
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			// PRAGMA takes no parameters; the number is ours, not input.
			if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(m.version)); err != nil {
				return fmt.Errorf("set schema version: %w", err)
			}
			if err := tx.Commit(); err != nil {
				return fmt.Errorf("commit: %w", err)
			}
			return nil
		}()
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}
