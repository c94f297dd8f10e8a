package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"lingqian/internal/version"
)

func TestVersion_PrintsTheDesksRelease(t *testing.T) {
	want := fmt.Sprintf("lingqian-bank %s (build %d, ", version.Version, version.Build)
	for _, arg := range []string{"version", "--version"} {
		// When the bank is asked its version
		var out, errs bytes.Buffer
		code := run([]string{arg}, &out, &errs)

		// Then it prints the release FyneApp.toml names, as the desk does
		if code != 0 || errs.Len() > 0 || !strings.HasPrefix(out.String(), want) {
			t.Errorf("%s: exit %d, out %q, err %q; want a line starting %q", arg, code, out.String(), errs.String(), want)
		}
	}
}
