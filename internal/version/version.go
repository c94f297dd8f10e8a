// Package version is the release every program prints with --version:
// Version and Build from FyneApp.toml (version_gen.go is generated from it,
// and a test fails when the two differ), and the commit it was built from.
package version

import (
	"fmt"
	"runtime/debug"
)

//go:generate go run ./gen -in ../../FyneApp.toml -out version_gen.go

// commit is set by scripts/package.sh with
// -ldflags "-X lingqian/internal/version.commit=…"; a plain go build
// leaves it empty and Commit asks the build information instead.
var commit string

// Commit is the commit the binary was built from: what the packager
// stamped, else what the Go toolchain recorded (with -buildvcs), else
// "unknown". A build from a tree with changes not committed ends "-dirty".
func Commit() string {
	if commit != "" {
		return commit
	}
	return fromBuildInfo(debug.ReadBuildInfo())
}

func fromBuildInfo(info *debug.BuildInfo, ok bool) string {
	if !ok || info == nil {
		return "unknown"
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "unknown"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return rev
}

// Line is what `program --version` prints, without the newline:
// "lingqian 0.12.0 (build 2, 5e7db04a1c2b)".
func Line(program string) string {
	return fmt.Sprintf("%s %s (build %d, %s)", program, Version, Build, Commit())
}
