package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"lingqian/app"
)

// memoryAdmin is the in-memory store that also changes roles and locks.
type memoryAdmin struct{ *memory }

func (m memoryAdmin) SetRole(_ context.Context, id string, role app.Role) error {
	op, ok := m.ops[id]
	if !ok {
		return app.ErrNotFound
	}
	op.Role = role
	m.ops[id] = op
	return nil
}

func (m memoryAdmin) SetLocked(_ context.Context, id string, locked bool) error {
	op, ok := m.ops[id]
	if !ok {
		return app.ErrNotFound
	}
	op.Locked = locked
	m.ops[id] = op
	return nil
}

// staffOf is a desk with the admin boss and the cashier li.na.
func staffOf(t *testing.T) (*app.Staff, memoryAdmin, *app.Operator) {
	t.Helper()
	m := memoryAdmin{newMemory()}
	s := &app.Staff{Store: m, Audit: m}
	ctx := context.Background()
	if err := s.Add(ctx, nil, app.Operator{ID: "boss", Role: app.RoleAdmin}, "1111"); err != nil {
		t.Fatal(err)
	}
	boss := &app.Operator{ID: "boss", Role: app.RoleAdmin}
	if err := s.Add(ctx, boss, app.Operator{ID: "li.na", Role: app.RoleCashier}, "1234"); err != nil {
		t.Fatal(err)
	}
	m.audit = nil
	return s, m, boss
}

func TestStaff_AnAdminChangesRolesAndLocks(t *testing.T) {
	ctx := context.Background()
	s, m, boss := staffOf(t)

	// When the admin makes the cashier a teller, locks and unlocks her
	if err := s.SetRole(ctx, boss, "li.na", app.RoleTeller); err != nil {
		t.Fatal(err)
	}
	if err := s.Lock(ctx, boss, "li.na"); err != nil {
		t.Fatal(err)
	}
	if !m.ops["li.na"].Locked {
		t.Fatal("not locked")
	}
	if err := s.Unlock(ctx, boss, "li.na"); err != nil {
		t.Fatal(err)
	}

	// Then each change is in the audit log, in the admin's name
	want := []string{"changed the role of li.na from cashier to teller", "locked operator li.na", "unlocked operator li.na"}
	if len(m.audit) != len(want) {
		t.Fatalf("audit %+v", m.audit)
	}
	for i, w := range want {
		if e := m.audit[i]; e.Operator != "boss" || e.Action != app.AuditOperator || e.Detail != w {
			t.Errorf("audit %d: %+v, want %q", i, e, w)
		}
	}
	if op := m.ops["li.na"]; op.Role != app.RoleTeller || op.Locked {
		t.Errorf("li.na %+v", op)
	}
	// And a change to what is already so records nothing
	if err := s.SetRole(ctx, boss, "li.na", app.RoleTeller); err != nil || len(m.audit) != 3 {
		t.Errorf("same role again: %v, %d audit lines", err, len(m.audit))
	}
}

func TestStaff_OperatorChangesRefused(t *testing.T) {
	ctx := context.Background()
	s, m, boss := staffOf(t)
	cashier := &app.Operator{ID: "li.na", Role: app.RoleCashier}
	for _, tc := range []struct {
		name string
		do   func() error
		want error
	}{
		{"a cashier changes a role", func() error { return s.SetRole(ctx, cashier, "boss", app.RoleCashier) }, app.ErrRole},
		{"nobody's authority", func() error { return s.Lock(ctx, nil, "li.na") }, app.ErrRole},
		{"the admin locks himself", func() error { return s.Lock(ctx, boss, "boss") }, app.ErrOwnAccount},
		{"the admin demotes himself", func() error { return s.SetRole(ctx, boss, "boss", app.RoleSupervisor) }, app.ErrOwnAccount},
		{"an unknown operator", func() error { return s.Lock(ctx, boss, "nobody") }, app.ErrNotFound},
		{"an id with capitals", func() error { return s.Add(ctx, boss, app.Operator{ID: "Li", Role: app.RoleCashier}, "1234") }, app.ErrBadOperatorID},
		{"an id taken", func() error { return s.Add(ctx, boss, app.Operator{ID: "li.na", Role: app.RoleCashier}, "1234") }, app.ErrOperatorTaken},
	} {
		if err := tc.do(); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := app.Role("owner"), s.SetRole(ctx, boss, "li.na", "owner"); err == nil || !strings.Contains(err.Error(), "owner") {
		t.Errorf("unknown role: %v", err)
	}
	if len(m.audit) != 0 {
		t.Errorf("refusals were audited as changes: %+v", m.audit)
	}
}

func TestStaff_AnAdminDemotedMeanwhileHasNoAuthorityLeft(t *testing.T) {
	ctx := context.Background()
	s, m, boss := staffOf(t)
	// Given a second admin who, signed in elsewhere, makes boss a supervisor
	if err := s.Add(ctx, boss, app.Operator{ID: "owner", Role: app.RoleAdmin}, "2222"); err != nil {
		t.Fatal(err)
	}
	owner := &app.Operator{ID: "owner", Role: app.RoleAdmin}
	if err := s.SetRole(ctx, owner, "boss", app.RoleSupervisor); err != nil {
		t.Fatal(err)
	}
	// When boss, still signed in as an admin, locks owner
	err := s.Lock(ctx, boss, "owner")
	// Then it is refused, and the desk keeps an admin who can sign in
	if !errors.Is(err, app.ErrRole) {
		t.Fatalf("a demoted admin locked another: %v", err)
	}
	if m.ops["owner"].Locked {
		t.Error("owner is locked")
	}
}
