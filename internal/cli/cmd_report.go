package cli

import (
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"

	"lingqian/app"
	"lingqian/desk"
)

func report(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "", "the desk's data folder")
	x := fs.Bool("x", false, "X report: the day so far")
	z := fs.Bool("z", false, "Z report: close the day (numbered, kept for ever)")
	number := fs.Int64("number", 0, "with --z: reprint Z report N instead of closing the day")
	by := fs.String("by", "", "with --z: the supervisor closing the day (PIN from standard input)")
	format := fs.String("format", "text", "text, csv or json")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if *x == *z {
		fmt.Fprintln(stderr, "lingqian report: give exactly one of --x and --z")
		return exitError
	}
	if *format != "text" && *format != "csv" && *format != "json" {
		fmt.Fprintf(stderr, "lingqian report: format %q: use text, csv or json\n", *format)
		return exitError
	}
	d, err := desk.Open(ctx, *dataDir)
	if err != nil {
		fmt.Fprintf(stderr, "lingqian report: %v\n", err)
		return exitError
	}
	defer d.Close()

	eod := &app.EndOfDay{Store: d.DB, Terminal: d.Terminal, Merchant: d.Merchant}
	var r app.Report
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
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "lingqian report: %v\n", err)
		return exitError
	}
	switch *format {
	case "json":
		b, _ := json.MarshalIndent(r, "", "  ")
		fmt.Fprintln(stdout, string(b))
	case "csv":
		writeReportCSV(stdout, r)
	default:
		writeReportText(stdout, r)
	}
	return 0
}

func writeReportText(w io.Writer, r app.Report) {
	title := "X report (the day so far)"
	if r.Kind == "Z" {
		title = fmt.Sprintf("Z report no. %d", r.Number)
	}
	fmt.Fprintf(w, "%s\nterminal %s  merchant %s  made %s\nentries %d to %d\n\n", title, r.Terminal, r.Merchant,
		r.Made.Format("2006-01-02 15:04:05"), r.FirstSeq, r.LastSeq)
	for _, row := range []struct {
		name string
		t    app.Totals
	}{{"posted", r.Posted}, {"pending", r.Pending}, {"rejected", r.Rejected}, {"voided", r.Voided}} {
		fmt.Fprintf(w, "%-10s %6d  %14s\n", row.name, row.t.Count, app.FormatMoney(row.t.Amount))
	}
	if len(r.ByCashier) > 0 {
		fmt.Fprintln(w, "\nby cashier")
		for _, id := range sortedKeys(r.ByCashier) {
			t := r.ByCashier[id]
			fmt.Fprintf(w, "  %-16s %6d  %14s\n", id, t.Count, app.FormatMoney(t.Amount))
		}
	}
	if len(r.Hash) > 0 {
		fmt.Fprintf(w, "\nseal %s\n", hex.EncodeToString(r.Hash))
	}
}

func writeReportCSV(w io.Writer, r app.Report) {
	c := csv.NewWriter(w)
	_ = c.Write([]string{"report", "number", "group", "key", "count", "amount"})
	num := strconv.FormatInt(r.Number, 10)
	row := func(group, key string, t app.Totals) {
		_ = c.Write([]string{r.Kind, num, group, key, strconv.Itoa(t.Count), app.FormatMoney(t.Amount)})
	}
	row("state", "posted", r.Posted)
	row("state", "pending", r.Pending)
	row("state", "rejected", r.Rejected)
	row("state", "voided", r.Voided)
	for _, id := range sortedKeys(r.ByCashier) {
		row("cashier", id, r.ByCashier[id])
	}
	for h, t := range r.ByHour {
		if t.Count > 0 {
			row("hour", fmt.Sprintf("%02d", h), t)
		}
	}
	c.Flush()
}

func sortedKeys(m map[string]app.Totals) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
