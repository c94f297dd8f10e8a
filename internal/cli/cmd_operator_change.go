package cli

import (
	"context"
	"errors"
	"fmt"
	"io"

	"lingqian/app"
	"lingqian/desk"
)

// operatorChange gives an operator another role, locks or unlocks them,
// on an admin's authority, as the settings' operators part does: the same
// rules of app.Staff (nobody locks themselves or gives up their own admin
// role) and the same audit line.
func operatorChange(ctx context.Context, s *speaker, d *desk.Desk, sub string, f operatorFlags, stdin io.Reader) int {
	if *f.id == "" {
		return s.refuse(app.MsgCLIOperatorNeedsID)
	}
	role := app.Role(*f.role)
	if sub == "role" {
		// --role has a default for add; here it must be said, or an
		// admin who forgot it would make someone a cashier.
		if !f.roleGiven {
			return s.refuse(app.MsgCLIOperatorNeedsRole)
		}
		if !role.Valid() {
			return s.refuse(app.MsgCLIOperatorBadRole, *f.role)
		}
	}
	staff := &app.Staff{Store: d.DB, Audit: d.DB}
	admin, err := authorise(ctx, d, staff, *f.by, stdin, s.stderr, s.lang)
	if errors.Is(err, errNeedsAdmin) {
		return s.refuse(app.MsgCLIOperatorNeedsAdmin)
	}
	if err != nil {
		return s.failErr(err)
	}
	// As it stands before the change, to say whether anything changed:
	// Staff leaves an operator already so as they are, and audits nothing.
	before, err := findOperator(ctx, d, *f.id)
	if errors.Is(err, app.ErrNotFound) {
		return s.fail(s.t(app.MsgCLIOperatorUnknown, *f.id), err)
	}
	if err != nil {
		return s.failErr(err)
	}

	switch sub {
	case "role":
		err = staff.SetRole(ctx, admin, *f.id, role)
	case "lock":
		err = staff.Lock(ctx, admin, *f.id)
	case "unlock":
		err = staff.Unlock(ctx, admin, *f.id)
	}
	switch {
	case errors.Is(err, app.ErrOwnAccount):
		return s.fail(s.t(app.MsgCLIOperatorOwn), err)
	case errors.Is(err, app.ErrNotFound):
		return s.fail(s.t(app.MsgCLIOperatorUnknown, *f.id), err)
	case err != nil:
		return s.failErr(err)
	}

	switch {
	case sub == "role" && before.Role == role:
		s.say(app.MsgCLIOperatorRoleSame, *f.id, app.RoleText(role, s.lang))
	case sub == "role":
		s.say(app.MsgCLIOperatorRoleSet, *f.id, app.RoleText(role, s.lang), app.RoleText(before.Role, s.lang))
	case sub == "lock" && before.Locked:
		s.say(app.MsgCLIOperatorWasLocked, *f.id)
	case sub == "lock":
		s.say(app.MsgCLIOperatorLockedNow, *f.id)
	case !before.Locked:
		s.say(app.MsgCLIOperatorNotLocked, *f.id)
	default:
		s.say(app.MsgCLIOperatorUnlocked, *f.id)
	}
	return 0
}

// findOperator is operator id as the desk has them now.
func findOperator(ctx context.Context, d *desk.Desk, id string) (app.Operator, error) {
	ops, err := d.DB.Operators(ctx)
	if err != nil {
		return app.Operator{}, err
	}
	for _, op := range ops {
		if op.ID == id {
			return op, nil
		}
	}
	return app.Operator{}, fmt.Errorf("operator %q: %w", id, app.ErrNotFound)
}
