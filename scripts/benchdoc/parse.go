package main

import (
	"bufio"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// result is what one benchmark gave over the runs of -count: its metrics
// run by run, or why it gave none.
type result struct {
	runs    []map[string]float64 // unit → value, one map per result line
	skipped string               // the reason it said when it skipped
	failed  bool
}

// median is the median of unit over the runs that reported it, with the
// smallest and largest; ok is false when no run did.
func (r *result) median(unit string) (med, lo, hi float64, n int, ok bool) {
	var v []float64
	for _, m := range r.runs {
		if x, has := m[unit]; has {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return 0, 0, 0, 0, false
	}
	slices.Sort(v)
	med = v[len(v)/2]
	if len(v)%2 == 0 {
		med = (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return med, v[0], v[len(v)-1], len(v), true
}

var (
	// BenchmarkName-2   	  12	  345 ns/op	  6.7 unit ...
	resultLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(\S+ ns/op.*)$`)
	// A result line cut by something the benchmark printed while it ran.
	nameOnly    = regexp.MustCompile(`^(Benchmark\S+?)-\d+\s`)
	numbersOnly = regexp.MustCompile(`^\s*(\d+)\s+(\S+ ns/op.*)$`)
	verdict     = regexp.MustCompile(`^\s*--- (SKIP|FAIL): (Benchmark\S+?)(?:-\d+)?(?: \(.*\))?$`)
	logPrefix   = regexp.MustCompile(`^\s+\S+\.go:\d+: `)
	benchStarts = regexp.MustCompile(`^Benchmark\S+$`) // -v names a benchmark as it starts
)

// parse reads go test -bench output (with or without -v, several packages
// in turn) into results keyed "package.BenchmarkName[/sub]".
func parse(r io.Reader) map[string]*result {
	out := map[string]*result{}
	get := func(key string) *result {
		if out[key] == nil {
			out[key] = &result{}
		}
		return out[key]
	}
	var pkg, pending string
	// A benchmark's log comes before its --- SKIP line when go test
	// streams it (-v), after it otherwise.
	var lastLog string
	var skipping *result // the skip whose reason may come on the next line
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if skipping != nil {
			if logPrefix.MatchString(line) {
				skipping.skipped = strings.TrimSpace(logPrefix.ReplaceAllString(line, ""))
				skipping = nil
				continue
			}
			skipping = nil
		}
		switch {
		case logPrefix.MatchString(line):
			lastLog = strings.TrimSpace(logPrefix.ReplaceAllString(line, ""))
		case benchStarts.MatchString(line):
			lastLog = ""
		case strings.HasPrefix(line, "pkg: "):
			pkg, pending = strings.TrimSpace(strings.TrimPrefix(line, "pkg: ")), ""
		case resultLine.MatchString(line):
			m := resultLine.FindStringSubmatch(line)
			if metrics, ok := metricsOf(m[3]); ok {
				get(pkg + "." + m[1]).runs = append(get(pkg+"."+m[1]).runs, metrics)
			}
			pending = ""
		case pending != "" && numbersOnly.MatchString(line):
			m := numbersOnly.FindStringSubmatch(line)
			if metrics, ok := metricsOf(m[2]); ok {
				get(pkg + "." + pending).runs = append(get(pkg+"."+pending).runs, metrics)
			}
			pending = ""
		case verdict.MatchString(line):
			m := verdict.FindStringSubmatch(line)
			res := get(pkg + "." + m[2])
			if m[1] == "FAIL" {
				res.failed = true
			} else if lastLog != "" {
				res.skipped = lastLog
			} else {
				res.skipped, skipping = "skipped", res
			}
			lastLog = ""
		case nameOnly.MatchString(line):
			pending = nameOnly.FindStringSubmatch(line)[1]
		}
	}
	return out
}

// metricsOf reads "345 ns/op	6.7 p50-ms ..." as value–unit pairs.
func metricsOf(s string) (map[string]float64, bool) {
	f := strings.Fields(s)
	if len(f)%2 != 0 {
		return nil, false
	}
	m := make(map[string]float64, len(f)/2)
	for i := 0; i < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return nil, false
		}
		m[f[i+1]] = v
	}
	return m, true
}
