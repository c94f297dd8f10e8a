package app

import (
	"context"
	"errors"
	"time"
)

// Role is what an operator may do at the desk.
type Role string

const (
	RoleCashier    Role = "cashier"    // sells
	RoleSupervisor Role = "supervisor" // also voids, overrides limits, closes the day
	RoleTeller     Role = "teller"     // loads and unloads wallets at a bank branch
	RoleAdmin      Role = "admin"      // manages operators and settings
)

// Valid says whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleCashier, RoleSupervisor, RoleTeller, RoleAdmin:
		return true
	}
	return false
}

// Can says whether the role allows an action needing another role.
func (r Role) Can(need Role) bool {
	if r == need || r == RoleAdmin {
		return true
	}
	return need == RoleCashier && r == RoleSupervisor
}

// Operator is a person who signs in at the desk.
type Operator struct {
	ID       string // short login name, e.g. "li.na"
	Name     string
	Role     Role
	Locked   bool // too many wrong PINs: an admin must reset the PIN
	Created  time.Time
	LastSeen time.Time
}

// Sign-in failures.
var (
	ErrWrongPIN = errors.New("wrong PIN")
	ErrLocked   = errors.New("operator locked after too many wrong PINs")
	ErrRole     = errors.New("operator's role does not allow this")
)

// Operators is what the desk needs of the operator store.
type Operators interface {
	// Authenticate checks a PIN; after too many failures in a row the
	// operator is locked and every attempt fails with ErrLocked.
	Authenticate(ctx context.Context, id, pin string) (Operator, error)
}

// AuditAction names what the audit log records.
type AuditAction string

const (
	AuditLogin         AuditAction = "login"
	AuditLoginFailed   AuditAction = "login_failed"
	AuditLocked        AuditAction = "locked"
	AuditVoid          AuditAction = "void"
	AuditLimitOverride AuditAction = "limit_override"
	AuditSettings      AuditAction = "settings"
	AuditZReport       AuditAction = "z_report"
	AuditExport        AuditAction = "export"
	AuditOperator      AuditAction = "operator" // added, PIN changed, unlocked
)

// AuditEvent is one line of the audit log.
type AuditEvent struct {
	ID       int64
	At       time.Time
	Operator string // who did it (or tried)
	Action   AuditAction
	Ref      int64  // the journal entry concerned, if any
	Detail   string // what a reviewer needs: amounts, limits, old and new values
}

// Audit is what the desk needs of the audit log.
type Audit interface {
	Record(ctx context.Context, e AuditEvent) error
}
