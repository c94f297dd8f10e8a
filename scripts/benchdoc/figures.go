package main

// metric names one number a benchmark reports: its key in parse's results,
// the unit it reports it in, and how the table shows it.
type metric struct {
	Key   string  // "package.BenchmarkName[/sub]"
	Unit  string  // as go test prints it: "ns/op", "p50-ms", …
	Scale float64 // multiplies the value into Show's unit; 0 means 1
	Show  string  // the unit in the table
}

// figure is one row of the summary: a figure of DESIGN section 8 and the
// baseline measured beside it in the same run.
type figure struct {
	What, Target string
	Measured     metric
	Baseline     metric
	BaselineIs   string
	// PairedRatio is a ratio the benchmark reports run by run over its
	// own baseline; empty: the ratio of the two medians.
	PairedRatio string
	// Met says whether the figure reaches its target, from the measured
	// median and the ratio.
	Met func(measured, ratio float64) bool
	// OnRatio: the target is on the ratio, so no baseline, no verdict.
	OnRatio bool
	// AtMost: a figure that misses is above its target (else below).
	AtMost bool
	Alone  string // the command that measures it alone
}

const (
	systest = "lingqian/systest."
	store   = "lingqian/store."
	bank    = "lingqian/bank."
	pgstore = "lingqian/bank/pgstore."
	emv     = "lingqian/emv."
)

var figures = []figure{
	{
		What: "tap to approved (p50)", Target: "≤ 1.2 × the floor",
		Measured:    metric{Key: systest + "BenchmarkTap_ToApproved", Unit: "tap-p50-ms", Show: "ms"},
		Baseline:    metric{Key: systest + "BenchmarkTap_ToApproved", Unit: "floor-p50-ms", Show: "ms"},
		BaselineIs:  "the floor: the same APDUs echoed by a null card through the same pcscd and vpcd, plus the phone's own time answering them",
		PairedRatio: "tap/floor",
		Met:         func(_, ratio float64) bool { return ratio <= 1.2 },
		OnRatio:     true,
		AtMost:      true,
		Alone:       "go test -tags ci -run '^$' -bench Tap_ToApproved -count 3 ./systest/",
	},
	{
		What: "… the same beside its durable floor", Target: "≤ 1.2 × the durable floor",
		Measured:    metric{Key: systest + "BenchmarkTap_ToApproved", Unit: "tap-p50-ms", Show: "ms"},
		Baseline:    metric{Key: systest + "BenchmarkTap_ToApproved", Unit: "durable-floor-p50-ms", Show: "ms"},
		BaselineIs:  "the floor plus the desk's two journal writes that must be on disk in their turn (the tap before GENERATE AC, the purchase before approved), measured in the same taps",
		PairedRatio: "tap/durable-floor",
		Met:         func(_, ratio float64) bool { return ratio <= 1.2 },
		OnRatio:     true,
		AtMost:      true,
		Alone:       "go test -tags ci -run '^$' -bench Tap_ToApproved -count 3 ./systest/",
	},
	{
		What: "kernel work per purchase (p50)", Target: "< 100 µs",
		Measured:   metric{Key: emv + "BenchmarkKernel_Purchase", Unit: "p50-µs", Show: "µs"},
		Baseline:   metric{Key: emv + "BenchmarkKernel_PurchaseODAOnly", Unit: "p50-µs", Show: "µs"},
		BaselineIs: "the same purchase's offline data authentication alone: 3 RSA public-key operations (CA, issuer, ICC keys) and their hashes",
		Met:        func(m, _ float64) bool { return m < 100 },
		AtMost:     true,
		Alone:      "go test -tags ci -run '^$' -bench 'Kernel_' -count 5 ./emv/",
	},
	{
		What: "durable journal write per purchase (p99)", Target: "< 10 ms",
		Measured:   metric{Key: store + "BenchmarkAppend", Unit: "p99-ms", Show: "ms"},
		Baseline:   metric{Key: store + "BenchmarkAppend_RawWriteSync", Unit: "p99-ms", Show: "ms"},
		BaselineIs: "a plain write of the bytes one append adds to the WAL, then fdatasync, in the same folder (p99)",
		Met:        func(m, _ float64) bool { return m < 10 },
		AtMost:     true,
		Alone:      "go test -tags ci -run '^$' -bench 'Append$|Append_RawWriteSync' -count 5 ./store/",
	},
	{
		What: "forwarding 100,000 queued messages (SQLite bank)", Target: "≥ 10,000 /s",
		Measured:   metric{Key: systest + "BenchmarkForward_RealBank", Unit: "msgs/s", Show: "/s"},
		Baseline:   metric{Key: bank + "BenchmarkBatch_Clear", Unit: "msgs/s", Show: "/s"},
		BaselineIs: "the bank's clearing rate alone: batches of 500 over HTTPS on loopback, one after another, no desk",
		Met:        func(m, _ float64) bool { return m >= 10000 },
		Alone: "go test -tags ci -run '^$' -bench Forward_RealBank -benchtime 1x -count 3 ./systest/; " +
			"go test -tags ci -run '^$' -bench 'Batch_Clear' -benchtime 10x -count 5 ./bank/",
	},
	{
		What: "… the same beside the bank's store alone", Target: "≥ 10,000 /s",
		Measured:   metric{Key: systest + "BenchmarkForward_RealBank", Unit: "msgs/s", Show: "/s"},
		Baseline:   metric{Key: bank + "BenchmarkBatch_ClearStoreOnly", Unit: "msgs/s", Show: "/s"},
		BaselineIs: "the bank's writer alone: batches of 500 verified purchases cleared and posted, no HTTP, TLS, JSON or cryptogram checks",
		Met:        func(m, _ float64) bool { return m >= 10000 },
		Alone:      "go test -tags ci -run '^$' -bench 'Batch_ClearStoreOnly' -benchtime 10x -count 5 ./bank/",
	},
	{
		What: "forwarding 100,000 queued messages (PostgreSQL bank, one process)", Target: "≥ 10,000 /s",
		Measured:   metric{Key: systest + "BenchmarkForward_PostgreSQL/banks=1", Unit: "msgs/s", Show: "/s"},
		Baseline:   metric{Key: pgstore + "BenchmarkPostgreSQL_BatchClear/one_desk,_one_bank", Unit: "msgs/s", Show: "/s"},
		BaselineIs: "the bank on PostgreSQL clearing alone: batches of 1,000 (the bank's largest; a desk sends 500) over HTTPS on loopback, one desk, one bank",
		Met:        func(m, _ float64) bool { return m >= 10000 },
		Alone: "go test -tags ci -run '^$' -bench Forward_PostgreSQL -benchtime 1x -count 3 ./systest/; " +
			"go test -tags ci -run '^$' -bench PostgreSQL_BatchClear -benchtime 4x -count 5 ./bank/pgstore/",
	},
	{
		What: "Z report over 1,000,000 journal rows", Target: "< 300 ms",
		Measured:   metric{Key: store + "BenchmarkCloseDay1M", Unit: "ns/op", Scale: 1e-6, Show: "ms"},
		Baseline:   metric{Key: store + "BenchmarkCloseDay1M_BareScan", Unit: "ns/op", Scale: 1e-6, Show: "ms"},
		BaselineIs: "a bare scan of the same rows in the same database: SELECT count(*), sum(amount) FROM journal",
		Met:        func(m, _ float64) bool { return m < 300 },
		AtMost:     true,
		Alone:      "go test -tags ci -run '^$' -bench 'CloseDay1M' -count 5 ./store/",
	},
	{
		What: "desk cold start to usable (sign-in taking keys)", Target: "< 1.5 s",
		Measured:    metric{Key: systest + "BenchmarkWindow_ReadyBesideHelloWorld", Unit: "usable_ms", Show: "ms"},
		Baseline:    metric{Key: systest + "BenchmarkWindow_ReadyBesideHelloWorld", Unit: "hello_usable_ms", Show: "ms"},
		BaselineIs:  "Fyne's hello-world built and started in turns with the desk on the same Xvfb, to its window taking keys",
		PairedRatio: "ratio_usable_ms",
		Met:         func(m, _ float64) bool { return m < 1500 },
		AtMost:      true,
		Alone:       "go test -tags ci -run '^$' -bench Window_ReadyBesideHelloWorld -benchtime 1x -count 3 ./systest/",
	},
	{
		What: "desk resident memory after start (VmRSS)", Target: "< 150 MB",
		Measured:    metric{Key: systest + "BenchmarkWindow_ReadyBesideHelloWorld", Unit: "rss_MB", Show: "MB"},
		Baseline:    metric{Key: systest + "BenchmarkWindow_ReadyBesideHelloWorld", Unit: "hello_rss_MB", Show: "MB"},
		BaselineIs:  "the same hello-world's VmRSS, 3 s after usable",
		PairedRatio: "ratio_rss_MB",
		Met:         func(m, _ float64) bool { return m < 150 },
		AtMost:      true,
		Alone:       "go test -tags ci -run '^$' -bench Window_ReadyBesideHelloWorld -benchtime 1x -count 3 ./systest/",
	},
}
