package sync_test

import (
	"context"
	"testing"
	"time"

	"lingqian/sync/synctest"
)

// BenchmarkForward measures the desk's side of forwarding 20,000
// messages: reading the outbox, the state changes per batch and the HTTPS
// round trips to a bank that answers at once.
func BenchmarkForward(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		bank := synctest.Start(b, synctest.Options{})
		db := openJournal(b)
		seed(b, db, 20000)
		c := newClient(b, fast(bank, b))
		b.StartTimer()
		start := time.Now()
		p, err := c.Forward(context.Background(), db, 0, nil)
		if err != nil || p.Sent != 20000 {
			b.Fatalf("%+v %v", p, err)
		}
		b.ReportMetric(float64(p.Sent)/time.Since(start).Seconds(), "msgs/s")
	}
}
