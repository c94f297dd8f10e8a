package bank

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The bank's books. Every movement of money is one posting of at least
// two lines whose debits equal its credits:
//
//	customer add     debit cash                 credit deposit:USER
//	voucher, load    debit deposit:USER         credit ecash:PAN/PSN
//	purchase         debit ecash:PAN/PSN        credit settlement:MERCHANT
//	unload           debit ecash:PAN/PSN        credit deposit:USER
//	purchase beyond  debit ecash:PAN/PSN (what  credit settlement:MERCHANT
//	  the e-cash     is left), debit losses
//	                 (the rest)
//
// cash is an asset; deposits, e-cash and merchant settlement are what the
// bank owes, liabilities. losses is what the bank paid merchants for good
// cryptograms the wallet's e-cash no longer covered (guarantee.go): it
// grows with debits, as an asset does, and is there to be recovered.

// CashAccount is the bank's own money that backs the customers' deposits.
const CashAccount = "cash"

// LossAccount is what the bank carries of the merchant guarantee: the part
// of good-faith purchases no e-cash covered, until it is recovered.
const LossAccount = "losses"

// ErrOverflow: a sum of money past what an int64 holds. Sums are checked
// and fail with it rather than wrap.
var ErrOverflow = errors.New("sum out of range")

// addChecked is a + b, or ErrOverflow when that does not fit an int64.
func addChecked(a, b int64) (int64, error) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, fmt.Errorf("%d + %d: %w", a, b, ErrOverflow)
	}
	return s, nil
}

func depositAccount(user string) string        { return "deposit:" + user }
func ecashAccount(pan, psn string) string      { return "ecash:" + pan + "/" + psn }
func settlementAccount(merchant string) string { return "settlement:" + merchant }

// Check refuses a posting that does not balance: fewer than two lines, a
// line naming no account, of zero or past an n12 amount, debits unequal
// to credits; the sums are checked all the same. Every store runs it
// before it writes a posting (Tx.Post, PostAll), so no engine writes one
// the bank would not.
func (p *Posting) Check() error {
	if len(p.Lines) < 2 {
		return fmt.Errorf("%w: %d line(s), at least 2", ErrUnbalanced, len(p.Lines))
	}
	var debits, credits int64
	for _, l := range p.Lines {
		var err error
		switch {
		case l.Account == "":
			return fmt.Errorf("%w: a line names no account", ErrUnbalanced)
		case l.Amount == 0:
			return fmt.Errorf("%w: a line of 0 on %s", ErrUnbalanced, l.Account)
		case l.Amount > maxAmount || l.Amount < -maxAmount:
			return fmt.Errorf("%w: %d on %s is out of range", ErrUnbalanced, l.Amount, l.Account)
		case l.Amount > 0:
			debits, err = addChecked(debits, l.Amount)
		default:
			credits, err = addChecked(credits, -l.Amount)
		}
		if err != nil {
			return fmt.Errorf("%w: the lines' sum: %w", ErrUnbalanced, err)
		}
	}
	if debits != credits {
		return fmt.Errorf("%w: debits %d, credits %d", ErrUnbalanced, debits, credits)
	}
	return nil
}

// PostingMoves checks each of ps as Check does and sums every account's
// lines: what a store moves the balances by when it writes them all at
// once (Tx.PostAll), each account once, in the order of its first line.
func PostingMoves(ps []Posting) (accounts []string, sums []int64, err error) {
	index := map[string]int{}
	for i := range ps {
		p := &ps[i]
		if err := p.Check(); err != nil {
			return nil, nil, fmt.Errorf("posting %d: %w", p.ID, err)
		}
		for _, l := range p.Lines {
			j, ok := index[l.Account]
			if !ok {
				j = len(accounts)
				index[l.Account] = j
				accounts, sums = append(accounts, l.Account), append(sums, 0)
			}
			if sums[j], err = addChecked(sums[j], l.Amount); err != nil {
				return nil, nil, fmt.Errorf("posting %d: account %s: %w", p.ID, l.Account, err)
			}
		}
	}
	return accounts, sums, nil
}

// transfer posts amount from one account to another: a debit on from, a
// credit on to.
func transfer(tx Tx, at time.Time, kind, memo, from, to string, amount int64) (int64, error) {
	p := Posting{At: at, Kind: kind, Memo: memo, Lines: []Line{
		{Account: from, Amount: amount},
		{Account: to, Amount: -amount},
	}}
	if err := tx.Post(&p); err != nil {
		return 0, err
	}
	return p.ID, nil
}

// Ledger reads the bank's books.
type Ledger struct{ store Store }

// Ledger is the bank's ledger.
func (b *Bank) Ledger() Ledger { return Ledger{store: b.store} }

// Balanced checks the whole ledger: every posting has at least two lines,
// each posting's lines and all lines together sum to zero (debits equal
// credits), every account's running balance equals the sum of its lines,
// and every wallet's known balance equals its e-cash account. It is what
// tests call after every step, and what an auditor would run.
func (l Ledger) Balanced(ctx context.Context) error {
	var s LedgerState
	err := l.store.Read(ctx, func(tx Tx) error {
		var err error
		s, err = tx.LedgerCheck()
		return err
	})
	if err != nil {
		return err
	}
	var errs []error
	if s.Sum != 0 {
		errs = append(errs, fmt.Errorf("all lines sum to %d, not 0", s.Sum))
	}
	if len(s.Unbalanced) > 0 {
		errs = append(errs, fmt.Errorf("postings %v do not balance", s.Unbalanced))
	}
	if len(s.Short) > 0 {
		errs = append(errs, fmt.Errorf("postings %v have fewer than two lines", s.Short))
	}
	if len(s.DriftAccounts) > 0 {
		errs = append(errs, fmt.Errorf("accounts %v differ from their lines", s.DriftAccounts))
	}
	if len(s.DriftWallets) > 0 {
		errs = append(errs, fmt.Errorf("%d wallet(s) differ from their e-cash account", len(s.DriftWallets)))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrUnbalanced, errors.Join(errs...))
	}
	return nil
}

// Postings counts the postings and lines, for tests that check nothing
// was posted.
func (l Ledger) Postings(ctx context.Context) (postings, lines int64, err error) {
	err = l.store.Read(ctx, func(tx Tx) error {
		s, err := tx.LedgerCheck()
		postings, lines = s.Postings, s.Lines
		return err
	})
	return postings, lines, err
}

// Balance is an account's balance on its natural side.
func (l Ledger) Balance(ctx context.Context, account string) (int64, error) {
	var a Account
	err := l.store.Read(ctx, func(tx Tx) error {
		var err error
		a, err = tx.Account(account)
		return err
	})
	return a.Balance, err
}
