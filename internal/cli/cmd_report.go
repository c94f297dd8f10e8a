package cli

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"lingqian/app"
	reportdoc "lingqian/report"
)

func report(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := newSpeaker("lingqian report", args, stdout, stderr)
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	dataDir := fs.String("data", "", "the desk's data folder")
	x := fs.Bool("x", false, "X report: the day so far")
	z := fs.Bool("z", false, "Z report: close the day (numbered, kept for ever)")
	number := fs.Int64("number", 0, "with --z: reprint Z report N instead of closing the day")
	by := fs.String("by", "", "with --z: the supervisor closing the day (PIN from standard input)")
	format := fs.String("format", "text", "text, csv, json or pdf")
	out := fs.String("out", "", "write the report to this file (replaced whole, never half-written); pdf needs it")
	fs.String("lang", defaultLanguage(), "language of the report and of what the command says: en or zh-Hans")
	if !s.parse(fs, args) {
		return exitError
	}
	if *x == *z {
		return s.refuse(app.MsgCLIReportOneOf)
	}
	switch *format {
	case "text", "csv", "json":
	case "pdf":
		if *out == "" {
			return s.refuse(app.MsgCLIReportPDFNeedsOut)
		}
	default:
		return s.refuse(app.MsgCLIReportBadFormat, *format)
	}
	// The file is opened before the day is closed: a Z report is not
	// closed for a file that cannot be written.
	var file *atomicFile
	if *out != "" {
		var err error
		if file, err = createAtomic(*out); err != nil {
			return s.fail(s.t(app.MsgCLIReportCannotWrite, *out), err)
		}
		defer file.discard()
	}
	d, err := s.openDesk(ctx, *dataDir)
	if err != nil {
		return exitError
	}
	defer d.Close()

	eod := &app.EndOfDay{Store: d.DB, Terminal: d.Terminal, Merchant: d.Merchant}
	var r app.Report
	closed := false
	switch {
	case *x:
		r, err = eod.X(ctx)
	case *number > 0:
		if r, err = eod.Z(ctx, *number); errors.Is(err, app.ErrNotFound) {
			return s.fail(s.t(app.MsgCLIReportNoZ, *number), err)
		}
	default:
		var op app.Operator
		if *by == "" {
			return s.refuse(app.MsgCLIReportNeedsSuper)
		}
		if op, err = signIn(ctx, d, *by, stdin, stderr, s.lang); err == nil {
			if r, err = eod.Close(ctx, op); errors.Is(err, app.ErrRole) {
				err = fmt.Errorf("%s is a %s: %w", op.ID, op.Role, err)
			}
			closed = err == nil
		}
	}
	if err != nil {
		return s.failErr(err)
	}

	var w io.Writer = stdout
	if file != nil {
		w = file
	}
	switch *format {
	case "json":
		b, _ := json.MarshalIndent(r, "", "  ")
		_, err = fmt.Fprintln(w, string(b))
	case "csv":
		err = reportdoc.CSV(w, r, s.lang)
	case "pdf":
		err = reportdoc.PDF(w, r, reportdoc.Shop{Name: d.Name, MerchantID: d.Merchant, TerminalID: d.Terminal}, s.lang)
	default:
		err = writeReportText(w, r, s.lang)
	}
	if err == nil && file != nil {
		err = file.commit()
	}
	if err != nil {
		if file != nil {
			s.warn(s.t(app.MsgCLIReportCannotWrite, *out), err)
		} else {
			s.warn(explain(err, s.lang), err)
		}
		if closed {
			s.warn(s.t(app.MsgCLIReportClosedAnyway, r.Number, r.Number), nil)
		}
		return exitError
	}
	if file != nil {
		s.say(app.MsgCLIReportWritten, reportName(r, s.lang), *out)
	}
	return 0
}

// reportName is "X report" or "Z report no. N".
func reportName(r app.Report, lang string) string {
	if r.Kind == "Z" {
		return app.MsgReportZTitle.Textf(lang, r.Number)
	}
	return app.MsgCLIReportXName.Text(lang)
}

// atomicFile is a file written beside its final name and renamed over it
// once whole, so that nobody ever finds half a report there.
type atomicFile struct {
	*os.File
	name string
	done bool
}

func createAtomic(name string) (*atomicFile, error) {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("creating a file beside %s: %w", name, err)
	}
	return &atomicFile{File: f, name: name}, nil
}

// commit makes the file whole under its name.
func (a *atomicFile) commit() error {
	err := a.Sync()
	if cerr := a.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(a.File.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(a.File.Name(), a.name)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", a.name, err)
	}
	a.done = true
	return nil
}

// discard removes the file unless it was committed.
func (a *atomicFile) discard() {
	if !a.done {
		a.Close()
		os.Remove(a.File.Name())
	}
}

func writeReportText(w io.Writer, r app.Report, lang string) error {
	b := &bytes.Buffer{}
	title := app.MsgXReport.Text(lang)
	if r.Kind == "Z" {
		title = app.MsgReportZTitle.Textf(lang, r.Number)
	}
	fmt.Fprintf(b, "%s\n%s\n%s\n\n", title,
		app.MsgCLIReportHeader.Textf(lang, r.Terminal, r.Merchant, r.Made.Format("2006-01-02 15:04:05")),
		app.MsgCLIReportEntries.Textf(lang, r.FirstSeq, r.LastSeq))
	for _, row := range []struct {
		state string
		t     app.Totals
	}{{"posted", r.Posted}, {"pending", r.Pending}, {"rejected", r.Rejected}, {"voided", r.Voided}} {
		fmt.Fprintf(b, "%s %6d  %14s\n", pad(stateText(row.state, lang), 10), row.t.Count, app.FormatMoney(row.t.Amount))
	}
	if len(r.ByCashier) > 0 {
		fmt.Fprintf(b, "\n%s\n", app.MsgCLIReportByCashier.Text(lang))
		for _, id := range sortedKeys(r.ByCashier) {
			t := r.ByCashier[id]
			fmt.Fprintf(b, "  %s %6d  %14s\n", pad(id, 16), t.Count, app.FormatMoney(t.Amount))
		}
	}
	if len(r.Hash) > 0 {
		fmt.Fprintf(b, "\n%s\n", app.MsgCLIReportSeal.Textf(lang, hex.EncodeToString(r.Hash)))
	}
	_, err := w.Write(b.Bytes())
	return err
}

func sortedKeys(m map[string]app.Totals) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
