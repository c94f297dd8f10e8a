package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
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

// tellerRun is one teller command: its flags, its language and output.
type tellerRun struct {
	name           string
	fs             *flag.FlagSet
	data, operator *string
	capk, reader   *string
	lang           *string
	asJSON         *bool
	timeout        *time.Duration
	stdin          io.Reader
	stdout, stderr io.Writer
}

func teller(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		lang := langAsked(args)
		fmt.Fprint(stderr, tellerUsage(lang))
		return tellerError
	}
	sub, args := args[0], args[1:]
	run := newTellerRun(sub, stdin, stdout, stderr)
	cmds := map[string]func(context.Context, *tellerRun, []string) int{
		"load": tellerLoad, "unload": tellerUnload, "lookup": tellerLookup, "statement": tellerStatement,
		"hotlist": tellerHotlist, "exceptions": tellerExceptions, "reentry": tellerReentry,
	}
	cmd, ok := cmds[sub]
	if !ok {
		lang := langAsked(args)
		fmt.Fprintf(stderr, "lingqian teller: %s\n\n%s", app.MsgCLITellerNotACommand.Textf(lang, sub), tellerUsage(lang))
		return tellerError
	}
	return cmd(ctx, run, args)
}

func newTellerRun(sub string, stdin io.Reader, stdout, stderr io.Writer) *tellerRun {
	fs := flag.NewFlagSet("teller "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	r := &tellerRun{name: "lingqian teller " + sub, fs: fs, stdin: stdin, stdout: stdout, stderr: stderr}
	r.data = fs.String("data", "", "the desk's data folder")
	r.operator = fs.String("operator", "", "the teller's operator id (PIN read from standard input)")
	r.asJSON = fs.Bool("json", false, "print the outcome as one line of JSON, whatever it is")
	r.lang = fs.String("lang", defaultLanguage(), "language of what the command says: en or zh-Hans")
	return r
}

// phoneFlags adds the flags of a command that taps a phone.
func (r *tellerRun) phoneFlags() {
	r.reader = r.fs.String("reader", "", "card reader to use (default: the first phone presented on any reader)")
	r.capk = r.fs.String("capk", "", "extra CA public key file (JSON)")
	r.timeout = r.fs.Duration("timeout", 30*time.Second, "how long to wait for the phone")
}

// parse reads the flags; false when the command stops (its answer printed).
func (r *tellerRun) parse(args []string) (int, bool) {
	err := r.fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		r.fs.SetOutput(r.stderr)
		fmt.Fprintln(r.stderr, app.MsgCLIFlagsOf.Textf(*r.lang, r.name))
		r.fs.PrintDefaults()
		return 0, false
	}
	if !spoken(*r.lang) {
		*r.lang = langAsked(args)
		if err == nil {
			err = badInput(app.MsgCLIBadLang, r.fs.Lookup("lang").Value.String())
		}
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
	if err != nil {
		if !*r.asJSON && jsonAsked(args) {
			*r.asJSON = true
		}
		return r.fail(err, "bad_input"), false
	}
	return 0, true
}

// open opens the desk, signs the operator in and assembles teller mode.
func (r *tellerRun) open(ctx context.Context) (*app.Teller, app.Operator, func(), error) {
	d, err := desk.Open(ctx, *r.data)
	if err != nil {
		return nil, app.Operator{}, nil, err
	}
	op, err := r.signIn(ctx, d)
	if err != nil {
		d.Close()
		return nil, app.Operator{}, nil, err
	}
	reader, capk := "", ""
	if r.reader != nil {
		reader, capk = *r.reader, *r.capk
	}
	t, closeReader, err := d.Teller(ctx, reader, capk)
	if err != nil {
		d.Close()
		return nil, app.Operator{}, nil, err
	}
	if r.timeout != nil {
		t.Reader = timedReader{Reader: t.Reader, wait: *r.timeout}
	}
	return t, op, func() { closeReader(); d.Close() }, nil
}

// signIn reads the operator's PIN from the next line of standard input.
func (r *tellerRun) signIn(ctx context.Context, d *desk.Desk) (app.Operator, error) {
	id := strings.TrimSpace(*r.operator)
	if f, ok := r.stdin.(*os.File); ok && isTerminal(f) {
		fmt.Fprintf(r.stderr, "PIN %s: ", id)
	}
	var pin string
	var err error
	if r.stdin != nil {
		pin, err = readLine(r.stdin)
	}
	if r.stdin == nil || err != nil {
		return app.Operator{}, fmt.Errorf("reading the PIN of %s: %w", id, app.ErrWrongPIN)
	}
	staff := &app.Staff{Store: d.DB, Audit: d.DB}
	op, err := staff.SignIn(ctx, id, pin)
	if err != nil {
		return app.Operator{}, fmt.Errorf("%s: %w", id, err)
	}
	return op, nil
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

// tellerError is the JSON of a command that did not get done.
type tellerErrorJSON struct {
	Outcome    string `json:"outcome"` // refused | error
	Reason     string `json:"reason"`
	ReasonCode string `json:"reason_code"`
}

// fail prints why the command did not get done and answers its exit code.
func (r *tellerRun) fail(err error, code string) int {
	if code == "" {
		code = tellerCode(err)
	}
	exit := tellerError
	if refusal(err) {
		exit = tellerRefused
	}
	reason := app.ExplainTeller(err, *r.lang)
	var typed inputError
	switch {
	case errors.As(err, &typed):
		reason = typed.In(*r.lang)
	case code == "bad_input":
		reason = app.MsgCLIBadFlags.Text(*r.lang)
	}
	detail := err
	if reason == err.Error() || errors.As(err, &typed) {
		detail = nil // a typing mistake needs no detail for the log
	}
	fmt.Fprintf(r.stderr, "%s: %s\n", r.name, withDetail(reason, detail))
	if *r.asJSON {
		outcome := "error"
		if exit == tellerRefused {
			outcome = "refused"
		}
		r.json(tellerErrorJSON{Outcome: outcome, Reason: reason, ReasonCode: code})
	}
	return exit
}

// json prints v as one line.
func (r *tellerRun) json(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"outcome":"error","reason":"the outcome could not be written","reason_code":"desk_error"}`)
	}
	fmt.Fprintln(r.stdout, string(b))
}

// say prints a line for a person (not with --json).
func (r *tellerRun) say(format string, args ...any) {
	if !*r.asJSON {
		fmt.Fprintf(r.stdout, format+"\n", args...)
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
	switch {
	case errors.Is(err, app.ErrNeedsBank):
		return "needs_bank"
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
	case errors.Is(err, app.ErrWrongPIN), errors.Is(err, app.ErrLocked):
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
