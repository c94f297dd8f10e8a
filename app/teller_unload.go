package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// BankUnload moves e-cash back to the customer's deposit, at the bank only.
type BankUnload struct {
	PAN, PSN string
	Amount   Money
	Customer string
	Operator string
	// ReturnsLoadATC is the ATC of an online load whose script never
	// reached the phone, when the unload gives it back: the bank then
	// takes that load out of the wallet's balance chain. 0: none. A
	// return is the desk's own bookkeeping and is signed by nobody else.
	ReturnsLoadATC uint16
	// Who signs an unload besides the teller, exactly one: the password
	// the customer typed at the counter, which the bank checks, or a
	// second teller of this desk, whose PIN the desk checked.
	CustomerPassword string
	Approver         string
}

// String keeps the customer's password out of every log and error a
// request may be printed into.
func (u BankUnload) String() string {
	if u.CustomerPassword != "" {
		u.CustomerPassword = "(hidden)"
	}
	type plain BankUnload // without this method
	return fmt.Sprintf("%+v", plain(u))
}

// GoString is String for %#v.
func (u BankUnload) GoString() string { return "app.BankUnload" + u.String() }

// UnloadState is where an unload stands at the bank.
type UnloadState string

const (
	// UnloadHeld: the bank hotlisted the wallet and pays the deposit at
	// PaysAt, after its settlement window, less the purchases made before
	// the hotlist that desks send in it (the merchants are paid first).
	UnloadHeld UnloadState = "held"
	// UnloadPaid: the deposit has the money (a return of a load the
	// phone never took, or a held unload whose window has passed).
	UnloadPaid UnloadState = "paid"
)

// BankUnloadAnswer is the bank's answer to an unload.
type BankUnloadAnswer struct {
	State   UnloadState
	Amount  Money     // what the unload is for
	PaysAt  time.Time // when a held unload pays; zero when the bank did not say
	Balance Money     // what the bank still owes on the wallet
}

// StatementUnload is an unload on a wallet's statement.
type StatementUnload struct {
	At     time.Time
	Amount Money // what the teller asked for
	State  UnloadState
	PaysAt time.Time
	PaidAt time.Time // zero while held
	// Paid is what the window's purchases left of it, once paid.
	Paid       *Money
	TerminalID string
	Operator   string
	Approver   string // the second teller, or "customer" when the customer signed
}

// ApproverCustomer is the approver a statement names for an unload the
// customer signed with their password.
const ApproverCustomer = "customer"

// UnloadSigner is who agrees to an unload besides the teller: the
// customer, by typing their bank password at the counter, or a second
// teller signed in at this desk with their PIN. One teller alone cannot
// move a customer's e-cash to a deposit.
type UnloadSigner struct {
	CustomerPassword string
	Approver         string // the second teller's operator id
	ApproverPIN      string
}

// CustomerSigns is an unload the customer signs with their bank password.
func CustomerSigns(password string) UnloadSigner { return UnloadSigner{CustomerPassword: password} }

// SecondTeller is an unload a second teller signs with their id and PIN.
func SecondTeller(id, pin string) UnloadSigner { return UnloadSigner{Approver: id, ApproverPIN: pin} }

// ApproverError is a second teller who could not sign an unload: a wrong
// PIN or id (ErrWrongPIN), locked (ErrLocked), or not a teller (ErrRole).
type ApproverError struct {
	ID  string
	Err error
}

func (e *ApproverError) Error() string { return fmt.Sprintf("second teller %s: %v", e.ID, e.Err) }
func (e *ApproverError) Unwrap() error { return e.Err }

// UnloadResult is an unload done at the bank.
type UnloadResult struct {
	PAN, PSN    string
	Customer    string
	Amount      Money
	BankBalance Money // what the bank still owes on the wallet
	State       UnloadState
	PaysAt      time.Time // when a held unload pays the deposit; zero when the bank did not say
	// Approver is the second teller who signed; "" when the customer did.
	Approver string
}

// Unload moves amount of a wallet's e-cash back to the customer's
// deposit at the bank (psn "" for the first wallet of the PAN), signed by
// the customer's bank password or a second teller of this desk (by): one
// teller alone cannot move a customer's money. Nothing reaches the phone.
// The bank hotlists the wallet and holds the unload (UnloadHeld) for its
// settlement window, so the purchases the phone made before are paid to
// their merchants first; it pays the rest to the deposit at PaysAt.
//
// It is refused while a load of the wallet is noted (ErrTapFirst):
// whether that load's money is on the phone only a tap can tell, and an
// unload taken for it would give the customer the money twice if the
// phone had it.
func (t *Teller) Unload(ctx context.Context, op Operator, pan, psn string, amount Money, by UnloadSigner) (UnloadResult, error) {
	if err := t.allow(ctx, op, "unload"); err != nil {
		return UnloadResult{}, err
	}
	if amount <= 0 {
		return UnloadResult{}, fmt.Errorf("teller: unload of %s: %w", FormatMoney(amount), ErrAmount)
	}
	if !digits(pan, 12, 19) || (psn != "" && !digits(psn, 2, 2)) {
		return UnloadResult{}, fmt.Errorf("teller: unload: %w", ErrBadPAN)
	}
	if err := by.check(op); err != nil {
		return UnloadResult{}, fmt.Errorf("teller: unload of %s: %w", FormatMoney(amount), err)
	}
	if psn != "" {
		if err := t.noNote(ctx, op, pan, psn, amount); err != nil {
			return UnloadResult{}, err
		}
	}
	approver, err := t.approve(ctx, by)
	if err != nil {
		what := fmt.Sprintf("unload of %s from wallet %s/%s", FormatMoney(amount), MaskPAN(pan), psn)
		t.refused(ctx, op, what, err)
		return UnloadResult{}, fmt.Errorf("teller: %s: %w", what, err)
	}
	w, err := t.Bank.Wallet(ctx, pan, psn)
	if err != nil {
		return UnloadResult{}, fmt.Errorf("teller: unload from %s: %w", MaskPAN(pan), err)
	}
	if err := t.noNote(ctx, op, w.PAN, w.PSN, amount); err != nil {
		return UnloadResult{}, err
	}
	res := UnloadResult{PAN: w.PAN, PSN: w.PSN, Customer: w.Customer, Amount: amount, Approver: approver}
	key, err := newKey(t.Terminal)
	if err != nil {
		return res, err
	}
	ans, err := t.Bank.Unload(ctx, key, BankUnload{PAN: w.PAN, PSN: w.PSN, Amount: amount, Customer: w.Customer, Operator: op.ID,
		CustomerPassword: by.CustomerPassword, Approver: approver})
	signed := "signed by the customer"
	if approver != "" {
		signed = "signed by second teller " + approver
	}
	what := fmt.Sprintf("unload of %s from wallet %s/%s to %s's deposit, %s", FormatMoney(amount), MaskPAN(w.PAN), w.PSN, w.Customer, signed)
	if err != nil {
		var be *BankError
		if by.CustomerPassword != "" && errors.As(err, &be) && be.Code == BankCodeRateLimited {
			err = fmt.Errorf("%w: %w", ErrCustomerLocked, err)
		}
		t.refused(ctx, op, what, err)
		return res, fmt.Errorf("teller: %s: %w", what, err)
	}
	res.State, res.PaysAt, res.BankBalance = ans.State, ans.PaysAt, ans.Balance
	if ans.Amount > 0 {
		res.Amount = ans.Amount
	}
	outcome := "paid"
	if res.State == UnloadHeld {
		outcome = "held until the bank's settlement window ends"
		if !res.PaysAt.IsZero() {
			outcome = "held: pays at " + res.PaysAt.UTC().Format(time.RFC3339) + ", less purchases that arrive before then"
		}
	}
	t.audit(ctx, op, AuditTellerUnload, fmt.Sprintf("%s; %s; the bank holds %s on the wallet", what, outcome, FormatMoney(res.BankBalance)))
	return res, nil
}

// check says whether exactly one signs besides the teller op.
func (s UnloadSigner) check(op Operator) error {
	id := strings.TrimSpace(s.Approver)
	customer, second := s.CustomerPassword != "", id != "" || s.ApproverPIN != ""
	switch {
	case customer == second, second && id == "":
		return ErrUnloadSigner
	case second && id == op.ID:
		return ErrApproverSelf
	case second && strings.EqualFold(id, ApproverCustomer):
		// The bank's name for the customer's own signature: no
		// operator may sign under it.
		return &ApproverError{ID: id, Err: ErrOperatorID}
	}
	return nil
}

// approve checks the second teller who signs an unload, if one does,
// through the desk's operator store as sign-in does (a wrong PIN counts
// toward their lock-out); it answers their id, "" when the customer signs.
func (t *Teller) approve(ctx context.Context, by UnloadSigner) (string, error) {
	if by.CustomerPassword != "" {
		return "", nil
	}
	id := strings.TrimSpace(by.Approver)
	if t.Approvers == nil {
		return "", &ApproverError{ID: id, Err: fmt.Errorf("this desk cannot check a second teller's PIN: %w", ErrRole)}
	}
	a, err := t.Approvers.Authenticate(ctx, id, by.ApproverPIN)
	switch {
	case err != nil:
		return "", &ApproverError{ID: id, Err: err}
	case a.Locked:
		return "", &ApproverError{ID: id, Err: ErrLocked}
	case !a.Role.Can(RoleTeller):
		return "", &ApproverError{ID: id, Err: fmt.Errorf("%s is a %s: %w", a.ID, a.Role, ErrRole)}
	case !validOperatorID(a.ID):
		return "", &ApproverError{ID: id, Err: ErrOperatorID}
	}
	return a.ID, nil
}

// noNote refuses an unload of a wallet with a noted load (ErrTapFirst).
func (t *Teller) noNote(ctx context.Context, op Operator, pan, psn string, amount Money) error {
	u, err := t.unfinished(ctx, pan, psn)
	if err != nil {
		return fmt.Errorf("teller: unload from %s: %w", MaskPAN(pan), err)
	}
	if u == nil {
		return nil
	}
	what := fmt.Sprintf("unload of %s from wallet %s/%s", FormatMoney(amount), MaskPAN(pan), psn)
	err = fmt.Errorf("%w of %s at ATC %d", ErrTapFirst, FormatMoney(u.Amount), u.ATC)
	t.refused(ctx, op, what, err)
	return fmt.Errorf("teller: %s: %w", what, err)
}
