package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"lingqian/app"
)

func TestAddAndListOperators(t *testing.T) {
	// Given a desk with no operators
	db := openTemp(t)
	ctx := context.Background()

	// When an admin and a cashier are added
	for _, op := range []app.Operator{
		{ID: "zhang.san", Name: "张三", Role: app.RoleAdmin},
		{ID: "li.na", Name: "Li Na", Role: app.RoleCashier, Created: t0},
	} {
		if err := db.AddOperator(ctx, op, "2468"); err != nil {
			t.Fatal(err)
		}
	}

	// Then they are listed by id, unlocked, never seen
	ops, err := db.Operators(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 2 || ops[0].ID != "li.na" || ops[1].ID != "zhang.san" || ops[1].Name != "张三" {
		t.Fatalf("operators %+v", ops)
	}
	if ops[0].Role != app.RoleCashier || ops[0].Locked || !ops[0].LastSeen.IsZero() || !ops[0].Created.Equal(t0) {
		t.Errorf("li.na %+v", ops[0])
	}
	// And the PIN is not stored in clear
	var hash []byte
	if err := db.r.QueryRow("SELECT pin_hash FROM operator WHERE id = 'li.na'").Scan(&hash); err != nil || strings.Contains(string(hash), "2468") || len(hash) != 32 {
		t.Errorf("stored hash %x %v", hash, err)
	}
	if _, err := db.Operator(ctx, "nobody"); !errors.Is(err, app.ErrNotFound) {
		t.Errorf("unknown operator: %v", err)
	}
}

func TestAddOperatorRefuses(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	if err := db.AddOperator(ctx, app.Operator{ID: "li.na", Role: app.RoleCashier}, "1234"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		op   app.Operator
		pin  string
	}{
		{"an id taken", app.Operator{ID: "li.na", Role: app.RoleCashier}, "1234"},
		{"an empty id", app.Operator{ID: "", Role: app.RoleCashier}, "1234"},
		{"capitals in the id", app.Operator{ID: "Li.Na", Role: app.RoleCashier}, "1234"},
		{"a space in the id", app.Operator{ID: "li na", Role: app.RoleCashier}, "1234"},
		{"an id of 33", app.Operator{ID: strings.Repeat("a", 33), Role: app.RoleCashier}, "1234"},
		{"an unknown role", app.Operator{ID: "x", Role: "owner"}, "1234"},
		{"a PIN of 3 digits", app.Operator{ID: "x", Role: app.RoleCashier}, "123"},
		{"a PIN of 13 digits", app.Operator{ID: "x", Role: app.RoleCashier}, "1234567890123"},
		{"a PIN with letters", app.Operator{ID: "x", Role: app.RoleCashier}, "12a4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// When the operator is added, then it is refused as invalid
			if err := db.AddOperator(ctx, tt.op, tt.pin); !errors.Is(err, ErrInvalid) {
				t.Errorf("add: %v, want ErrInvalid", err)
			}
		})
	}
	if err := db.AddOperator(ctx, app.Operator{ID: "a.b_c-9", Role: app.RoleTeller}, "123456789012"); err != nil {
		t.Errorf("a valid id and a 12-digit PIN: %v", err)
	}
}

func TestFiveWrongPINsLockUntilSetPIN(t *testing.T) {
	// Given a cashier with PIN 2468
	db := openTemp(t)
	ctx := context.Background()
	if err := db.AddOperator(ctx, app.Operator{ID: "li.na", Name: "Li Na", Role: app.RoleCashier}, "2468"); err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Second)

	// When she signs in right, then gets it wrong four times, then right
	if op, err := db.Authenticate(ctx, "li.na", "2468"); err != nil || op.ID != "li.na" || op.LastSeen.IsZero() {
		t.Fatalf("right PIN: %+v %v", op, err)
	}
	for i := range 4 {
		if _, err := db.Authenticate(ctx, "li.na", "1111"); !errors.Is(err, app.ErrWrongPIN) || errors.Is(err, app.ErrLocked) {
			t.Fatalf("wrong PIN %d: %v", i+1, err)
		}
	}
	// Then the success resets the count
	if _, err := db.Authenticate(ctx, "li.na", "2468"); err != nil {
		t.Fatalf("right PIN after 4 wrong: %v", err)
	}

	// When she gets it wrong five times in a row
	for i := range 5 {
		_, err := db.Authenticate(ctx, "li.na", "1111")
		if !errors.Is(err, app.ErrWrongPIN) {
			t.Fatalf("wrong PIN %d: %v", i+1, err)
		}
		if locks := i == 4; errors.Is(err, app.ErrLocked) != locks {
			t.Fatalf("wrong PIN %d: %v, locked should be %v", i+1, err, locks)
		}
	}
	// Then she is locked, and the right PIN fails with ErrLocked
	if _, err := db.Authenticate(ctx, "li.na", "2468"); !errors.Is(err, app.ErrLocked) {
		t.Fatalf("right PIN when locked: %v, want ErrLocked", err)
	}
	if op, _ := db.Operator(ctx, "li.na"); !op.Locked {
		t.Error("operator not shown locked")
	}

	// When an admin sets a new PIN, then she signs in with it, not the old one
	if err := db.SetPIN(ctx, "li.na", "13579"); err != nil {
		t.Fatal(err)
	}
	if op, _ := db.Operator(ctx, "li.na"); op.Locked {
		t.Error("still locked after SetPIN")
	}
	if _, err := db.Authenticate(ctx, "li.na", "2468"); !errors.Is(err, app.ErrWrongPIN) {
		t.Errorf("old PIN: %v", err)
	}
	if _, err := db.Authenticate(ctx, "li.na", "13579"); err != nil {
		t.Errorf("new PIN: %v", err)
	}
	if err := db.SetPIN(ctx, "nobody", "1234"); !errors.Is(err, app.ErrNotFound) {
		t.Errorf("SetPIN of nobody: %v", err)
	}

	// And the audit log tells the story
	events, err := db.AuditLog(ctx, start, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range events {
		if e.Action == auditOperatorRow {
			continue // the store's own row of the new PIN, by "system"
		}
		if e.Operator != "li.na" {
			t.Errorf("audit row by %q", e.Operator)
		}
		actions = append(actions, string(e.Action))
	}
	want := "login " + strings.Repeat("login_failed ", 4) + "login " + strings.Repeat("login_failed ", 5) +
		"locked login_failed login_failed login"
	if got := strings.Join(actions, " "); got != want {
		t.Errorf("audit actions\n%s\nwant\n%s", got, want)
	}
}

func TestUnknownOperatorLooksLikeAWrongPIN(t *testing.T) {
	// Given a cashier
	db := openTemp(t)
	ctx := context.Background()
	if err := db.AddOperator(ctx, app.Operator{ID: "li.na", Role: app.RoleCashier}, "2468"); err != nil {
		t.Fatal(err)
	}
	timeOf := func(id string) time.Duration {
		best := time.Hour
		for range 3 {
			start := time.Now()
			if _, err := db.Authenticate(ctx, id, "0000"); !errors.Is(err, app.ErrWrongPIN) {
				t.Fatalf("%s: %v", id, err)
			}
			best = min(best, time.Since(start))
		}
		return best
	}

	// When someone tries an id that does not exist and one that does
	unknown, known := timeOf("nobody"), timeOf("li.na")

	// Then both fail with ErrWrongPIN, taking about as long
	if ratio := float64(unknown) / float64(known); ratio < 0.5 || ratio > 2 {
		t.Errorf("unknown id took %v, wrong PIN %v", unknown, known)
	}
	events, _ := db.AuditLog(ctx, time.Time{}, 0)
	if len(events) > 0 && events[0].Action == auditOperatorRow {
		events = events[1:] // li.na added
	}
	if len(events) == 0 || events[0].Action != app.AuditLoginFailed || events[0].Operator != "nobody" {
		t.Errorf("audit %+v", events)
	}
}

func TestStoredCostIsRaisedAtTheNextSignIn(t *testing.T) {
	// Given an operator whose PIN hash was made with a cheaper cost
	db := openTemp(t)
	ctx := context.Background()
	if err := db.AddOperator(ctx, app.Operator{ID: "li.na", Role: app.RoleCashier}, "2468"); err != nil {
		t.Fatal(err)
	}
	old := kdf{time: 1, memory: 64, threads: 1}
	salt := []byte("0123456789abcdef")
	if _, err := db.w.Exec("UPDATE operator SET pin_salt = ?, pin_hash = ?, kdf_time = ?, kdf_memory = ?, kdf_threads = ? WHERE id = 'li.na'",
		salt, old.hash("2468", salt), old.time, old.memory, old.threads); err != nil {
		t.Fatal(err)
	}

	// When she signs in
	if _, err := db.Authenticate(ctx, "li.na", "2468"); err != nil {
		t.Fatal(err)
	}

	// Then her hash is made again at today's cost, and her PIN still works
	var tm, mem int
	if err := db.r.QueryRow("SELECT kdf_time, kdf_memory FROM operator WHERE id = 'li.na'").Scan(&tm, &mem); err != nil {
		t.Fatal(err)
	}
	if uint32(tm) != defaultKDF.time || uint32(mem) != defaultKDF.memory {
		t.Errorf("cost t=%d m=%d after sign-in", tm, mem)
	}
	if _, err := db.Authenticate(ctx, "li.na", "2468"); err != nil {
		t.Errorf("PIN after the upgrade: %v", err)
	}
}
