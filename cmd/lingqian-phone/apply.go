package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"lingqian/wallet"
)

// apply asks the bank for a voucher: the phone logs in, makes its ICC key
// pair, and the bank certifies it and loads e-cash from the customer's
// deposit. The bank's address and CA are saved beside the wallet for
// later uploads.
func apply(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("apply", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("wallet", "", "the wallet file to make (required)")
	bankURL := fs.String("bank", "", "the bank, e.g. https://127.0.0.1:8443 (required)")
	caPath := fs.String("ca", "", "the bank's CA certificate, the only one trusted (required)")
	user := fs.String("user", "", "the customer's user name at the bank (required)")
	password := fs.String("password", "", "the customer's password (required)")
	load := fs.Int64("load", 0, "e-cash to load from the deposit account, in minor units (fen): 50000 is 500.00")
	keyBits := fs.Int("key-bits", wallet.DefaultKeyBits, "the phone's ICC RSA key size")
	force := fs.Bool("force", false, "replace an existing wallet file (its balance and log are lost)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "lingqian-phone apply: %v\n", err)
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return fail(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	case *path == "" || *bankURL == "" || *caPath == "" || *user == "" || *password == "":
		return fail(errors.New("--wallet, --bank, --ca, --user and --password are all required"))
	case *load <= 0:
		return fail(fmt.Errorf("--load %d: say how much e-cash to load, in fen (50000 is 500.00)", *load))
	}
	// Refuse before the bank moves any money, not after.
	if _, err := os.Stat(*path); err == nil && !*force {
		return fail(fmt.Errorf("%s already holds a wallet; add --force to replace it (its balance and log are lost)", *path))
	}
	ca, err := os.ReadFile(*caPath)
	if err != nil {
		return fail(fmt.Errorf("the bank's CA certificate: %w", err))
	}
	b, err := wallet.NewBankClient(*bankURL, ca)
	if err != nil {
		return fail(err)
	}
	session, err := b.Login(ctx, *user, *password)
	if err != nil {
		return fail(explain(err, *bankURL, *caPath, *user, *load))
	}
	c, _, err := b.Apply(ctx, *path, *load, wallet.CreateOptions{KeyBits: *keyBits, Overwrite: *force})
	if err != nil {
		return fail(explain(err, *bankURL, *caPath, *user, *load))
	}
	absCA, err := filepath.Abs(*caPath)
	if err != nil {
		absCA = *caPath
	}
	link := &wallet.BankLink{Bank: b.URL(), CA: absCA, User: *user, Token: session.Token, Expires: session.Expires, AtBank: []uint16{}}
	if err := link.Save(*path); err != nil {
		fmt.Fprintf(stderr, "lingqian-phone apply: the wallet is made, but %v; give upload --bank and --ca\n", err)
	}
	p := c.Personalisation()
	fmt.Fprintf(stdout, "wallet %s: PAN %s, PSN %s, balance %s, expires %s\n", *path, c.PAN(), c.PSN(), money(c.Balance(), c.Currency()), p.Expiry)
	fmt.Fprintf(stdout, "loaded from %s's deposit account at %s\n", *user, b.URL())
	return 0
}

// explain turns the bank client's errors into sentences for the customer.
func explain(err error, bankURL, caPath, user string, load int64) error {
	var be *wallet.BankError
	if errors.As(err, &be) {
		switch be.Code {
		case "wrong_password":
			return fmt.Errorf("the bank did not accept the password for %s (after five wrong tries it locks the account for 15 minutes)", user)
		case "insufficient_funds":
			return fmt.Errorf("%s's deposit account does not hold %s for this load", user, money(load, "156"))
		case "unauthenticated":
			return errors.New("the bank session has ended; run the command again with --user and --password")
		case "forbidden":
			return fmt.Errorf("the bank says this wallet is not %s's", user)
		case "rate_limited", "busy":
			return errors.New("the bank is busy; try again in a minute")
		case "hotlisted":
			return errors.New("the bank has blocked this wallet; ask the bank why")
		}
		if be.Message != "" {
			return fmt.Errorf("the bank refused: %s (%s)", be.Message, be.Code)
		}
		return err
	}
	switch {
	case errors.Is(err, wallet.ErrBankCertificate):
		return fmt.Errorf("the server at %s is not the bank: its certificate is not signed by the CA in %s", bankURL, caPath)
	case errors.Is(err, wallet.ErrBankUnreachable):
		return fmt.Errorf("the bank at %s cannot be reached; check it is running and try again (%v)", bankURL, cause(err))
	case errors.Is(err, context.Canceled):
		return errors.New("interrupted")
	}
	return err
}

// cause is the innermost error, e.g. "dial tcp …: connection refused".
func cause(err error) error {
	for {
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			list := u.Unwrap()
			if len(list) == 0 {
				return err
			}
			err = list[len(list)-1]
		case interface{ Unwrap() error }:
			next := u.Unwrap()
			if next == nil {
				return err
			}
			err = next
		default:
			return err
		}
	}
}
