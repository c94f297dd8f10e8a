package emv_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"lingqian/device"
	"lingqian/emv"
	"lingqian/issuance"
)

// recordingCard keeps the answers of one purchase in order.
type recordingCard struct {
	device.Application
	commands, answers [][]byte
}

func (c *recordingCard) Process(cmd []byte) []byte {
	resp := c.Application.Process(cmd)
	c.commands = append(c.commands, append([]byte(nil), cmd...))
	c.answers = append(c.answers, append([]byte(nil), resp...))
	return resp
}

// transcriptCard answers a recorded purchase again, instantly, checking
// that the kernel asks exactly what it asked then.
type transcriptCard struct {
	commands, answers [][]byte
	next              int
}

func (c *transcriptCard) Transmit(_ context.Context, cmd []byte) ([]byte, error) {
	i := c.next
	if i >= len(c.answers) || !bytes.Equal(cmd, c.commands[i]) {
		return nil, fmt.Errorf("command %d % X is not the recorded one", i, cmd)
	}
	c.next++
	return c.answers[i], nil
}

// sameNumbers makes the unpredictable number the same every time, so a
// recorded answer (signed over it) stays valid.
type sameNumbers struct{}

func (sameNumbers) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 0x5A
	}
	return len(p), nil
}

// BenchmarkKernel_Purchase is the kernel's own work for one approved
// purchase — selection, records, static data, both certificates, risk
// management, CDA with the hash code — replayed against a recorded wallet
// so the card's time is excluded. DESIGN section 8: p50 < 100 µs.
func BenchmarkKernel_Purchase(b *testing.B) {
	iss := issuerFor(b)
	w := newWallet(b, iss, issuance.Request{Balance: 50000})
	k := newKernel(b, iss, func(t *emv.Terminal) { t.Random = sameNumbers{} })
	rec := &recordingCard{Application: w}
	if out := tap(b, k, rec, device.Leave{}, emv.Purchase{Amount: 1250}); out.Result != emv.Approved {
		b.Fatalf("recording: %v %+v", out.Result, out.Reason)
	}
	took := make([]time.Duration, 0, b.N)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		card := &transcriptCard{commands: rec.commands, answers: rec.answers}
		start := time.Now()
		out := k.Run(ctx, card, emv.Purchase{Amount: 1250, At: today})
		took = append(took, time.Since(start))
		if out.Result != emv.Approved {
			b.Fatalf("purchase %d: %v %+v", i, out.Result, out.Reason)
		}
	}
	b.StopTimer()
	slices.Sort(took)
	at := func(p float64) float64 { return float64(took[int(p*float64(len(took)-1))]) / 1e3 }
	b.ReportMetric(at(0.50), "p50-µs")
	b.ReportMetric(at(0.99), "p99-µs")
}
