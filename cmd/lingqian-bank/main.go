// Command lingqian-bank is Lingqian's cloud e-cash system: the HTTPS API
// desks and phones talk to (serve) and the bank's administrative commands,
// which work on the same data folder while the server runs.
//
//	lingqian-bank serve --data B --addr 127.0.0.1:8443
//	lingqian-bank customer add --data B --user alice --password s3cret --deposit 100000
//	lingqian-bank customer add --data B --user alice --deposit 100000 < password-file
//	lingqian-bank customer logout --data B --user alice
//	lingqian-bank terminal-code --data B --merchant M001 [--teller]
//	lingqian-bank terminal revoke --data B --id T0000001
//	lingqian-bank report --data B [--format text|csv|json] [--merchant M] [--date YYYY-MM-DD] [--wallet PAN]
//	lingqian-bank hotlist add --data B --pan PAN --reason "lost phone"
//	lingqian-bank admin-log --data B [--format text|json] [--limit N]
//
// Every command takes --db postgres://… to keep the bank's database on
// PostgreSQL instead of SQLite in --data (db.go); the keys stay in --data,
// and several serve processes may share both.
//
// Without --password a password is read from standard input: typed
// without echo at a terminal, the first line of a pipe otherwise. Every
// command that changes the bank records who ran it in the admin log: the
// --by name, or the user of the operating system (admin.go).
//
// Exit status: 0 done, 2 error (the message says which).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"lingqian/bank"
	"lingqian/internal/version"
)

const usage = `usage:
  lingqian-bank serve --data DIR [--addr 127.0.0.1:8443] [--host NAME]... [--settlement-window 192h]
  lingqian-bank customer add --data DIR --user NAME [--password PASSWORD] [--deposit FEN] [--by NAME]
  lingqian-bank customer logout --data DIR --user NAME [--by NAME]
  lingqian-bank terminal-code --data DIR --merchant ID [--teller] [--by NAME]
  lingqian-bank terminal revoke --data DIR --id TERMINAL [--by NAME]
  lingqian-bank report --data DIR [--format text|csv|json] [--merchant ID] [--date YYYY-MM-DD] [--wallet PAN]
  lingqian-bank hotlist add --data DIR --pan PAN --reason TEXT [--by NAME]
  lingqian-bank admin-log --data DIR [--format text|json] [--limit N]
  lingqian-bank version | --version

Every command also takes --db postgres://USER[:PASSWORD]@HOST[:PORT]/NAME:
the bank's database on PostgreSQL instead of SQLite in --data, which still
holds the keys (serve needs them; the other commands only the database).
Several serve processes may share one such database and one --data.
Without --password the password is read from standard input (typed
without echo, or the first line of a pipe). --by names who runs a command
that changes the bank, for the admin log; without it, the system user.
`

// errUsage: the command line is wrong; usage has been printed.
var errUsage = errors.New("wrong usage")

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole program, for tests: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	return runWith(args, os.Stdin, stdout, stderr)
}

// runWith is run reading what it must (a password) from stdin.
func runWith(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	err := dispatch(args, stdin, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintf(stderr, "lingqian-bank: %v\n", err)
	return 2
}

func dispatch(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(rest, stderr)
	case "customer":
		switch {
		case len(rest) > 0 && rest[0] == "add":
			return customerAdd(rest[1:], stdin, stdout, stderr)
		case len(rest) > 0 && rest[0] == "logout":
			return customerLogout(rest[1:], stdout, stderr)
		}
		return usageErr(stderr, "customer: the subcommands are add and logout")
	case "terminal-code":
		return terminalCode(rest, stdout, stderr)
	case "terminal":
		if len(rest) == 0 || rest[0] != "revoke" {
			return usageErr(stderr, "terminal: the only subcommand is revoke")
		}
		return terminalRevoke(rest[1:], stdout, stderr)
	case "report":
		return report(rest, stdout, stderr)
	case "hotlist":
		if len(rest) == 0 || rest[0] != "add" {
			return usageErr(stderr, "hotlist: the only subcommand is add")
		}
		return hotlistAdd(rest[1:], stdout, stderr)
	case "admin-log":
		return adminLog(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		return flag.ErrHelp
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, version.Line("lingqian-bank"))
		return nil
	}
	return usageErr(stderr, fmt.Sprintf("unknown command %q", cmd))
}

func usageErr(stderr io.Writer, msg string) error {
	fmt.Fprintf(stderr, "lingqian-bank: %s\n%s", msg, usage)
	return errUsage
}

func defaultData() string {
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "lingqian-bank")
	}
	return "lingqian-bank"
}

// parse parses the flags and refuses stray arguments and missing
// required flags.
func parse(fs *flag.FlagSet, args []string, required ...string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return errUsage
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, r := range required {
		if !set[r] {
			fmt.Fprintf(fs.Output(), "%s: --%s is required\n", fs.Name(), r)
			return errUsage
		}
	}
	return nil
}

// multi is a flag that may be given several times.
type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func serve(args []string, stderr io.Writer) error {
	fs, at := flags("serve", stderr)
	addr := fs.String("addr", "127.0.0.1:8443", "address to listen on")
	var hosts multi
	fs.Var(&hosts, "host", "another name or address for the TLS certificate (repeatable)")
	window := fs.Duration("settlement-window", bank.DefaultSettlementWindow, "how long an unload is held before it is paid (at least 24h)")
	if err := parse(fs, args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	b, err := at.open(bank.Options{Keys: true, Hosts: hosts, Logger: log, SettlementWindow: *window})
	if err != nil {
		return err
	}
	defer b.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go b.RunSettlement(ctx) // pays held unloads once their window has passed
	err = b.Serve(ctx, *addr, func(a net.Addr) {
		log.Info("serving", "addr", a.String(), "ca", filepath.Join(*at.data, bank.CAFile), "db", at.where())
	})
	if err != nil {
		return err
	}
	if st, ok := b.Store().(interface{ Retries() int64 }); ok {
		// On PostgreSQL: how often writes met another process's, the
		// cost of running several (docs/BENCHMARKS.md).
		log.Info("stopped", "write_retries", st.Retries())
		return nil
	}
	log.Info("stopped")
	return nil
}

func customerAdd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs, at := flags("customer add", stderr)
	user := fs.String("user", "", "the customer's user name")
	password := fs.String("password", "", "the customer's password (without it: read from standard input)")
	deposit := fs.Int64("deposit", 0, "the opening deposit, in fen")
	by := byFlag(fs)
	if err := parse(fs, args, "user"); err != nil {
		return err
	}
	if !given(fs, "password") {
		var err error
		if *password, err = readPassword(stdin, stderr, *user); err != nil {
			return err
		}
	}
	b, err := openAdmin(at, *by, "customer add", *user, fmt.Sprintf("deposit %d fen", *deposit))
	if err != nil {
		return err
	}
	defer b.Close()
	if err := b.AddCustomer(context.Background(), *user, *password, *deposit); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "customer %s added with a deposit of %d fen\n", *user, *deposit)
	return nil
}

func terminalCode(args []string, stdout, stderr io.Writer) error {
	fs, at := flags("terminal-code", stderr)
	merchant := fs.String("merchant", "", "the merchant the desk belongs to")
	teller := fs.Bool("teller", false, "the desk is a bank teller's")
	by := byFlag(fs)
	if err := parse(fs, args, "merchant"); err != nil {
		return err
	}
	detail := ""
	if *teller {
		detail = "teller"
	}
	b, err := openAdmin(at, *by, "terminal-code", *merchant, detail)
	if err != nil {
		return err
	}
	defer b.Close()
	code, err := b.NewTerminalCode(context.Background(), *merchant, *teller)
	if err != nil {
		return err
	}
	// Only the code: scripts take it with $(...).
	fmt.Fprintln(stdout, code)
	return nil
}

func terminalRevoke(args []string, stdout, stderr io.Writer) error {
	fs, at := flags("terminal revoke", stderr)
	id := fs.String("id", "", "the terminal id to revoke")
	by := byFlag(fs)
	if err := parse(fs, args, "id"); err != nil {
		return err
	}
	b, err := openExistingAdmin(at, *by, "terminal revoke", *id, "")
	if err != nil {
		return err
	}
	defer b.Close()
	if err := b.RevokeDesk(context.Background(), *id); err != nil {
		return fmt.Errorf("revoke %s: %w", *id, err)
	}
	fmt.Fprintf(stdout, "terminal %s revoked\n", *id)
	return nil
}

func report(args []string, stdout, stderr io.Writer) error {
	fs, at := flags("report", stderr)
	format := fs.String("format", "text", "text, csv or json")
	merchant := fs.String("merchant", "", "only this merchant")
	date := fs.String("date", "", "only this transaction day, YYYY-MM-DD")
	pan := fs.String("wallet", "", "the statement of the wallet with this PAN instead")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch *format {
	case "text", "csv", "json":
	default:
		return fmt.Errorf("--format %q: want text, csv or json", *format)
	}
	if *date != "" {
		if _, err := time.Parse(time.DateOnly, *date); err != nil {
			return fmt.Errorf("--date %q: want YYYY-MM-DD", *date)
		}
	}
	b, err := at.openExisting(bank.Options{})
	if err != nil {
		return err
	}
	defer b.Close()
	ctx := context.Background()
	if *pan != "" {
		st, err := b.Statement(ctx, *pan)
		if err != nil {
			return err
		}
		return bank.WriteStatement(stdout, st, *format)
	}
	rep, err := b.Report(ctx, bank.ReportFilter{MerchantID: *merchant, Date: *date})
	if err != nil {
		return err
	}
	return bank.WriteReport(stdout, rep, *format)
}

func hotlistAdd(args []string, stdout, stderr io.Writer) error {
	fs, at := flags("hotlist add", stderr)
	pan := fs.String("pan", "", "the wallet's PAN")
	reason := fs.String("reason", "", "why it is blocked")
	by := byFlag(fs)
	if err := parse(fs, args, "pan", "reason"); err != nil {
		return err
	}
	b, err := openExistingAdmin(at, *by, "hotlist add", *pan, *reason)
	if err != nil {
		return err
	}
	defer b.Close()
	v, err := b.Hotlist(context.Background(), *pan, *reason)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "hotlisted; hotlist version %d\n", v)
	return nil
}
