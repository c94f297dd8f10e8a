package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// OperatorStore is what the desk needs of the operator store.
type OperatorStore interface {
	Authenticate(ctx context.Context, id, pin string) (Operator, error)
	Operators(ctx context.Context) ([]Operator, error)
	AddOperator(ctx context.Context, op Operator, pin string) error
	SetPIN(ctx context.Context, id, pin string) error
}

// Staff is sign-in and the operators of the desk: the rules the window
// and the headless commands share.
type Staff struct {
	Store OperatorStore
	Audit Audit
	Now   func() time.Time // nil: time.Now
}

// ErrFirstAdmin says a desk's first operator must be an admin.
var ErrFirstAdmin = errors.New("the first operator of a desk must be an admin")

// ErrBadPIN says a new PIN is not 4 to 12 digits.
var ErrBadPIN = errors.New("a PIN has 4 to 12 digits")

// ErrBadOperatorID says an operator id is not one the desk takes.
var ErrBadOperatorID = errors.New("an operator id is 1 to 32 of a-z, 0-9, '.', '_' and '-'")

// ErrOperatorTaken says another operator has the id already.
var ErrOperatorTaken = errors.New("there is an operator with this id already")

// ValidOperatorID checks an id as the operator store does: short, lower
// case, easy to type at a sign-in prompt.
func ValidOperatorID(id string) error {
	if len(id) == 0 || len(id) > 32 {
		return ErrBadOperatorID
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return ErrBadOperatorID
		}
	}
	return nil
}

// ValidPIN checks a new PIN: 4 to 12 digits, as the keypads of shops have.
func ValidPIN(pin string) error {
	if len(pin) < 4 || len(pin) > 12 {
		return ErrBadPIN
	}
	for _, c := range pin {
		if c < '0' || c > '9' {
			return ErrBadPIN
		}
	}
	return nil
}

// SignIn checks an operator's PIN. Wrong PINs count towards the lock-out
// in the store; the error says which of ErrWrongPIN and ErrLocked it was.
func (s *Staff) SignIn(ctx context.Context, id, pin string) (Operator, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return Operator{}, fmt.Errorf("sign in: %w", ErrWrongPIN)
	}
	return s.Store.Authenticate(ctx, id, pin)
}

// Authorise signs in an operator who must hold role need, as a supervisor
// does to void a sale or an admin to add an operator.
func (s *Staff) Authorise(ctx context.Context, id, pin string, need Role) (Operator, error) {
	op, err := s.SignIn(ctx, id, pin)
	if err != nil {
		return Operator{}, err
	}
	if !op.Role.Can(need) {
		return Operator{}, fmt.Errorf("%s is a %s, and this needs a %s: %w", op.ID, op.Role, need, ErrRole)
	}
	return op, nil
}

// List gives every operator of the desk.
func (s *Staff) List(ctx context.Context) ([]Operator, error) { return s.Store.Operators(ctx) }

// NeedsFirstAdmin says whether the desk has no operator yet: then the
// first one added must be an admin, and needs nobody's authority.
func (s *Staff) NeedsFirstAdmin(ctx context.Context) (bool, error) {
	ops, err := s.Store.Operators(ctx)
	return err == nil && len(ops) == 0, err
}

// Add adds an operator with the authority of admin (nil for a desk's very
// first operator, which must itself be an admin).
func (s *Staff) Add(ctx context.Context, admin *Operator, op Operator, pin string) error {
	if !op.Role.Valid() {
		return fmt.Errorf("role %q: use cashier, supervisor, teller or admin", op.Role)
	}
	if strings.TrimSpace(op.ID) == "" {
		return errors.New("an operator needs an id")
	}
	if err := ValidOperatorID(op.ID); err != nil {
		return fmt.Errorf("operator id %q: %w", op.ID, err)
	}
	if err := ValidPIN(pin); err != nil {
		return err
	}
	by, err := s.authority(ctx, admin)
	if err != nil {
		return err
	}
	if ops, err := s.Store.Operators(ctx); err != nil {
		return err
	} else if _, taken := find(ops, op.ID); taken {
		return fmt.Errorf("operator %s: %w", op.ID, ErrOperatorTaken)
	}
	if by == "" && op.Role != RoleAdmin {
		return ErrFirstAdmin
	}
	if op.Created.IsZero() {
		op.Created = s.now()
	}
	if err := s.Store.AddOperator(ctx, op, pin); err != nil {
		return err
	}
	return s.record(ctx, by, fmt.Sprintf("added operator %s (%s)", op.ID, op.Role))
}

// SetPIN gives an operator a new PIN, which also unlocks them.
func (s *Staff) SetPIN(ctx context.Context, admin *Operator, id, pin string) error {
	by, err := s.authority(ctx, admin)
	if err != nil {
		return err
	}
	if by == "" {
		return fmt.Errorf("changing a PIN: %w", ErrRole)
	}
	if err := ValidPIN(pin); err != nil {
		return err
	}
	if err := s.Store.SetPIN(ctx, id, pin); err != nil {
		return err
	}
	return s.record(ctx, by, fmt.Sprintf("changed the PIN of %s (unlocked)", id))
}

// OperatorAdmin is what changing a role and locking need of the store.
// It is apart from OperatorStore so stores that only sign people in need
// not have it.
type OperatorAdmin interface {
	SetRole(ctx context.Context, id string, role Role) error
	// SetLocked locks an operator, or unlocks them and forgets their
	// wrong PINs.
	SetLocked(ctx context.Context, id string, locked bool) error
}

// Refusals that keep a desk manageable.
var (
	// ErrOwnAccount: an admin does not lock themselves out or give up
	// their own admin role; another admin does it. With the acting admin
	// checked afresh at each change, this also keeps an admin who can
	// sign in on every desk.
	ErrOwnAccount = errors.New("an admin cannot lock themselves or take away their own admin role")
)

// SetRole gives an operator another role, on an admin's authority.
func (s *Staff) SetRole(ctx context.Context, admin *Operator, id string, role Role) error {
	if !role.Valid() {
		return fmt.Errorf("role %q: use cashier, supervisor, teller or admin", role)
	}
	by, op, err := s.change(ctx, admin, id)
	if err != nil {
		return err
	}
	if op.Role == role {
		return nil
	}
	if id == by {
		return fmt.Errorf("%s's role: %w", id, ErrOwnAccount)
	}
	st, err := s.admin()
	if err != nil {
		return err
	}
	if err := st.SetRole(ctx, id, role); err != nil {
		return err
	}
	return s.record(ctx, by, fmt.Sprintf("changed the role of %s from %s to %s", id, op.Role, role))
}

// Lock stops an operator signing in until an admin unlocks them or sets a
// new PIN: for someone who left, or whose PIN others may know.
func (s *Staff) Lock(ctx context.Context, admin *Operator, id string) error {
	by, op, err := s.change(ctx, admin, id)
	if err != nil || op.Locked {
		return err
	}
	if id == by {
		return fmt.Errorf("locking %s: %w", id, ErrOwnAccount)
	}
	st, err := s.admin()
	if err != nil {
		return err
	}
	if err := st.SetLocked(ctx, id, true); err != nil {
		return err
	}
	return s.record(ctx, by, fmt.Sprintf("locked operator %s", id))
}

// Unlock lets a locked operator sign in again with the PIN they have,
// their wrong PINs forgotten.
func (s *Staff) Unlock(ctx context.Context, admin *Operator, id string) error {
	by, op, err := s.change(ctx, admin, id)
	if err != nil || !op.Locked {
		return err
	}
	st, err := s.admin()
	if err != nil {
		return err
	}
	if err := st.SetLocked(ctx, id, false); err != nil {
		return err
	}
	return s.record(ctx, by, fmt.Sprintf("unlocked operator %s", id))
}

// change checks an admin's authority over operator id and finds them.
func (s *Staff) change(ctx context.Context, admin *Operator, id string) (string, Operator, error) {
	if admin == nil {
		return "", Operator{}, fmt.Errorf("changing operator %s: an admin must authorise this: %w", id, ErrRole)
	}
	by, err := s.authority(ctx, admin)
	if err != nil {
		return "", Operator{}, err
	}
	ops, err := s.Store.Operators(ctx)
	if err != nil {
		return "", Operator{}, err
	}
	if op, ok := find(ops, id); ok {
		return by, op, nil
	}
	return "", Operator{}, fmt.Errorf("operator %q: %w", id, ErrNotFound)
}

func find(ops []Operator, id string) (Operator, bool) {
	for _, op := range ops {
		if op.ID == id {
			return op, true
		}
	}
	return Operator{}, false
}

func (s *Staff) admin() (OperatorAdmin, error) {
	if st, ok := s.Store.(OperatorAdmin); ok {
		return st, nil
	}
	return nil, errors.New("this desk's operator store cannot change roles or lock operators")
}

// authority is the admin's id, or "" on a desk with no operator yet. The
// admin is checked as the store has them now, not as they signed in.
func (s *Staff) authority(ctx context.Context, admin *Operator) (string, error) {
	if admin != nil {
		if _, err := actingNow(ctx, s.Store, *admin, RoleAdmin); err != nil {
			return "", err
		}
		return admin.ID, nil
	}
	first, err := s.NeedsFirstAdmin(ctx)
	if err != nil {
		return "", err
	}
	if !first {
		return "", fmt.Errorf("an admin must authorise this: %w", ErrRole)
	}
	return "", nil
}

// OperatorReader reads the operators as the store has them at this moment.
type OperatorReader interface {
	Operators(ctx context.Context) ([]Operator, error)
}

// actingNow is the operator by as the store has them now, refused unless
// they may still sign in and still hold a role that can act as need. The
// window keeps the Operator it signed in for as long as it stays open,
// and another admin may have demoted or locked them since: an admin
// demoted by the owner must not add an admin or reset the owner's PIN
// from a window left open. Every admin's and supervisor's action asks.
func actingNow(ctx context.Context, ops OperatorReader, by Operator, need Role) (Operator, error) {
	if ops == nil {
		return Operator{}, fmt.Errorf("%s acting as %s: the desk cannot say who its operators are now: %w", by.ID, need, ErrRole)
	}
	all, err := ops.Operators(ctx)
	if err != nil {
		return Operator{}, fmt.Errorf("%s acting as %s: reading the operators: %w", by.ID, need, err)
	}
	now, ok := find(all, by.ID)
	switch {
	case by.ID == "" || !ok:
		return Operator{}, fmt.Errorf("%q acting as %s: no operator of this desk: %w", by.ID, need, ErrRole)
	case now.Locked:
		return Operator{}, fmt.Errorf("%s acting as %s: locked since signing in: %w", by.ID, need, ErrLocked)
	case !now.Role.Can(need):
		return Operator{}, fmt.Errorf("%s is a %s now, and this needs a %s: %w", by.ID, now.Role, need, ErrRole)
	}
	return now, nil
}

func (s *Staff) record(ctx context.Context, by, detail string) error {
	if by == "" {
		by = "system"
	}
	return s.Audit.Record(ctx, AuditEvent{At: s.now(), Operator: by, Action: AuditOperator, Detail: detail})
}

func (s *Staff) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
