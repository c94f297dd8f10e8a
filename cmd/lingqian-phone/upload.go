package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"lingqian/wallet"
)

// upload sends the deducted voucher and the offline purchase records the
// bank does not have yet. The bank, its CA and the session come from the
// link saved beside the wallet by apply; flags override them.
func upload(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("upload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("wallet", "", "the wallet file (required)")
	bankURL := fs.String("bank", "", "the bank (default: the one the wallet came from)")
	caPath := fs.String("ca", "", "the bank's CA certificate (default: the one given at apply)")
	user := fs.String("user", "", "log in again as this customer (with --password)")
	password := fs.String("password", "", "the customer's password, when the session has ended")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "lingqian-phone upload: %v\n", err)
		return 2
	}
	if fs.NArg() > 0 {
		return fail(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if *path == "" {
		return fail(errors.New("--wallet FILE is required"))
	}
	c, err := wallet.Open(*path)
	if err != nil {
		return fail(err)
	}
	link, err := wallet.ReadLink(*path)
	if errors.Is(err, wallet.ErrNoLink) {
		link, err = &wallet.BankLink{AtBank: []uint16{}}, nil
	}
	if err != nil {
		return fail(err)
	}
	if *bankURL != "" {
		link.Bank = *bankURL
	}
	if *caPath != "" {
		if abs, err := filepath.Abs(*caPath); err == nil {
			link.CA = abs
		}
	}
	if *user != "" {
		link.User = *user
	}
	if link.Bank == "" || link.CA == "" {
		return fail(fmt.Errorf("%s did not come from a bank (no %s): give --bank and --ca", *path, wallet.LinkPath(*path)))
	}
	ca, err := os.ReadFile(link.CA)
	if err != nil {
		return fail(fmt.Errorf("the bank's CA certificate: %w", err))
	}
	b, err := wallet.NewBankClient(link.Bank, ca)
	if err != nil {
		return fail(err)
	}
	switch {
	case *password != "":
		if link.User == "" {
			return fail(errors.New("--password needs --user"))
		}
		s, err := b.Login(ctx, link.User, *password)
		if err != nil {
			return fail(explain(err, link.Bank, link.CA, link.User, 0))
		}
		link.Token, link.Expires = s.Token, s.Expires
	case link.Token == "" || (!link.Expires.IsZero() && time.Now().After(link.Expires)):
		return fail(errors.New("the bank session has ended; run upload again with --user and --password"))
	default:
		b.SetToken(link.Token)
	}
	res, err := b.Upload(ctx, c, link)
	if err != nil {
		return fail(explain(err, link.Bank, link.CA, link.User, 0))
	}
	if *asJSON {
		out, err := json.Marshal(res)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "%s\n", out)
		return 0
	}
	fmt.Fprintf(stdout, "uploaded to %s: balance %s at ATC %d; %d records sent: %d accepted, %d the bank had already, %d refused\n",
		link.Bank, money(res.Balance, c.Currency()), res.ATC, res.Sent, res.Accepted, res.Duplicate, len(res.Rejected))
	for _, r := range res.Rejected {
		fmt.Fprintf(stdout, "  refused: the purchase at ATC %d (%s)\n", r.ATC, r.Reason)
	}
	return 0
}
