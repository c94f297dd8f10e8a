package bank

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"
)

// Report is the clearing report: purchases by state (the same totals a
// desk computes: voided purchases count nowhere), per merchant and day,
// the phones' purchases no desk has sent yet, and the exception queue.
type Report struct {
	Made         string          `json:"made"`
	MerchantID   string          `json:"merchant_id,omitempty"`
	Date         string          `json:"date,omitempty"`
	Posted       Totals          `json:"posted"`
	Pending      Totals          `json:"pending"`
	Rejected     Totals          `json:"rejected"`
	AwaitingDesk Totals          `json:"awaiting_desk"`
	ByMerchant   []DayTotals     `json:"by_merchant"`
	Exceptions   []ExceptionJSON `json:"exceptions"`
}

// Report makes the clearing report, narrowed by f.
func (b *Bank) Report(ctx context.Context, f ReportFilter) (Report, error) {
	rep := Report{Made: wireTime(b.now()), MerchantID: f.MerchantID, Date: f.Date,
		ByMerchant: []DayTotals{}, Exceptions: []ExceptionJSON{}}
	err := b.store.Read(ctx, func(tx Tx) error {
		days, err := tx.MerchantDays(f)
		if err != nil {
			return err
		}
		// Each day's sums are SQLite's, which fails on an overflow rather
		// than wrap; the totals over the days are checked here.
		for _, d := range days {
			rep.ByMerchant = append(rep.ByMerchant, d)
			if err := errors.Join(rep.Posted.Plus(d.Posted), rep.Pending.Plus(d.Pending), rep.Rejected.Plus(d.Rejected)); err != nil {
				return fmt.Errorf("the totals of %s on %s: %w", d.MerchantID, d.Date, err)
			}
		}
		// A phone's record names its merchant only by the desk's name
		// (9F4E), so the merchant filter cannot apply to it.
		if f.MerchantID == "" {
			waiting, err := tx.AwaitingDesk(f)
			if err != nil {
				return err
			}
			for _, p := range waiting {
				if err := rep.AwaitingDesk.Add(p.Amount); err != nil {
					return fmt.Errorf("the purchases awaiting a desk: %w", err)
				}
			}
		}
		exc, err := tx.Exceptions(0)
		if err != nil {
			return err
		}
		for _, e := range exc {
			if f.MerchantID != "" && e.MerchantID != f.MerchantID {
				continue
			}
			if f.Date != "" && e.At.Format(time.DateOnly) != f.Date {
				continue
			}
			rep.Exceptions = append(rep.Exceptions, exceptionJSON(e, true))
		}
		return nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("bank: report: %w", err)
	}
	return rep, nil
}

// WriteReport writes the report as text, csv or json.
func WriteReport(w io.Writer, rep Report, format string) error {
	switch format {
	case "json":
		return writeIndented(w, rep)
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"merchant_id", "date", "posted_count", "posted_amount", "pending_count", "pending_amount",
			"rejected_count", "rejected_amount"})
		row := func(m, d string, p, pe, r Totals) {
			_ = cw.Write([]string{m, d, itoa(p.Count), itoa(p.Amount), itoa(pe.Count), itoa(pe.Amount), itoa(r.Count), itoa(r.Amount)})
		}
		for _, d := range rep.ByMerchant {
			row(d.MerchantID, d.Date, d.Posted, d.Pending, d.Rejected)
		}
		row("TOTAL", "", rep.Posted, rep.Pending, rep.Rejected)
		cw.Flush()
		return cw.Error()
	case "text", "":
		fmt.Fprintf(w, "Clearing report, made %s\n", rep.Made)
		for _, t := range []struct {
			name string
			t    Totals
		}{{"Posted", rep.Posted}, {"Pending", rep.Pending}, {"Rejected", rep.Rejected}, {"Awaiting desk", rep.AwaitingDesk}} {
			fmt.Fprintf(w, "%-14s %8d %16s\n", t.name, t.t.Count, formatFen(t.t.Amount))
		}
		fmt.Fprintf(w, "\n%-15s %-10s %8s %16s %8s %16s %8s %16s\n", "Merchant", "Date", "Posted", "Amount", "Pending", "Amount", "Rejected", "Amount")
		for _, d := range rep.ByMerchant {
			fmt.Fprintf(w, "%-15s %-10s %8d %16s %8d %16s %8d %16s\n", d.MerchantID, d.Date, d.Posted.Count, formatFen(d.Posted.Amount),
				d.Pending.Count, formatFen(d.Pending.Amount), d.Rejected.Count, formatFen(d.Rejected.Amount))
		}
		fmt.Fprintf(w, "\nExceptions: %d\n", len(rep.Exceptions))
		for _, e := range rep.Exceptions {
			fmt.Fprintf(w, "  #%d %s %s %s/%s ATC %d %s %s: %s\n", e.ID, e.At, e.Kind, e.PAN, e.PSN, e.ATC, e.TerminalID, e.MerchantID, e.Detail)
			if e.ResolvedAt != "" {
				fmt.Fprintf(w, "     resolved %s by %s: %s\n", e.ResolvedAt, e.ResolvedBy, e.Resolution)
			}
		}
		return nil
	}
	return fmt.Errorf("bank: report format %q: want text, csv or json", format)
}

// Statement is one wallet's history: loads, purchases with the bank's
// state, and the phone's purchases no desk has sent yet.
type Statement struct {
	PAN          string           `json:"pan"`
	PSN          string           `json:"psn"`
	Status       string           `json:"status"`
	Customer     string           `json:"customer"`
	Balance      int64            `json:"balance"`
	LastATC      uint16           `json:"last_atc"`
	PhoneBalance *int64           `json:"phone_balance,omitempty"`
	Entries      []StatementEntry `json:"entries"`
	AwaitingDesk []StatementEntry `json:"awaiting_desk"`
	// HeldUnloads are the wallet's unloads, held for the settlement
	// window or paid; a paid one is also an unload in Entries.
	HeldUnloads []HeldUnloadEntry `json:"held_unloads"`
}

// HeldUnloadEntry is an unload on a statement: what was asked, by whom,
// when it pays, and once paid what the window's purchases left of it.
type HeldUnloadEntry struct {
	At         string `json:"at"`
	Amount     int64  `json:"amount"`
	State      string `json:"state"` // held, paid
	PaysAt     string `json:"pays_at"`
	PaidAt     string `json:"paid_at,omitempty"`
	Paid       *int64 `json:"paid,omitempty"`
	TerminalID string `json:"terminal_id"`
	Operator   string `json:"operator"`
	Approver   string `json:"approver"` // a second teller, or "customer"
}

func heldUnloadEntry(u HeldUnload) HeldUnloadEntry {
	e := HeldUnloadEntry{At: wireTime(u.At), Amount: u.Amount, State: UnloadHeld, PaysAt: wireTime(u.PaysAt),
		TerminalID: u.TerminalID, Operator: u.Operator, Approver: u.Approver}
	if !u.PaidAt.IsZero() {
		paid := u.Paid
		e.State, e.PaidAt, e.Paid = UnloadPaid, wireTime(u.PaidAt), &paid
	}
	return e
}

// StatementEntry is one line of a statement.
type StatementEntry struct {
	At         string `json:"at"`
	Kind       string `json:"kind"` // voucher, load, unload, reentry, purchase, void
	ATC        uint16 `json:"atc"`
	Amount     int64  `json:"amount"`
	State      string `json:"state,omitempty"`
	Reason     string `json:"reason,omitempty"`
	TerminalID string `json:"terminal_id,omitempty"`
	Operator   string `json:"operator,omitempty"` // the teller operator of a load, unload or re-entry
	MerchantID string `json:"merchant_id,omitempty"`
	Seq        int64  `json:"seq,omitempty"`
	Confirmed  bool   `json:"confirmed,omitempty"`
	Balance    *int64 `json:"balance_after,omitempty"`
	at         time.Time
}

// Statement makes the statement of the wallet with the PAN (the newest,
// if several PSNs share it).
func (b *Bank) Statement(ctx context.Context, pan string) (Statement, error) {
	return b.WalletStatement(ctx, pan, "")
}

// WalletStatement makes the statement of the wallet (pan, psn); an empty
// psn is the newest wallet with the PAN. No such wallet is ErrNotFound.
func (b *Bank) WalletStatement(ctx context.Context, pan, psn string) (Statement, error) {
	var st Statement
	err := b.store.Read(ctx, func(tx Tx) error {
		ws, err := tx.WalletsByPAN(pan)
		if err != nil {
			return err
		}
		ws = slices.DeleteFunc(ws, func(w Wallet) bool { return psn != "" && w.PSN != psn })
		if len(ws) == 0 {
			return fmt.Errorf("wallet %s/%s: %w", MaskPAN(pan), psn, ErrNotFound)
		}
		wal := ws[0]
		cust, err := tx.CustomerByID(wal.CustomerID)
		if err != nil {
			return err
		}
		info := walletInfo(wal, cust.User)
		st = Statement{PAN: wal.PAN, PSN: wal.PSN, Status: info.Status, Customer: cust.User, Balance: wal.KnownBalance,
			LastATC: wal.LastATC, PhoneBalance: info.PhoneBalance, Entries: []StatementEntry{}, AwaitingDesk: []StatementEntry{},
			HeldUnloads: []HeldUnloadEntry{}}
		unloads, err := tx.HeldUnloads(wal.PAN, wal.PSN)
		if err != nil {
			return err
		}
		for _, u := range unloads {
			st.HeldUnloads = append(st.HeldUnloads, heldUnloadEntry(u))
		}
		loads, err := tx.Loads(wal.PAN, wal.PSN)
		if err != nil {
			return err
		}
		for _, l := range loads {
			bal := l.BalanceAfter
			state := string(StatePosted)
			if l.Kind == LoadReentry {
				state = "" // it moved no money: nothing was posted
			}
			st.Entries = append(st.Entries, StatementEntry{at: l.At, At: wireTime(l.At), Kind: string(l.Kind), ATC: l.ATC,
				Amount: l.Amount, State: state, TerminalID: l.TerminalID, Operator: l.Operator, Balance: &bal})
		}
		msgs, err := tx.WalletMessages(wal.PAN, wal.PSN)
		if err != nil {
			return err
		}
		held := map[uint16]bool{}
		for _, m := range msgs {
			if m.Slot {
				held[m.ATC] = true
			}
			// Ordered by when the bank received it: the desk's time has
			// whole seconds only and may be off the bank's clock.
			st.Entries = append(st.Entries, StatementEntry{at: m.Received, At: wireTime(m.At), Kind: m.Kind, ATC: m.ATC, Amount: m.Amount,
				State: string(m.State), Reason: m.Reason, TerminalID: m.TerminalID, MerchantID: m.MerchantID, Seq: m.Seq,
				Confirmed: m.Confirmed})
		}
		recs, err := tx.PhoneRecords(wal.PAN, wal.PSN)
		if err != nil {
			return err
		}
		for _, p := range recs {
			if !held[p.ATC] {
				bal := p.BalanceAfter
				st.AwaitingDesk = append(st.AwaitingDesk, StatementEntry{At: p.Date, Kind: KindPurchase, ATC: p.ATC,
					Amount: p.Amount, State: "awaiting_desk", Balance: &bal})
			}
		}
		return nil
	})
	if err != nil {
		return Statement{}, fmt.Errorf("bank: statement: %w", err)
	}
	slices.SortStableFunc(st.Entries, func(a, b StatementEntry) int { return cmp.Compare(a.at.UnixNano(), b.at.UnixNano()) })
	return st, nil
}

// WriteStatement writes a statement as text, csv or json.
func WriteStatement(w io.Writer, st Statement, format string) error {
	switch format {
	case "json":
		return writeIndented(w, st)
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"at", "kind", "atc", "amount", "state", "reason", "terminal_id", "merchant_id", "seq", "confirmed",
			"operator"})
		for _, e := range append(slices.Clone(st.Entries), st.AwaitingDesk...) {
			_ = cw.Write([]string{e.At, e.Kind, strconv.Itoa(int(e.ATC)), itoa(e.Amount), e.State, e.Reason, e.TerminalID,
				e.MerchantID, itoa(e.Seq), strconv.FormatBool(e.Confirmed), e.Operator})
		}
		// Held unloads as rows of their own kind, their state held or
		// paid: the payout of a paid one is an unload row above.
		for _, u := range st.HeldUnloads {
			_ = cw.Write([]string{u.At, "held_unload", "0", itoa(u.Amount), u.State, "pays " + u.PaysAt, u.TerminalID,
				"", "0", "false", u.Operator + " / " + u.Approver})
		}
		cw.Flush()
		return cw.Error()
	case "text", "":
		fmt.Fprintf(w, "Wallet %s/%s of %s: %s, balance %s, last ATC %d\n", st.PAN, st.PSN, st.Customer, st.Status,
			formatFen(st.Balance), st.LastATC)
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "At\tKind\tATC\tAmount\tState\tDesk\tOperator\tMerchant\tConfirmed\t")
		for _, e := range append(slices.Clone(st.Entries), st.AwaitingDesk...) {
			state := e.State
			if e.Reason != "" {
				state += " (" + e.Reason + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%v\t\n", e.At, e.Kind, e.ATC, formatFen(e.Amount), state,
				e.TerminalID, e.Operator, e.MerchantID, e.Confirmed)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, u := range st.HeldUnloads {
			state := "held until " + u.PaysAt
			if u.Paid != nil {
				state = fmt.Sprintf("paid %s on %s", formatFen(*u.Paid), u.PaidAt)
			}
			fmt.Fprintf(w, "Unload of %s asked %s at %s by %s, approved by %s: %s\n", formatFen(u.Amount), u.At, u.TerminalID,
				u.Operator, u.Approver, state)
		}
		return nil
	}
	return fmt.Errorf("bank: statement format %q: want text, csv or json", format)
}

func writeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
