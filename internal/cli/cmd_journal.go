package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"lingqian/app"
)

func journal(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	s := newSpeaker("lingqian journal verify", args, stdout, stderr)
	if len(args) == 0 || args[0] != "verify" {
		s.name = "lingqian journal"
		return s.refuse(app.MsgCLIJournalUsage)
	}
	fs := flag.NewFlagSet("journal verify", flag.ContinueOnError)
	dataDir := fs.String("data", "", "the desk's data folder")
	langFlag(fs)
	if !s.parse(fs, args[1:]) {
		return exitError
	}
	d, err := s.openDesk(ctx, *dataDir)
	if err != nil {
		return exitError
	}
	defer d.Close()
	r, err := d.DB.VerifyAll(ctx)
	if err != nil {
		return s.failErr(err)
	}
	// Findings are not failures of the command: on standard output, what
	// broke in the store's words as its detail, and exit 1.
	code := 0
	switch {
	case r.Journal != nil:
		fmt.Fprintln(s.stdout, withDetail(s.t(app.MsgCLIJournalBroken, r.Journal.Seq), errors.New(r.Journal.Reason)))
		code = 1
	case r.JournalLast == 0:
		s.say(app.MsgCLIJournalEmpty)
	default:
		s.say(app.MsgCLIJournalIntact, r.JournalLast)
	}
	switch {
	case r.Audit != nil:
		reason := r.Audit.Reason
		if r.Audit.Row > 0 {
			reason = fmt.Sprintf("audit row %d: %s", r.Audit.Row, reason)
		}
		fmt.Fprintln(s.stdout, withDetail(s.t(app.MsgAuditBroken), errors.New(reason)))
		code = 1
	case r.AuditLast == 0:
		s.say(app.MsgAuditEmpty)
	default:
		s.say(app.MsgAuditIntact, r.AuditLast)
	}
	return code
}

func void(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := newSpeaker("lingqian void", args, stdout, stderr)
	fs := flag.NewFlagSet("void", flag.ContinueOnError)
	dataDir := fs.String("data", "", "the desk's data folder")
	seq := fs.Int64("seq", 0, "the journal entry of the purchase to void")
	by := fs.String("by", "", "the supervisor voiding it (PIN from standard input)")
	reason := fs.String("reason", "", "why, for the audit log")
	langFlag(fs)
	if !s.parse(fs, args) {
		return exitError
	}
	if *seq <= 0 || *by == "" || *reason == "" {
		return s.refuse(app.MsgCLIVoidUsage)
	}
	d, err := s.openDesk(ctx, *dataDir)
	if err != nil {
		return exitError
	}
	defer d.Close()
	op, err := signIn(ctx, d, *by, stdin, stderr, s.lang)
	if err != nil {
		return s.failErr(err)
	}
	co, closeReader, err := d.Checkout(ctx, "", "")
	if err != nil {
		return s.failErr(err)
	}
	defer closeReader()
	e, err := co.Void(ctx, *seq, op, *reason)
	if errors.Is(err, app.ErrNotFound) {
		return s.fail(s.t(app.MsgCLIVoidNoEntry, *seq), err)
	}
	if err != nil {
		return s.failErr(err)
	}
	s.say(app.MsgCLIVoidDone, *seq, e.Seq)
	return 0
}
