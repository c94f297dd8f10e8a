package cli

import (
	"context"
	"fmt"
	"io"
	"log"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"lingqian/app"
	"lingqian/assets"
	"lingqian/desk"
	"lingqian/sync/synctest"
	"lingqian/ui"
)

func TestWindowBank_ReEnrollingForwardsWithTheNewCertificate(t *testing.T) {
	// Given a bank with three enrolment codes, and a window whose desk is
	// enrolled with the first and forwards
	bank := synctest.Start(t, synctest.Options{})
	bank.SetCAPK(assets.DefaultCAPK)
	bank.SetHotlist(1)
	for _, code := range []string{"C-1", "C-2", "C-3"} {
		bank.AddCode(code, "M001", false)
	}
	caFile := bank.WriteCA(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := desk.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	enrol := func(code string) {
		t.Helper()
		if _, err := d.Enroller().Enrol(ctx, app.EnrolRequest{BankURL: bank.URL, CA: caFile, Code: code}); err != nil {
			t.Fatal(err)
		}
	}
	enrol("C-1")
	logger := log.New(io.Discard, "", 0)
	svc, closeSvc, err := services(ctx, d, "", logger)
	if err != nil {
		t.Fatal(err)
	}
	defer closeSvc()
	link := linkBank(ctx, d, &svc, logger)
	link.start(ui.NewDesk(test.NewApp(), svc, app.English))
	defer func() { // the forwarder stops before the folder closes
		cancel()
		_, done := link.running()
		<-done
	}()
	before, stopped := link.running()
	if before == nil {
		t.Fatal("the window does not forward for an enrolled desk")
	}
	waitFor(t, func() bool { return askedBy(bank, 0, "desk:T0000001") })

	for i, code := range []string{"C-2", "C-3"} {
		terminal := fmt.Sprintf("T%07d", i+2)
		// When the desk is enrolled again from the settings, which then
		// hand the window the new identity
		enrol(code)
		if err := svc.AfterEnrol(); err != nil {
			t.Fatal(err)
		}

		// Then the forwarder with the former certificate stops
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			t.Fatalf("the forwarder before %s does not stop", terminal)
		}
		// And a new one takes its place, for the banner's Forward now too
		fw, done := link.running()
		if fw == nil || fw == before || svc.Forwarding.Forwarder != fw {
			t.Fatalf("after enrolling as %s the window forwards with %p (before %p, the banner's %v)", terminal, fw, before, svc.Forwarding.Forwarder)
		}
		// And from then on every call reaches the bank with the new certificate
		from := len(bank.Requests())
		svc.Forwarding.ForwardNow()
		waitFor(t, func() bool { return askedBy(bank, from, "desk:"+terminal) })
		for _, r := range bank.Requests()[from:] {
			if r.Client != "desk:"+terminal {
				t.Errorf("after enrolling as %s, %s %s came as %q", terminal, r.Method, r.Path, r.Client)
			}
		}
		if svc.Checkout.Terminal != terminal {
			t.Errorf("the checkout sells as %s, not %s", svc.Checkout.Terminal, terminal)
		}
		before, stopped = fw, done
	}
}

// askedBy says whether a request from the from-th on came from client.
func askedBy(bank *synctest.Bank, from int, client string) bool {
	for _, r := range bank.Requests()[from:] {
		if r.Client == client {
			return true
		}
	}
	return false
}
