package device_test

import (
	"context"
	"slices"
	"testing"
	"time"

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

	took := make([]time.Duration, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := card.Transmit(ctx, selectPPSE); err != nil {
			b.Fatal(err)
		}
		took[i] = time.Since(start)
	}
	b.StopTimer()
	reportPercentiles(b, took)
}

// reportPercentiles adds p50 and p99 in microseconds: the design's
// targets are percentiles, and a mean hides the slow tail.
func reportPercentiles(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	at := func(p float64) float64 {
		return float64(took[int(p*float64(len(took)-1))]) / float64(time.Microsecond)
	}
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
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
