package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The baselines of the journal's figures (DESIGN section 8), measured in
// the same run beside them: what the disk and SQLite cost before the
// journal does anything of its own.

// walReset is about where SQLite's WAL starts again from its beginning
// (the default checkpoint at 1000 pages of 4 KiB).
const walReset = 4 << 20

// BenchmarkAppend_RawWriteSync is BenchmarkAppend's floor: a plain write
// of as many bytes as one journal append adds to the WAL, at the end of a
// file in the same folder on the same disk, then fdatasync. No SQLite, no
// transaction; append p99 over this p99 is what the journal adds to the
// disk's own flush.
func BenchmarkAppend_RawWriteSync(b *testing.B) {
	dir := b.TempDir()
	size := walBytesPerAppend(b, dir)
	f, err := os.OpenFile(filepath.Join(dir, "raw.wal"), os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, size)
	for i := range buf {
		buf[i] = byte(i)
	}
	lat := make([]time.Duration, 0, 4096)
	var off int64
	for b.Loop() {
		start := time.Now()
		if _, err := f.WriteAt(buf, off); err != nil {
			b.Fatal(err)
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		if off += int64(size); off > walReset {
			off = 0
		}
	}
	b.ReportMetric(float64(size), "bytes/write")
	reportLatency(b, lat)
}

// walBytesPerAppend is how much the WAL grows by for one purchase
// appended, measured over a few on a fresh journal in dir.
func walBytesPerAppend(b *testing.B, dir string) int {
	b.Helper()
	path := filepath.Join(dir, "desk.db")
	db, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	walSize := func() int64 {
		st, err := os.Stat(path + "-wal")
		if err != nil {
			b.Fatal(err)
		}
		return st.Size()
	}
	if _, err := db.Append(ctx, purchase("warm", 1250, "li.na", time.Now())); err != nil {
		b.Fatal(err)
	}
	const n = 32
	before := walSize()
	for i := range n {
		if _, err := db.Append(ctx, purchase(fmt.Sprintf("w%d", i), 1250, "li.na", time.Now())); err != nil {
			b.Fatal(err)
		}
	}
	grown := walSize() - before
	if grown <= 0 {
		b.Fatalf("the WAL did not grow over %d appends (%d bytes)", n, grown)
	}
	return int(grown / n)
}

// BenchmarkCloseDay1M_BareScan is BenchmarkCloseDay1M's floor: one plain
// pass over the same 1,000,000-row journal in the same database, counting
// its rows and summing their amounts, which reads every row as the Z
// report's totals must.
func BenchmarkCloseDay1M_BareScan(b *testing.B) {
	db := bigDB(b)
	ctx := context.Background()
	for b.Loop() {
		var n, sum int64
		if err := db.r.QueryRowContext(ctx, `SELECT count(*), sum(amount) FROM journal`).Scan(&n, &sum); err != nil {
			b.Fatal(err)
		}
		if n != bigRows {
			b.Fatalf("%d rows", n)
		}
	}
}
