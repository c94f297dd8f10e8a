package sqlitefile

import (
	"path/filepath"
	"testing"
	"testing/fstest"
)

func notes(t *testing.T, f *File) (n, version int) {
	t.Helper()
	if err := f.Reader.QueryRow("SELECT count(*) FROM note").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := f.Reader.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	return n, version
}

// atVersion2 is a closed database the two test migrations made.
func atVersion2(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	f, err := Open(path, testSpec(twoMigrations))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMigrationsAreAppliedOnce(t *testing.T) {
	// Given a database opened once with two migrations that each add a row
	path := atVersion2(t)

	// When it is opened again, twice
	for range 2 {
		f, err := Open(path, testSpec(twoMigrations))
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		// Then the rows are those two migrations' and nothing ran again
		if n, v := notes(t, f); n != 2 || v != 2 {
			t.Errorf("%d notes at version %d, want 2 at 2", n, v)
		}
		f.Close()
	}
}

func TestANewMigrationIsAppliedAlone(t *testing.T) {
	// Given a database at version 2
	path := atVersion2(t)

	// When a release with a third migration opens it
	three := fstest.MapFS{"migrations/0003_third.sql": &fstest.MapFile{Data: []byte("INSERT INTO note VALUES ('three');")}}
	for name, file := range twoMigrations {
		three[name] = file
	}
	f := mustOpen(t, path, testSpec(three))

	// Then only the third ran
	if n, v := notes(t, f); n != 3 || v != 3 {
		t.Errorf("%d notes at version %d, want 3 at 3", n, v)
	}
}

func TestAFailedMigrationLeavesTheVersionItHad(t *testing.T) {
	// Given a database at version 2
	path := atVersion2(t)

	// When a release whose third and fourth migrations break opens it
	broken := fstest.MapFS{
		"migrations/0003_fine.sql":   &fstest.MapFile{Data: []byte("INSERT INTO note VALUES ('three');")},
		"migrations/0004_broken.sql": &fstest.MapFile{Data: []byte("INSERT INTO nowhere VALUES (1);")},
	}
	for name, file := range twoMigrations {
		broken[name] = file
	}
	if f, err := Open(path, testSpec(broken)); err == nil {
		f.Close()
		t.Fatal("opened with a broken migration")
	}

	// Then the database is still at version 2, without the third's row
	f := mustOpen(t, path, testSpec(twoMigrations))
	if n, v := notes(t, f); n != 2 || v != 2 {
		t.Errorf("%d notes at version %d, want 2 at 2", n, v)
	}
}

func TestMigrationsAreNumberedWithoutGaps(t *testing.T) {
	tests := []struct {
		name  string
		files fstest.MapFS
		ok    bool
	}{
		{"files listed out of order", migrationsFS(
			"0002_b.sql", "", "0001_a.sql", "", "0003_c.sql", ""), true},
		{"a gap", migrationsFS("0001_a.sql", "", "0003_c.sql", ""), false},
		{"starting at 2", migrationsFS("0002_b.sql", ""), false},
		{"a name without a number", migrationsFS("0001_a.sql", "", "init.sql", ""), false},
		{"number 0", migrationsFS("0000_zero.sql", "", "0001_a.sql", ""), false},
		{"twice the same number", migrationsFS("0001_a.sql", "", "0001_b.sql", ""), false},
		{"none", migrationsFS(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Given migration files, when they are loaded
			migs, err := LoadMigrations(tt.files)

			// Then they run 1, 2, 3… or are refused
			if !tt.ok {
				if err == nil {
					t.Fatalf("loaded %v, want an error", migs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, m := range migs {
				if m.Version != i+1 {
					t.Errorf("migration %d is %s (version %d)", i, m.Name, m.Version)
				}
			}
		})
	}
}
