package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"testing/fstest"
	"time"

	"lingqian/app"
	"lingqian/internal/sqlitefile"
)

func TestTellerNotesAreKeptApartFromSettingsAndTheAuditLog(t *testing.T) {
	// Given a desk's database
	path := filepath.Join(t.TempDir(), "desk.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const wallet = "6231990000000019-00"

	// Then a wallet without a note has none
	if _, err := db.TellerNote(ctx, wallet); !errors.Is(err, app.ErrNotFound) {
		t.Fatalf("no note: %v", err)
	}

	// When a note is kept, then replaced
	for _, body := range []string{`{"pan":"6231990000000019","atc":5}`, `{"pan":"6231990000000019","atc":5,"target":70000}`} {
		if err := db.KeepTellerNote(ctx, wallet, body); err != nil {
			t.Fatal(err)
		}
	}

	// Then the last one is there after the desk restarts
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, err := db.TellerNote(ctx, wallet); err != nil || got != `{"pan":"6231990000000019","atc":5,"target":70000}` {
		t.Errorf("note %q, %v", got, err)
	}
	// And neither the settings nor the audit log hold the PAN
	if _, err := db.Setting(ctx, "teller.unfinished."+wallet); !errors.Is(err, app.ErrNotFound) {
		t.Errorf("a setting: %v", err)
	}
	events, err := db.AuditLog(ctx, time.Time{}, 0)
	if err != nil || len(events) != 0 {
		t.Errorf("audit %+v, %v", events, err)
	}

	// When it is dropped, twice
	for range 2 {
		if err := db.DropTellerNote(ctx, wallet); err != nil {
			t.Fatal(err)
		}
	}
	// Then it is gone
	if _, err := db.TellerNote(ctx, wallet); !errors.Is(err, app.ErrNotFound) {
		t.Errorf("dropped note: %v", err)
	}

	// And what is not a wallet or a note is refused
	for _, tc := range []struct{ wallet, body string }{
		{"", "{}"}, {"6231990000000019-00'; DROP TABLE journal", "{}"}, {wallet, ""}, {wallet, string(make([]byte, maxNote+1))},
	} {
		if err := db.KeepTellerNote(ctx, tc.wallet, tc.body); !errors.Is(err, ErrInvalid) {
			t.Errorf("kept %q (%d bytes): %v", tc.wallet, len(tc.body), err)
		}
	}
}

func TestTellerNotesOfTheFirstReleaseMoveOutOfTheSettings(t *testing.T) {
	// Given a database of the first release holding an unfinished load as a setting
	path := filepath.Join(t.TempDir(), "desk.db")
	init, err := os.ReadFile(filepath.Join("migrations", "0001_init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := sqlitefile.Open(path, sqlitefile.Spec{AppID: applicationID,
		Migrations: fstest.MapFS{"migrations/0001_init.sql": {Data: init}}, Foreign: ErrNotDeskDB, Newer: ErrNewerSchema})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)
	for _, q := range []string{
		`INSERT INTO setting (key, value, changed, changed_by) VALUES ('teller.unfinished.6231990000000019-00', '{"pan":"6231990000000019","psn":"00"}', ` +
			strconv.FormatInt(at.UnixNano(), 10) + `, 'li.na')`,
		`INSERT INTO setting (key, value, changed, changed_by) VALUES ('teller.unfinished.6231990000000027-01', '', 1, 'li.na')`,
		`INSERT INTO setting (key, value, changed, changed_by) VALUES ('bank_url', 'https://bank.example', 1, 'admin')`,
	} {
		if _, err := f.Writer.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	// When this release opens it
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()

	// Then the note is a teller note, the settings have no notes left, and the rest is as it was
	if got, err := db.TellerNote(ctx, "6231990000000019-00"); err != nil || got != `{"pan":"6231990000000019","psn":"00"}` {
		t.Errorf("moved note %q, %v", got, err)
	}
	var updated string
	if err := db.r.QueryRow("SELECT updated FROM teller_notes").Scan(&updated); err != nil || updated != "2026-03-02T01:30:00Z" {
		t.Errorf("updated %q, %v", updated, err)
	}
	for _, key := range []string{"teller.unfinished.6231990000000019-00", "teller.unfinished.6231990000000027-01"} {
		if _, err := db.Setting(ctx, key); !errors.Is(err, app.ErrNotFound) {
			t.Errorf("setting %s: %v", key, err)
		}
	}
	if _, err := db.TellerNote(ctx, "6231990000000027-01"); !errors.Is(err, app.ErrNotFound) {
		t.Errorf("an emptied note moved: %v", err)
	}
	if v, err := db.Setting(ctx, "bank_url"); err != nil || v != "https://bank.example" {
		t.Errorf("bank_url %q, %v", v, err)
	}
}
