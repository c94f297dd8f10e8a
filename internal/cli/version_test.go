package cli

import (
	"fmt"
	"strings"
	"testing"

	"lingqian/internal/version"
)

func TestVersion_PrintsTheRelease(t *testing.T) {
	want := fmt.Sprintf("lingqian %s (build %d, ", version.Version, version.Build)
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}, {"version", "--lang", "zh-Hans"}} {
		// When a person asks which release the desk is
		code, out, errs := runCLI(t, "", args...)

		// Then one line names it, its build and commit, on standard output
		if code != 0 || errs != "" || !strings.HasPrefix(out, want) || !strings.HasSuffix(out, ")\n") || strings.Count(out, "\n") != 1 {
			t.Errorf("%v: exit %d, out %q, err %q; want a line starting %q", args, code, out, errs, want)
		}
	}
}

func TestVersion_RefusesAnArgument(t *testing.T) {
	// When version is given a word it does not take
	code, out, errs := runCLI(t, "", "version", "now", "--lang", "en")

	// Then it is refused, naming the word
	if code != exitError || out != "" || !strings.Contains(errs, `"now"`) {
		t.Errorf("exit %d, out %q, err %q", code, out, errs)
	}
}
