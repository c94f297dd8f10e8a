// Command lingqian-phone is the customer's wallet for tests and demos: it
// makes a wallet from a local test issuer, presents it (or a null card) to
// a PC/SC stack as a virtual contactless card through vsmartcard's vpcd
// driver, and shows what it holds.
//
// vpcd accepts a card from any host that reaches its port: it belongs on a
// test or demo machine, never on a shop PC.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"lingqian/internal/version"
	"lingqian/wallet"
)

const usage = `lingqian-phone — the customer's phone, as a virtual contactless card

Usage:
  lingqian-phone personalize --issuer DIR --wallet W.json --balance 50000 [flags]
  lingqian-phone tap [--wallet W.json | --app echo] [--vpcd HOST:PORT] [--once] [flags]
  lingqian-phone show --wallet W.json [--json]
  lingqian-phone apply --wallet W.json --bank URL --ca CA.pem --user U --password P --load 50000
  lingqian-phone upload --wallet W.json [--bank URL --ca CA.pem] [--user U --password P] [--json]
  lingqian-phone logout --wallet W.json
  lingqian-phone version | --version

Commands:
  personalize  make a wallet from the local test issuer in DIR (created on
               first use, reused after) and write DIR/capk.json for the
               desk's --capk; amounts are in minor units (fen)
  tap          present the phone to the reader: the wallet, or with --app echo
               a null card; with --once, one tap that ends when the desk is
               done with it, otherwise stay until interrupted
  show         print the wallet's balance, counters and purchase log
  apply        log in at the bank and get a voucher: the phone makes its key
               pair, the bank certifies it and loads e-cash from the deposit
               account; the bank and CA are kept beside the wallet
  upload       send the bank the deducted voucher and the purchase records
               it does not have yet (the session from apply, or log in again)
  logout       end the bank session kept beside the wallet, at the bank too

Run a command with -h for its flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	switch args[0] {
	case "tap":
		return tap(ctx, args[1:], stdout, stderr)
	case "personalize":
		return personalize(args[1:], stdout, stderr)
	case "show":
		return show(args[1:], stdout, stderr)
	case "apply":
		return apply(ctx, args[1:], stdout, stderr)
	case "upload":
		return upload(ctx, args[1:], stdout, stderr)
	case "logout":
		return logout(ctx, args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, version.Line("lingqian-phone"))
		return 0
	}
	fmt.Fprintf(stderr, "lingqian-phone: unknown command %q\n\n%s", args[0], usage)
	return 2
}

func tap(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("tap", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("vpcd", "127.0.0.1:35963", "the vpcd reader slot to tap (host:port)")
	appName := fs.String("app", "", "card application to present: wallet (the default with --wallet) or echo (a null card, the default without)")
	walletPath := fs.String("wallet", "", "the wallet file to present")
	once := fs.Bool("once", false, "one tap: leave when the desk powers the card down")
	timeout := fs.Duration("timeout", 0, "leave after this long even if the desk is not done (0: never)")
	dropAfter := fs.Int("drop-after", 0, "fault: leave after answering N commands")
	dropBefore := fs.Int("drop-before", 0, "fault: leave while command N is in flight")
	delay := fs.Duration("delay", 0, "fault: wait this long before every answer")
	tracePath := fs.String("trace", "", "for benchmarks: when leaving, write to this file when each frame came and was answered (JSON lines)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *appName == "" {
		*appName = "echo"
		if *walletPath != "" {
			*appName = "wallet"
		}
	}
	var card wallet.CardApplication
	var w *wallet.Card
	switch *appName {
	case "echo":
		if *walletPath != "" {
			fmt.Fprintln(stderr, "lingqian-phone: --app echo presents a null card, not the --wallet")
			return 2
		}
		card = wallet.EchoCard{}
	case "wallet":
		if *walletPath == "" {
			fmt.Fprintln(stderr, "lingqian-phone: --app wallet needs --wallet FILE")
			return 2
		}
		var err error
		if w, err = wallet.Open(*walletPath); err != nil {
			fmt.Fprintf(stderr, "lingqian-phone: %v\n", err)
			return 2
		}
		card = w
	default:
		fmt.Fprintf(stderr, "lingqian-phone: unknown card application %q (known: wallet, echo)\n", *appName)
		return 2
	}
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	faults := wallet.Faults{DropAfter: *dropAfter, DropBefore: *dropBefore, Delay: *delay}
	var trace *wallet.Trace
	if *tracePath != "" {
		trace = &wallet.Trace{}
		defer writeTrace(trace, *tracePath, stderr)
	}
	for {
		res, err := wallet.TapTraced(ctx, *addr, card, faults, *once, trace)
		switch {
		case err != nil && ctx.Err() != nil:
			fmt.Fprintf(stdout, "left the reader after %d commands\n", res.Commands)
			return 0
		case err != nil:
			fmt.Fprintf(stderr, "lingqian-phone: %v\n", err)
			if *once {
				return 2
			}
		default:
			fmt.Fprintf(stdout, "tap over: %d commands answered%s\n", res.Commands, ending(res))
			if w != nil {
				fmt.Fprintf(stdout, "wallet: balance %s, ATC %d\n", money(w.Balance(), w.Currency()), w.ATC())
			}
			if *once || ctx.Err() != nil {
				return 0
			}
		}
		// Staying on the reader: come back when it is there again.
		select {
		case <-ctx.Done():
			return 0
		case <-time.After(time.Second):
		}
	}
}

// writeTrace writes the frames noted while the phone was on the reader.
// It runs as the phone leaves, so that writing it slows no exchange.
func writeTrace(t *wallet.Trace, path string, stderr io.Writer) {
	f, err := os.Create(path)
	if err == nil {
		err = t.WriteJSONLines(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "lingqian-phone: trace %s: %v\n", path, err)
	}
}

func ending(r wallet.TapResult) string {
	switch {
	case r.Dropped:
		return " (left early, as asked)"
	case r.PoweredOff:
		return " (the desk is done)"
	}
	return ""
}
