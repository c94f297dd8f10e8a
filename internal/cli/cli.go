// Package cli is the lingqian command: the headless subcommands, and the
// window opened on the desk's data folder.
package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	fyneapp "fyne.io/fyne/v2/app"

	"fyne.io/fyne/v2"

	"lingqian/app"
	"lingqian/device"
	"lingqian/ui"
)

const usage = `lingqian — offline e-cash desk

Usage:
  lingqian [--lang en|zh-Hans]               open the desk
  lingqian charge --amount 12.50 [--json]    one purchase, headless (exit 0 approved, 3 declined, 2 error)
  lingqian void --seq N --by SUPERVISOR --reason TEXT
  lingqian report --x|--z [--format text|csv|json]
  lingqian operator add|list|passwd
  lingqian journal verify
  lingqian enroll --bank URL --ca CA.pem --code CODE
                                             enrol the desk with the bank
  lingqian sync [--once] [--json]            forward sales to the bank and reconcile
                                             (exit 0 all sent, 1 bank unreachable, 2 error)
  lingqian readers                           list card readers
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
		case "help":
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "lingqian: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	fs := flag.NewFlagSet("lingqian", flag.ContinueOnError)
	fs.SetOutput(stderr)
	lang := fs.String("lang", defaultLanguage(), "language: en or zh-Hans")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	return openWindow(ctx, *lang)
}

func openWindow(ctx context.Context, lang string) int {
	a := fyneapp.NewWithID("cn.lingqian.desk")
	board := app.NewReaderBoard()
	desk := ui.NewDesk(a, board, lang)

	readers := device.NewPCSC()
	defer readers.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		for e := range readers.Watch(ctx) {
			board.Apply(e)
			fyne.Do(desk.Refresh)
		}
	}()
	go func() {
		<-ctx.Done()
		fyne.Do(a.Quit)
	}()
	desk.Window.ShowAndRun()
	return 0
}

func listReaders(ctx context.Context, stdout, stderr io.Writer) int {
	r := device.NewPCSC()
	defer r.Close()
	names, err := r.Readers(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "lingqian: %v\n", err)
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

// defaultLanguage follows the session's locale: Chinese locales get
// Simplified Chinese, everything else English.
func defaultLanguage() string {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if l := os.Getenv(v); l != "" {
			if strings.HasPrefix(l, "zh") {
				return app.SimplifiedChinese
			}
			return app.English
		}
	}
	return app.English
}
