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
	"lingqian/desk"
	reportdoc "lingqian/report"
)

func report(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "", "the desk's data folder")
	x := fs.Bool("x", false, "X report: the day so far")
	z := fs.Bool("z", false, "Z report: close the day (numbered, kept for ever)")
	number := fs.Int64("number", 0, "with --z: reprint Z report N instead of closing the day")
	by := fs.String("by", "", "with --z: the supervisor closing the day (PIN from standard input)")
	format := fs.String("format", "text", "text, csv, json or pdf")
	out := fs.String("out", "", "write the report to this file (replaced whole, never half-written); pdf needs it")
	lang := fs.String("lang", defaultLanguage(), "language of csv and pdf: en or zh-Hans")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if *x == *z {
		fmt.Fprintln(stderr, "lingqian report: give exactly one of --x and --z")
		return exitError
	}
	switch *format {
	case "text", "csv", "json":
	case "pdf":
		if *out == "" {
			fmt.Fprintln(stderr, "lingqian report: a PDF is written to a file, not to the terminal: add --out FILE")
			return exitError
		}
	default:
		fmt.Fprintf(stderr, "lingqian report: format %q: use text, csv, json or pdf\n", *format)
		return exitError
	}
	if *lang != app.English && *lang != app.SimplifiedChinese {
		fmt.Fprintf(stderr, "lingqian report: language %q: use en or zh-Hans\n", *lang)
		return exitError
	}
	// The file is opened before the day is closed: a Z report is not
	// closed for a file that cannot be written.
	var file *atomicFile
	if *out != "" {
		var err error
		if file, err = createAtomic(*out); err != nil {
			fmt.Fprintf(stderr, "lingqian report: %v\n", err)
			return exitError
		}
		defer file.discard()
	}
	d, err := desk.Open(ctx, *dataDir)
	if err != nil {
		fmt.Fprintf(stderr, "lingqian report: %v\n", err)
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
		r, err = eod.Z(ctx, *number)
	default:
		var op app.Operator
		if *by == "" {
			err = fmt.Errorf("closing the day needs a supervisor: add --by ID")
		} else if op, err = signIn(ctx, d, *by, stdin, stderr); err == nil {
			if r, err = eod.Close(ctx, op); errors.Is(err, app.ErrRole) {
				err = fmt.Errorf("%s is a %s: %w", op.ID, op.Role, err)
			}
			closed = err == nil
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "lingqian report: %v\n", err)
		return exitError
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
		err = reportdoc.CSV(w, r, *lang)
	case "pdf":
		err = reportdoc.PDF(w, r, reportdoc.Shop{Name: d.Name, MerchantID: d.Merchant, TerminalID: d.Terminal}, *lang)
	default:
		err = writeReportText(w, r)
	}
	if err == nil && file != nil {
		err = file.commit()
	}
	if err != nil {
		fmt.Fprintf(stderr, "lingqian report: %v\n", err)
		if closed {
			fmt.Fprintf(stderr, "lingqian report: the day is closed all the same: Z report %d is kept; write it again with --z --number %d\n", r.Number, r.Number)
		}
		return exitError
	}
	if file != nil {
		name := "X report"
		if r.Kind == "Z" {
			name = fmt.Sprintf("Z report no. %d", r.Number)
		}
		fmt.Fprintf(stdout, "%s written to %s\n", name, *out)
	}
	return 0
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
		return nil, fmt.Errorf("cannot write %s: %w", name, err)
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

func writeReportText(w io.Writer, r app.Report) error {
	b := &bytes.Buffer{}
	title := "X report (the day so far)"
	if r.Kind == "Z" {
		title = fmt.Sprintf("Z report no. %d", r.Number)
	}
	fmt.Fprintf(b, "%s\nterminal %s  merchant %s  made %s\nentries %d to %d\n\n", title, r.Terminal, r.Merchant,
		r.Made.Format("2006-01-02 15:04:05"), r.FirstSeq, r.LastSeq)
	for _, row := range []struct {
		name string
		t    app.Totals
	}{{"posted", r.Posted}, {"pending", r.Pending}, {"rejected", r.Rejected}, {"voided", r.Voided}} {
		fmt.Fprintf(b, "%-10s %6d  %14s\n", row.name, row.t.Count, app.FormatMoney(row.t.Amount))
	}
	if len(r.ByCashier) > 0 {
		fmt.Fprintln(b, "\nby cashier")
		for _, id := range sortedKeys(r.ByCashier) {
			t := r.ByCashier[id]
			fmt.Fprintf(b, "  %-16s %6d  %14s\n", id, t.Count, app.FormatMoney(t.Amount))
		}
	}
	if len(r.Hash) > 0 {
		fmt.Fprintf(b, "\nseal %s\n", hex.EncodeToString(r.Hash))
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
