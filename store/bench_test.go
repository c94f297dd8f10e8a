package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"lingqian/app"
)

// BenchmarkAppend is the durable journal write per purchase: one
// immediate transaction, committed with an fsync of the WAL, on the
// machine's real disk. The design's target is p99 < 10 ms.
func BenchmarkAppend(b *testing.B) {
	db := openTemp(b)
	ctx := context.Background()
	lat := make([]time.Duration, 0, 4096)
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if _, err := db.Append(ctx, purchase(fmt.Sprintf("b%d", i), 1250, "li.na", start)); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	reportLatency(b, lat)
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

// BenchmarkSetStates is the forwarder marking a batch of 1000 entries.
func BenchmarkSetStates(b *testing.B) {
	db := openTemp(b)
	ctx := context.Background()
	const batch = 1000
	bulkJournal(b, db, 21*batch, false)
	unsent, err := db.Unsent(ctx, 20*batch)
	if err != nil {
		b.Fatal(err)
	}
	var seqs []int64
	for _, e := range unsent {
		seqs = append(seqs, e.Seq)
	}
	states := []app.OutboxState{app.StateQueued, app.StateSent, app.StateAcknowledged}
	for i := 0; b.Loop(); i++ {
		from := (i * batch) % len(seqs)
		changes := make([]app.StateChange, batch)
		for j := range changes {
			changes[j] = app.StateChange{Seq: seqs[from+j], State: states[i%len(states)]}
		}
		if err := db.SetStates(ctx, changes); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "states/s")
}

// BenchmarkAuthenticate is one sign-in: the argon2id cost.
func BenchmarkAuthenticate(b *testing.B) {
	db := openTemp(b)
	ctx := context.Background()
	if err := db.AddOperator(ctx, app.Operator{ID: "li.na", Role: app.RoleCashier}, "2468"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := db.Authenticate(ctx, "li.na", "2468"); err != nil {
			b.Fatal(err)
		}
	}
}

// The 1,000,000-row journal of the benchmarks below is built once and
// kept in the temporary folder: building it takes a while, and reports
// and Verify only read it. Its name carries the schema version and
// fixtureVersion, so a change to either builds a new one.
const (
	bigRows        = 1_000_000
	fixtureVersion = 1
	fixtureDone    = "bench.fixture"
)

func bigDB(b *testing.B) *DB {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("lingqian-store-bench-%d-s%d-f%d.db", bigRows, SchemaVersion(), fixtureVersion))
	if db, err := Open(path); err == nil {
		if v, err := db.Setting(context.Background(), fixtureDone); err == nil && v == "complete" {
			b.Cleanup(func() { db.Close() })
			return db
		}
		db.Close()
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			b.Fatal(err)
		}
	}
	db, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	bulkJournal(b, db, bigRows, true)
	if err := db.SetSetting(context.Background(), fixtureDone, "complete", "bench"); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %s with %d entries in %v", path, bigRows, time.Since(start).Round(time.Second))
	b.Cleanup(func() { db.Close() })
	return db
}

// bulkJournal appends n entries in transactions of 50,000, hashing them
// as Append does: per hundred, 97 purchases by 8 cashiers over one day,
// one void, one torn tap and its resolution. Purchases end up 80%
// posted, 5% duplicate, 5% rejected, the rest pending in various states;
// without states, all stay captured.
func bulkJournal(b *testing.B, db *DB, n int, states bool) {
	b.Helper()
	ctx := context.Background()
	base := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC).UnixNano()
	var last int64
	var prev []byte
	if err := db.w.QueryRow("SELECT coalesce(max(seq), 0), coalesce((SELECT hash FROM journal ORDER BY seq DESC LIMIT 1), zeroblob(32)) FROM journal").
		Scan(&last, &prev); err != nil {
		b.Fatal(err)
	}
	var tx *sql.Tx
	var ins, state *sql.Stmt
	commit := func() {
		if tx == nil {
			return
		}
		ins.Close()
		state.Close()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		tx = nil
	}
	var buf []byte
	for i := range n {
		if i%50_000 == 0 {
			commit()
			var err error
			if tx, err = db.w.BeginTx(ctx, nil); err != nil {
				b.Fatal(err)
			}
			if ins, err = tx.Prepare("INSERT INTO journal (" + entryCols + ") VALUES (?" + repeat(", ?", nEntryCols-1) + ")"); err != nil {
				b.Fatal(err)
			}
			if state, err = tx.Prepare("INSERT INTO outbox (seq, state, reason, at) VALUES (?, ?, '', ?)"); err != nil {
				b.Fatal(err)
			}
		}
		seq := last + int64(i) + 1
		at := time.Unix(0, base+int64(i)*86_400_000).UTC()
		e := purchase(fmt.Sprintf("T0000001-%016x%016x", seq, seq*7919), app.Money(100+seq%5000), fmt.Sprintf("cashier.%d", seq%8), at)
		switch seq % 100 {
		case 50:
			e.Kind, e.Ref, e.Note = app.KindVoid, seq-1, "customer changed their mind"
		case 98:
			e.Kind, e.Note, e.AC, e.IAD, e.GenACResponse = app.KindTorn, "card left", nil, nil, nil
		case 99:
			e.Kind, e.Ref, e.Note, e.AC, e.IAD, e.GenACResponse = app.KindTornCleared, seq-1, "never completed", nil, nil, nil
		}
		e.Seq, e.ATC, e.PrevHash = seq, uint16(seq), prev
		e.Hash, buf = chainHash(nil, buf, prev, &e)
		var ref any
		if e.Ref != 0 {
			ref = e.Ref
		}
		if _, err := ins.Exec(e.Seq, string(e.Kind), at.UnixNano(), e.IdempotencyKey, e.Operator, e.TerminalID, e.MerchantID, ref,
			e.Note, int64(e.Amount), e.Currency, e.TxnDate.UnixNano(), int64(e.TxnType), blob(e.AID), e.PAN, e.PSN, int64(e.ATC),
			int64(e.CID), blob(e.AC), blob(e.IAD), blob(e.TVR), blob(e.UN), blob(e.PDOLData), blob(e.CDOL1Data),
			blob(e.GenACResponse), e.PrevHash, e.Hash); err != nil {
			b.Fatal(err)
		}
		prev = e.Hash
		if e.Kind != app.KindPurchase || !states {
			continue
		}
		var final app.OutboxState
		switch r := seq % 20; {
		case r < 16:
			final = app.StatePosted
		case r == 16:
			final = app.StateDuplicate
		case r == 17:
			final = app.StateRejected
		case r == 18:
			final = app.StateSent
		}
		if final != "" && seq%100 != 49 { // 49 is voided by 50: left captured
			if _, err := state.Exec(seq, string(final), at.UnixNano()+int64(time.Hour)); err != nil {
				b.Fatal(err)
			}
		}
	}
	commit()
}

func BenchmarkVerify1M(b *testing.B) {
	db := bigDB(b)
	ctx := context.Background()
	for b.Loop() {
		brk, err := db.Verify(ctx)
		if err != nil || brk != nil {
			b.Fatalf("verify: %+v %v", brk, err)
		}
	}
	b.ReportMetric(float64(bigRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkXReport1M(b *testing.B) {
	db := bigDB(b)
	ctx := context.Background()
	var r app.Report
	for b.Loop() {
		var err error
		if r, err = db.XReport(ctx, "T1", "M1", time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	if r.LastSeq-r.FirstSeq+1 != bigRows || r.Posted.Count == 0 || r.Voided.Count == 0 {
		b.Fatalf("report over %d..%d: %+v", r.FirstSeq, r.LastSeq, r)
	}
}

// BenchmarkCloseDay1M makes the Z report over the whole 1M-row journal
// (totals, canonical JSON, seal, insert, audit row) in the writer's
// transaction, then rolls it back so the fixture stays open for the next
// run; the commit's fsync, measured by BenchmarkAppend, is not included.
func BenchmarkCloseDay1M(b *testing.B) {
	db := bigDB(b)
	ctx := context.Background()
	for b.Loop() {
		tx, err := db.w.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		r, err := closeDay(ctx, tx, "zhang.san", "T1", "M1", time.Now())
		if err != nil {
			b.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			b.Fatal(err)
		}
		if r.Number != 1 || r.LastSeq != bigRows {
			b.Fatalf("Z %d over ..%d", r.Number, r.LastSeq)
		}
	}
}

func BenchmarkPending1M(b *testing.B) {
	db := bigDB(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := db.Pending(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSalesPage1M reads the forwarding screen's first page over the
// 1M-row journal: all sales, the rejected ones (one in twenty), and a
// search that matches one sale, which walks every row.
func BenchmarkSalesPage1M(b *testing.B) {
	db := bigDB(b)
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		f    app.SaleFilter
	}{
		{"all", app.SaleFilter{}},
		{"rejected", app.SaleFilter{Show: app.ShowRejected}},
		{"search", app.SaleFilter{Search: "123457"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				rows, err := db.SalesPage(ctx, bc.f, 0, 200)
				if err != nil || len(rows) == 0 {
					b.Fatalf("%d rows, %v", len(rows), err)
				}
			}
		})
	}
}
