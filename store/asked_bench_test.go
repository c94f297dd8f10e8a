package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkAskAnswer is what a purchase writes at the desk: its tap
// written down before GENERATE AC (one durable commit), then the purchase
// answering it (another). Reported apart: ask-p50-ms and answer-p50-ms.
func BenchmarkAskAnswer(b *testing.B) {
	db := openTemp(b)
	ctx := context.Background()
	ask := make([]time.Duration, 0, 4096)
	answer := make([]time.Duration, 0, 4096)
	for i := 0; b.Loop(); i++ {
		key := fmt.Sprintf("t%d", i)
		start := time.Now()
		if err := db.Ask(ctx, torn(key, start)); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if _, err := db.Answer(ctx, key, ptr(purchase(fmt.Sprintf("p%d", i), 1250, "li.na", start))); err != nil {
			b.Fatal(err)
		}
		ask, answer = append(ask, mid.Sub(start)), append(answer, time.Since(mid))
	}
	b.ReportMetric(p50ms(ask), "ask-p50-ms")
	b.ReportMetric(p50ms(answer), "answer-p50-ms")
}

func p50ms(lat []time.Duration) float64 {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	return float64(s[len(s)/2].Microseconds()) / 1000
}
