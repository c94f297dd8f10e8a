package emv_test

import (
	"context"
	"testing"
	"time"

	"lingqian/device"
	"lingqian/emv"
	"lingqian/internal/pcsctest"
	"lingqian/issuance"
	"lingqian/wallet"
)

// tapThroughPcscd presents the wallet on the real pcscd's vpcd reader
// and runs one purchase through the PC/SC reader layer.
func tapThroughPcscd(t *testing.T, d *pcsctest.Daemon, k *emv.Kernel, w wallet.CardApplication, faults wallet.Faults, p emv.Purchase) emv.Outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	phoneDone := make(chan struct{})
	go func() {
		defer close(phoneDone)
		if _, err := wallet.Tap(ctx, d.Addr(), w, faults, true); err != nil {
			t.Errorf("phone: %v", err)
		}
	}()
	defer func() { cancel(); <-phoneDone }()

	r := device.NewPCSC()
	defer r.Close()
	name, err := r.WaitForCard(ctx, d.Reader)
	if err != nil {
		t.Fatalf("wait for the phone: %v", err)
	}
	card, err := r.Connect(ctx, name)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	if p.At.IsZero() {
		p.At = today
	}
	out := k.Run(ctx, card, p)
	_ = card.Close()
	// The phone leaves when the desk is done, or has already left on a fault.
	select {
	case <-phoneDone:
	case <-time.After(10 * time.Second):
		t.Error("the phone was not released after the purchase")
	}
	// pcscd polls presence every 400 ms; the next tap waits one poll.
	_ = r.WaitForRemoval(ctx, d.Reader)
	time.Sleep(500 * time.Millisecond)
	return out
}

func TestKernel_ThroughPcscd(t *testing.T) {
	// Given a real pcscd with a vpcd reader, the phone's wallet, and a desk
	d := pcsctest.Start(t)
	iss := issuerFor(t)
	k := newKernel(t, iss)
	w := newWallet(t, iss, issuance.Request{Balance: 50000})

	// When the phone is tapped for 12.50
	out := tapThroughPcscd(t, d, k, w, wallet.Faults{}, emv.Purchase{Amount: 1250})

	// Then it is approved offline and the wallet paid
	if out.Result != emv.Approved || w.Balance() != 50000-1250 {
		t.Fatalf("%v %q %s; balance %d", out.Result, out.Reason.Code, out.Reason.Detail, w.Balance())
	}

	// When the next purchase's phone is lifted while GENERATE AC is in flight
	torn := tapThroughPcscd(t, d, k, w, wallet.Faults{DropBefore: out.Commands}, emv.Purchase{Amount: 300})
	if torn.Result != emv.Torn || torn.Tear == nil {
		t.Fatalf("lifted during GENERATE AC: %v %q %s", torn.Result, torn.Reason.Code, torn.Reason.Detail)
	}

	// Then tapping it again recovers that purchase instead of charging twice
	again := tapThroughPcscd(t, d, k, w, wallet.Faults{}, emv.Purchase{Amount: 300, Recover: []emv.TornTap{*torn.Tear}})
	if again.Result != emv.Approved || again.Recovered == nil {
		t.Fatalf("re-tap: %v %q %s", again.Result, again.Reason.Code, again.Reason.Detail)
	}
	if got := w.Balance(); got != 50000-1250-300 {
		t.Fatalf("balance %d, want %d", got, 50000-1250-300)
	}
}
