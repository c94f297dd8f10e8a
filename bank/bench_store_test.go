package bank

import (
	"fmt"
	"testing"

	desksync "lingqian/sync"
)

// BenchmarkBatch_ClearStoreOnly is the bank's clearing with neither HTTP,
// TLS, JSON nor the cryptograms' checks: batches of as many purchases as a
// desk's forwarder sends (sync.MaxBatch), already verified, cleared and
// posted by the one writer set-based, as handleBatch does. Beside
// BenchmarkBatch_Clear it says how much of the bank's rate is its store.
func BenchmarkBatch_ClearStoreOnly(b *testing.B) {
	const spenders, per = 10, desksync.MaxBatch
	bk := writerBank(b, b.TempDir(), spenders, writerLoad)
	var seq int64
	for range b.N {
		b.StopTimer()
		preps := make([]*prepared, 0, per)
		for len(preps) < per {
			seq++
			w := int(seq % spenders)
			preps = append(preps, verified(KindPurchase, seq, 0, fmt.Sprintf("T0000001-%d-bench", seq), w, uint16(seq/spenders), 100, byte(seq)))
		}
		b.StartTimer()
		res, err := bk.clearSetBased(b, preps)
		if err != nil {
			b.Fatal(err)
		}
		if last := res[len(res)-1]; last.State != string(StatePosted) {
			b.Fatalf("the last purchase: %+v", last)
		}
	}
	b.ReportMetric(float64(b.N*per)/b.Elapsed().Seconds(), "msgs/s")
}
