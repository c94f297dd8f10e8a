#!/usr/bin/env bash
# Runs every benchmark; docs/BENCHMARKS.md records the figures and this command.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_OUT:-bench.out}
go test -tags ci -run '^$' -bench . -benchmem -count "${BENCH_COUNT:-5}" -timeout 30m ./... | tee "$out"
echo "bench: results in $out"
