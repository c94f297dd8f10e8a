package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"lingqian/wallet"
)

// show prints what the wallet holds: balance, counters and its log.
func show(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("wallet", "", "the wallet file (required)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "lingqian-phone show: %v\n", err)
		return 2
	}
	if *path == "" {
		return fail(errors.New("--wallet FILE is required"))
	}
	c, err := wallet.Open(*path)
	if err != nil {
		return fail(err)
	}
	if *asJSON {
		type view struct {
			PAN           string            `json:"pan"`
			PSN           string            `json:"psn"`
			Balance       int64             `json:"balance"`
			Currency      string            `json:"currency"`
			ATC           uint16            `json:"atc"`
			LastOnlineATC uint16            `json:"last_online_atc"`
			Log           []wallet.LogEntry `json:"log"`
		}
		log := c.Log()
		if log == nil {
			log = []wallet.LogEntry{}
		}
		out, err := json.MarshalIndent(view{c.PAN(), c.PSN(), c.Balance(), c.Currency(), c.ATC(), c.LastOnlineATC(), log}, "", "  ")
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "%s\n", out)
		return 0
	}
	p := c.Personalisation()
	fmt.Fprintf(stdout, "wallet   %s\n", c.Path())
	fmt.Fprintf(stdout, "PAN      %s (PSN %s), valid %s to %s\n", c.PAN(), c.PSN(), p.Effective, p.Expiry)
	fmt.Fprintf(stdout, "balance  %s (%d)\n", money(c.Balance(), c.Currency()), c.Balance())
	fmt.Fprintf(stdout, "limit    %s per purchase\n", money(p.SingleLimit, c.Currency()))
	fmt.Fprintf(stdout, "ATC      %d (last online %d)\n", c.ATC(), c.LastOnlineATC())
	log := c.Log()
	if len(log) == 0 {
		fmt.Fprintln(stdout, "log      no purchases yet")
		return 0
	}
	fmt.Fprintf(stdout, "log      %d purchases, newest last\n", len(log))
	w := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "  ATC\tdate\ttime\tamount\tbalance after\tAC\tmerchant")
	for _, e := range log {
		fmt.Fprintf(w, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ATC, e.Date, e.Time,
			money(e.Amount, e.Currency), money(e.BalanceAfter, c.Currency()), e.AC, e.Merchant)
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	return 0
}
