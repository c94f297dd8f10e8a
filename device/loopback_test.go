package device_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"lingqian/device"
	"lingqian/wallet"
)

func TestLoopback_RoundTrip(t *testing.T) {
	// Given a loopback reader with a null card in its field
	r := device.NewLoopback("Loopback 00 00")
	r.Tap(wallet.EchoCard{}, device.Leave{})

	// When the desk waits, connects and transmits
	ctx := context.Background()
	name, err := r.WaitForCard(ctx)
	if err != nil {
		t.Fatal(err)
	}
	card, err := r.Connect(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := card.Transmit(ctx, selectPPSE)

	// Then the card answers as through PC/SC
	if err != nil || !bytes.Equal(resp, append([]byte("2PAY.SYS.DDF01"), 0x90, 0x00)) {
		t.Fatalf("% X, %v", resp, err)
	}
	if !bytes.Equal(card.ATR(), wallet.ATR) {
		t.Errorf("ATR % X", card.ATR())
	}
}

func TestLoopback_CardLeft(t *testing.T) {
	cases := []struct {
		name         string
		leave        device.Leave
		remove       bool // the customer lifts the phone between commands
		wantExecuted int32
	}{
		{"lifted between commands", device.Leave{}, true, 1},
		{"leaves after answering", device.Leave{AfterAnswers: 1}, false, 1},
		{"leaves while a command is in flight", device.Leave{DuringCommand: 2}, false, 2},
		{"leaves as a command is sent", device.Leave{BeforeCommand: 2}, false, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a phone that leaves at a chosen moment
			r := device.NewLoopback("Loopback 00 00")
			app := &countingCard{}
			r.Tap(app, tc.leave)
			card, err := r.Connect(context.Background(), "Loopback 00 00")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := card.Transmit(context.Background(), selectPPSE); err != nil {
				t.Fatal(err)
			}
			if tc.remove {
				r.Remove()
			}

			// When the desk sends the next command
			_, err = card.Transmit(context.Background(), selectPPSE)

			// Then it is ErrCardLeft, and the card ran what it ran
			if !errors.Is(err, device.ErrCardLeft) {
				t.Fatalf("error %v, want ErrCardLeft", err)
			}
			if got := app.executed.Load(); got != tc.wantExecuted {
				t.Errorf("card executed %d, want %d", got, tc.wantExecuted)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if err := r.WaitForRemoval(ctx, "Loopback 00 00"); err != nil {
				t.Errorf("removal not seen: %v", err)
			}
		})
	}
}

func TestLoopback_RetapIsANewSession(t *testing.T) {
	// Given a session opened on a first tap
	r := device.NewLoopback("L")
	r.Tap(wallet.EchoCard{}, device.Leave{})
	old, _ := r.Connect(context.Background(), "L")

	// When the phone is tapped again
	r.Tap(wallet.EchoCard{}, device.Leave{})

	// Then the old session is over and a new one works
	if _, err := old.Transmit(context.Background(), selectPPSE); !errors.Is(err, device.ErrCardLeft) {
		t.Errorf("old session: %v, want ErrCardLeft", err)
	}
	card, err := r.Connect(context.Background(), "L")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := card.Transmit(context.Background(), selectPPSE); err != nil {
		t.Errorf("new session: %v", err)
	}
}

func TestLoopback_ConnectWithoutCardAndWaitCancel(t *testing.T) {
	r := device.NewLoopback("L")
	if _, err := r.Connect(context.Background(), "L"); !errors.Is(err, device.ErrNoCard) {
		t.Errorf("empty field: %v, want ErrNoCard", err)
	}
	if _, err := r.Connect(context.Background(), "M"); !errors.Is(err, device.ErrNoReader) {
		t.Errorf("other reader: %v, want ErrNoReader", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := r.WaitForCard(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("wait: %v", err)
	}
}
