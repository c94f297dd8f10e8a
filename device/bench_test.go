package device_test

import (
	"context"
	"testing"

	"lingqian/device"
	"lingqian/internal/pcsctest"
	"lingqian/wallet"
)

// BenchmarkPCSC_APDURoundTrip is the floor later figures are compared
// against: one SELECT through pcscd and vpcd to a null card and back.
func BenchmarkPCSC_APDURoundTrip(b *testing.B) {
	d := pcsctest.Start(b)
	r := device.NewPCSC()
	defer r.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _, _ = wallet.Tap(ctx, d.Addr(), wallet.EchoCard{}, wallet.Faults{}, false) }()
	name, err := r.WaitForCard(ctx, d.Reader)
	if err != nil {
		b.Fatal(err)
	}
	card, err := r.Connect(ctx, name)
	if err != nil {
		b.Fatal(err)
	}
	defer card.Close()

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := card.Transmit(ctx, selectPPSE); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoopback_APDURoundTrip is the same exchange in-process: what the
// reader layer itself costs.
func BenchmarkLoopback_APDURoundTrip(b *testing.B) {
	r := device.NewLoopback("L")
	r.Tap(wallet.EchoCard{}, device.Leave{})
	card, err := r.Connect(context.Background(), "L")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := card.Transmit(ctx, selectPPSE); err != nil {
			b.Fatal(err)
		}
	}
}
