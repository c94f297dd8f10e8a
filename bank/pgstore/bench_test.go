package pgstore_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"lingqian/bank"
	"lingqian/bank/banktest"
	"lingqian/internal/pgtest"
)

// BenchmarkPostgreSQL_BatchClear is bank's BenchmarkBatch_Clear on
// PostgreSQL: full batches of real purchases cleared and posted over
// HTTPS on loopback, by one bank process or two on one database (in this
// process, each with its own connections, as processes_test.go's). One
// desk sends one batch after another; two desks send at once, to one
// process or each to its own. The cluster is pgtest's (fsync off).
func BenchmarkPostgreSQL_BatchClear(b *testing.B) {
	for _, c := range []struct {
		name         string
		desks, banks int
	}{{"one desk, one bank", 1, 1}, {"two desks, one bank", 2, 1}, {"two desks, two banks", 2, 2}} {
		b.Run(c.name, func(b *testing.B) {
			dsn, keys := pgtest.NewDB(b, cluster), b.TempDir()
			procs := []*process{bankProcess(b, dsn, keys)}
			if c.banks == 2 {
				procs = append(procs, bankProcess(b, dsn, keys))
			}
			if err := procs[0].b.AddCustomer(ctx, "alice", "s3cret-alice", 900_000_000); err != nil {
				b.Fatal(err)
			}
			// One phone signed in once: a sign-in per wallet would meet
			// the bank's sign-in rate limit first.
			phone := banktest.Login(b, procs[0].base, procs[0].ca, "alice", "s3cret-alice")
			desks := make([]*banktest.Desk, c.desks)
			batches := make([][][]bank.WireMessage, c.desks)
			for i := range desks {
				desks[i] = procs[i%len(procs)].desk(b, fmt.Sprintf("M%03d", i+1))
				// Each desk sends b.N batches, whatever the count of desks:
				// the rate is of every message cleared.
				for range max(b.N, 1) {
					var msgs []bank.WireMessage
					for len(msgs) < bank.MaxBatch {
						w := phone.NewWallet(b, b.TempDir(), 100000)
						for range 100 {
							msgs = append(msgs, desks[i].Purchase(b, w, 100))
						}
					}
					batches[i] = append(batches[i], msgs)
				}
			}
			retried := retries(procs)
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for i, d := range desks {
				wg.Go(func() {
					for _, msgs := range batches[i][:b.N] {
						if _, err := send(d, procs[i%len(procs)], banktest.NewKey("batch"), msgs); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			took := time.Since(start)
			b.StopTimer()
			n := b.N * bank.MaxBatch * c.desks
			b.ReportMetric(float64(n)/took.Seconds(), "msgs/s")
			b.ReportMetric(float64(retries(procs)-retried)/float64(b.N*c.desks), "retries/batch")
			rep, err := procs[0].b.Report(ctx, bank.ReportFilter{})
			if err != nil || rep.Posted.Count != int64(n) {
				b.Fatalf("posted %+v (%v), want %d", rep.Posted, err, n)
			}
		})
	}
}

// retries adds up the write attempts the processes ran again.
func retries(procs []*process) int64 {
	var n int64
	for _, p := range procs {
		n += p.store.Retries()
	}
	return n
}
