package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"lingqian/internal/pcsctest"
)

func TestReaders_ListsWhatPcscdHas(t *testing.T) {
	// Given a real pcscd with the vpcd reader
	d := pcsctest.Start(t)

	// When the cashier runs `lingqian readers`
	var out, errs bytes.Buffer
	code := Run(context.Background(), []string{"readers"}, nil, &out, &errs)

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
	code := Run(context.Background(), []string{"readers"}, nil, &out, &errs)

	// Then the command fails with a sentence saying the service is not running
	if code != 2 || !strings.Contains(errs.String(), "smart-card service is not running") {
		t.Fatalf("exit %d, err %q", code, errs.String())
	}
}

func TestRun_UnknownCommand(t *testing.T) {
	var out, errs bytes.Buffer
	if code := Run(context.Background(), []string{"fly"}, nil, &out, &errs); code != 2 || !strings.Contains(errs.String(), "unknown command") {
		t.Fatalf("exit %d, err %q", code, errs.String())
	}
}
