package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"lingqian/app"
)

func TestSettingsKeepValuesAndAuditChanges(t *testing.T) {
	// Given a fresh desk
	db := openTemp(t)
	ctx := context.Background()

	// Then a setting never set is not found
	if _, err := db.Setting(ctx, "bank_url"); !errors.Is(err, app.ErrNotFound) {
		t.Fatalf("unset setting: %v", err)
	}

	// When an admin sets it, sets the same value again, then changes it
	for _, v := range []string{"https://bank.example/v1", "https://bank.example/v1", "https://bank2.example/v1"} {
		if err := db.SetSetting(ctx, "bank_url", v, "zhang.san"); err != nil {
			t.Fatal(err)
		}
	}

	// Then it reads the last value
	if v, err := db.Setting(ctx, "bank_url"); err != nil || v != "https://bank2.example/v1" {
		t.Errorf("setting %q %v", v, err)
	}
	// And the audit log has two changes, with old and new values
	events, err := db.AuditLog(ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 {
		t.Fatalf("%d audit rows, want 2: %+v", len(events), events)
	}
	for i, want := range []string{`bank_url: (unset) → "https://bank.example/v1"`,
		`bank_url: "https://bank.example/v1" → "https://bank2.example/v1"`} {
		if e := events[i]; e.Action != app.AuditSettings || e.Operator != "zhang.san" || e.Detail != want {
			t.Errorf("audit row %d: %+v, want %s", i, e, want)
		}
	}
	// And bad keys are refused
	for _, key := range []string{"", "Bank URL", strings.Repeat("k", 65)} {
		if err := db.SetSetting(ctx, key, "x", "zhang.san"); !errors.Is(err, ErrInvalid) {
			t.Errorf("key %q: %v", key, err)
		}
	}
}

func TestAuditLogPagesFromATime(t *testing.T) {
	// Given events at three times
	db := openTemp(t)
	ctx := context.Background()
	for i, a := range []app.AuditAction{app.AuditVoid, app.AuditLimitOverride, app.AuditExport} {
		if err := db.Record(ctx, app.AuditEvent{At: t0.Add(time.Duration(i) * time.Hour), Operator: "zhang.san", Action: a, Ref: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// When the log is read from the second time on, one at a time
	got, err := db.AuditLog(ctx, t0.Add(time.Hour), 1)
	if err != nil {
		t.Fatal(err)
	}
	// Then it starts there, oldest first
	if len(got) != 1 || got[0].Action != app.AuditLimitOverride || !got[0].At.Equal(t0.Add(time.Hour)) || got[0].ID != 2 {
		t.Errorf("page %+v", got)
	}
	// And an event without an action is refused
	if err := db.Record(ctx, app.AuditEvent{Operator: "x"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("no action: %v", err)
	}
}
