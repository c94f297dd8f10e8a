package app

import (
	"context"
	"fmt"
	"time"
)

// SalesJournal is what the sales list and receipts need of the journal.
type SalesJournal interface {
	LastSeq(ctx context.Context) (int64, error)
	Entries(ctx context.Context, fromSeq, toSeq int64) ([]Entry, error)
	States(ctx context.Context, fromSeq, toSeq int64) (map[int64]OutboxState, error)
	Entry(ctx context.Context, seq int64) (Entry, error)
	Voided(ctx context.Context, seq int64) (bool, error)
	State(ctx context.Context, seq int64) (OutboxState, error)
	SalePage
}

// SaleRow is one purchase as the journal list shows it.
type SaleRow struct {
	Entry  Entry
	State  OutboxState
	Voided bool
	Reason string // the bank's reason, for a rejected sale
}

// Voidable says whether a supervisor may still void the sale here: the
// bank has not been sent it.
func (r SaleRow) Voidable() bool { return !r.Voided && r.State == StateCaptured }

// Sales lists the desk's sales and makes their receipts.
type Sales struct {
	Journal      SalesJournal
	MerchantName string
}

// Recent lists the purchases among the last n journal entries, newest first.
func (s *Sales) Recent(ctx context.Context, n int) ([]SaleRow, error) {
	last, err := s.Journal.LastSeq(ctx)
	if err != nil || last == 0 {
		return nil, err
	}
	from := max(last-int64(n)+1, 1)
	entries, err := s.Journal.Entries(ctx, from, last)
	if err != nil {
		return nil, fmt.Errorf("sales: entries %d to %d: %w", from, last, err)
	}
	states, err := s.Journal.States(ctx, from, last)
	if err != nil {
		return nil, fmt.Errorf("sales: states %d to %d: %w", from, last, err)
	}
	voided := map[int64]bool{}
	for _, e := range entries {
		if e.Kind == KindVoid {
			voided[e.Ref] = true
		}
	}
	var rows []SaleRow
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.Kind != KindPurchase {
			continue
		}
		rows = append(rows, SaleRow{Entry: e, State: states[e.Seq], Voided: voided[e.Seq]})
	}
	return rows, nil
}

// Receipt is what the customer takes away.
type Receipt struct {
	MerchantName string
	MerchantID   string
	TerminalID   string
	Seq          int64
	PAN          string // masked
	ATC          uint16
	Amount       Money
	Currency     string
	At           time.Time
	Cashier      string
	Voided       bool
	Copy         bool // a reprint from the journal
}

// Receipt makes the receipt of a purchase from the journal.
func (s *Sales) Receipt(ctx context.Context, seq int64, reprint bool) (Receipt, error) {
	e, err := s.Journal.Entry(ctx, seq)
	if err != nil {
		return Receipt{}, fmt.Errorf("receipt of entry %d: %w", seq, err)
	}
	if e.Kind != KindPurchase {
		return Receipt{}, fmt.Errorf("receipt: entry %d is a %s, not a purchase", seq, e.Kind)
	}
	voided, err := s.Journal.Voided(ctx, seq)
	if err != nil {
		return Receipt{}, fmt.Errorf("receipt of entry %d: %w", seq, err)
	}
	return Receipt{MerchantName: s.MerchantName, MerchantID: e.MerchantID, TerminalID: e.TerminalID, Seq: e.Seq,
		PAN: MaskPAN(e.PAN), ATC: e.ATC, Amount: e.Amount, Currency: e.Currency, At: e.At, Cashier: e.Operator,
		Voided: voided, Copy: reprint}, nil
}

// Lines is the receipt as printed, in the desk's language.
func (r Receipt) Lines(lang string) []string {
	t := func(m Message) string { return m.Text(lang) }
	cur := "CNY"
	if r.Currency != "" && r.Currency != "156" {
		cur = r.Currency
	}
	lines := []string{r.MerchantName}
	if r.Copy {
		lines = append(lines, t(MsgReceiptCopy))
	}
	lines = append(lines,
		fmt.Sprintf("%s %s", t(MsgReceiptMerchant), r.MerchantID),
		fmt.Sprintf("%s %s", t(MsgReceiptTerminal), r.TerminalID),
		fmt.Sprintf("%s %d", t(MsgReceiptSeq), r.Seq),
		fmt.Sprintf("%s %s", t(MsgReceiptWallet), r.PAN),
		fmt.Sprintf("ATC %d", r.ATC),
		fmt.Sprintf("%s %s", t(MsgReceiptDate), r.At.Format("2006-01-02 15:04:05")),
		fmt.Sprintf("%s %s", t(MsgReceiptCashier), r.Cashier),
		fmt.Sprintf("%s %s %s", t(MsgReceiptAmount), FormatMoney(r.Amount), cur),
		t(MsgReceiptOffline),
	)
	if r.Voided {
		lines = append(lines, t(MsgReceiptVoided))
	}
	return lines
}

// SaleFilter picks sales for the forwarding list. Zero values pick all.
type SaleFilter struct {
	Show    SaleShow
	Cashier string
	// Day picks the sales of one calendar day of the desk's clock.
	Day time.Time
	// Search is a sequence number, the last digits of a PAN, or a masked
	// PAN as receipts print it (623199******0019).
	Search string
}

// SaleShow is which sales by where they stand.
type SaleShow string

const (
	ShowAll         SaleShow = ""
	ShowPending     SaleShow = "pending"     // not yet posted, rejected or a duplicate; voids excluded
	ShowRejected    SaleShow = "rejected"    // the bank refused them
	ShowDifferences SaleShow = "differences" // desk and bank do not simply agree: rejected or duplicate
)

// SalePage is the newest sales matching a filter before a sequence number
// (0: from the newest), at most limit of them.
type SalePage interface {
	SalesPage(ctx context.Context, f SaleFilter, before int64, limit int) ([]SaleRow, error)
	Timeline(ctx context.Context, seq int64) ([]StateChange, error)
}

// Find lists a page of sales for the forwarding screen, newest first.
func (s *Sales) Find(ctx context.Context, f SaleFilter, before int64, limit int) ([]SaleRow, error) {
	return s.Journal.SalesPage(ctx, f, before, limit)
}

// Timeline is each step of a sale on its way to the bank.
func (s *Sales) Timeline(ctx context.Context, seq int64) ([]StateChange, error) {
	return s.Journal.Timeline(ctx, seq)
}
