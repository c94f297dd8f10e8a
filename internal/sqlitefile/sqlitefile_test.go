package sqlitefile

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

var (
	errForeign = errors.New("not a test database")
	errNewer   = errors.New("made by a newer test release")
)

const testAppID = 0x4C515453 // "LQTS"

func migrationsFS(files ...string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for i := 0; i+1 < len(files); i += 2 {
		fsys["migrations/"+files[i]] = &fstest.MapFile{Data: []byte(files[i+1])}
	}
	return fsys
}

var twoMigrations = migrationsFS(
	"0001_init.sql", "CREATE TABLE note (body TEXT NOT NULL); INSERT INTO note VALUES ('one');",
	"0002_more.sql", "INSERT INTO note VALUES ('two');",
)

func testSpec(migs fstest.MapFS) Spec {
	return Spec{
		AppID:         testAppID,
		Migrations:    migs,
		BusyTimeout:   5 * time.Second,
		WriterParams:  map[string]string{"_stmt_cache_size": "16"},
		WriterPragmas: []string{"PRAGMA journal_size_limit = 1048576"},
		ReaderParams:  map[string]string{"_stmt_cache_size": "8"},
		Readers:       2,
		Foreign:       errForeign,
		Newer:         errNewer,
	}
}

// raw runs q on path through a plain connection, in SQLite's default
// rollback journal mode, as another program would.
func raw(t *testing.T, path, q string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func mustOpen(t *testing.T, path string, spec Spec) *File {
	t.Helper()
	f, err := Open(path, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestOpenCreatesThePrivateFileAndSetsItUp(t *testing.T) {
	// Given a folder without the database
	path := filepath.Join(t.TempDir(), "test.db")

	// When it is opened
	f := mustOpen(t, path, testSpec(twoMigrations))

	// Then the file is 0600 and the writer runs WAL, synchronous=FULL,
	// foreign keys on, the caller's pragma, at the latest version, with
	// the application id
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o600 {
		t.Errorf("mode %o, want 600", got)
	}
	var mode string
	var syncMode, fk, sizeLimit, version, appID int
	for q, dst := range map[string]any{"PRAGMA journal_mode": &mode, "PRAGMA synchronous": &syncMode,
		"PRAGMA foreign_keys": &fk, "PRAGMA journal_size_limit": &sizeLimit,
		"PRAGMA user_version": &version, "PRAGMA application_id": &appID} {
		if err := f.Writer.QueryRow(q).Scan(dst); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if mode != "wal" || syncMode != 2 || fk != 1 || sizeLimit != 1048576 || version != 2 || appID != testAppID {
		t.Errorf("journal_mode=%s synchronous=%d foreign_keys=%d journal_size_limit=%d user_version=%d application_id=%#x",
			mode, syncMode, fk, sizeLimit, version, appID)
	}
	// And the read pool sees the rows but cannot write
	var n int
	if err := f.Reader.QueryRow("SELECT count(*) FROM note").Scan(&n); err != nil || n != 2 {
		t.Errorf("read pool: %d notes, %v; want 2", n, err)
	}
	if _, err := f.Reader.Exec("INSERT INTO note VALUES ('x')"); err == nil || !strings.Contains(err.Error(), "readonly") {
		t.Errorf("write on the read pool: %v, want a read-only error", err)
	}
}

func TestAnEmptyFileIsANewDatabase(t *testing.T) {
	// Given an existing empty file
	path := filepath.Join(t.TempDir(), "test.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	// When it is opened, then it is migrated like a new one
	f := mustOpen(t, path, testSpec(twoMigrations))
	var version int
	if err := f.Reader.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != 2 {
		t.Errorf("user_version %d, %v; want 2", version, err)
	}
}

func TestNewerSchemaIsRefusedAndFileLeftByteIdentical(t *testing.T) {
	// Given a database of ours at version 9 in rollback journal mode, as a
	// newer release might leave it
	path := filepath.Join(t.TempDir(), "test.db")
	raw(t, path, fmt.Sprintf("PRAGMA application_id = %d; CREATE TABLE note (body TEXT); PRAGMA user_version = 9;", testAppID))
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	// When this release, which knows up to version 2, opens it
	f, err := Open(path, testSpec(twoMigrations))

	// Then it is refused with the caller's error, naming both versions
	if err == nil {
		f.Close()
		t.Fatal("opened a newer database")
	}
	if !errors.Is(err, errNewer) || !strings.Contains(err.Error(), "9") || !strings.Contains(err.Error(), "2") {
		t.Errorf("error %v, want errNewer naming versions 9 and 2", err)
	}
	// And the file is byte for byte what it was: not even switched to WAL
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the refused open changed the file")
	}
}

func TestAnotherProgramsDatabaseIsRefused(t *testing.T) {
	tests := []struct {
		name, setup, want string
	}{
		{"tables without a version", "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hello');", "no schema version"},
		{"a version and no application id", "CREATE TABLE notes (body TEXT); PRAGMA user_version = 1;", "application id 0"},
		{"another application id", "PRAGMA application_id = 1; CREATE TABLE notes (body TEXT); PRAGMA user_version = 1;", "application id 0x1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Given another program's SQLite database
			path := filepath.Join(t.TempDir(), "other.db")
			raw(t, path, tt.setup)
			before, _ := os.ReadFile(path)

			// When it is opened
			f, err := Open(path, testSpec(twoMigrations))

			// Then it is refused with the caller's error and left as it was
			if err == nil {
				f.Close()
				t.Fatal("opened another program's database")
			}
			if !errors.Is(err, errForeign) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want errForeign saying %q", err, tt.want)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("the file was changed")
			}
		})
	}
}

func TestAFileThatIsNotADatabaseIsRefused(t *testing.T) {
	// Given a file that is not SQLite at all
	path := filepath.Join(t.TempDir(), "notes.txt")
	before := bytes.Repeat([]byte("not a database "), 500)
	if err := os.WriteFile(path, before, 0o600); err != nil {
		t.Fatal(err)
	}

	// When it is opened
	f, err := Open(path, testSpec(twoMigrations))

	// Then it is refused with the caller's error and left as it was
	if err == nil {
		f.Close()
		t.Fatal("opened a file that is not a database")
	}
	if !errors.Is(err, errForeign) {
		t.Errorf("error %v, want errForeign", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the file was changed")
	}
}

func TestAFolderIsRefused(t *testing.T) {
	// Given a folder where the file should be
	path := t.TempDir()

	// When it is opened, then it is refused
	if f, err := Open(path, testSpec(twoMigrations)); err == nil || !strings.Contains(err.Error(), "folder") {
		if f != nil {
			f.Close()
		}
		t.Fatalf("open a folder: %v, want it refused", err)
	}
}

func TestAnIncompleteSpecIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	for name, change := range map[string]func(*Spec){
		"no application id": func(s *Spec) { s.AppID = 0 },
		"no migrations":     func(s *Spec) { s.Migrations = nil },
		"no foreign error":  func(s *Spec) { s.Foreign = nil },
		"no newer error":    func(s *Spec) { s.Newer = nil },
	} {
		// Given a spec missing something
		spec := testSpec(twoMigrations)
		change(&spec)

		// When it is used, then nothing is opened, nor created
		if f, err := Open(path, spec); err == nil {
			f.Close()
			t.Errorf("%s: opened", name)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: the file was created", name)
		}
	}
}
