// Command lingqian is the e-cash desk: the Fyne window for cashiers and
// tellers, and headless subcommands for scripts. This file only wires.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	_ "clocale" // before Fyne initialises: see its package comment

	"lingqian/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
