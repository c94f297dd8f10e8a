package cli

import (
	"flag"
	"fmt"
	"io"

	"lingqian/app"
	"lingqian/internal/version"
)

// versionAsked says whether the window's flags are only --version, as a
// person types it to see which release a PC runs.
func versionAsked(args []string) bool {
	return len(args) > 0 && (args[0] == "--version" || args[0] == "-version")
}

// versionCmd prints the release, build and commit (lingqian version,
// lingqian --version): one line, the same words in every language, since
// scripts and support read it.
func versionCmd(args []string, stdout, stderr io.Writer) int {
	s := newSpeaker("lingqian version", args, stdout, stderr)
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	langFlag(fs)
	if !s.parse(fs, args) {
		return exitError
	}
	if fs.NArg() > 0 {
		return s.refuse(app.MsgCLIUnexpected, fs.Args())
	}
	fmt.Fprintln(stdout, version.Line("lingqian"))
	return 0
}
