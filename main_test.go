package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"lingqian/internal/pcsctest"
)

func TestReaders_ListsWhatPcscdHas(t *testing.T) {
	// Given a real pcscd with the vpcd reader
	d := pcsctest.Start(t)

	// When the cashier runs `lingqian readers`
	var out, errs bytes.Buffer
	code := run(context.Background(), []string{"readers"}, nil, &out, &errs)

	// Then the reader is listed
	if code != 0 || !strings.Contains(out.String(), d.Reader) {
		t.Fatalf("exit %d, out %q, err %q", code, out.String(), errs.String())
	}
}

func TestReaders_ServiceDownIsAClearError(t *testing.T) {
	// Given pcscd stopped
	d := pcsctest.Start(t)
	d.Stop()

	// When the cashier lists readers
	var out, errs bytes.Buffer
	code := run(context.Background(), []string{"readers"}, nil, &out, &errs)

	// Then the command fails with a sentence saying the service is not running
	if code != 2 || !strings.Contains(errs.String(), "smart-card service is not running") {
		t.Fatalf("exit %d, err %q", code, errs.String())
	}
}

func TestRun_UnknownCommand(t *testing.T) {
	var out, errs bytes.Buffer
	if code := run(context.Background(), []string{"fly"}, nil, &out, &errs); code != 2 || !strings.Contains(errs.String(), "unknown command") {
		t.Fatalf("exit %d, err %q", code, errs.String())
	}
}

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
