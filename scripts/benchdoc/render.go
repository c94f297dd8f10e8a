package main

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"time"
)

// runInfo is what the table says about the run itself.
type runInfo struct {
	Command string
	Wall    time.Duration
	Date    time.Time
}

// render writes the block: the machine, the run, the table and how to
// measure each figure alone.
func render(figs []figure, results map[string]*result, m machine, run runInfo) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "## Summary of the last `make bench`\n\n")
	fmt.Fprintf(&b, "Written by `make bench` (scripts/benchdoc) from one run on %s; this block is rewritten on every run, "+
		"the sections below it are not.\n\n", run.Date.Format("2006-01-02"))
	fmt.Fprintf(&b, "- Machine: %s\n", m.String())
	wall := ""
	if run.Wall > 0 {
		wall = fmt.Sprintf(", %s wall time", run.Wall.Round(time.Second))
	}
	fmt.Fprintf(&b, "- Command: `%s`%s; raw output in `bench.out`.\n", run.Command, wall)
	fmt.Fprintf(&b, "- Each number is the median over the runs (smallest–largest, runs); the baseline is measured in the "+
		"same run. The ratio is the median of each run's own ratio where the benchmark measures both in turns (tap, "+
		"window), else the ratio of the two medians.\n\n")
	fmt.Fprintf(&b, "| figure (DESIGN section 8) | target | measured | baseline, same run | measured / baseline | verdict |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|\n")
	for _, f := range figs {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", f.What, f.Target, strings.Join(row(f, results), " | "))
	}
	fmt.Fprintf(&b, "\nThe baselines:\n\n")
	for _, f := range figs {
		fmt.Fprintf(&b, "- %s: %s. Alone: `%s`\n", f.What, f.BaselineIs, f.Alone)
	}
	b.WriteString("\n")
	return b.Bytes()
}

// row is the measured, baseline, ratio and verdict cells of one figure.
func row(f figure, results map[string]*result) []string {
	res := results[f.Measured.Key]
	med, lo, hi, n, ok := median(res, f.Measured)
	if !ok {
		return []string{notMeasured(f.Measured.Key, res), "", "", "**not measured**"}
	}
	measured := fmt.Sprintf("%s (%s–%s, %s)", show(med, f.Measured.Show), num(lo), num(hi), runs(n))
	baseline, ratioCell := "", ""
	ratio := math.NaN()
	bres := results[f.Baseline.Key]
	if bmed, blo, bhi, bn, ok := median(bres, f.Baseline); ok {
		baseline = fmt.Sprintf("%s (%s–%s, %s)", show(bmed, f.Baseline.Show), num(blo), num(bhi), runs(bn))
		if bmed != 0 {
			ratio = med / bmed
		}
	} else {
		baseline = notMeasured(f.Baseline.Key, bres)
	}
	if f.PairedRatio != "" {
		if r, rlo, rhi, _, ok := res.median(f.PairedRatio); ok {
			ratio = r
			ratioCell = fmt.Sprintf("**%.2f** (%.2f–%.2f)", r, rlo, rhi)
		}
	} else if !math.IsNaN(ratio) {
		ratioCell = fmt.Sprintf("**%.2f**", ratio)
	}
	var verdict string
	switch {
	case f.OnRatio && math.IsNaN(ratio):
		verdict = "**not measured**: no baseline"
	case f.Met(med, ratio):
		verdict = "met"
	case f.AtMost:
		verdict = "**above target**"
	default:
		verdict = "**below target**"
	}
	return []string{measured, baseline, ratioCell, verdict}
}

func median(r *result, m metric) (med, lo, hi float64, n int, ok bool) {
	if r == nil {
		return 0, 0, 0, 0, false
	}
	med, lo, hi, n, ok = r.median(m.Unit)
	if s := m.Scale; s != 0 {
		med, lo, hi = med*s, lo*s, hi*s
	}
	return med, lo, hi, n, ok
}

// notMeasured says why a benchmark gave no figure, as its output said.
func notMeasured(key string, r *result) string {
	name := key[strings.LastIndex(key, ".")+1:]
	switch {
	case r == nil:
		return fmt.Sprintf("not measured: %s did not run (see bench.out)", name)
	case r.failed:
		return fmt.Sprintf("not measured: %s failed (see bench.out)", name)
	case r.skipped != "":
		return fmt.Sprintf("not measured: %s skipped: %s", name, strings.ReplaceAll(r.skipped, "|", "/"))
	}
	return fmt.Sprintf("not measured: %s reported no such metric", name)
}

func runs(n int) string {
	if n == 1 {
		return "1 run"
	}
	return fmt.Sprintf("%d runs", n)
}

func show(v float64, unit string) string {
	if unit == "/s" {
		return "**" + num(v) + "/s**"
	}
	return "**" + num(v) + " " + unit + "**"
}

// num shows a figure with about three significant digits, thousands
// grouped.
func num(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1000:
		s := fmt.Sprintf("%.0f", v)
		var out []byte
		for i, c := range []byte(s) {
			if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
				out = append(out, ',')
			}
			out = append(out, c)
		}
		return string(out)
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}
