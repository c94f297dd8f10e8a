package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"lingqian/app"
	"lingqian/desk"
	"lingqian/emv"
)

// Exit codes of `lingqian teller`, as `lingqian charge` has them: done,
// refused by the bank or the phone, an earlier load finished instead of
// this one, anything else (an unfinished load included).
const (
	tellerDone     = 0
	tellerError    = 2
	tellerRefused  = 3
	tellerFinished = 4
)

// tellerRun is one teller command: its flags, and the speaker that says
// what came of it in the teller's language.
type tellerRun struct {
	*speaker
	fs             *flag.FlagSet
	data, operator *string
	capk, reader   *string
	asJSON         *bool
	timeout        *time.Duration
	// checks are the command's own checks of what was typed, made before
	// the desk opens and the PIN is read.
	checks []func() error
	stdin  io.Reader
}

func teller(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, tellerUsage(langAsked(args)))
		return tellerError
	}
	sub, args := args[0], args[1:]
	cmds := map[string]func(context.Context, *tellerRun, []string) int{
		"load": tellerLoad, "unload": tellerUnload, "lookup": tellerLookup, "statement": tellerStatement,
		"hotlist": tellerHotlist, "exceptions": tellerExceptions, "reentry": tellerReentry,
	}
	cmd, ok := cmds[sub]
	if !ok {
		s := newSpeaker("lingqian teller", args, stdout, stderr)
		s.warn(s.t(app.MsgCLITellerNotACommand, sub)+"\n", nil)
		fmt.Fprint(stderr, tellerUsage(s.lang))
		return tellerError
	}
	return cmd(ctx, newTellerRun(sub, args, stdin, stdout, stderr), args)
}

func newTellerRun(sub string, args []string, stdin io.Reader, stdout, stderr io.Writer) *tellerRun {
	if stdin == nil {
		stdin = strings.NewReader("") // no PIN to read: the sign-in says so
	}
	fs := flag.NewFlagSet("teller "+sub, flag.ContinueOnError)
	r := &tellerRun{speaker: newSpeaker("lingqian teller "+sub, args, stdout, stderr), fs: fs, stdin: stdin}
	r.data = fs.String("data", "", "the desk's data folder")
	r.operator = fs.String("operator", "", "the teller's operator id (PIN read from standard input)")
	r.asJSON = fs.Bool("json", false, "print the outcome as one line of JSON, whatever it is")
	langFlag(fs)
	return r
}

// phoneFlags adds the flags of a command that taps a phone.
func (r *tellerRun) phoneFlags() {
	r.reader = r.fs.String("reader", "", "card reader to use (default: the first phone presented on any reader)")
	r.capk = r.fs.String("capk", "", "extra CA public key file (JSON)")
	r.timeout = r.fs.Duration("timeout", 30*time.Second, "how long to wait for the phone")
}

// amountFlag adds --amount, read as money once the flags are parsed.
func (r *tellerRun) amountFlag() *app.Money {
	text := r.fs.String("amount", "", "amount in yuan, e.g. 100.00")
	amount := new(app.Money)
	r.check(func() (err error) {
		*amount, err = amountOf(*text)
		return err
	})
	return amount
}

// amountOf reads an amount as the checkout does, a mistake said as it says it.
func amountOf(text string) (app.Money, error) {
	amount, err := app.ParseMoney(text)
	switch {
	case err == nil:
		return amount, nil
	case strings.TrimSpace(text) == "":
		return 0, badInput(app.MsgCLITellerNeedAmount)
	case zeroAmount(text):
		return 0, inputError{m: app.MsgTellerErrAmount, cause: err}
	}
	return 0, inputError{m: app.MsgBadAmount, cause: err}
}

// check adds a check of what was typed, made once the flags are parsed.
func (r *tellerRun) check(c func() error) { r.checks = append(r.checks, c) }

// run is what every teller command does once it has named its flags:
// parse them and check what was typed, open the desk, sign the teller in,
// and act with teller mode.
func (r *tellerRun) run(ctx context.Context, args []string, act func(*app.Teller, app.Operator) int) int {
	if code, ok := r.parse(args); !ok {
		return code
	}
	d, err := desk.Open(ctx, *r.data)
	if err != nil {
		return r.failAs(deskSentence(*r.data, err, r.lang), err)
	}
	defer d.Close()
	t, op, closeReader, err := r.open(ctx, d)
	if err != nil {
		return r.failure(err)
	}
	defer closeReader()
	return act(t, op)
}

// parse reads the flags and checks them; false when the command stops
// there (its answer printed).
func (r *tellerRun) parse(args []string) (int, bool) {
	err := r.parseFlags(r.fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return tellerDone, false
	}
	switch {
	case err != nil:
	case r.fs.NArg() > 0:
		err = badInput(app.MsgCLIUnexpected, r.fs.Args())
	case strings.TrimSpace(*r.operator) == "":
		err = badInput(app.MsgCLITellerNeedOperator)
	case r.timeout != nil && *r.timeout <= 0:
		err = badInput(app.MsgCLITellerBadTimeout, *r.timeout)
	}
	for _, c := range r.checks {
		if err != nil {
			break
		}
		err = c()
	}
	if err != nil {
		// Flags that did not parse may have left --json unread.
		*r.asJSON = *r.asJSON || jsonAsked(args)
		return r.mistake(err), false
	}
	return 0, true
}

// open signs the operator in and assembles teller mode on the desk.
func (r *tellerRun) open(ctx context.Context, d *desk.Desk) (*app.Teller, app.Operator, func(), error) {
	op, err := signIn(ctx, d, strings.TrimSpace(*r.operator), r.stdin, r.stderr, r.lang)
	if err != nil {
		return nil, app.Operator{}, nil, err
	}
	reader, capk := "", ""
	if r.reader != nil {
		reader, capk = *r.reader, *r.capk
	}
	t, closeReader, err := d.Teller(ctx, reader, capk)
	if err != nil {
		return nil, app.Operator{}, nil, err
	}
	if r.timeout != nil {
		t.Reader = timedReader{Reader: t.Reader, wait: *r.timeout}
	}
	return t, op, closeReader, nil
}

// timedReader bounds the wait for the phone only: once it is tapped, the
// load runs to its end, so a slow bank is never cut off halfway.
type timedReader struct {
	app.Reader
	wait time.Duration
}

func (t timedReader) Tap(ctx context.Context) (app.Card, error) {
	tctx, cancel := context.WithTimeout(ctx, t.wait)
	defer cancel()
	return t.Reader.Tap(tctx)
}

// tellerErrorJSON is the JSON of a command that did not get done.
type tellerErrorJSON struct {
	Outcome    string `json:"outcome"` // refused | error
	Reason     string `json:"reason"`
	ReasonCode string `json:"reason_code"`
}

// mistake says what the teller typed wrong and answers exit 2.
func (r *tellerRun) mistake(err error) int {
	reason := r.t(app.MsgCLIBadFlags)
	var typed inputError
	var lang langError
	switch {
	case errors.As(err, &typed):
		reason = typed.In(r.lang)
		r.warn(reason, typed.cause)
	case errors.As(err, &lang):
		reason = app.MsgCLIBadLang.Textf(r.lang, lang.lang)
		r.badFlags(err)
	default:
		r.badFlags(err)
	}
	if *r.asJSON {
		r.json(tellerErrorJSON{Outcome: "error", Reason: reason, ReasonCode: "bad_input"})
	}
	return tellerError
}

// failure says why the desk, the bank or the phone did not get the
// command done, and answers its exit code.
func (r *tellerRun) failure(err error) int { return r.failAs(tellerSentence(err, r.lang), err) }

// failAs is failure in the words of sentence.
func (r *tellerRun) failAs(sentence string, err error) int {
	exit, outcome := tellerError, "error"
	if refusal(err) {
		exit, outcome = tellerRefused, "refused"
	}
	r.warn(sentence, err)
	if *r.asJSON {
		r.json(tellerErrorJSON{Outcome: outcome, Reason: sentence, ReasonCode: tellerCode(err)})
	}
	return exit
}

// tellerSentence is a failure in the teller's language: teller mode's
// words for the bank and the phone, the commands' for the desk itself.
func tellerSentence(err error, lang string) string {
	if s := app.ExplainTeller(err, lang); s != app.MsgSomethingWrong.Text(lang) || !known(err) {
		return s
	}
	return explain(err, lang)
}

// json prints v as one line.
func (r *tellerRun) json(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"outcome":"error","reason":"the outcome could not be written","reason_code":"desk_error"}`)
	}
	fmt.Fprintln(r.stdout, string(b))
}

// done is a command's outcome: v as JSON with --json, else lines for a
// person.
func (r *tellerRun) done(v any, lines ...string) int {
	if *r.asJSON {
		r.json(v)
		return tellerDone
	}
	for _, l := range lines {
		fmt.Fprintln(r.stdout, l)
	}
	return tellerDone
}

// step shows a step of a tap as it happens (not with --json).
func (r *tellerRun) step(s app.TellerStep) {
	if !*r.asJSON {
		fmt.Fprintln(r.stderr, app.StepText(s, r.lang))
	}
}

// refusal: the bank or the phone said no, as opposed to a failure.
func refusal(err error) bool {
	var be *app.BankError
	return (errors.As(err, &be) && !errors.Is(err, app.ErrBankUnavailable)) ||
		errors.Is(err, app.ErrPhoneRefused) || errors.Is(err, emv.ErrCardRefused) || errors.Is(err, app.ErrNeedsBank)
}

// tellerCode is the stable reason code of a failure, for scripts.
func tellerCode(err error) string {
	var be *app.BankError
	var pin *pinError
	var approver *app.ApproverError
	switch {
	case errors.Is(err, app.ErrCustomerLocked):
		return "customer_locked"
	case errors.As(err, &approver):
		return "approver"
	case errors.Is(err, app.ErrUnloadSigner), errors.Is(err, app.ErrApproverSelf):
		return "bad_input"
	case errors.Is(err, app.ErrNeedsBank):
		return "needs_bank"
	case errors.Is(err, app.ErrTapFirst):
		return "tap_first"
	case errors.Is(err, app.ErrUnfinishedLoad):
		return "unfinished"
	case errors.Is(err, app.ErrBankUnavailable):
		return "bank_unavailable"
	case errors.As(err, &be) && be.Code != "":
		return be.Code
	case errors.Is(err, app.ErrNotTellerDesk):
		return "not_teller_desk"
	case errors.Is(err, app.ErrRole):
		return "role"
	case errors.Is(err, app.ErrOperatorID):
		return "operator_id"
	case errors.Is(err, app.ErrWrongPIN), errors.Is(err, app.ErrLocked), errors.As(err, &pin):
		return "sign_in"
	case errors.Is(err, app.ErrNoteNeeded), errors.Is(err, app.ErrBadPAN), errors.Is(err, app.ErrAmount):
		return "bad_input"
	case errors.Is(err, app.ErrPhoneRefused), errors.Is(err, emv.ErrCardRefused):
		return "phone_refused"
	case errors.Is(err, emv.ErrNoWallet):
		return "no_wallet"
	case errors.Is(err, emv.ErrCardLeft):
		return "phone_left"
	case errors.Is(err, emv.ErrCardAnswer):
		return "phone_answer"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	return "desk_error"
}
