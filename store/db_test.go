package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestOpenCreatesFolderAndFilePrivately(t *testing.T) {
	// Given a data folder that does not exist yet
	path := filepath.Join(t.TempDir(), "new", "desk.db")

	// When the store opens it
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// Then the folder is 0700, the file 0600, and the writer runs WAL,
	// synchronous=FULL, foreign keys on, at the latest schema version
	for p, want := range map[string]os.FileMode{filepath.Dir(path): 0o700, path: 0o600} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s: mode %o, want %o", p, got, want)
		}
	}
	ctx := context.Background()
	var mode string
	var syncMode, fk, version, appID int
	for q, dst := range map[string]any{"PRAGMA journal_mode": &mode, "PRAGMA synchronous": &syncMode,
		"PRAGMA foreign_keys": &fk, "PRAGMA user_version": &version, "PRAGMA application_id": &appID} {
		if err := db.w.QueryRowContext(ctx, q).Scan(dst); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if mode != "wal" || syncMode != 2 || fk != 1 || version != SchemaVersion() || appID != applicationID {
		t.Errorf("journal_mode=%s synchronous=%d foreign_keys=%d user_version=%d application_id=%#x", mode, syncMode, fk, version, appID)
	}
}

func TestReadPoolCannotWrite(t *testing.T) {
	// Given an open store
	db := openTemp(t)

	// When a write is tried on the read pool
	_, err := db.r.Exec("INSERT INTO setting (key, value, changed, changed_by) VALUES ('a', 'b', 0, 'x')")

	// Then SQLite refuses it
	if err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Fatalf("write on the read pool: %v, want a read-only error", err)
	}
}

func TestNewerSchemaIsRefusedAndFileUntouched(t *testing.T) {
	// Given a database a newer release has migrated to version 99
	path := filepath.Join(t.TempDir(), "desk.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	appendPurchases(t, db, 3)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	cli(t, path, "PRAGMA user_version = 99;")
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	// When this release opens it
	_, err = Open(path)

	// Then it is refused with ErrNewerSchema, telling to use a newer release
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("open: %v, want ErrNewerSchema", err)
	}
	if !strings.Contains(err.Error(), "newer release") || !strings.Contains(err.Error(), "99") {
		t.Errorf("message %q should name the version and say to use a newer release", err)
	}
	// And the file is byte for byte what it was
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if sha256.Sum256(before) != sha256.Sum256(after) {
		t.Fatal("the refused open changed the database file")
	}
}

func TestMigrationsAreIdempotentOnReopen(t *testing.T) {
	// Given a database opened once, with entries
	path := filepath.Join(t.TempDir(), "desk.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	appendPurchases(t, db, 5)
	schema := cliSchema(t, db)
	db.Close()

	// When it is opened again, twice
	for range 2 {
		db, err = Open(path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		// Then the schema and the version are the same and the entries kept
		if got := cliSchema(t, db); got != schema {
			t.Errorf("schema changed on reopen:\n%s\nwant\n%s", got, schema)
		}
		if last, err := db.LastSeq(context.Background()); err != nil || last != 5 {
			t.Errorf("last seq %d, %v; want 5", last, err)
		}
		db.Close()
	}
	if v := cli(t, path, "PRAGMA user_version;"); v != strconv.Itoa(SchemaVersion()) {
		t.Errorf("user_version %s, want %d", v, SchemaVersion())
	}
}

func cliSchema(t *testing.T, db *DB) string {
	t.Helper()
	var b strings.Builder
	rows, err := db.r.Query("SELECT type, name, coalesce(sql, '') FROM sqlite_schema ORDER BY name")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var typ, name, sql string
		if err := rows.Scan(&typ, &name, &sql); err != nil {
			t.Fatal(err)
		}
		b.WriteString(typ + " " + name + " " + sql + "\n")
	}
	return b.String()
}

func TestOpenRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		setup func(path string)
	}{
		{"not SQLite at all", func(path string) {
			if err := os.WriteFile(path, bytes.Repeat([]byte("not a database "), 500), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"another program's SQLite database", func(path string) {
			cli(t, path, "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hello');")
		}},
		{"another program's, with a version", func(path string) {
			cli(t, path, "CREATE TABLE notes (body TEXT); PRAGMA user_version = 1;")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Given a file that is not a desk database
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".db")
			tt.setup(path)
			before, _ := os.ReadFile(path)

			// When the store opens it
			db, err := Open(path)

			// Then it is refused as not a desk database and left as it was
			if err == nil {
				db.Close()
				t.Fatal("opened a file that is not a desk database")
			}
			if !errors.Is(err, ErrNotDeskDB) {
				t.Errorf("error %v, want ErrNotDeskDB", err)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("the file was changed")
			}
		})
	}
}

func TestMigrationFilesAreNumberedInOrder(t *testing.T) {
	// Given the embedded migrations, when they are loaded, then they run 1, 2, 3…
	migs, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range migs {
		if m.version != i+1 || !strings.HasSuffix(m.name, ".sql") {
			t.Errorf("migration %d is %s (version %d)", i, m.name, m.version)
		}
	}
}
