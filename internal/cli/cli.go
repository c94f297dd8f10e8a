// Package cli is the lingqian command: the headless subcommands, and the
// window opened on the desk's data folder.
package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"lingqian/app"
	"lingqian/device"
)

const usage = `lingqian — offline e-cash desk

Usage:
  lingqian [--data DIR] [--capk FILE] [--lang en|zh-Hans] [--theme light|dark|system]
                                             open the desk's window
  lingqian charge --amount 12.50 [--json]    one purchase, headless (exit 0 approved, 3 declined,
                                             4 an earlier torn sale recovered, this one unpaid, 2 error)
  lingqian void --seq N --by SUPERVISOR --reason TEXT
  lingqian report --x|--z [--number N] [--format text|csv|json|pdf] [--out FILE] [--lang en|zh-Hans]
  lingqian operator add|list|passwd
  lingqian journal verify
  lingqian enroll --bank URL --ca CA.pem --code CODE
                                             enrol the desk with the bank
  lingqian sync [--once] [--json]            forward sales to the bank and reconcile
                                             (exit 0 all sent, 1 bank unreachable, 2 error)
  lingqian readers                           list card readers
  lingqian teller load --amount 100.00 [--reader NAME] --operator ID [--json]
                                             load e-cash onto a tapped phone online (teller desk;
                                             PIN on standard input; exit 0 loaded, 3 refused by the
                                             bank or the phone, 4 an earlier load finished instead, 2 error)
  lingqian teller unload|lookup|statement|hotlist|exceptions|reentry …
                                             the teller's other work; lingqian teller for its flags
Every command takes --data DIR, the desk's data folder.
`

// Run runs the command line args and answers the exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if stdin != nil {
		// One buffer for the whole command: PINs are read line by line.
		stdin = bufio.NewReader(stdin)
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "readers":
			return listReaders(ctx, stdout, stderr)
		case "charge":
			return charge(ctx, args[1:], stdin, stdout, stderr)
		case "void":
			return void(ctx, args[1:], stdin, stdout, stderr)
		case "report":
			return report(ctx, args[1:], stdin, stdout, stderr)
		case "operator":
			return operator(ctx, args[1:], stdin, stdout, stderr)
		case "journal":
			return journal(ctx, args[1:], stdout, stderr)
		case "enroll":
			return enroll(ctx, args[1:], stdout, stderr)
		case "sync":
			return syncCmd(ctx, args[1:], stdout, stderr)
		case "teller":
			return teller(ctx, args[1:], stdin, stdout, stderr)
		case "help":
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "lingqian: %s\n\n%s", app.MsgCLIUnknown.Textf(defaultLanguage(), args[0]), usage)
		return 2
	}
	return openWindow(ctx, args, stderr)
}

func listReaders(ctx context.Context, stdout, stderr io.Writer) int {
	r := device.NewPCSC()
	defer r.Close()
	names, err := r.Readers(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "lingqian: %s\n", withDetail(explain(err, defaultLanguage()), err))
		return 2
	}
	if len(names) == 0 {
		fmt.Fprintln(stdout, app.MsgNoReader.Text(defaultLanguage()))
		return 0
	}
	for _, n := range names {
		fmt.Fprintln(stdout, n)
	}
	return 0
}

// defaultLanguage follows the session's locale as gettext reads it
// (sessionLanguage): Chinese gets Simplified Chinese, anything else English.
func defaultLanguage() string { return sessionLanguage(os.Getenv) }
