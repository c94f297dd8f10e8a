package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sampleResults(t *testing.T) map[string]*result {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "bench.sample.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return parse(f)
}

func TestParse_TakesEveryRunOfEveryBenchmarkByPackage(t *testing.T) {
	// Given the recorded output of several go test -bench runs (-v, some
	// skipped, one failed, one result line cut by other output)
	// When it is parsed
	res := sampleResults(t)
	// Then each benchmark has its runs, its skip reason or its failure
	for _, tc := range []struct {
		key  string
		unit string
		runs int
		med  float64
	}{
		{emv + "BenchmarkKernel_Purchase", "p50-µs", 2, (23.57 + 25.43) / 2},
		{store + "BenchmarkCloseDay1M", "ns/op", 3, 305000000},
		{store + "BenchmarkAppend", "p99-ms", 1, 2.583},
		{systest + "BenchmarkTap_ToApproved", "tap/floor", 3, 1.601},
		{systest + "BenchmarkForward_RealBank", "msgs/s", 2, 11700},
		{bank + "BenchmarkBatch_Clear", "msgs/s", 1, 11593},
	} {
		r := res[tc.key]
		if r == nil {
			t.Errorf("%s: not found", tc.key)
			continue
		}
		med, _, _, n, ok := r.median(tc.unit)
		if !ok || n != tc.runs || med != tc.med {
			t.Errorf("%s %s: median %v over %d runs (%v), want %v over %d", tc.key, tc.unit, med, n, ok, tc.med, tc.runs)
		}
	}
	if r := res[pgstore+"BenchmarkPostgreSQL_BatchClear/one_desk,_one_bank"]; r == nil || !strings.Contains(r.skipped, "PostgreSQL's server is not installed") {
		t.Errorf("the PostgreSQL skip: %+v", r)
	}
	if r := res[systest+"BenchmarkForward_PostgreSQL/banks=1"]; r == nil || !strings.HasPrefix(r.skipped, "no PostgreSQL") {
		t.Errorf("the forwarding skip: %+v", r)
	}
	if r := res[bank+"BenchmarkBatch_ClearStoreOnly"]; r == nil || !r.failed || len(r.runs) != 0 {
		t.Errorf("the failed benchmark: %+v", r)
	}
}

func TestRender_SaysMetMissedAndNotMeasuredWithoutInventingANumber(t *testing.T) {
	// Given the sample's results
	res := sampleResults(t)
	// When the block is rendered
	block := string(render(figures, res, machine{CPU: "Test CPU", Cores: 2, MemGiB: 23.5, Kernel: "6.1", OS: "Debian", Go: "go1.26"},
		runInfo{Command: "make bench", Wall: 25 * time.Minute, Date: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)}))
	rows := map[string]string{}
	for _, line := range strings.Split(block, "\n") {
		if cells := strings.Split(line, " | "); len(cells) > 2 && strings.HasPrefix(line, "| ") {
			rows[strings.TrimPrefix(cells[0], "| ")] = line
		}
	}
	// Then every figure has its row, with the verdict its numbers give
	for _, tc := range []struct{ row, want string }{
		{"tap to approved (p50)", "**1.60** (1.17–1.72) | **above target**"},
		{"kernel work per purchase (p50)", "**24.5 µs** (23.6–25.4, 2 runs) | **10.0 µs** (9.51–10.5, 2 runs) | **2.45** | met"},
		{"durable journal write per purchase (p99)", "**2.58 ms** (2.58–2.58, 1 run) | **0.53 ms**"},
		{"forwarding 100,000 queued messages (SQLite bank)", "**11,700/s** (11,600–11,800, 2 runs) | **11,593/s** (11,593–11,593, 1 run) | **1.01** | met"},
		{"… the same beside the bank's store alone", "not measured: BenchmarkBatch_ClearStoreOnly failed (see bench.out) |  | met"},
		{"forwarding 100,000 queued messages (PostgreSQL bank, one process)", "not measured: BenchmarkForward_PostgreSQL/banks=1 skipped: no PostgreSQL, so no figures for the bank on it: not installed |  |  | **not measured**"},
		{"Z report over 1,000,000 journal rows", "**305 ms** (299–310, 3 runs) | **186 ms** (186–186, 1 run) | **1.64** | **above target**"},
		{"desk cold start to usable (sign-in taking keys)", "**282 ms** (273–308, 3 runs) | **206 ms** (190–215, 3 runs) | **1.44** (1.31–1.50) | met"},
		{"desk resident memory after start (VmRSS)", "**154 MB** (154–155, 3 runs) | **153 MB** (153–153, 3 runs) | **1.01** (1.01–1.01) | **above target**"},
	} {
		if !strings.Contains(rows[tc.row], tc.want) {
			t.Errorf("row %q:\n got %s\nwant …%s…", tc.row, rows[tc.row], tc.want)
		}
	}
	for _, want := range []string{"Test CPU, 2 cores", "23.5 GiB RAM", "`make bench`, 25m0s wall time"} {
		if !strings.Contains(block, want) {
			t.Errorf("the block lacks %q", want)
		}
	}
}

func TestReplaceBlock_TouchesNothingOutsideTheMarkers(t *testing.T) {
	// Given a document with the block among prose
	doc := []byte("# Benchmarks\n\nIntro.\n\n" + beginMarker + "\nold table\n" + endMarker + "\n\n## Prose\n\nKept.\n")
	// When the block is replaced, twice
	once, err := replaceBlock(doc, []byte("new table\n"))
	if err != nil {
		t.Fatal(err)
	}
	twice, err := replaceBlock(once, []byte("new table\n"))
	if err != nil {
		t.Fatal(err)
	}
	// Then only the inside changed, and the same block gives the same text
	want := "# Benchmarks\n\nIntro.\n\n" + beginMarker + "\nnew table\n" + endMarker + "\n\n## Prose\n\nKept.\n"
	if string(once) != want || !bytes.Equal(once, twice) {
		t.Errorf("got\n%s\nthen\n%s", once, twice)
	}
	// And a document without the markers is refused, not appended to
	if _, err := replaceBlock([]byte("# Benchmarks\n"), []byte("x")); err == nil {
		t.Error("no markers: no error")
	}
}
