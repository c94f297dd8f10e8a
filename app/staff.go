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
	if err := ValidPIN(pin); err != nil {
		return err
	}
	by, err := s.authority(ctx, admin)
	if err != nil {
		return err
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

// authority is the admin's id, or "" on a desk with no operator yet.
func (s *Staff) authority(ctx context.Context, admin *Operator) (string, error) {
	if admin != nil {
		if !admin.Role.Can(RoleAdmin) {
			return "", fmt.Errorf("%s is a %s: %w", admin.ID, admin.Role, ErrRole)
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
