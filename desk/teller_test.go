package desk_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

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

func TestTeller_AWrongPINOfTheSecondTellerCountsTowardTheirLockOut(t *testing.T) {
	// Given a teller desk with two tellers in its operator store
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
	staff := &app.Staff{Store: d.DB, Audit: d.DB}
	boss := app.Operator{ID: "boss", Role: app.RoleAdmin}
	op := app.Operator{ID: "li.na", Role: app.RoleTeller}
	if err := staff.Add(ctx, nil, boss, "2468"); err != nil {
		t.Fatal(err)
	}
	if err := staff.Add(ctx, &boss, op, "1357"); err != nil {
		t.Fatal(err)
	}
	if err := staff.Add(ctx, &boss, app.Operator{ID: "wang.fang", Role: app.RoleTeller}, "8642"); err != nil {
		t.Fatal(err)
	}
	if err := d.DB.SetSetting(ctx, desk.SettingTeller, "true", "enroll"); err != nil {
		t.Fatal(err)
	}

	// When li.na's unloads are signed five times with a wrong PIN of wang.fang
	for i := range 5 {
		_, err := tl.Unload(ctx, op, "6231990000000019", "00", 3000, app.SecondTeller("wang.fang", "0000"))
		var ae *app.ApproverError
		if !errors.As(err, &ae) || ae.ID != "wang.fang" || !errors.Is(err, app.ErrWrongPIN) {
			t.Fatalf("try %d: %v", i+1, err)
		}
	}

	// Then wang.fang is locked as after five wrong PINs at sign-in, the right PIN refused too
	_, err = tl.Unload(ctx, op, "6231990000000019", "00", 3000, app.SecondTeller("wang.fang", "8642"))
	if !errors.Is(err, app.ErrLocked) || app.ExplainTeller(err, app.English) != app.MsgTellerErrApproverLocked.Textf(app.English, "wang.fang") {
		t.Fatalf("after five wrong PINs: %v", err)
	}
	ops, err := d.DB.Operators(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range ops {
		if o.Locked != (o.ID == "wang.fang") {
			t.Errorf("%s locked: %v", o.ID, o.Locked)
		}
	}
	// And the audit log has each failure under wang.fang's id, and the refusals under li.na's
	log, err := d.DB.AuditLog(ctx, time.Time{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	failed, refused := 0, 0
	for _, e := range log {
		switch {
		case e.Operator == "wang.fang" && e.Action == app.AuditLoginFailed:
			failed++
		case e.Operator == "li.na" && e.Action == app.AuditTellerRefusal:
			refused++
		}
	}
	if failed != 6 || refused != 6 {
		t.Errorf("%d failures of wang.fang, %d refusals of li.na in %+v", failed, refused, log)
	}
}
