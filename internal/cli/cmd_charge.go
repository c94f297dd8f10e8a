package cli

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"lingqian/app"
	"lingqian/desk"
	"lingqian/emv"
)

// Exit codes of `lingqian charge` (DESIGN section 7).
const (
	exitApproved  = 0
	exitError     = 2
	exitDeclined  = 3
	exitRecovered = 4
)

// The outcomes `lingqian charge` reports, one per run.
const (
	outcomeApproved  = string(app.VerdictApproved)
	outcomeDeclined  = string(app.VerdictDeclined)
	outcomeRecovered = string(app.VerdictRecovered)
	outcomeError     = string(app.VerdictError)
)

// Reason codes of the outcomes the kernel does not name.
const (
	codeBadInput  = "bad_input"  // a flag or the amount is wrong
	codeTimeout   = "timeout"    // no phone within --timeout
	codeCancelled = "cancelled"  // interrupted while waiting
	codeDeskError = "desk_error" // the desk, its data folder or the card service failed
	codeRecovered = "earlier_sale_recovered"
	codeLimit     = "limit_" // + LimitError.Limit
)

// chargeJSON is the contract of `lingqian charge --json`: one line for
// every outcome, errors included.
type chargeJSON struct {
	Outcome    string `json:"outcome"` // approved | declined | recovered | error
	Reason     string `json:"reason"`
	ReasonCode string `json:"reason_code"`
	// Amount is what was charged or asked; for recovered, what the earlier
	// torn purchase recovered.
	Amount int64 `json:"amount"`
	// SaleAmount, for recovered only, is the sale in front of the cashier,
	// still unpaid.
	SaleAmount int64  `json:"sale_amount,omitempty"`
	Currency   string `json:"currency"`
	Seq        int64  `json:"seq,omitempty"`
	PAN        string `json:"pan,omitempty"`
	ATC        int    `json:"atc,omitempty"`
	CID        string `json:"cid,omitempty"`
	TVR        string `json:"tvr,omitempty"`
}

// chargeOutcome is one run's answer: the JSON, the lines a person reads,
// and the exit code.
type chargeOutcome struct {
	JSON chargeJSON
	// Text is printed on standard output in text mode; for errors it goes
	// to standard error in both modes.
	Text []string
	Exit int
}

// deskCurrency is the currency of a sale the kernel never saw.
var deskCurrency = emv.DefaultTerminal().Currency

func charge(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("charge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	amountText := fs.String("amount", "", "amount in yuan, e.g. 12.50")
	readerName := fs.String("reader", "", "card reader to use (default: the first card presented on any reader)")
	capk := fs.String("capk", "", "extra CA public key file (JSON)")
	dataDir := fs.String("data", "", "the desk's data folder")
	asJSON := fs.Bool("json", false, "print the outcome as one line of JSON, whatever it is")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the phone")
	cashier := fs.String("cashier", "cli", "who is charging, for the journal")
	supervisor := fs.String("supervisor", "", "supervisor allowing a sale past an offline limit (PIN read from standard input)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return printCharge(failed(0, codeBadInput, err.Error()), *asJSON || jsonAsked(args), stdout, stderr)
	}
	out := runCharge(ctx, chargeRequest{amount: *amountText, reader: *readerName, capk: *capk, data: *dataDir,
		timeout: *timeout, cashier: *cashier, supervisor: *supervisor, extra: fs.Args()}, stdin, stderr)
	return printCharge(out, *asJSON, stdout, stderr)
}

type chargeRequest struct {
	amount, reader, capk, data string
	timeout                    time.Duration
	cashier, supervisor        string
	extra                      []string
}

// runCharge runs one sale and says what came of it.
func runCharge(ctx context.Context, r chargeRequest, stdin io.Reader, stderr io.Writer) chargeOutcome {
	if len(r.extra) > 0 {
		return failed(0, codeBadInput, fmt.Sprintf("unexpected arguments %q", r.extra))
	}
	amount, err := app.ParseMoney(r.amount)
	if err != nil {
		return failed(0, codeBadInput, err.Error())
	}
	if amount <= 0 {
		return failed(amount, codeBadInput, fmt.Sprintf("amount %s: a sale must be more than 0.00", app.FormatMoney(amount)))
	}
	if r.timeout <= 0 {
		return failed(amount, codeBadInput, fmt.Sprintf("--timeout %v: it must be more than 0", r.timeout))
	}
	d, err := desk.Open(ctx, r.data)
	if err != nil {
		return failed(amount, codeDeskError, err.Error())
	}
	defer d.Close()

	sale := app.Sale{Amount: amount, Cashier: app.Operator{ID: r.cashier, Role: app.RoleCashier}}
	if r.supervisor != "" {
		op, err := signIn(ctx, d, r.supervisor, stdin, stderr)
		if err != nil {
			return failed(amount, codeDeskError, err.Error())
		}
		sale.Override = &op
	}
	co, closeReader, err := d.Checkout(ctx, r.reader, r.capk)
	if err != nil {
		return failed(amount, codeDeskError, err.Error())
	}
	defer closeReader()

	tctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	res, err := co.Charge(tctx, sale)
	if err != nil {
		return chargeFailed(ctx, sale.Amount, res, err, r.timeout)
	}
	return chargeDone(res)
}

// chargeFailed is the outcome of a Charge that answered an error: an
// offline limit is a decline, anything else an error.
func chargeFailed(ctx context.Context, amount app.Money, res app.Result, err error, timeout time.Duration) chargeOutcome {
	var limit *app.LimitError
	var out chargeOutcome
	switch {
	case errors.As(err, &limit):
		j := chargeJSON{Outcome: outcomeDeclined, Reason: limit.Text, ReasonCode: codeLimit + limit.Limit,
			Amount: int64(amount), Currency: deskCurrency}
		return chargeOutcome{JSON: j, Exit: exitDeclined,
			Text: []string{fmt.Sprintf("DECLINED: %s %s — not charged: %s", app.FormatMoney(amount), currencyName(j.Currency), limit.Text)}}
	case ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
		out = failed(amount, codeTimeout, fmt.Sprintf("no phone was presented within %v; nothing was charged", timeout))
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		out = failed(amount, codeCancelled, "cancelled while waiting for the phone; nothing was charged")
	default:
		out = failed(amount, codeDeskError, err.Error())
	}
	// What the kernel saw, when it ran before the desk failed.
	if o := res.Outcome; o.Currency != "" {
		out.JSON.Currency, out.JSON.PAN = o.Currency, maskPAN(o.PAN)
		if o.Result == emv.Approved {
			out.JSON.Amount, out.JSON.ATC, out.JSON.CID = o.Amount, int(o.ATC), fmt.Sprintf("%02X", o.CID)
		}
		out.JSON.TVR = hex.EncodeToString(o.TVR[:])
	}
	return out
}

// chargeDone is the outcome of a tap the kernel ran to its end.
func chargeDone(res app.Result) chargeOutcome {
	o := res.Outcome
	j := chargeJSON{Reason: o.Reason.Text, ReasonCode: o.Reason.Code, Amount: o.Amount, Currency: o.Currency,
		PAN: maskPAN(o.PAN), TVR: hex.EncodeToString(o.TVR[:])}
	if j.Currency == "" {
		j.Currency = deskCurrency
	}
	if j.Amount == 0 {
		j.Amount = int64(res.Sale)
	}
	cur := currencyName(j.Currency)
	switch res.Verdict() {
	case app.VerdictApproved:
		j.Outcome, j.Seq, j.ATC, j.CID = outcomeApproved, res.Entry.Seq, int(o.ATC), fmt.Sprintf("%02X", o.CID)
		return chargeOutcome{JSON: j, Exit: exitApproved, Text: []string{
			fmt.Sprintf("APPROVED: %s %s — %s", app.FormatMoney(app.Money(j.Amount)), cur, j.Reason),
			fmt.Sprintf("journal entry %d, wallet %s, ATC %d", j.Seq, j.PAN, j.ATC)}}
	case app.VerdictRecovered:
		j.Outcome, j.Seq, j.ATC, j.CID = outcomeRecovered, res.Entry.Seq, int(o.ATC), fmt.Sprintf("%02X", o.CID)
		j.SaleAmount, j.ReasonCode = int64(res.Sale), codeRecovered
		earlier, sale := app.FormatMoney(app.Money(j.Amount)), app.FormatMoney(res.Sale)
		j.Reason = fmt.Sprintf("The earlier %s went through (journal entry %d); this %s sale is not paid yet: tap again.",
			earlier, j.Seq, sale)
		entry := fmt.Sprintf("journal entry %d records the earlier purchase of %s %s, wallet %s, ATC %d", j.Seq, earlier, cur, j.PAN, j.ATC)
		if res.Entry.Ref != 0 {
			entry += fmt.Sprintf(", completing the torn tap of entry %d", res.Entry.Ref)
		}
		return chargeOutcome{JSON: j, Exit: exitRecovered, Text: []string{
			fmt.Sprintf("NOT PAID: the earlier %s went through; this %s sale is not paid yet: tap again", earlier, sale),
			entry}}
	case app.VerdictDeclined:
		j.Outcome = outcomeDeclined
		return chargeOutcome{JSON: j, Exit: exitDeclined, Text: []string{
			fmt.Sprintf("DECLINED: %s %s — %s", app.FormatMoney(app.Money(j.Amount)), cur, j.Reason)}}
	}
	// Torn, card left, card error, cancelled: this sale is not paid.
	j.Outcome = outcomeError
	if j.ReasonCode == "" {
		j.ReasonCode = codeDeskError
	}
	if j.Reason == "" {
		j.Reason = fmt.Sprintf("the tap ended %s; nothing was charged", o.Result)
	}
	text := fmt.Sprintf("NOT PAID: %s %s — %s", app.FormatMoney(app.Money(j.Amount)), cur, j.Reason)
	if res.Entry != nil {
		j.Seq = res.Entry.Seq
		text += fmt.Sprintf(" (the torn tap is journal entry %d)", j.Seq)
	}
	return chargeOutcome{JSON: j, Exit: exitError, Text: []string{text}}
}

// failed is an error outcome with no tap behind it.
func failed(amount app.Money, code, reason string) chargeOutcome {
	return chargeOutcome{JSON: chargeJSON{Outcome: outcomeError, Reason: reason, ReasonCode: code,
		Amount: int64(amount), Currency: deskCurrency}, Exit: exitError, Text: []string{reason}}
}

// printCharge prints the outcome and answers its exit code. Errors always
// reach standard error as a sentence; with --json every outcome is one
// line on standard output.
func printCharge(out chargeOutcome, asJSON bool, stdout, stderr io.Writer) int {
	if out.Exit == exitError {
		for _, l := range out.Text {
			fmt.Fprintf(stderr, "lingqian charge: %s\n", l)
		}
	}
	if asJSON {
		b, err := json.Marshal(out.JSON)
		if err != nil { // not with these fields; say so rather than print nothing
			b = []byte(`{"outcome":"error","reason":"the outcome could not be written","reason_code":"desk_error"}`)
		}
		fmt.Fprintln(stdout, string(b))
	} else if out.Exit != exitError {
		for _, l := range out.Text {
			fmt.Fprintln(stdout, l)
		}
	}
	return out.Exit
}

// jsonAsked finds --json among arguments the flag set could not parse.
func jsonAsked(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name != "json" {
			continue
		}
		if !hasValue {
			return true
		}
		on, err := strconv.ParseBool(value)
		return err == nil && on
	}
	return false
}

func maskPAN(pan string) string {
	if pan == "" {
		return ""
	}
	return app.MaskPAN(pan)
}

// currencyName is how a person reads the ISO numeric code.
func currencyName(code string) string {
	if code == "156" {
		return "CNY"
	}
	return code
}

// signIn reads an operator's PIN from the first line of stdin and checks it.
func signIn(ctx context.Context, d *desk.Desk, id string, stdin io.Reader, stderr io.Writer) (app.Operator, error) {
	pin, err := readPIN(id, stdin, stderr)
	if err != nil {
		return app.Operator{}, err
	}
	staff := &app.Staff{Store: d.DB, Audit: d.DB}
	op, err := staff.SignIn(ctx, id, pin)
	if err != nil {
		return app.Operator{}, fmt.Errorf("%s: %w", id, err)
	}
	return op, nil
}

// readPIN reads an operator's PIN from the next line of stdin, asking
// for it when a person is at a terminal.
func readPIN(id string, stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && isTerminal(f) {
		fmt.Fprintf(stderr, "PIN for %s: ", id)
	}
	pin, err := readLine(stdin)
	if err != nil {
		return "", fmt.Errorf("reading the PIN of %s: %w", id, err)
	}
	return pin, nil
}

// readLine reads one line. run hands commands a *bufio.Reader, so what
// follows the line stays buffered for the next call.
func readLine(r io.Reader) (string, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	line, err := br.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
