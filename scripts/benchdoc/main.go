// Command benchdoc writes the summary of one `make bench` run into
// docs/BENCHMARKS.md: every figure of DESIGN section 8 beside the baseline
// measured in the same run, as medians over the runs of `-count`, with the
// machine they ran on. It rewrites only the block between the markers
// below, so the prose around it stays as people wrote it.
//
//	go run ./scripts/benchdoc -in bench.out -doc docs/BENCHMARKS.md
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"time"
)

const (
	beginMarker = "<!-- make bench: begin -->"
	endMarker   = "<!-- make bench: end -->"
)

func main() {
	in := flag.String("in", "bench.out", "the output of go test -bench to read")
	doc := flag.String("doc", "docs/BENCHMARKS.md", "the document whose marked block is rewritten")
	wall := flag.Duration("wall", 0, "how long the whole run took")
	command := flag.String("command", "make bench", "the command the run was")
	flag.Parse()
	if err := run(*in, *doc, *command, *wall); err != nil {
		fmt.Fprintln(os.Stderr, "benchdoc:", err)
		os.Exit(1)
	}
}

func run(in, doc, command string, wall time.Duration) error {
	out, err := os.ReadFile(in)
	if err != nil {
		return fmt.Errorf("reading the benchmarks' output: %w", err)
	}
	results := parse(bytes.NewReader(out))
	text, err := os.ReadFile(doc)
	if err != nil {
		return fmt.Errorf("reading %s: %w", doc, err)
	}
	block := render(figures, results, machineFacts(), runInfo{
		Command: command, Wall: wall, Date: time.Now().UTC(),
	})
	updated, err := replaceBlock(text, block)
	if err != nil {
		return fmt.Errorf("%s: %w", doc, err)
	}
	if err := os.WriteFile(doc, updated, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", doc, err)
	}
	return nil
}

// replaceBlock puts block between the markers, leaving every byte outside
// them as it was.
func replaceBlock(doc, block []byte) ([]byte, error) {
	begin := bytes.Index(doc, []byte(beginMarker))
	end := bytes.Index(doc, []byte(endMarker))
	if begin < 0 || end < 0 || end < begin {
		return nil, fmt.Errorf("no %q … %q block to rewrite", beginMarker, endMarker)
	}
	var out bytes.Buffer
	out.Write(doc[:begin+len(beginMarker)])
	out.WriteByte('\n')
	out.Write(block)
	out.Write(doc[end:])
	return out.Bytes(), nil
}
