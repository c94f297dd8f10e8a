package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"lingqian/emv"
)

// Card is a session with the card (phone) in the reader's field.
type Card interface {
	Transmit(ctx context.Context, command []byte) ([]byte, error)
	Close() error
}

// Reader gives the checkout the next card presented.
type Reader interface {
	// Tap waits for a card and opens a session with it.
	Tap(ctx context.Context) (Card, error)
}

// Kernel runs the EMV purchase with a card.
type Kernel interface {
	Run(ctx context.Context, card emv.Card, p emv.Purchase) emv.Outcome
}

// Limits bound what the desk approves while the bank has not posted it:
// the money at risk if the desk is lost before it forwards. Zero means no limit.
type Limits struct {
	PerPurchase   Money
	PendingAmount Money
	PendingCount  int
	OldestPending time.Duration
}

// LimitError says which offline limit a sale would exceed.
type LimitError struct {
	Limit string // "per_purchase", "pending_amount", "pending_count", "oldest_pending"
	Text  string // a sentence for the cashier
}

func (e *LimitError) Error() string { return "offline limit: " + e.Text }

// ErrNotVoidable says a sale has left for the bank or is voided already.
var ErrNotVoidable = errors.New("the sale cannot be voided here")

// ErrLimit matches every LimitError.
var ErrLimit = errors.New("offline limit reached")

func (e *LimitError) Is(target error) bool { return target == ErrLimit }

// Checkout runs sales at one desk.
type Checkout struct {
	Journal  Journal
	Audit    Audit
	Kernel   Kernel
	Reader   Reader
	Terminal string // terminal id
	Merchant string // merchant id
	Limits   Limits
	Now      func() time.Time // nil: time.Now
}

// Sale is what the cashier asks for.
type Sale struct {
	Amount  Money
	Cashier Operator
	// Override is the supervisor who allowed this sale past an offline
	// limit; nil when none did.
	Override *Operator
}

// Result is what the cashier sees after a tap, and what was recorded.
type Result struct {
	// Sale is the amount in front of the cashier.
	Sale    Money
	Outcome emv.Outcome
	// Entry is the journal entry of an approved purchase (recorded and
	// synced before this result exists), or of a torn tap.
	Entry *Entry
}

// Verdict is what a tap means for the sale in front of the cashier.
type Verdict string

const (
	// VerdictApproved: this sale is paid.
	VerdictApproved Verdict = "approved"
	// VerdictDeclined: the wallet or the desk refused; nothing was charged.
	VerdictDeclined Verdict = "declined"
	// VerdictRecovered: the tap completed an earlier torn purchase of
	// another amount; that one is paid and recorded, this sale is not.
	VerdictRecovered Verdict = "recovered"
	// VerdictError: the tap did not finish (the phone left, the card
	// answered nonsense, the wait was cancelled); this sale is not paid.
	VerdictError Verdict = "error"
)

// Verdict says what the tap means for the sale in front of the cashier.
// Only an approval of this very amount pays it: a recovered torn purchase
// of the same amount is the same sale tapped again, any other amount is
// an earlier sale that went through.
func (r Result) Verdict() Verdict {
	out := r.Outcome
	switch {
	case out.Result == emv.Approved && r.Entry != nil:
		if out.Recovered != nil && Money(out.Amount) != r.Sale {
			return VerdictRecovered
		}
		return VerdictApproved
	case out.Result == emv.Declined:
		return VerdictDeclined
	}
	return VerdictError
}

// Approved says whether the customer has paid the sale in front of the cashier.
func (r Result) Approved() bool { return r.Verdict() == VerdictApproved }

func (c *Checkout) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Charge checks the offline limits, waits for the customer's phone, runs
// the purchase, and records it in the journal before saying approved.
func (c *Checkout) Charge(ctx context.Context, sale Sale) (Result, error) {
	if sale.Amount <= 0 {
		return Result{}, fmt.Errorf("checkout: amount %d must be positive", sale.Amount)
	}
	if err := c.checkLimits(ctx, sale); err != nil {
		return Result{}, err
	}
	torn, err := c.Journal.OpenTorn(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("checkout: open torn taps: %w", err)
	}
	card, err := c.Reader.Tap(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("checkout: waiting for the phone: %w", err)
	}
	// The card is released while the journal writes what it answered, not
	// after: both take a round of their own, and the card is done with.
	released := make(chan struct{})
	release := sync.OnceFunc(func() {
		go func() {
			_ = card.Close()
			close(released)
		}()
	})
	defer func() {
		release()
		<-released
	}()

	// The tap is written down before the card is asked to pay: a desk
	// stopped between the card's answer and the purchase's entry finds it
	// as a torn tap at its next sale and asks the card how it ended.
	var asked *Entry
	p := emv.Purchase{Amount: int64(sale.Amount), At: c.now(), Recover: tornTaps(torn),
		Remember: func(ctx context.Context, t emv.TornTap) error {
			e, err := c.tornEntry(sale, &t, "the desk stopped after asking the wallet to pay")
			if err == nil {
				err = c.Journal.Ask(ctx, e)
			}
			if err != nil {
				return fmt.Errorf("checkout: writing the tap down before asking the wallet: %w", err)
			}
			asked = &e
			return nil
		}}
	out := c.Kernel.Run(ctx, card, p)
	release()
	res := Result{Sale: sale.Amount, Outcome: out}
	// What the card answered is recorded even if the sale is cancelled now.
	ctx = context.WithoutCancel(ctx)
	// A recorded failure must never look approved: any error below leaves
	// Entry nil, and the caller shows the error.
	res, err = c.settle(ctx, sale, res, asked, torn)
	if u := out.Uncharged; u != nil {
		// After what the card answered now: a torn tap left open by a
		// failed write here is only asked about again at its next tap.
		if _, cerr := c.recordCleared(ctx, sale, u, tornSeq(torn, u)); cerr != nil && err == nil && res.Entry == nil {
			err = fmt.Errorf("checkout: recording that the card never completed a torn tap: %w", cerr)
		}
	}
	return res, err
}

// settle records what the card answered: the purchase, or the tap written
// down before asking, settled or kept as torn.
func (c *Checkout) settle(ctx context.Context, sale Sale, res Result, asked *Entry, torn []Entry) (Result, error) {
	out := res.Outcome
	switch {
	case out.Result == emv.Approved:
		e, err := c.purchase(sale, out)
		if err == nil {
			switch {
			case out.Recovered != nil:
				e.Ref = tornSeq(torn, out.Recovered)
				e, err = c.Journal.Append(ctx, e)
			case asked != nil:
				e, err = c.Journal.Answer(ctx, asked.IdempotencyKey, &e)
			default:
				e, err = c.Journal.Append(ctx, e)
			}
		}
		if err != nil {
			return res, fmt.Errorf("checkout: the wallet paid but the purchase could not be recorded: %w", err)
		}
		res.Entry = &e
	case asked != nil && out.CardRefused:
		// The card answered that it did not pay.
		if _, err := c.Journal.Answer(ctx, asked.IdempotencyKey, nil); err != nil {
			return res, fmt.Errorf("checkout: settling the tap: %w", err)
		}
	case asked != nil:
		// No answer, one that is not EMV, or a TC the desk refused: the
		// card may have paid, and its next tap here asks it again.
		e := *asked
		e.Note = out.Reason.Detail
		e, err := c.Journal.Answer(ctx, asked.IdempotencyKey, &e)
		if err != nil {
			return res, fmt.Errorf("checkout: recording a torn tap: %w", err)
		}
		res.Entry = &e
	case out.Result == emv.Torn && out.Tear != nil:
		e, err := c.tornEntry(sale, out.Tear, out.Reason.Detail)
		if err == nil {
			e, err = c.Journal.Append(ctx, e)
		}
		if err != nil {
			return res, fmt.Errorf("checkout: recording a torn tap: %w", err)
		}
		res.Entry = &e
	}
	return res, nil
}

func (c *Checkout) checkLimits(ctx context.Context, sale Sale) error {
	l := c.Limits
	var broken *LimitError
	if l.PerPurchase > 0 && sale.Amount > l.PerPurchase {
		broken = &LimitError{"per_purchase", fmt.Sprintf("%s is over the offline limit of %s for one purchase",
			FormatMoney(sale.Amount), FormatMoney(l.PerPurchase))}
	} else {
		pend, err := c.Journal.Pending(ctx)
		if err != nil {
			return fmt.Errorf("checkout: pending purchases: %w", err)
		}
		switch {
		case l.PendingAmount > 0 && pend.Amount+sale.Amount > l.PendingAmount:
			broken = &LimitError{"pending_amount", fmt.Sprintf("%s not yet at the bank; this sale would pass the limit of %s",
				FormatMoney(pend.Amount), FormatMoney(l.PendingAmount))}
		case l.PendingCount > 0 && pend.Count+1 > l.PendingCount:
			broken = &LimitError{"pending_count", fmt.Sprintf("%d purchases not yet at the bank; the limit is %d",
				pend.Count, l.PendingCount)}
		case l.OldestPending > 0 && !pend.Oldest.IsZero() && c.now().Sub(pend.Oldest) > l.OldestPending:
			broken = &LimitError{"oldest_pending", fmt.Sprintf("the oldest purchase not yet at the bank is from %s; forward first",
				pend.Oldest.Format("2006-01-02 15:04"))}
		}
	}
	if broken == nil {
		return nil
	}
	sup := sale.Override
	if sup == nil {
		return broken
	}
	if !sup.Role.Can(RoleSupervisor) {
		return fmt.Errorf("checkout: %s cannot override limits: %w", sup.ID, ErrRole)
	}
	detail := fmt.Sprintf("limit %s: %s; amount %s; cashier %s", broken.Limit, broken.Text, FormatMoney(sale.Amount), sale.Cashier.ID)
	if err := c.Audit.Record(ctx, AuditEvent{At: c.now(), Operator: sup.ID, Action: AuditLimitOverride, Detail: detail}); err != nil {
		return fmt.Errorf("checkout: recording the override: %w", err)
	}
	return nil
}

// newEntry is an entry of this desk and cashier, with its idempotency key.
func (c *Checkout) newEntry(kind EntryKind, sale Sale, ref int64) (Entry, error) {
	key, err := newKey(c.Terminal)
	if err != nil {
		return Entry{}, err
	}
	return Entry{Kind: kind, At: c.now(), IdempotencyKey: key, Operator: sale.Cashier.ID,
		TerminalID: c.Terminal, MerchantID: c.Merchant, Ref: ref}, nil
}

// purchase is the entry of the purchase the kernel approved.
func (c *Checkout) purchase(sale Sale, out emv.Outcome) (Entry, error) {
	e, err := c.newEntry(KindPurchase, sale, 0)
	if err != nil {
		return Entry{}, err
	}
	e.Amount, e.Currency, e.TxnDate, e.TxnType = Money(out.Amount), out.Currency, out.Date, out.Type
	e.AID, e.PAN, e.PSN, e.ATC, e.CID, e.AC, e.IAD = out.AID, out.PAN, out.PSN, out.ATC, out.CID, out.AC, out.IAD
	e.TVR, e.UN = out.TVR[:], out.UN
	e.PDOLData, e.CDOL1Data, e.GenACResponse = out.PDOLData, out.CDOL1Data, out.GenACResponse
	return e, nil
}

// tornEntry is the entry of a tap the card may have paid without the
// desk knowing: what is needed to ask the card again.
func (c *Checkout) tornEntry(sale Sale, t *emv.TornTap, note string) (Entry, error) {
	e, err := c.newEntry(KindTorn, sale, 0)
	if err != nil {
		return Entry{}, err
	}
	e.Note = note
	e.Amount, e.Currency, e.TxnDate, e.TxnType = Money(t.Amount), t.Currency, t.Date, t.Type
	e.AID, e.PAN, e.PSN, e.UN, e.PDOLData, e.CDOL1Data = t.AID, t.PAN, t.PSN, t.UN, t.PDOLData, t.CDOL1Data
	return e, nil
}

// recordCleared appends that the card says a torn tap never completed.
func (c *Checkout) recordCleared(ctx context.Context, sale Sale, t *emv.TornTap, ref int64) (Entry, error) {
	e, err := c.newEntry(KindTornCleared, sale, ref)
	if err != nil {
		return Entry{}, err
	}
	e.Note = "the card says the torn tap never completed"
	e.Amount, e.Currency, e.PAN, e.PSN, e.AID, e.UN = Money(t.Amount), t.Currency, t.PAN, t.PSN, t.AID, t.UN
	return c.Journal.Append(ctx, e)
}

// newKey makes the idempotency key an entry keeps for ever.
func newKey(terminal string) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("idempotency key: %w", err)
	}
	return terminal + "-" + hex.EncodeToString(b), nil
}

// tornTaps turns the journal's open torn entries into what the kernel asks the card about.
func tornTaps(entries []Entry) []emv.TornTap {
	out := make([]emv.TornTap, 0, len(entries))
	for _, e := range entries {
		out = append(out, emv.TornTap{AID: e.AID, PAN: e.PAN, PSN: e.PSN, UN: e.UN, Amount: int64(e.Amount),
			Currency: e.Currency, Date: e.TxnDate, Type: e.TxnType, PDOLData: e.PDOLData, CDOL1Data: e.CDOL1Data, At: e.At})
	}
	return out
}

// tornSeq finds the journal entry of a torn tap the kernel resolved.
func tornSeq(entries []Entry, t *emv.TornTap) int64 {
	for _, e := range entries {
		if e.PAN == t.PAN && e.PSN == t.PSN && string(e.UN) == string(t.UN) {
			return e.Seq
		}
	}
	return 0
}

// Void cancels a purchase the bank has not been sent yet. Only a
// supervisor may; the void is itself a journal entry, forwarded.
func (c *Checkout) Void(ctx context.Context, seq int64, supervisor Operator, reason string) (Entry, error) {
	if !supervisor.Role.Can(RoleSupervisor) {
		return Entry{}, fmt.Errorf("void: %s: %w", supervisor.ID, ErrRole)
	}
	orig, err := c.Journal.Entry(ctx, seq)
	if err != nil {
		return Entry{}, fmt.Errorf("void: entry %d: %w", seq, err)
	}
	if orig.Kind != KindPurchase {
		return Entry{}, fmt.Errorf("void: entry %d is a %s, not a purchase", seq, orig.Kind)
	}
	voided, err := c.Journal.Voided(ctx, seq)
	if err != nil {
		return Entry{}, fmt.Errorf("void: entry %d: %w", seq, err)
	}
	if voided {
		return Entry{}, fmt.Errorf("void: entry %d is already voided: %w", seq, ErrNotVoidable)
	}
	st, err := c.Journal.State(ctx, seq)
	if err != nil {
		return Entry{}, fmt.Errorf("void: entry %d: %w", seq, err)
	}
	if st != StateCaptured {
		return Entry{}, fmt.Errorf("void: purchase %d has already gone to the bank (%s): %w", seq, st, ErrNotVoidable)
	}
	key, err := newKey(c.Terminal)
	if err != nil {
		return Entry{}, err
	}
	v := orig
	v.Seq, v.Kind, v.At, v.IdempotencyKey, v.Operator, v.Ref, v.Note = 0, KindVoid, c.now(), key, supervisor.ID, seq, reason
	v.PrevHash, v.Hash = nil, nil
	e, err := c.Journal.Append(ctx, v)
	if err != nil {
		return Entry{}, fmt.Errorf("void: %w", err)
	}
	detail := fmt.Sprintf("voided purchase %d of %s: %s", seq, FormatMoney(orig.Amount), reason)
	if err := c.Audit.Record(ctx, AuditEvent{At: e.At, Operator: supervisor.ID, Action: AuditVoid, Ref: e.Seq, Detail: detail}); err != nil {
		return e, fmt.Errorf("void recorded as %d, but its audit row failed: %w", e.Seq, err)
	}
	return e, nil
}
