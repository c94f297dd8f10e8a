// Command lingqian is the e-cash desk: the Fyne window for cashiers and
// tellers, and headless subcommands for scripts. This file only wires.
package main

import (
	"context"
	"embed"
	"os"
	"os/signal"
	"syscall"

	_ "clocale" // before Fyne initialises: see its package comment

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"lingqian/internal/cli"
	"lingqian/internal/version/fyneapp"
)

// packaged is what `fyne package` reads, carried in the binary so the
// window has the product's name, id, icon and release however it was built.
//
//go:embed FyneApp.toml assets/icon.png
var packaged embed.FS

func main() {
	if meta, ok := metadata(); ok {
		app.SetMetadata(meta)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(cli.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// metadata is what `fyne package` would inject into a binary it built:
// set here so that `go build`, the tests and the packages all show the
// icon and name of FyneApp.toml. Not ok leaves Fyne's defaults (a test
// keeps that from happening).
func metadata() (fyne.AppMetadata, bool) {
	b, err := packaged.ReadFile("FyneApp.toml")
	if err != nil {
		return fyne.AppMetadata{}, false
	}
	d, err := fyneapp.Parse(b)
	if err != nil {
		return fyne.AppMetadata{}, false
	}
	icon, err := packaged.ReadFile(d.Icon)
	if err != nil {
		return fyne.AppMetadata{}, false
	}
	return fyne.AppMetadata{
		ID:      d.ID,
		Name:    d.Name,
		Version: d.Version,
		Build:   d.Build,
		Icon:    fyne.NewStaticResource("icon.png", icon),
	}, true
}
