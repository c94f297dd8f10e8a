package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	"lingqian/app"
)

// chooseOperator selects an operator in the list, as a click would.
func (s *shop) chooseOperator(st *settingsScreen, id string) {
	s.t.Helper()
	eventually(s.t, "operator "+id+" listed", func() bool {
		for i, op := range st.ops.ops {
			if op.ID == id {
				st.ops.list.Select(i)
				return true
			}
		}
		return false
	})
}

// row is the list's row of operator id.
func row(st *settingsScreen, id string) string {
	for _, r := range st.ops.Rows() {
		if strings.HasPrefix(r, id+" |") {
			return r
		}
	}
	return ""
}

func TestSettings_AnAdminManagesTheOperators(t *testing.T) {
	ctx := context.Background()
	// Given an admin on the operators' part
	s := newShop(t, app.English, app.Limits{})
	s.signedIn(admin)
	st := s.openSettings(2)
	eventually(t, "listed", func() bool { return row(st, cashier) == cashier+" |  | cashier | active" })

	// When they add a teller by keyboard: id, Tab, name, Tab, role, Tab, PIN, Tab, PIN again, Enter
	s.tapKeyButton("Add operator")
	eventually(t, "form", func() bool { return s.desk.modal != nil })
	s.typeKeys("zhao.lei")
	s.tab()
	s.typeKeys("Zhao Lei")
	s.tab()
	do(func() { s.desk.Window.Canvas().Focused().(*keySelect).SetSelected("teller") })
	s.tab()
	s.typeKeys("2468")
	s.tab()
	s.typeKeys("2468")
	s.press(fyne.KeyReturn)

	// Then the list shows them, they can sign in, and the audit names the admin
	eventually(t, "added", func() bool { return row(st, "zhao.lei") == "zhao.lei | Zhao Lei | teller | active" })
	if st.ops.message.Text != "zhao.lei is added as teller." {
		t.Errorf("message %q", st.ops.message.Text)
	}
	if op, err := s.desk.svc.Staff.SignIn(ctx, "zhao.lei", "2468"); err != nil || op.Role != app.RoleTeller {
		t.Fatalf("sign-in %+v %v", op, err)
	}
	if !s.audited(admin, "added operator zhao.lei (teller)") {
		t.Error("not audited")
	}

	// When the admin makes the cashier a supervisor
	s.chooseOperator(st, cashier)
	s.tapKeyButton("Change role")
	eventually(t, "role form", func() bool { return s.desk.modal != nil })
	do(func() { s.desk.Window.Canvas().Focused().(*keySelect).SetSelected("supervisor") })
	s.press(fyne.KeyReturn)
	// Then she is one, and it is audited
	eventually(t, "role changed", func() bool { return row(st, cashier) == cashier+" |  | supervisor | active" })
	if !s.audited(admin, "changed the role of li.na from cashier to supervisor") {
		t.Error("role change not audited")
	}

	// When the admin locks her, saying yes with Enter
	s.chooseOperator(st, cashier)
	s.tapKeyButton("Lock")
	eventually(t, "asked", func() bool { return s.modalSays("li.na will not be able to sign in") })
	s.press(fyne.KeyReturn)
	// Then she is locked: her right PIN is refused
	eventually(t, "locked", func() bool { return row(st, cashier) == cashier+" |  | supervisor | locked" })
	if _, err := s.desk.svc.Staff.SignIn(ctx, cashier, cashierPIN); !errors.Is(err, app.ErrLocked) {
		t.Fatalf("a locked operator signs in: %v", err)
	}

	// When the admin unlocks her, then she signs in again
	s.chooseOperator(st, cashier)
	s.tapKeyButton("Unlock")
	eventually(t, "unlocked", func() bool { return row(st, cashier) == cashier+" |  | supervisor | active" })
	if _, err := s.desk.svc.Staff.SignIn(ctx, cashier, cashierPIN); err != nil {
		t.Fatalf("after unlock: %v", err)
	}

	// When the admin resets her PIN, typing two that differ first
	s.chooseOperator(st, cashier)
	s.tapKeyButton("Reset PIN")
	eventually(t, "PIN form", func() bool { return s.desk.modal != nil })
	s.typeKeys("5678")
	s.tab()
	s.typeKeys("5679")
	s.press(fyne.KeyReturn)
	eventually(t, "PINs differ", func() bool { return st.ops.message.Text == app.MsgPINsDiffer.Text(app.English) })
	s.tapKeyButton("Reset PIN")
	eventually(t, "PIN form", func() bool { return s.desk.modal != nil })
	s.typeKeys("5678")
	s.tab()
	s.typeKeys("5678")
	s.press(fyne.KeyReturn)
	// Then the new PIN signs her in, the old one no more
	eventually(t, "PIN reset", func() bool { return st.ops.message.Text == "li.na has a new PIN and can sign in with it." })
	if _, err := s.desk.svc.Staff.SignIn(ctx, cashier, "5678"); err != nil {
		t.Fatalf("new PIN: %v", err)
	}
	for _, line := range []string{"locked operator li.na", "unlocked operator li.na", "changed the PIN of li.na"} {
		if !s.audited(admin, line) {
			t.Errorf("not audited: %q", line)
		}
	}

	// When the admin tries to lock themselves
	s.chooseOperator(st, admin)
	s.tapKeyButton("Lock")
	eventually(t, "asked", func() bool { return s.desk.modal != nil })
	s.press(fyne.KeyReturn)
	// Then it is refused in words
	eventually(t, "refused", func() bool { return st.ops.message.Text == app.MsgErrOwnAccount.Text(app.English) })
}
