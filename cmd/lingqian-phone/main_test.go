package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"lingqian/device"
	"lingqian/internal/pcsctest"
)

func TestTapOnce_LeavesWhenTheDeskIsDone(t *testing.T) {
	// Given a real pcscd with a vpcd reader, and the phone tapped once on it
	d := pcsctest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errs bytes.Buffer
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"tap", "--vpcd", d.Addr(), "--once"}, &out, &errs) }()

	// When the desk finds it, exchanges a command and closes the session
	r := device.NewPCSC()
	defer r.Close()
	name, err := r.WaitForCard(ctx, d.Reader)
	if err != nil {
		t.Fatal(err)
	}
	card, err := r.Connect(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := card.Transmit(ctx, []byte{0x00, 0xA4, 0x04, 0x00, 0x02, 0xA0, 0x00, 0x00}); err != nil {
		t.Fatal(err)
	}
	_ = card.Close()

	// Then the phone leaves by itself, saying so, with exit code 0
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit %d: %s", c, errs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the phone did not leave after the desk was done")
	}
	if !strings.Contains(out.String(), "1 commands answered (the desk is done)") {
		t.Errorf("output %q", out.String())
	}
}

func TestRun_BadInput(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"fly"}, `unknown command "fly"`},
		{[]string{"tap", "--app", "visa"}, `unknown card application "visa"`},
		{[]string{"tap", "--once=maybe"}, "invalid boolean value"},
	}
	for _, tc := range cases {
		var out, errs bytes.Buffer
		if code := run(context.Background(), tc.args, &out, &errs); code != 2 {
			t.Errorf("%v: exit %d, want 2", tc.args, code)
		}
		if !strings.Contains(errs.String(), tc.want) {
			t.Errorf("%v: stderr %q lacks %q", tc.args, errs.String(), tc.want)
		}
	}
}
