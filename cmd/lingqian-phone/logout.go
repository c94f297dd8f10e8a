package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"lingqian/wallet"
)

// logout ends the bank session kept beside the wallet (by apply or
// upload) at the bank, and forgets it: a copy of the token is refused
// from then on. The next upload logs in again with --user and --password.
func logout(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("logout", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("wallet", "", "the wallet file (required)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "lingqian-phone logout: %v\n", err)
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return fail(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	case *path == "":
		return fail(errors.New("--wallet FILE is required"))
	}
	link, err := wallet.ReadLink(*path)
	if err != nil {
		return fail(err)
	}
	if link.Token == "" {
		fmt.Fprintf(stdout, "no bank session is kept for %s\n", *path)
		return 0
	}
	ca, err := os.ReadFile(link.CA)
	if err != nil {
		return fail(fmt.Errorf("the bank's CA certificate: %w", err))
	}
	b, err := wallet.NewBankClient(link.Bank, ca)
	if err != nil {
		return fail(err)
	}
	b.SetToken(link.Token)
	if err := b.Logout(ctx); err != nil {
		return fail(explain(err, link.Bank, link.CA, link.User, 0))
	}
	link.Token, link.Expires = "", time.Time{}
	if err := link.Save(*path); err != nil {
		return fail(fmt.Errorf("the session is ended at the bank, but %w", err))
	}
	fmt.Fprintf(stdout, "logged out of %s\n", link.Bank)
	return 0
}
