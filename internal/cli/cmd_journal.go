package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"lingqian/desk"
	"strconv"
)

func journal(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprintln(stderr, "usage: lingqian journal verify [--data DIR]")
		return exitError
	}
	fs := flag.NewFlagSet("journal verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "", "the desk's data folder")
	if err := fs.Parse(args[1:]); err != nil {
		return exitError
	}
	d, err := desk.Open(ctx, *dataDir)
	if err != nil {
		fmt.Fprintf(stderr, "lingqian journal verify: %v\n", err)
		return exitError
	}
	defer d.Close()
	brk, err := d.DB.Verify(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "lingqian journal verify: %v\n", err)
		return exitError
	}
	if brk != nil {
		fmt.Fprintf(stdout, "journal BROKEN at entry %d: %s\n", brk.Seq, brk.Reason)
		return 1
	}
	last, err := d.DB.LastSeq(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "lingqian journal verify: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "journal intact: entries 1 to %s chain without a gap\n", strconv.FormatInt(last, 10))
	return 0
}

func void(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("void", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "", "the desk's data folder")
	seq := fs.Int64("seq", 0, "the journal entry of the purchase to void")
	by := fs.String("by", "", "the supervisor voiding it (PIN from standard input)")
	reason := fs.String("reason", "", "why, for the audit log")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	if *seq <= 0 || *by == "" || *reason == "" {
		fmt.Fprintln(stderr, "usage: lingqian void --seq N --by SUPERVISOR --reason TEXT (PIN from standard input)")
		return exitError
	}
	d, err := desk.Open(ctx, *dataDir)
	if err != nil {
		fmt.Fprintf(stderr, "lingqian void: %v\n", err)
		return exitError
	}
	defer d.Close()
	op, err := signIn(ctx, d, *by, stdin, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "lingqian void: %v\n", err)
		return exitError
	}
	co, closeReader, err := d.Checkout(ctx, "", "")
	if err != nil {
		fmt.Fprintf(stderr, "lingqian void: %v\n", err)
		return exitError
	}
	defer closeReader()
	e, err := co.Void(ctx, *seq, op, *reason)
	if err != nil {
		fmt.Fprintf(stderr, "lingqian void: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "purchase %d voided by entry %d\n", *seq, e.Seq)
	return 0
}
