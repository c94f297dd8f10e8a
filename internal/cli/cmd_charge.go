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

	"golang.org/x/term"

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
	// JSON is the contract: the same in every language, its reason in
	// English as the kernel and the desk word it.
	JSON chargeJSON
	// Text, in the person's language, is printed on standard output in
	// text mode; for errors it goes to standard error in both modes.
	Text []string
	Exit int
}

// deskCurrency is the currency of a sale the kernel never saw.
var deskCurrency = emv.DefaultTerminal().Currency

func charge(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := newSpeaker("lingqian charge", args, stdout, stderr)
	fs := flag.NewFlagSet("charge", flag.ContinueOnError)
	amountText := fs.String("amount", "", "amount in yuan, e.g. 12.50")
	readerName := fs.String("reader", "", "card reader to use (default: the first card presented on any reader)")
	capk := fs.String("capk", "", "extra CA public key file (JSON)")
	dataDir := fs.String("data", "", "the desk's data folder")
	asJSON := fs.Bool("json", false, "print the outcome as one line of JSON, whatever it is")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the phone")
	cashier := fs.String("cashier", "cli", "who is charging, for the journal")
	supervisor := fs.String("supervisor", "", "supervisor allowing a sale past an offline limit (PIN read from standard input)")
	langFlag(fs)
	if err := s.parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		out := failed(0, codeBadInput, err.Error(), withDetail(s.t(app.MsgCLIBadFlags), err))
		var bad langError
		if errors.As(err, &bad) { // the person's language is not known: both
			out.Text = []string{app.MsgCLIBadLang.Textf(app.English, bad.lang), app.MsgCLIBadLang.Textf(app.SimplifiedChinese, bad.lang)}
		}
		return printCharge(out, *asJSON || jsonAsked(args), stdout, stderr)
	}
	out := runCharge(ctx, chargeRequest{amount: *amountText, reader: *readerName, capk: *capk, data: *dataDir,
		timeout: *timeout, cashier: *cashier, supervisor: *supervisor, extra: fs.Args(), lang: s.lang}, stdin, stderr)
	return printCharge(out, *asJSON, stdout, stderr)
}

type chargeRequest struct {
	amount, reader, capk, data string
	timeout                    time.Duration
	cashier, supervisor        string
	extra                      []string
	lang                       string // of what the person reads
}

// runCharge runs one sale and says what came of it.
func runCharge(ctx context.Context, r chargeRequest, stdin io.Reader, stderr io.Writer) chargeOutcome {
	// Each refusal: the English reason of the JSON, and what the person reads.
	say := func(m app.Message, args ...any) (string, string) {
		return m.Textf(app.English, args...), m.Textf(r.lang, args...)
	}
	if len(r.extra) > 0 {
		en, text := say(app.MsgCLIUnexpected, r.extra)
		return failed(0, codeBadInput, en, text)
	}
	amount, err := app.ParseMoney(r.amount)
	if err != nil {
		sentence := app.MsgBadAmount.Text(r.lang)
		if zeroAmount(r.amount) {
			sentence = app.MsgCLIChargeNotPositive.Textf(r.lang, app.FormatMoney(0))
		}
		return failed(0, codeBadInput, err.Error(), withDetail(sentence, err))
	}
	if amount <= 0 {
		en, text := say(app.MsgCLIChargeNotPositive, app.FormatMoney(amount))
		return failed(amount, codeBadInput, en, text)
	}
	if r.timeout <= 0 {
		en, text := say(app.MsgCLIChargeBadTimeout, r.timeout)
		return failed(amount, codeBadInput, en, text)
	}
	d, err := desk.Open(ctx, r.data)
	if err != nil {
		return failed(amount, codeDeskError, err.Error(), withDetail(deskSentence(r.data, err, r.lang), err))
	}
	defer d.Close()
	deskFailed := func(err error) chargeOutcome {
		return failed(amount, codeDeskError, err.Error(), withDetail(explain(err, r.lang), err))
	}

	sale := app.Sale{Amount: amount, Cashier: app.Operator{ID: r.cashier, Role: app.RoleCashier}}
	if r.supervisor != "" {
		op, err := signIn(ctx, d, r.supervisor, stdin, stderr, r.lang)
		if err != nil {
			return deskFailed(err)
		}
		sale.Override = &op
	}
	co, closeReader, err := d.Checkout(ctx, r.reader, r.capk)
	if err != nil {
		return deskFailed(err)
	}
	defer closeReader()

	tctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	res, err := co.Charge(tctx, sale)
	if err != nil {
		return chargeFailed(ctx, sale.Amount, res, err, r.timeout, r.lang)
	}
	return chargeDone(res, r.lang)
}

// chargeFailed is the outcome of a Charge that answered an error: an
// offline limit is a decline, anything else an error.
func chargeFailed(ctx context.Context, amount app.Money, res app.Result, err error, timeout time.Duration, lang string) chargeOutcome {
	var limit *app.LimitError
	var out chargeOutcome
	switch {
	case errors.As(err, &limit):
		j := chargeJSON{Outcome: outcomeDeclined, Reason: limit.Text, ReasonCode: codeLimit + limit.Limit,
			Amount: int64(amount), Currency: deskCurrency}
		return chargeOutcome{JSON: j, Exit: exitDeclined, Text: []string{app.MsgCLIChargeOutcome.Textf(lang,
			app.MsgDeclined.Text(lang), app.FormatMoney(amount), currencyName(j.Currency, lang), app.Explain(err, lang))}}
	case ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
		out = failed(amount, codeTimeout, app.MsgCLIChargeTimeout.Textf(app.English, timeout), app.MsgCLIChargeTimeout.Textf(lang, timeout))
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		out = failed(amount, codeCancelled, app.MsgCLIChargeCancelled.Text(app.English), app.MsgCLIChargeCancelled.Text(lang))
	default:
		out = failed(amount, codeDeskError, err.Error(), withDetail(explain(err, lang), err))
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
func chargeDone(res app.Result, lang string) chargeOutcome {
	o := res.Outcome
	j := chargeJSON{Reason: o.Reason.Text, ReasonCode: o.Reason.Code, Amount: o.Amount, Currency: o.Currency,
		PAN: maskPAN(o.PAN), TVR: hex.EncodeToString(o.TVR[:])}
	if j.Currency == "" {
		j.Currency = deskCurrency
	}
	if j.Amount == 0 {
		j.Amount = int64(res.Sale)
	}
	cur := currencyName(j.Currency, lang)
	reason := app.ReasonText(o.Reason, lang)
	money := func(v int64) string { return app.FormatMoney(app.Money(v)) }
	switch res.Verdict() {
	case app.VerdictApproved:
		j.Outcome, j.Seq, j.ATC, j.CID = outcomeApproved, res.Entry.Seq, int(o.ATC), fmt.Sprintf("%02X", o.CID)
		return chargeOutcome{JSON: j, Exit: exitApproved, Text: []string{
			app.MsgCLIChargeOutcome.Textf(lang, app.MsgApproved.Text(lang), money(j.Amount), cur, reason),
			app.MsgCLIChargeEntry.Textf(lang, j.Seq, j.PAN, j.ATC)}}
	case app.VerdictRecovered:
		j.Outcome, j.Seq, j.ATC, j.CID = outcomeRecovered, res.Entry.Seq, int(o.ATC), fmt.Sprintf("%02X", o.CID)
		j.SaleAmount, j.ReasonCode = int64(res.Sale), codeRecovered
		earlier, sale := money(j.Amount), app.FormatMoney(res.Sale)
		j.Reason = fmt.Sprintf("The earlier %s went through (journal entry %d); this %s sale is not paid yet: tap again.",
			earlier, j.Seq, sale)
		entry := app.MsgCLIChargeEarlier.Textf(lang, j.Seq, earlier, cur, j.PAN, j.ATC)
		if res.Entry.Ref != 0 {
			entry += app.MsgCLIChargeCompleting.Textf(lang, res.Entry.Ref)
		}
		return chargeOutcome{JSON: j, Exit: exitRecovered, Text: []string{
			app.MsgCLIChargeRecovered.Textf(lang, earlier, sale), entry}}
	case app.VerdictDeclined:
		j.Outcome = outcomeDeclined
		return chargeOutcome{JSON: j, Exit: exitDeclined, Text: []string{
			app.MsgCLIChargeOutcome.Textf(lang, app.MsgDeclined.Text(lang), money(j.Amount), cur, reason)}}
	}
	// Torn, card left, card error, cancelled: this sale is not paid.
	j.Outcome = outcomeError
	if j.ReasonCode == "" {
		j.ReasonCode = codeDeskError
	}
	if j.Reason == "" {
		j.Reason = app.MsgCLIChargeTapEnded.Textf(app.English, o.Result)
		reason = app.MsgCLIChargeTapEnded.Textf(lang, o.Result)
	}
	text := app.MsgCLIChargeOutcome.Textf(lang, app.MsgNotPaid.Text(lang), money(j.Amount), cur, reason)
	if res.Entry != nil {
		j.Seq = res.Entry.Seq
		text += app.MsgCLIChargeTornEntry.Textf(lang, j.Seq)
	}
	return chargeOutcome{JSON: j, Exit: exitError, Text: []string{text}}
}

// zeroAmount says whether an amount ParseMoney refused is written well
// but is nothing: 0, 0.00.
func zeroAmount(s string) bool {
	s = strings.TrimSpace(s)
	return strings.Contains(s, "0") && strings.Trim(s, "0.") == "" && strings.Count(s, ".") <= 1
}

// failed is an error outcome with no tap behind it: reason for the JSON,
// text for the person.
func failed(amount app.Money, code, reason, text string) chargeOutcome {
	return chargeOutcome{JSON: chargeJSON{Outcome: outcomeError, Reason: reason, ReasonCode: code,
		Amount: int64(amount), Currency: deskCurrency}, Exit: exitError, Text: []string{text}}
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
func currencyName(code, lang string) string {
	if code == "156" {
		return app.MsgReportCNY.Text(lang)
	}
	return code
}

// signIn reads an operator's PIN from the first line of stdin and checks it.
func signIn(ctx context.Context, d *desk.Desk, id string, stdin io.Reader, stderr io.Writer, lang string) (app.Operator, error) {
	pin, err := readPIN(id, stdin, stderr, lang)
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
func readPIN(id string, stdin io.Reader, stderr io.Writer, lang string) (string, error) {
	if in, ok := stdin.(*lineInput); ok && in.terminal != nil && in.Buffered() == 0 {
		// A person types it: asked for, and not shown on the screen.
		fmt.Fprint(stderr, app.MsgCLIPINFor.Textf(lang, id))
		b, err := term.ReadPassword(int(in.terminal.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", &pinError{id: id, err: err}
		}
		return strings.TrimSpace(string(b)), nil
	}
	pin, err := readLine(stdin)
	if err != nil {
		return "", &pinError{id: id, err: err}
	}
	return pin, nil
}

// readLine reads one line. run hands commands a *bufio.Reader, so what
// follows the line stays buffered for the next call.
func readLine(r io.Reader) (string, error) {
	var br *bufio.Reader
	switch in := r.(type) {
	case *lineInput:
		br = in.Reader
	case *bufio.Reader:
		br = in
	default:
		br = bufio.NewReader(r)
	}
	line, err := br.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// lineInput is standard input read a line at a time, and the terminal a
// person types it on, if they do: the PIN prompt is for a person, not for
// a script.
type lineInput struct {
	*bufio.Reader
	terminal *os.File
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
