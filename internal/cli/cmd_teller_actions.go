package cli

import (
	"context"
	"strings"
	"time"

	"lingqian/app"
)

// loadJSON is `lingqian teller load --json`: one line for every outcome.
type loadJSON struct {
	Outcome       string `json:"outcome"` // loaded | finished | unfinished | refused | failed | error
	Reason        string `json:"reason"`
	ReasonCode    string `json:"reason_code,omitempty"`
	Amount        int64  `json:"amount"`
	Asked         int64  `json:"asked,omitempty"`    // finished: the amount asked, not loaded
	Returned      int64  `json:"returned,omitempty"` // an earlier unfinished load sent back to the deposit
	Currency      string `json:"currency"`
	PAN           string `json:"pan,omitempty"`
	PSN           string `json:"psn,omitempty"`
	ATC           int    `json:"atc,omitempty"`
	Customer      string `json:"customer,omitempty"`
	BalanceBefore int64  `json:"balance_before"`
	BalanceAfter  int64  `json:"balance_after"`
	AfterRead     bool   `json:"balance_after_read"`
}

func tellerLoad(ctx context.Context, r *tellerRun, args []string) int {
	r.phoneFlags()
	amount := r.amountFlag()
	return r.run(ctx, args, func(t *app.Teller, op app.Operator) int {
		res, err := t.Load(ctx, op, *amount, r.step)
		if res.Outcome == "" {
			return r.failure(err)
		}
		j := loadJSON{Outcome: string(res.Outcome), Reason: app.LoadText(res, r.lang), Amount: int64(res.Amount),
			Asked: int64(res.Asked), Returned: int64(res.Returned), Currency: deskCurrency, PAN: res.PAN, PSN: res.PSN,
			ATC: int(res.ATC), Customer: res.Customer, BalanceBefore: int64(res.BalanceBefore),
			BalanceAfter: int64(res.BalanceAfter), AfterRead: res.AfterRead}
		exit := tellerDone
		switch res.Outcome {
		case app.LoadFinished:
			exit = tellerFinished
		case app.LoadRefused:
			exit, j.ReasonCode = tellerRefused, tellerCode(err)
		case app.LoadUnfinished, app.LoadFailed:
			exit, j.ReasonCode = tellerError, tellerCode(err)
			if res.Outcome == app.LoadUnfinished {
				j.ReasonCode = "unfinished"
			}
		}
		if exit == tellerDone || exit == tellerFinished {
			r.done(j, j.Reason)
			return exit
		}
		r.warn(j.Reason, err)
		if *r.asJSON {
			r.json(j)
		}
		return exit
	})
}

// walletJSON is a wallet as `teller lookup --json` shows it.
type walletJSON struct {
	Outcome       string         `json:"outcome"`
	PAN           string         `json:"pan"`
	PSN           string         `json:"psn"`
	Status        string         `json:"status"`
	Customer      string         `json:"customer"`
	BankBalance   int64          `json:"bank_balance"`
	LastATC       int            `json:"last_atc"`
	PhoneBalance  *int64         `json:"phone_balance,omitempty"` // read from the tapped phone
	PhoneATC      *int           `json:"phone_atc,omitempty"`
	Uploaded      *uploadJSON    `json:"uploaded,omitempty"` // what the phone said at its last upload
	Unfinished    *unfinishedRow `json:"unfinished,omitempty"`
	Settled       *settledJSON   `json:"settled,omitempty"` // what this tap made of an earlier load
	Currency      string         `json:"currency"`
	PhoneCurrency string         `json:"phone_currency,omitempty"`
}

type uploadJSON struct {
	At      string `json:"at"`
	Balance int64  `json:"balance"`
}

// settledJSON is an earlier load of the phone a tap settled.
type settledJSON struct {
	Outcome string `json:"outcome"` // finished, returned, not_done, filed
	Amount  int64  `json:"amount"`
	ATC     int    `json:"atc"`
}

func settled(s *app.NoteSettlement) *settledJSON {
	if s == nil {
		return nil
	}
	return &settledJSON{Outcome: string(s.Outcome), Amount: int64(s.Load.Amount), ATC: int(s.Load.ATC)}
}

type unfinishedRow struct {
	Amount int64  `json:"amount"`
	ATC    int    `json:"atc"`
	At     string `json:"at"`
	By     string `json:"operator"`
}

func tellerLookup(ctx context.Context, r *tellerRun, args []string) int {
	r.phoneFlags()
	pan := r.fs.String("pan", "", "the wallet's number (default: read from the phone tapped next)")
	return r.run(ctx, args, func(t *app.Teller, op app.Operator) int {
		look, err := t.Lookup(ctx, op, *pan)
		if err != nil {
			return r.failure(err)
		}
		w := look.Bank
		j := walletJSON{Outcome: "found", PAN: w.PAN, PSN: w.PSN, Status: w.Status, Customer: w.Customer,
			BankBalance: int64(w.Balance), LastATC: int(w.LastATC), Currency: deskCurrency}
		lines := []string{app.MsgTellerLookup.Textf(r.lang, w.PAN, w.PSN, w.Customer, statusText(w.Status, r.lang),
			app.FormatMoney(w.Balance), w.LastATC)}
		if p := look.Phone; p != nil {
			bal, atc := p.Balance, int(p.ATC)
			j.PhoneBalance, j.PhoneATC, j.PhoneCurrency = &bal, &atc, p.Currency
			lines = append(lines, app.MsgTellerLookupPhone.Textf(r.lang, app.FormatMoney(app.Money(bal)), atc))
		}
		if w.PhoneBalance != nil {
			j.Uploaded = &uploadJSON{At: w.PhoneUploaded.UTC().Format(time.RFC3339), Balance: int64(*w.PhoneBalance)}
			lines = append(lines, app.MsgTellerLookupUpload.Textf(r.lang, w.PhoneUploaded.Local().Format("2006-01-02 15:04"),
				app.FormatMoney(*w.PhoneBalance)))
		}
		if look.Settled != nil {
			j.Settled = settled(look.Settled)
			lines = append(lines, app.SettledText(look.Settled, r.lang))
		}
		if u := look.Unfinished; u != nil {
			j.Unfinished = &unfinishedRow{Amount: int64(u.Amount), ATC: int(u.ATC), At: u.At.UTC().Format(time.RFC3339), By: u.Operator}
			lines = append(lines, app.MsgTellerPending.Textf(r.lang, app.FormatMoney(u.Amount)))
		}
		return r.done(j, lines...)
	})
}

// statementJSON is `teller statement --json`.
type statementJSON struct {
	PAN          string         `json:"pan"`
	PSN          string         `json:"psn"`
	Status       string         `json:"status"`
	Customer     string         `json:"customer"`
	Balance      int64          `json:"balance"`
	LastATC      int            `json:"last_atc"`
	Entries      []statementRow `json:"entries"`
	AwaitingDesk []statementRow `json:"awaiting_desk"`
	HeldUnloads  []unloadRow    `json:"held_unloads"`
}

type statementRow struct {
	At         string `json:"at"`
	Kind       string `json:"kind"`
	ATC        int    `json:"atc"`
	Amount     int64  `json:"amount"`
	State      string `json:"state,omitempty"`
	Reason     string `json:"reason,omitempty"`
	Operator   string `json:"operator,omitempty"`
	TerminalID string `json:"terminal_id,omitempty"`
	MerchantID string `json:"merchant_id,omitempty"`
	Balance    *int64 `json:"balance_after,omitempty"`
}

func tellerStatement(ctx context.Context, r *tellerRun, args []string) int {
	pan := r.fs.String("pan", "", "the wallet's number")
	psn := r.fs.String("psn", "", "the wallet's sequence number (default: the newest with the PAN)")
	return r.run(ctx, args, func(t *app.Teller, op app.Operator) int {
		s, err := t.Statement(ctx, op, strings.TrimSpace(*pan), strings.TrimSpace(*psn))
		if err != nil {
			return r.failure(err)
		}
		j := statementJSON{PAN: s.PAN, PSN: s.PSN, Status: s.Status, Customer: s.Customer, Balance: int64(s.Balance),
			LastATC: int(s.LastATC), Entries: statementRows(s.Entries), AwaitingDesk: statementRows(s.AwaitingDesk),
			HeldUnloads: unloadRows(s.Unloads)}
		lines := []string{app.MsgTellerStatement.Textf(r.lang, s.PAN, s.PSN, s.Customer, statusText(s.Status, r.lang), app.FormatMoney(s.Balance))}
		if len(s.Entries) == 0 {
			lines = append(lines, app.MsgTellerNoEntries.Text(r.lang))
		}
		lines = append(lines, statementLines(s.Entries, r.lang)...)
		if len(s.AwaitingDesk) > 0 {
			lines = append(lines, app.MsgTellerAwaitingDesk.Text(r.lang))
			lines = append(lines, statementLines(s.AwaitingDesk, r.lang)...)
		}
		if len(s.Unloads) > 0 {
			lines = append(lines, app.MsgTellerUnloads.Text(r.lang))
			for _, u := range s.Unloads {
				lines = append(lines, app.UnloadLineText(u, r.lang))
			}
		}
		return r.done(j, lines...)
	})
}

func statementRows(lines []app.StatementLine) []statementRow {
	out := make([]statementRow, 0, len(lines))
	for _, l := range lines {
		row := statementRow{At: wireTime(l.At), Kind: l.Kind, ATC: int(l.ATC), Amount: int64(l.Amount), State: l.State,
			Reason: l.Reason, Operator: l.Operator, TerminalID: l.TerminalID, MerchantID: l.MerchantID}
		if l.Balance != nil {
			b := int64(*l.Balance)
			row.Balance = &b
		}
		out = append(out, row)
	}
	return out
}

// statementLines are a statement's entries as a person reads them; an
// entry a desk sent shows the desk, one a teller made the teller.
func statementLines(lines []app.StatementLine, lang string) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		who := l.Operator
		if who == "" {
			who = strings.TrimSpace(l.TerminalID + " " + l.MerchantID)
		}
		out = append(out, app.MsgTellerStatementLine.Textf(lang, localTime(l.At), kindText(l.Kind, lang), l.ATC,
			app.FormatMoney(l.Amount), stateWord(l.State, lang), who))
	}
	return out
}

func tellerHotlist(ctx context.Context, r *tellerRun, args []string) int {
	pan := r.fs.String("pan", "", "the wallet's number")
	reason := r.fs.String("reason", "", "why, in a few words (lost phone, …)")
	return r.run(ctx, args, func(t *app.Teller, op app.Operator) int {
		p := strings.TrimSpace(*pan)
		v, err := t.Hotlist(ctx, op, p, *reason)
		if err != nil {
			return r.failure(err)
		}
		text := app.MsgTellerHotlisted.Textf(r.lang, p, v)
		return r.done(map[string]any{"outcome": "hotlisted", "reason": text, "pan": p, "version": v}, text)
	})
}

// exceptionJSON is one item of the exception queue as the command shows it.
type exceptionJSON struct {
	ID         int64  `json:"id"`
	At         string `json:"at"`
	Kind       string `json:"kind"`
	PAN        string `json:"pan"`
	PSN        string `json:"psn"`
	ATC        int    `json:"atc"`
	TerminalID string `json:"terminal_id,omitempty"`
	MerchantID string `json:"merchant_id,omitempty"`
	Detail     string `json:"detail"`
	ResolvedAt string `json:"resolved_at,omitempty"`
	ResolvedBy string `json:"resolved_by,omitempty"`
	Resolution string `json:"resolution,omitempty"`
}

func exceptionOf(e app.BankException) exceptionJSON {
	j := exceptionJSON{ID: e.ID, At: wireTime(e.At), Kind: e.Kind, PAN: e.PAN, PSN: e.PSN, ATC: int(e.ATC),
		TerminalID: e.TerminalID, MerchantID: e.MerchantID, Detail: e.Detail}
	if !e.Open() {
		j.ResolvedAt, j.ResolvedBy, j.Resolution = wireTime(e.ResolvedAt), e.ResolvedBy, e.Resolution
	}
	return j
}

func tellerExceptions(ctx context.Context, r *tellerRun, args []string) int {
	state := r.fs.String("state", "open", "open, resolved or all")
	resolve := r.fs.Int64("resolve", 0, "resolve the exception with this number")
	note := r.fs.String("note", "", "with --resolve: what was found and done")
	r.check(func() error {
		if *resolve == 0 && *note != "" {
			return badInput(app.MsgCLITellerNoteNoResolve)
		}
		return nil
	})
	return r.run(ctx, args, func(t *app.Teller, op app.Operator) int {
		if *resolve != 0 {
			e, err := t.Resolve(ctx, op, *resolve, *note)
			if err != nil {
				return r.failure(err)
			}
			text := app.MsgTellerResolved.Textf(r.lang, e.ID)
			return r.done(map[string]any{"outcome": "resolved", "reason": text, "exception": exceptionOf(e)}, text)
		}
		list, err := t.Exceptions(ctx, op, app.ExceptionState(*state))
		if err != nil {
			return r.failure(err)
		}
		out := make([]exceptionJSON, 0, len(list))
		var lines []string
		if len(list) == 0 {
			lines = append(lines, app.MsgTellerNoExceptions.Text(r.lang))
		}
		for _, e := range list {
			out = append(out, exceptionOf(e))
			lines = append(lines, app.MsgTellerException.Textf(r.lang, e.ID, localTime(e.At), e.Kind, e.PAN, e.PSN, e.ATC, e.Detail))
			if !e.Open() {
				lines = append(lines, app.MsgTellerExceptionDone.Textf(r.lang, localTime(e.ResolvedAt), e.ResolvedBy, e.Resolution))
			}
		}
		return r.done(map[string]any{"state": *state, "exceptions": out}, lines...)
	})
}

func tellerReentry(ctx context.Context, r *tellerRun, args []string) int {
	r.phoneFlags()
	note := r.fs.String("note", "", "why the phone's log is re-entered (reinstalled, wiped, …)")
	return r.run(ctx, args, func(t *app.Teller, op app.Operator) int {
		res, err := t.ReEnter(ctx, op, *note, r.step)
		if err != nil {
			return r.failure(err)
		}
		p := res.Phone
		text := app.MsgTellerReEntered.Textf(r.lang, p.PAN+"/"+p.PSN, p.ATC, app.FormatMoney(app.Money(p.Balance)), res.Resolved)
		out := map[string]any{"outcome": "reentered", "reason": text, "pan": p.PAN, "psn": p.PSN, "atc": p.ATC,
			"balance": p.Balance, "resolved": res.Resolved}
		lines := []string{text}
		if res.Settled != nil {
			out["settled"] = settled(res.Settled)
			lines = append(lines, app.SettledText(res.Settled, r.lang))
		}
		return r.done(out, lines...)
	})
}

func statusText(status, lang string) string {
	switch status {
	case "active":
		return app.MsgTellerStatusActive.Text(lang)
	case "hotlisted":
		return app.MsgTellerStatusHot.Text(lang)
	}
	return status
}

func kindText(kind, lang string) string {
	m, ok := map[string]app.Message{"load": app.MsgTellerKindLoad, "unload": app.MsgTellerKindUnload,
		"reentry": app.MsgTellerKindReentry, "purchase": app.MsgTellerKindPurchase, "void": app.MsgTellerKindVoid,
		"voucher": app.MsgTellerKindVoucher}[kind]
	if !ok {
		return kind
	}
	return m.Text(lang)
}

// stateWord is a message's state at the bank in words; the desk's
// forwarding states share the names.
func stateWord(state, lang string) string {
	if state == "" {
		return ""
	}
	if s := app.Message("state." + state).Text(lang); s != "state."+state {
		return s
	}
	return state
}

func wireTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func localTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}
