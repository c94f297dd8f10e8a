package version

import (
	"os"
	"regexp"
	"runtime/debug"
	"testing"

	"lingqian/internal/version/fyneapp"
)

func TestVersion_IsFyneAppTomls(t *testing.T) {
	// Given the FyneApp.toml the packager reads
	b, err := os.ReadFile("../../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := fyneapp.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	// Then the programs print its version and build
	if d.Version != Version || d.Build != Build {
		t.Errorf("FyneApp.toml says %s build %d, the programs %s build %d: run go generate ./internal/version",
			d.Version, d.Build, Version, Build)
	}
}

func TestCommit_FromWhatTheBuildKnows(t *testing.T) {
	for _, tc := range []struct {
		name     string
		settings []debug.BuildSetting
		want     string
	}{
		{"no vcs stamp (-buildvcs=false)", nil, "unknown"},
		{"a clean tree", []debug.BuildSetting{{Key: "vcs.revision", Value: "5e7db04a1c2b3d4e5f60718293a4b5c6d7e8f901"}, {Key: "vcs.modified", Value: "false"}}, "5e7db04a1c2b"},
		{"changes not committed", []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}, "abc-dirty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Given the build information a binary carries, when its commit is asked
			got := fromBuildInfo(&debug.BuildInfo{Settings: tc.settings}, true)
			// Then it is the revision, shortened, or unknown
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if got := fromBuildInfo(nil, false); got != "unknown" {
		t.Errorf("no build information: %q", got)
	}
}

func TestLine_NamesProgramVersionBuildAndCommit(t *testing.T) {
	// Given a commit stamped by the packager
	defer func(c string) { commit = c }(commit)
	commit = "5e7db04a1c2b"

	// When the line is asked, then it reads as --version prints it
	want := regexp.MustCompile(`^lingqian-bank \d+\.\d+\.\d+ \(build \d+, 5e7db04a1c2b\)$`)
	if got := Line("lingqian-bank"); !want.MatchString(got) {
		t.Errorf("got %q", got)
	}
}
