package desk_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"lingqian/app"
	"lingqian/desk"
)

func TestTeller_OnlyADeskEnrolledAsATellerDesk(t *testing.T) {
	// Given a fresh desk, never enrolled
	ctx := context.Background()
	d, err := desk.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tl, closeReader, err := d.Teller(ctx, "", "")
	if err != nil {
		t.Fatal(err)
	}
	defer closeReader()
	op := app.Operator{ID: "li.na", Role: app.RoleTeller}
	staff := &app.Staff{Store: d.DB, Audit: d.DB}
	boss := app.Operator{ID: "boss", Role: app.RoleAdmin}
	if err := staff.Add(ctx, nil, boss, "2468"); err != nil {
		t.Fatal(err)
	}
	if err := staff.Add(ctx, &boss, op, "1357"); err != nil {
		t.Fatal(err)
	}

	// Then it is no teller desk, and teller mode says so before asking anyone
	if ok, err := d.IsTellerDesk(ctx); ok || err != nil {
		t.Fatalf("a fresh desk is a teller desk: %v %v", ok, err)
	}
	if _, err := tl.Lookup(ctx, op, "6231990000000019"); !errors.Is(err, app.ErrNotTellerDesk) {
		t.Errorf("lookup on a shop's desk: %v", err)
	}

	// When enrolment made it a teller desk, but its bank is gone
	if err := d.DB.SetSetting(ctx, desk.SettingTeller, "true", "enroll"); err != nil {
		t.Fatal(err)
	}
	if ok, err := d.IsTellerDesk(ctx); !ok || err != nil {
		t.Fatalf("a teller desk: %v %v", ok, err)
	}
	// Then the teller is told the desk has no bank to ask
	_, err = tl.Lookup(ctx, op, "6231990000000019")
	if err == nil || !strings.Contains(err.Error(), "not enrolled") {
		t.Errorf("lookup without a bank: %v", err)
	}
}
