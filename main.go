// Command lingqian is the e-cash desk: the Fyne window for cashiers and
// tellers, and headless subcommands for scripts. This file only wires.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	fyneapp "fyne.io/fyne/v2/app"

	"fyne.io/fyne/v2"

	"lingqian/app"
	"lingqian/device"
	"lingqian/ui"
)

const usage = `lingqian — offline e-cash desk

Usage:
  lingqian [--lang en|zh-Hans]     open the desk
  lingqian readers                 list card readers and whether a card is on each
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "readers":
			return listReaders(ctx, stdout, stderr)
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
	return openDesk(ctx, *lang)
}

func openDesk(ctx context.Context, lang string) int {
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
