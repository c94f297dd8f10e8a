package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"lingqian/emv"
)

// Lookup finds a wallet at the bank by PAN, or, when pan is "", by the
// phone tapped on the reader (its balance and ATC come with it). A tap
// settles an earlier load of the phone first (out.Settled), as any tap
// that reads a phone does.
func (t *Teller) Lookup(ctx context.Context, op Operator, pan string) (WalletLookup, error) {
	if err := t.allow(ctx, op, "lookup"); err != nil {
		return WalletLookup{}, err
	}
	var out WalletLookup
	psn := ""
	if pan = strings.TrimSpace(pan); pan == "" {
		r, err := t.readPhone(ctx, nil)
		if err != nil {
			return WalletLookup{}, fmt.Errorf("teller: lookup: %w", err)
		}
		out.Phone, pan, psn = &r, r.PAN, r.PSN
		if out.Settled, err = t.settleTap(ctx, op, r); err != nil {
			return out, fmt.Errorf("teller: lookup: %w", err)
		}
	} else if !digits(pan, 12, 19) {
		return WalletLookup{}, fmt.Errorf("teller: lookup: %w", ErrBadPAN)
	}
	w, err := t.Bank.Wallet(ctx, pan, psn)
	if err != nil {
		return out, fmt.Errorf("teller: lookup of %s: %w", MaskPAN(pan), err)
	}
	out.Bank = w
	if out.Unfinished, err = t.unfinished(ctx, w.PAN, w.PSN); err != nil {
		return out, err
	}
	t.audit(ctx, op, AuditTellerLookup, fmt.Sprintf("looked up wallet %s/%s", MaskPAN(w.PAN), w.PSN))
	return out, nil
}

// Statement is the wallet's history at the bank (psn "" for the newest).
func (t *Teller) Statement(ctx context.Context, op Operator, pan, psn string) (WalletStatement, error) {
	if err := t.allow(ctx, op, "statement"); err != nil {
		return WalletStatement{}, err
	}
	if !digits(pan, 12, 19) || (psn != "" && !digits(psn, 2, 2)) {
		return WalletStatement{}, fmt.Errorf("teller: statement: %w", ErrBadPAN)
	}
	s, err := t.Bank.Statement(ctx, pan, psn)
	if err != nil {
		return s, fmt.Errorf("teller: statement of %s: %w", MaskPAN(pan), err)
	}
	t.audit(ctx, op, AuditTellerLookup, fmt.Sprintf("statement of wallet %s/%s", MaskPAN(s.PAN), s.PSN))
	return s, nil
}

// Hotlist blocks every wallet with the PAN; it answers the hotlist's new version.
func (t *Teller) Hotlist(ctx context.Context, op Operator, pan, reason string) (int64, error) {
	if err := t.allow(ctx, op, "hotlist"); err != nil {
		return 0, err
	}
	reason = strings.TrimSpace(reason)
	if !digits(pan, 12, 19) {
		return 0, fmt.Errorf("teller: hotlist: %w", ErrBadPAN)
	}
	if !validNote(reason) {
		return 0, fmt.Errorf("teller: hotlist: %w", ErrNoteNeeded)
	}
	key, err := newKey(t.Terminal)
	if err != nil {
		return 0, err
	}
	v, err := t.Bank.Hotlist(ctx, key, op.ID, pan, reason)
	what := fmt.Sprintf("hotlist of wallet %s (%s)", MaskPAN(pan), reason)
	if err != nil {
		t.refused(ctx, op, what, err)
		return 0, fmt.Errorf("teller: %s: %w", what, err)
	}
	t.audit(ctx, op, AuditTellerHotlist, fmt.Sprintf("%s; hotlist version %d", what, v))
	return v, nil
}

// Exceptions is the bank's exception queue, newest first ("" for the
// open items).
func (t *Teller) Exceptions(ctx context.Context, op Operator, state ExceptionState) ([]BankException, error) {
	if err := t.allow(ctx, op, "exceptions"); err != nil {
		return nil, err
	}
	switch state {
	case "":
		state = ExceptionsOpen
	case ExceptionsOpen, ExceptionsResolved, ExceptionsAll:
	default:
		return nil, fmt.Errorf("teller: exceptions %q: give open, resolved or all", state)
	}
	list, err := t.Bank.Exceptions(ctx, state)
	if err != nil {
		return nil, fmt.Errorf("teller: exceptions: %w", err)
	}
	return list, nil
}

// Resolve closes an item of the exception queue with a note of what was
// found and done.
func (t *Teller) Resolve(ctx context.Context, op Operator, id int64, note string) (BankException, error) {
	if err := t.allow(ctx, op, "resolve"); err != nil {
		return BankException{}, err
	}
	note = strings.TrimSpace(note)
	if id < 1 {
		return BankException{}, fmt.Errorf("teller: resolve: exception %d: give its number from the queue", id)
	}
	if !validNote(note) {
		return BankException{}, fmt.Errorf("teller: resolve: %w", ErrNoteNeeded)
	}
	key, err := newKey(t.Terminal)
	if err != nil {
		return BankException{}, err
	}
	e, err := t.Bank.Resolve(ctx, key, op.ID, id, note)
	what := fmt.Sprintf("resolution of exception %d (%s)", id, note)
	if err != nil {
		t.refused(ctx, op, what, err)
		return e, fmt.Errorf("teller: %s: %w", what, err)
	}
	t.audit(ctx, op, AuditTellerResolve, what)
	return e, nil
}

// ReEnter taps the phone, reads its balance and ATC, and has the bank
// restart the wallet's balance chain there: for a phone whose log was
// lost (reinstalled, wiped), whose uploads no longer chain.
func (t *Teller) ReEnter(ctx context.Context, op Operator, note string, onStep func(TellerStep)) (ReEntryResult, error) {
	if err := t.allow(ctx, op, "re-entry"); err != nil {
		return ReEntryResult{}, err
	}
	note = strings.TrimSpace(note)
	if !validNote(note) {
		return ReEntryResult{}, fmt.Errorf("teller: re-entry: %w", ErrNoteNeeded)
	}
	onStep = once(onStep)
	r, err := t.readPhone(ctx, onStep)
	if err != nil {
		return ReEntryResult{}, fmt.Errorf("teller: re-entry: %w", err)
	}
	res := ReEntryResult{Phone: r}
	step(onStep, StepBank)
	// An earlier load first, as at every tap: the re-entry then starts
	// the chain from a phone with nothing in flight.
	if res.Settled, err = t.settleTap(ctx, op, r); err != nil {
		return res, fmt.Errorf("teller: re-entry: %w", err)
	}
	key, err := newKey(t.Terminal)
	if err != nil {
		return res, err
	}
	res.Resolved, err = t.Bank.ReEnter(ctx, key, ReEntry{PAN: r.PAN, PSN: r.PSN, ATC: r.ATC, Balance: Money(r.Balance), Operator: op.ID, Note: note})
	what := fmt.Sprintf("re-entry of wallet %s/%s at ATC %d, balance %s (%s)", MaskPAN(r.PAN), r.PSN, r.ATC, FormatMoney(Money(r.Balance)), note)
	if err != nil {
		t.refused(ctx, op, what, err)
		return res, fmt.Errorf("teller: %s: %w", what, err)
	}
	step(onStep, StepDone)
	t.audit(ctx, op, AuditTellerReEntry, fmt.Sprintf("%s; %d exceptions resolved", what, res.Resolved))
	return res, nil
}

// readPhone waits for a phone and reads its wallet, moving no money.
func (t *Teller) readPhone(ctx context.Context, onStep func(TellerStep)) (emv.WalletReading, error) {
	step(onStep, StepTap)
	card, err := t.Reader.Tap(ctx)
	if err != nil {
		return emv.WalletReading{}, fmt.Errorf("waiting for the phone: %w", err)
	}
	defer card.Close()
	step(onStep, StepRead)
	r, err := t.Kernel.ReadWallet(ctx, card)
	if err != nil {
		return r, fmt.Errorf("reading the phone: %w", err)
	}
	return r, nil
}

// allow checks the desk and the operator before any teller action.
func (t *Teller) allow(ctx context.Context, op Operator, what string) error {
	if !op.Role.Can(RoleTeller) {
		return fmt.Errorf("teller: %s: %s is a %s: %w", what, op.ID, op.Role, ErrRole)
	}
	if t.Operators != nil {
		if _, err := actingNow(ctx, t.Operators, op, RoleTeller); err != nil {
			return fmt.Errorf("teller: %s: %w", what, err)
		}
	}
	if !validOperatorID(op.ID) {
		return fmt.Errorf("teller: %s: operator %q: %w", what, op.ID, ErrOperatorID)
	}
	if t.Desk == nil {
		return fmt.Errorf("teller: %s: %w", what, ErrNotTellerDesk)
	}
	ok, err := t.Desk.IsTellerDesk(ctx)
	if err != nil {
		return fmt.Errorf("teller: %s: is this a teller desk: %w", what, err)
	}
	if !ok {
		return fmt.Errorf("teller: %s: %w", what, ErrNotTellerDesk)
	}
	return nil
}

// audit records one line; a teller's action is done at the bank whether
// or not the desk's audit log takes the line, so its failure is not the
// action's (the bank's own log has it too). Any wallet number in it is
// masked, those in errors passed on included (a lookup's URL has one).
func (t *Teller) audit(ctx context.Context, op Operator, action AuditAction, detail string) {
	if t.Audit != nil {
		_ = t.Audit.Record(ctx, AuditEvent{At: t.now(), Operator: op.ID, Action: action, Detail: maskPANs(detail)})
	}
}

// maskPANs masks every run of 12 to 19 digits in s as MaskPAN does.
func maskPANs(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); {
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if n := j - i; n >= 12 && n <= 19 {
			copy(b[i:j], MaskPAN(string(b[i:j])))
		}
		i = max(j, i+1)
	}
	return string(b)
}

// refused audits an action the bank or the phone refused.
func (t *Teller) refused(ctx context.Context, op Operator, what string, err error) {
	t.audit(ctx, op, AuditTellerRefusal, fmt.Sprintf("%s: %v", what, err))
}

func (t *Teller) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func step(onStep func(TellerStep), s TellerStep) {
	if onStep != nil {
		onStep(s)
	}
}

// Input refused before anything is asked of the bank.
var (
	ErrBadPAN = errors.New("a wallet number has 12 to 19 digits (and a PSN two)")
	ErrAmount = errors.New("the amount must be more than 0.00")
)

func digits(s string, lo, hi int) bool {
	if len(s) < lo || len(s) > hi {
		return false
	}
	return strings.Trim(s, "0123456789") == ""
}

// validOperatorID is the bank's rule for operator ids.
func validOperatorID(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	return strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == ""
}

// validNote: 1 to 200 characters that print, as the bank wants.
func validNote(s string) bool {
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > 200 {
		return false
	}
	for _, c := range s {
		if !unicode.IsGraphic(c) {
			return false
		}
	}
	return true
}
