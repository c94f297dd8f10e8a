package store

import (
	"context"
	"errors"
	"testing"

	"lingqian/app"
)

func TestSetRoleAndLock(t *testing.T) {
	// Given a cashier
	db := openTemp(t)
	ctx := context.Background()
	if err := db.AddOperator(ctx, app.Operator{ID: "li.na", Role: app.RoleCashier}, "2468"); err != nil {
		t.Fatal(err)
	}

	// When an admin makes her a teller, then she signs in as one
	if err := db.SetRole(ctx, "li.na", app.RoleTeller); err != nil {
		t.Fatal(err)
	}
	if op, err := db.Authenticate(ctx, "li.na", "2468"); err != nil || op.Role != app.RoleTeller {
		t.Fatalf("after SetRole: %+v %v", op, err)
	}

	// When she is locked, then even her right PIN is refused
	if err := db.SetLocked(ctx, "li.na", true); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Authenticate(ctx, "li.na", "2468"); !errors.Is(err, app.ErrLocked) {
		t.Fatalf("locked: %v", err)
	}

	// When a wrong PIN and an unlock follow, then her wrong PINs are
	// forgotten: four more are allowed before the lock-out
	if err := db.SetLocked(ctx, "li.na", false); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < maxFailures-1; i++ {
		if _, err := db.Authenticate(ctx, "li.na", "0000"); !errors.Is(err, app.ErrWrongPIN) || errors.Is(err, app.ErrLocked) {
			t.Fatalf("wrong PIN %d after unlock: %v", i+1, err)
		}
	}
	if _, err := db.Authenticate(ctx, "li.na", "2468"); err != nil {
		t.Fatalf("right PIN after unlock: %v", err)
	}
}

func TestSetRoleAndLockRefuse(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	if err := db.AddOperator(ctx, app.Operator{ID: "li.na", Role: app.RoleCashier}, "2468"); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"unknown role":            db.SetRole(ctx, "li.na", "owner"),
		"unknown operator's role": db.SetRole(ctx, "nobody", app.RoleAdmin),
		"unknown operator locked": db.SetLocked(ctx, "nobody", true),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := db.SetLocked(ctx, "nobody", false); !errors.Is(err, app.ErrNotFound) {
		t.Errorf("unlocking nobody: %v", err)
	}
}
