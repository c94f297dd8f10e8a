package systest

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

func TestHeadless_QuietUnderTheCLocaleWithACodeset(t *testing.T) {
	for _, locale := range []string{"C.UTF-8", "POSIX.UTF-8", "C", "en_US.UTF-8"} {
		t.Run(locale, func(t *testing.T) {
			// Given the desk's program in a session whose locale is the C
			// locale with a codeset (Debian's default for services)
			cmd := exec.Command(bin(t, "lingqian"), "report", "--data", t.TempDir(), "--x")
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "LANG=" + locale}
			var errs bytes.Buffer
			cmd.Stderr = &errs

			// When it runs a headless command
			err := cmd.Run()

			// Then it does its work and says nothing about the locale
			if err != nil || errs.Len() != 0 {
				t.Fatalf("%v, stderr %q", err, errs.String())
			}
		})
	}
}
