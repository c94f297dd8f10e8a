package store

import (
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"

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

// NewerSchemaError is ErrNewerSchema with the versions: the file was
// written at schema Version, and this release knows up to Known. The file
// was not changed.
type NewerSchemaError struct {
	Path    string
	Version int // 0 when it could not be read again for the message
	Known   int
	err     error
}

func (e *NewerSchemaError) Error() string { return fmt.Sprintf("store: open %s: %v", e.Path, e.err) }
func (e *NewerSchemaError) Unwrap() error { return e.err }

// openError is how Open reports a failure: a newer schema with its
// version, so that the desk can say which release to install.
func openError(path string, err error) error {
	if !errors.Is(err, ErrNewerSchema) {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	return &NewerSchemaError{Path: path, Version: schemaOf(path), Known: SchemaVersion(), err: err}
}

// schemaOf reads the schema version of the file at path through a
// read-only connection, as sqlitefile's first look does, which leaves the
// file as it is; 0 when it cannot.
func schemaOf(path string) int {
	u := url.URL{Path: path}
	ro, err := sql.Open("sqlite3", "file:"+u.EscapedPath()+"?mode=ro&_query_only=on")
	if err != nil {
		return 0
	}
	defer ro.Close()
	var v int
	if err := ro.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		return 0
	}
	return v
}
