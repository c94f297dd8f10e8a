package cli

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"lingqian/app"
	"lingqian/desk"
	desksync "lingqian/sync"
)

// Exit codes of `lingqian sync`: 0 everything reached the bank,
// exitNotSent some could not be sent (the bank is down: try later), and
// exitError (2) anything else.
const exitNotSent = 1

// syncJSON is what `lingqian sync --json` prints for a pass. Posted,
// pending and rejected are the bank's totals from its reconciliation
// feed; Desk is the desk's journal over the same entries.
type syncJSON struct {
	Sent        int                   `json:"sent"`
	Accepted    int                   `json:"accepted"`
	Posted      app.Totals            `json:"posted"`
	Pending     app.Totals            `json:"pending"`
	Rejected    app.Totals            `json:"rejected"`
	Duplicate   int                   `json:"duplicate"`
	Differences []desksync.Difference `json:"differences"`
	Delivered   bool                  `json:"delivered"`
	Reconciled  bool                  `json:"reconciled"`
	SinceSeq    int64                 `json:"since_seq"`
	Through     int64                 `json:"through"`
	Desk        *desksync.Totals      `json:"desk,omitempty"`
	Errors      []string              `json:"errors,omitempty"`
}

// syncCmd forwards the journal to the bank and reconciles: once, or
// until interrupted.
func syncCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	s := newSpeaker("lingqian sync", args, stdout, stderr)
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	dataDir := fs.String("data", "", "the desk's data folder")
	once := fs.Bool("once", false, "forward, reconcile and refresh once, then exit")
	asJSON := fs.Bool("json", false, "print each pass's summary as JSON")
	interval := fs.Duration("interval", desksync.DefaultInterval, "without --once: how often to forward and reconcile")
	retries := fs.Int("retries", desksync.DefaultRetries, "how often a request the bank could not serve is tried again")
	timeout := fs.Duration("timeout", 0, "with --once: give up after this long (0: when the retries are spent)")
	langFlag(fs)
	if !s.parse(fs, args) {
		return exitError
	}
	if fs.NArg() > 0 {
		return s.refuse(app.MsgCLIUnexpected, fs.Args())
	}
	d, err := s.openDesk(ctx, *dataDir)
	if err != nil {
		return exitError
	}
	defer d.Close()
	if *retries == 0 {
		*retries = -1 // Config reads 0 as "the default"
	}
	client, err := d.BankClient(*retries)
	if err != nil && !d.Enrolled(ctx) {
		return s.fail(s.t(app.MsgCLINotEnrolled), err)
	}
	if err != nil {
		return s.failErr(err)
	}
	f := desksync.NewForwarder(client, d.DB, desksync.Options{Dir: d.Dir, Interval: *interval})
	tty := false
	if file, ok := stdout.(*os.File); ok && isTerminal(file) {
		tty = true
	}
	out := syncPrinter{d: d, speaker: s, json: *asJSON, tty: tty, bank: client.BaseURL()}

	if *once {
		if *timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, *timeout)
			defer cancel()
		}
		stop := make(chan struct{})
		drained := make(chan struct{})
		go func() { // progress while the pass runs
			defer close(drained)
			for {
				select {
				case ev := <-f.Events():
					out.progress(ev)
				case <-stop:
					return
				}
			}
		}()
		ev := f.Pass(ctx, true, true)
		close(stop)
		<-drained
		out.pass(ctx, ev, true)
		return exitCode(ctx, &ev)
	}

	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	var last *desksync.Event
	for {
		select {
		case <-done:
		drain: // passes that ended as the interruption came
			for {
				select {
				case ev := <-f.Events():
					out.event(ctx, ev, &last)
				default:
					break drain
				}
			}
			out.clearLine()
			return finalCode(d, last)
		case ev := <-f.Events():
			out.event(ctx, ev, &last)
		}
	}
}

// event shows an event of a background run and keeps the last whole pass.
func (p *syncPrinter) event(ctx context.Context, ev desksync.Event, last **desksync.Event) {
	if ev.Kind == desksync.EventBatch {
		p.progress(ev)
		return
	}
	if ctx.Err() != nil && ev.Err() != nil {
		return // cut short by the interruption: finalCode looks at the outbox
	}
	*last = &ev
	p.pass(ctx, ev, false)
}

// finalCode is the exit code of a run stopped by an interruption: the last
// whole pass's, or 1 if the outbox still holds entries the bank has not
// acknowledged (a pass cut short may have left some).
func finalCode(d *desk.Desk, last *desksync.Event) int {
	code := exitApproved
	if last != nil {
		code = exitCode(context.Background(), last)
	}
	if code == exitApproved {
		if left, err := d.DB.Unsent(context.Background(), 1); err != nil || len(left) > 0 {
			code = exitNotSent
		}
	}
	return code
}

// exitCode: 0 when the last pass met no error, 1 when every error means
// "the bank could not be reached" (or the run was interrupted), 2 otherwise.
func exitCode(ctx context.Context, ev *desksync.Event) int {
	if ev == nil {
		return exitNotSent
	}
	code := exitApproved
	for _, err := range []error{ev.ForwardErr, ev.ReconcileErr, ev.RefreshErr} {
		switch {
		case err == nil:
		case desksync.Unavailable(err) || ctx.Err() != nil:
			code = max(code, exitNotSent)
		default:
			code = exitError
		}
	}
	return code
}

// explainBank words the bank client's errors for the "errors" of
// `sync --json`: in English, the same for every run, for scripts.
// bankSentence says them to a person.
func explainBank(err error, bankURL string) error {
	var api *desksync.APIError
	var unknownCA x509.UnknownAuthorityError
	switch {
	case errors.Is(err, context.Canceled):
		return errors.New("interrupted")
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("the bank at %s did not answer in the time allowed", bankURL)
	case errors.As(err, &api) && api.Code == "invalid_code":
		return errors.New("the bank does not know this enrolment code, or it was used already; ask the bank for a new one")
	case desksync.Forked(err):
		return desksync.ErrChainForked
	case errors.As(err, &api) && (api.Status == 401 || api.Status == 403):
		return fmt.Errorf("the bank refused this desk (%s: %s); it may have to be enrolled again", api.Code, api.Message)
	case desksync.Unavailable(err):
		return fmt.Errorf("the bank at %s cannot be reached or is not answering (%w)", bankURL, err)
	case errors.As(err, &unknownCA):
		return fmt.Errorf("the server at %s is not the bank: its certificate is not signed by the pinned CA (%w)", bankURL, err)
	}
	return err
}

// syncPrinter shows passes to a person, or as JSON to a script.
type syncPrinter struct {
	d *desk.Desk
	*speaker
	json, tty bool
	bank      string
	shown     bool // a progress line is on the screen
}

// progress redraws the progress line; only on a terminal.
func (p *syncPrinter) progress(ev desksync.Event) {
	if !p.tty || ev.Kind != desksync.EventBatch {
		return
	}
	pr := ev.Progress
	posted := pr.ByState[app.StatePosted]
	posted.Count += pr.ByState[app.StateDuplicate].Count
	posted.Amount += pr.ByState[app.StateDuplicate].Amount
	fmt.Fprint(p.stdout, "\r\033[K"+p.t(app.MsgCLISyncProgress, pr.Sent, posted.Count, app.FormatMoney(posted.Amount), pr.Rejected))
	p.shown = true
}

func (p *syncPrinter) clearLine() {
	if p.shown {
		fmt.Fprint(p.stdout, "\r\033[K")
		p.shown = false
	}
}

// pass prints a pass's summary; a background pass that did nothing is
// not worth a line.
func (p *syncPrinter) pass(ctx context.Context, ev desksync.Event, always bool) {
	p.clearLine()
	s := syncJSON{Sent: ev.Progress.Sent, Accepted: ev.Progress.Accepted, Duplicate: ev.Progress.Duplicate,
		Delivered: ev.Delivered, Differences: []desksync.Difference{}}
	if r := ev.Report; r != nil {
		s.Reconciled, s.Posted, s.Pending, s.Rejected = true, r.Bank.Posted, r.Bank.Pending, r.Bank.Rejected
		s.Differences, s.SinceSeq, s.Through, s.Desk = r.Differences, r.SinceSeq, r.Through, &r.Desk
	}
	var errs []error
	for _, err := range []error{ev.ForwardErr, ev.ReconcileErr, ev.RefreshErr} {
		if err != nil {
			s.Errors = append(s.Errors, explainBank(err, p.bank).Error())
			errs = append(errs, err)
		}
	}
	quiet := s.Sent == 0 && len(s.Differences) == 0 && len(s.Errors) == 0 && (ev.Report == nil || ev.Report.Updated == 0)
	if !always && quiet {
		return
	}
	if p.json {
		b, err := json.Marshal(s)
		if err == nil {
			fmt.Fprintf(p.stdout, "%s\n", b)
		}
	} else {
		p.text(ev, s, !always)
	}
	for _, err := range errs {
		p.warn(bankSentence(err, p.bank, p.lang), err)
	}
	if !ev.Delivered {
		// The run's context may be spent (--timeout); the journal is local.
		if pend, err := p.d.DB.Pending(context.WithoutCancel(ctx)); err == nil && pend.Count == 1 {
			p.warn(p.t(app.MsgCLISyncNotPosted1, app.FormatMoney(pend.Amount)), nil)
		} else if err == nil && pend.Count > 1 {
			p.warn(p.t(app.MsgCLISyncNotPosted, pend.Count, app.FormatMoney(pend.Amount)), nil)
		}
	}
}

func (p *syncPrinter) text(ev desksync.Event, s syncJSON, stamp bool) {
	w := p.stdout
	if stamp { // a background pass: say when
		fmt.Fprintf(w, "%s ", ev.At.Format(time.TimeOnly))
	}
	p.say(app.MsgCLISyncSent, s.Sent, p.bank, s.Accepted, s.Duplicate, ev.Progress.Rejected)
	if r := ev.Report; r != nil {
		tot := func(state string, t app.Totals) string {
			return p.t(app.MsgCLISyncTotal, stateText(state, p.lang), t.Count, app.FormatMoney(t.Amount))
		}
		p.say(app.MsgCLISyncBank, tot("posted", r.Bank.Posted), tot("pending", r.Bank.Pending), tot("rejected", r.Bank.Rejected))
		p.say(app.MsgCLISyncDesk, tot("posted", r.Desk.Posted), tot("pending", r.Desk.Pending), tot("rejected", r.Desk.Rejected), r.SinceSeq)
		if len(r.Differences) == 0 {
			p.say(app.MsgCLISyncAgree)
		}
		for _, d := range r.Differences {
			p.say(app.MsgCLISyncEntry, d.Seq, describe(d, p.lang))
		}
	}
	if ev.Hotlist != nil {
		p.say(app.MsgCLISyncKeys, ev.CAKeys, ev.Hotlist.Version, wallets(len(ev.Hotlist.PANs), p.lang))
	}
}

// describe says a difference in a sentence.
func describe(d desksync.Difference, lang string) string {
	m := func(v int64) string { return app.FormatMoney(app.Money(v)) }
	switch d.Kind {
	case desksync.DiffMissing:
		return app.MsgCLIDiffMissing.Textf(lang, stateText(d.DeskState, lang), m(d.DeskAmount))
	case desksync.DiffDuplicate:
		return app.MsgCLIDiffDuplicate.Textf(lang, m(d.BankAmount))
	case desksync.DiffAmountMismatch:
		return app.MsgDiffAmount.Textf(lang, m(d.DeskAmount), m(d.BankAmount))
	case desksync.DiffRejected:
		return app.MsgCLIDiffRejected.Textf(lang, d.Reason, m(d.BankAmount))
	case desksync.DiffKeyMismatch:
		return app.MsgCLIDiffKeyMismatch.Textf(lang, d.Key)
	case desksync.DiffUnknown:
		return app.MsgCLIDiffUnknown.Textf(lang, d.Key, m(d.BankAmount))
	case desksync.DiffStateMismatch:
		return app.MsgDiffState.Textf(lang, stateText(d.DeskState, lang), stateText(d.BankState, lang))
	}
	return d.Kind
}
