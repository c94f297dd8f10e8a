package bank_test

import (
	"testing"
	"time"

	"lingqian/bank"
	desksync "lingqian/sync"
)

// BenchmarkBatch_Clear measures clearing and posting batches of real
// purchases over HTTPS on loopback, one after another, with nothing of a
// desk around them: the bank's own clearing rate, the baseline of
// forwarding (DESIGN section 8). A batch is as many messages as a desk's
// forwarder sends in one (sync.MaxBatch), so the two figures compare.
func BenchmarkBatch_Clear(b *testing.B) {
	e := newEnv(b)
	e.customer("alice", 900_000_000)
	d := e.desk("M001", false)
	const per = desksync.MaxBatch
	// One phone signed in once: a sign-in per wallet would meet the
	// bank's sign-in rate limit long before the benchmark has its batches.
	phone := e.phone("alice")
	var batches [][]bank.WireMessage
	for range max(b.N, 1) {
		var msgs []bank.WireMessage
		for len(msgs) < per {
			w := phone.NewWallet(b, b.TempDir(), 100000)
			for range 100 {
				msgs = append(msgs, d.Purchase(b, w, 100))
			}
		}
		batches = append(batches, msgs)
	}
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		d.Send(b, batches[i]...)
	}
	b.ReportMetric(float64(b.N*per)/time.Since(start).Seconds(), "msgs/s")
}
