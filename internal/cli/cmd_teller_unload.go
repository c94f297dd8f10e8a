package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/term"

	"lingqian/app"
)

// unloadJSON is `lingqian teller unload --json`. The outcome is
// "unloaded" whether the bank pays at once or holds it for its window:
// the teller's part is done either way; state says which.
type unloadJSON struct {
	Outcome     string `json:"outcome"`
	Reason      string `json:"reason"`
	State       string `json:"state"` // held | paid
	PAN         string `json:"pan"`
	PSN         string `json:"psn"`
	Customer    string `json:"customer"`
	Amount      int64  `json:"amount"`
	PaysAt      string `json:"pays_at,omitempty"` // RFC 3339, when held and the bank said
	BankBalance int64  `json:"bank_balance"`
	SignedBy    string `json:"signed_by"` // "customer", or the second teller's id
	Currency    string `json:"currency"`
}

func tellerUnload(ctx context.Context, r *tellerRun, args []string) int {
	pan := r.fs.String("pan", "", "the wallet's number")
	psn := r.fs.String("psn", "", "the wallet's sequence number (default: the bank's first with the PAN)")
	customer := r.fs.Bool("customer-signs", false, "the customer signs: their bank password is read from standard input after the operator's PIN")
	approver := r.fs.String("approver", "", "a second teller of this desk signs: their id (their PIN read from standard input after the operator's PIN)")
	amount := r.amountFlag()
	r.check(func() error {
		second := strings.TrimSpace(*approver) != ""
		switch {
		case *customer && second:
			return badInput(app.MsgCLITellerBothSigners)
		case !*customer && !second:
			return badInput(app.MsgCLITellerNeedSigner)
		}
		return nil
	})
	return r.run(ctx, args, func(t *app.Teller, op app.Operator) int {
		// The line after the operator's PIN: the customer's password or
		// the second teller's PIN.
		var by app.UnloadSigner
		if *customer {
			password, err := readSecret(app.MsgCLITellerPasswordPrompt.Text(r.lang), r.stdin, r.stderr)
			if err != nil || password == "" {
				return r.mistake(inputError{m: app.MsgCLITellerNoPassword, cause: err})
			}
			by = app.CustomerSigns(password)
		} else {
			id := strings.TrimSpace(*approver)
			pin, err := readPIN(id, r.stdin, r.stderr, r.lang)
			if err != nil {
				return r.failure(err)
			}
			by = app.SecondTeller(id, pin)
		}
		res, err := t.Unload(ctx, op, strings.TrimSpace(*pan), strings.TrimSpace(*psn), *amount, by)
		if err != nil {
			return r.failure(err)
		}
		text := app.UnloadText(res, r.lang)
		j := unloadJSON{Outcome: "unloaded", Reason: text, State: string(res.State), PAN: res.PAN, PSN: res.PSN,
			Customer: res.Customer, Amount: int64(res.Amount), BankBalance: int64(res.BankBalance), SignedBy: res.Approver,
			Currency: deskCurrency}
		if j.SignedBy == "" {
			j.SignedBy = app.ApproverCustomer
		}
		if res.State == app.UnloadHeld && !res.PaysAt.IsZero() {
			j.PaysAt = res.PaysAt.UTC().Format(time.RFC3339)
		}
		return r.done(j, text)
	})
}

// readSecret reads the next line of stdin, as readPIN does: asked for
// with prompt, and not shown, when a person types it at a terminal. It
// is never trimmed of spaces: a password may have them.
func readSecret(prompt string, stdin io.Reader, stderr io.Writer) (string, error) {
	if in, ok := stdin.(*lineInput); ok && in.terminal != nil && in.Buffered() == 0 {
		fmt.Fprint(stderr, prompt)
		b, err := term.ReadPassword(int(in.terminal.Fd()))
		fmt.Fprintln(stderr)
		return string(b), err
	}
	return readLine(stdin)
}

// unloadRow is an unload on `teller statement --json`: held for the
// bank's settlement window, or paid with what the window left of it.
type unloadRow struct {
	At         string `json:"at"`
	Amount     int64  `json:"amount"`
	State      string `json:"state"`
	PaysAt     string `json:"pays_at,omitempty"`
	PaidAt     string `json:"paid_at,omitempty"`
	Paid       *int64 `json:"paid,omitempty"`
	TerminalID string `json:"terminal_id,omitempty"`
	Operator   string `json:"operator"`
	Approver   string `json:"approver"` // the second teller, or "customer"
}

func unloadRows(us []app.StatementUnload) []unloadRow {
	out := make([]unloadRow, 0, len(us))
	for _, u := range us {
		row := unloadRow{At: wireTime(u.At), Amount: int64(u.Amount), State: string(u.State), PaysAt: wireTime(u.PaysAt),
			PaidAt: wireTime(u.PaidAt), TerminalID: u.TerminalID, Operator: u.Operator, Approver: u.Approver}
		if u.Paid != nil {
			p := int64(*u.Paid)
			row.Paid = &p
		}
		out = append(out, row)
	}
	return out
}
