package app

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Enrolment is what the bank made of this desk: the terminal and merchant
// it knows the desk as, and the certificate the desk shows it.
type Enrolment struct {
	Enrolled bool
	BankURL  string
	Terminal string
	Merchant string
	// Teller: the bank enrolled the desk as a branch's teller desk, which
	// may load and unload wallets.
	Teller      bool
	Subject     string    // the certificate's subject
	NotAfter    time.Time // the certificate is good until then
	Fingerprint string    // SHA-256 of the certificate, hex pairs
	// Pulled: the CA public keys and the hotlist came with the enrolment;
	// when not, the forwarder pulls them at its next pass.
	Pulled bool
}

// EnrolRequest is what an admin gives to enrol the desk.
type EnrolRequest struct {
	BankURL string
	// CA is the bank's CA certificate, the only one the desk will trust:
	// its PEM text, or the path of a file holding it.
	CA   string
	Code string // the one-time enrolment code from the bank
	// Force enrols although the journal holds entries recorded under the
	// present identity (the command's --force).
	Force bool
}

// Enroller enrols the desk with a bank and says what it is enrolled as.
// The desk's data folder implements it.
type Enroller interface {
	Enrol(ctx context.Context, req EnrolRequest) (Enrolment, error)
	Enrolment(ctx context.Context) (Enrolment, error)
}

// What can go wrong with an enrolment, in words a shop owner can act on.
var (
	ErrEnrolForm       = errors.New("the bank's address (https://…), its CA certificate and the code are all needed")
	ErrEnrolCode       = errors.New("the bank does not know this enrolment code, or it was used already")
	ErrBankCA          = errors.New("the bank's CA certificate cannot be read")
	ErrNotTheBank      = errors.New("the server is not the bank: its certificate is not signed by the bank's CA")
	ErrBankUnreachable = errors.New("the bank cannot be reached")
	ErrReenrol         = errors.New("the journal holds entries recorded under the desk's present identity")
)

// ReenrolError says the journal holds entries recorded as another
// terminal: enrolling gives the desk a new identity, and those not yet at
// the bank would go under it and be rejected.
type ReenrolError struct {
	Entries            int64
	Terminal, Merchant string
}

func (e *ReenrolError) Error() string {
	return fmt.Sprintf("the journal holds %d entries recorded as terminal %s of merchant %s", e.Entries, e.Terminal, e.Merchant)
}

func (e *ReenrolError) Is(target error) bool { return target == ErrReenrol }

// BankEnrolment is the settings' bank: what the desk is enrolled as, and
// enrolling it, on an admin's authority, audited.
type BankEnrolment struct {
	Enroller Enroller
	Audit    Audit
	// Operators says who the admin enrolling is now; nil: the Audit, when
	// it keeps the operators too, as the desk's store does.
	Operators OperatorReader
	Now       func() time.Time // nil: time.Now
}

// Current is what the desk is enrolled as; Enrolled is false when it is not.
func (b *BankEnrolment) Current(ctx context.Context) (Enrolment, error) {
	return b.Enroller.Enrolment(ctx)
}

// Enrol makes the desk a terminal of the bank. A *ReenrolError (ErrReenrol)
// asks whether to enrol anyway, with Force.
func (b *BankEnrolment) Enrol(ctx context.Context, by Operator, req EnrolRequest) (Enrolment, error) {
	ops := b.Operators
	if ops == nil {
		ops, _ = b.Audit.(OperatorReader)
	}
	if _, err := actingNow(ctx, ops, by, RoleAdmin); err != nil {
		return Enrolment{}, fmt.Errorf("enrolment: %w", err)
	}
	req.BankURL, req.CA, req.Code = strings.TrimSpace(req.BankURL), strings.TrimSpace(req.CA), strings.TrimSpace(req.Code)
	u, err := url.Parse(req.BankURL)
	if err != nil || u.Scheme != "https" || u.Host == "" || req.CA == "" || req.Code == "" {
		return Enrolment{}, fmt.Errorf("enrolment at %q: %w", req.BankURL, ErrEnrolForm)
	}
	enr, err := b.Enroller.Enrol(ctx, req)
	if err != nil {
		return Enrolment{}, err
	}
	kind := ""
	if enr.Teller {
		kind = " (a teller desk)"
	}
	detail := fmt.Sprintf("enrolled at %s as terminal %s of merchant %s%s; certificate %s, SHA-256 %s, valid until %s",
		enr.BankURL, enr.Terminal, enr.Merchant, kind, enr.Subject, enr.Fingerprint, enr.NotAfter.UTC().Format(time.DateOnly))
	if req.Force {
		detail += "; enrolled although the journal held entries under the former identity"
	}
	if err := b.Audit.Record(ctx, AuditEvent{At: b.now(), Operator: by.ID, Action: AuditSettings, Detail: detail}); err != nil {
		return enr, fmt.Errorf("enrolled, but the audit log: %w", err)
	}
	return enr, nil
}

func (b *BankEnrolment) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}
