package store

import (
	"embed"

	"lingqian/internal/sqlitefile"
)

// Migrations are numbered files, 0001_init.sql, 0002_….sql, applied in
// order by sqlitefile.Open.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
}

// loadMigrations lists the embedded files; their numbers run 1, 2, 3…
func loadMigrations() ([]migration, error) {
	migs, err := sqlitefile.LoadMigrations(migrationFiles)
	if err != nil {
		return nil, err
	}
	out := make([]migration, len(migs))
	for i, m := range migs {
		out[i] = migration{version: m.Version, name: m.Name}
	}
	return out, nil
}

// SchemaVersion is the schema version this release writes.
func SchemaVersion() int {
	migs, err := loadMigrations()
	if err != nil {
		return 0
	}
	return migs[len(migs)-1].version
}
