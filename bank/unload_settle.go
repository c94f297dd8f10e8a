package bank

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Paying held unloads when their settlement window has passed. Each is
// paid in a write transaction of its own, checked inside it to be still
// held: two sweepers, or a sweeper and a crash and a restart, pay it once.

// settleBatch bounds how many due unloads one read lists.
const settleBatch = 100

// SettleEvery is how often RunSettlement looks for unloads to pay.
const SettleEvery = time.Minute

func (b *Bank) settlementWindow() time.Duration { return b.window }

// SettleUnloads pays every held unload whose window has passed: to its
// customer's deposit, the least of what was asked and the e-cash the
// window's purchases left, with a posting and an unload on the wallet's
// loads (which statements show); the held unload records what was paid.
// It answers how many it paid.
func (b *Bank) SettleUnloads(ctx context.Context) (int, error) {
	paid := 0
	var errs []error
	for {
		var due []HeldUnload
		err := b.store.Read(ctx, func(tx Tx) error {
			var err error
			due, err = tx.DueUnloads(b.now(), settleBatch)
			return err
		})
		if err != nil {
			return paid, fmt.Errorf("bank: settling unloads: %w", errors.Join(append(errs, err)...))
		}
		// One unload that cannot be paid does not hold up the others.
		round := 0
		for _, u := range due {
			if err := ctx.Err(); err != nil {
				return paid, err
			}
			done, err := b.settleUnload(ctx, u)
			if err != nil {
				errs = append(errs, fmt.Errorf("the unload %d of %s: %w", u.ID, MaskPAN(u.PAN), err))
				continue
			}
			if done {
				round++
			}
		}
		paid += round
		if len(due) < settleBatch || round == 0 {
			if len(errs) > 0 {
				return paid, fmt.Errorf("bank: settling unloads: %w", errors.Join(errs...))
			}
			return paid, nil
		}
	}
}

// settleUnload pays one held unload, unless it was paid meanwhile.
func (b *Bank) settleUnload(ctx context.Context, due HeldUnload) (bool, error) {
	var u HeldUnload
	err := b.store.Write(ctx, func(tx Tx) error {
		held, err := tx.HeldUnloads(due.PAN, due.PSN)
		if err != nil {
			return err
		}
		found := false
		for _, h := range held {
			if h.ID == due.ID {
				u, found = h, true
			}
		}
		switch {
		case !found:
			return fmt.Errorf("held unload %d: %w", due.ID, ErrNotFound)
		case !u.PaidAt.IsZero():
			return errPaidAlready
		}
		wal, err := tx.Wallet(u.PAN, u.PSN)
		if err != nil {
			return err
		}
		now := b.now()
		u.PaidAt, u.Paid = now, min(u.Amount, wal.KnownBalance)
		if u.Paid > 0 {
			wal.KnownBalance -= u.Paid
			l := Load{PAN: wal.PAN, PSN: wal.PSN, Kind: LoadUnload, Amount: u.Paid, BalanceAfter: wal.KnownBalance,
				TerminalID: u.TerminalID, Operator: u.operatorText(), At: now}
			if l.PostingID, err = transfer(tx, now, "unload", fmt.Sprintf("unload %s held at %s", MaskPAN(wal.PAN), u.TerminalID),
				ecashAccount(wal.PAN, wal.PSN), depositAccount(u.Customer), u.Paid); err != nil {
				return err
			}
			if err := tx.AddLoad(&l); err != nil {
				return err
			}
			if err := tx.UpdateWallet(wal); err != nil {
				return err
			}
			u.LoadID = l.ID
		}
		return tx.PayHeldUnload(u)
	})
	switch {
	case errors.Is(err, errPaidAlready):
		return false, nil
	case err != nil:
		return false, err
	}
	b.log.Info("held unload paid", "pan", MaskPAN(u.PAN), "psn", u.PSN, "asked", u.Amount, "paid", u.Paid,
		"operator", u.Operator, "approver", u.Approver, "terminal", u.TerminalID)
	return true, nil
}

// errPaidAlready ends the transaction of an unload another sweep paid.
var errPaidAlready = errors.New("paid already")

// RunSettlement pays due held unloads now and then every SettleEvery,
// until ctx is done. A failure is logged and tried again next time: the
// unload stays held, nothing is paid twice.
func (b *Bank) RunSettlement(ctx context.Context) {
	t := time.NewTicker(SettleEvery)
	defer t.Stop()
	for {
		if n, err := b.SettleUnloads(ctx); err != nil && ctx.Err() == nil {
			b.log.Error("settling held unloads", "paid", n, "error", maskPANs(err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
