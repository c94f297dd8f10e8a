package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"testing"
	"testing/fstest"
	"time"

	"lingqian/internal/sqlitefile"
)

// openAtVersion makes a desk database at path as the release whose last
// migration was number version made it: the embedded migrations up to
// that one, applied the way Open applies them.
func openAtVersion(t *testing.T, path string, version int) *DB {
	t.Helper()
	older := fstest.MapFS{}
	migs, err := sqlitefile.LoadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migs[:version] {
		b, err := fs.ReadFile(migrationFiles, "migrations/"+m.Name)
		if err != nil {
			t.Fatal(err)
		}
		older["migrations/"+m.Name] = &fstest.MapFile{Data: b}
	}
	f, err := sqlitefile.Open(path, sqlitefile.Spec{AppID: applicationID, Migrations: older,
		Foreign: ErrNotDeskDB, Newer: ErrNewerSchema})
	if err != nil {
		t.Fatalf("open at version %d: %v", version, err)
	}
	return &DB{path: f.Path, w: f.Writer, r: f.Reader}
}

func TestOlderSchemaMigratesForwardWithItsJournal(t *testing.T) {
	// Schema 2 is the last before the audit log was chained (the upgrade
	// with the most to do); the previous one is what most desks move from.
	for _, from := range []int{2, SchemaVersion() - 1} {
		t.Run(fmt.Sprintf("from schema %d", from), func(t *testing.T) { migrateForward(t, from) })
	}
}

func migrateForward(t *testing.T, from int) {
	latest := SchemaVersion()
	// Given a desk database a release of that schema wrote, with
	// purchases, a void and settings in it
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "desk.db")
	old := openAtVersion(t, path, from)
	written := appendPurchases(t, old, 6)
	written = append(written, mustAppend(t, old, void("v1", written[2], "wang.wei", t0.Add(time.Hour))))
	if from < 3 {
		legacySetting(t, old, "terminal_id", "T0000001")
	} else {
		// As that release's Open left it: its audit log chained.
		if err := old.finishChainUpgrade(ctx); err != nil {
			t.Fatal(err)
		}
		if err := old.SetSetting(ctx, "terminal_id", "T0000001", "system"); err != nil {
			t.Fatal(err)
		}
	}
	if v := userVersion(t, old); v != from {
		t.Fatalf("made at version %d, want %d", v, from)
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	// When this release opens it
	db, err := Open(path)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer db.Close()

	// Then it is at this release's version, its chain holds, and every
	// entry is there as it was written, hash for hash
	if v := userVersion(t, db); v != latest {
		t.Errorf("schema version %d after opening, want %d", v, latest)
	}
	if brk, err := db.Verify(ctx); err != nil || brk != nil {
		t.Fatalf("verify after migrating: %+v, %v", brk, err)
	}
	got, err := db.Entries(ctx, 1, int64(len(written)))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(written) {
		t.Fatalf("%d entries after migrating, want %d", len(got), len(written))
	}
	for i := range written {
		if !bytes.Equal(got[i].Hash, written[i].Hash) || got[i].Amount != written[i].Amount || got[i].Kind != written[i].Kind {
			t.Errorf("entry %d: %+v, want %+v", i+1, got[i], written[i])
		}
	}
	// And it goes on from there: the next entry chains to the last
	next := mustAppend(t, db, purchase("after-upgrade", 250, "li.na", t0.Add(2*time.Hour)))
	if next.Seq != int64(len(written))+1 || !bytes.Equal(next.PrevHash, written[len(written)-1].Hash) {
		t.Errorf("first entry after the upgrade: seq %d prev %x", next.Seq, next.PrevHash)
	}
	if v, err := db.Setting(ctx, "terminal_id"); err != nil || v != "T0000001" {
		t.Errorf("setting after migrating: %q, %v", v, err)
	}
}

func TestAFailedOpenOfANewerDatabaseNamesItsSchema(t *testing.T) {
	// Given a database a release two schemas ahead wrote
	path := filepath.Join(t.TempDir(), "desk.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	ahead := SchemaVersion() + 2
	cli(t, path, "PRAGMA user_version = "+strconv.Itoa(ahead)+";")

	// When this release opens it
	_, err = Open(path)

	// Then the error says which schema the folder has and which this release knows
	var newer *NewerSchemaError
	if !errors.As(err, &newer) || !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("open: %v, want a NewerSchemaError", err)
	}
	if newer.Version != ahead || newer.Known != SchemaVersion() {
		t.Errorf("%+v, want version %d known %d", newer, ahead, SchemaVersion())
	}
}

func userVersion(t *testing.T, db *DB) int {
	t.Helper()
	var v int
	if err := db.r.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// legacySetting sets a setting as releases before schema 3 did, with an
// unchained audit row: this release's SetSetting writes columns their
// schema lacks.
func legacySetting(t *testing.T, db *DB, key, value string) {
	t.Helper()
	at := t0.UnixNano()
	if _, err := db.w.Exec(`INSERT INTO setting (key, value, changed, changed_by) VALUES (?, ?, ?, 'system')
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value, at); err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.Exec(`INSERT INTO audit (at, operator, action, detail) VALUES (?, 'system', 'settings', ?)`,
		at, key+": (unset) → "+value); err != nil {
		t.Fatal(err)
	}
}
