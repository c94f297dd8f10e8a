#!/usr/bin/env bash
# Runs every benchmark, each figure of DESIGN section 8 beside its baseline
# in the same run, then writes the summary block at the top of
# docs/BENCHMARKS.md (scripts/benchdoc) from what they printed.
#
# BENCH_COUNT runs of each fast benchmark (default 5), BENCH_SLOW_COUNT of
# the system ones that start pcscd, banks and windows (default 3); raw
# output in BENCH_OUT (default bench.out). About 30 minutes on 2 cores.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_OUT:-bench.out}
count=${BENCH_COUNT:-5}
slow=${BENCH_SLOW_COUNT:-3}
# The bank's PostgreSQL benchmarks start a private cluster (internal/pgtest)
# and skip without one; the summary says so too, from their -v output.
pgbin=${LINGQIAN_TEST_PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)}
if [ -z "$pgbin" ] || [ ! -x "$pgbin/postgres" ] || [ ! -x "$pgbin/initdb" ]; then
  echo "bench: PostgreSQL's server is not installed (scripts/deps.sh installs it): the bank-on-PostgreSQL figures are skipped"
fi
# The window's start benchmarks need an X server and a keyboard to type with.
for tool in Xvfb xdotool; do
  command -v "$tool" >/dev/null || echo "bench: $tool is not installed (scripts/deps.sh installs it): the window's start figures are skipped"
done

started=$(date +%s)
: >"$out"
failed=0
# -v so that a skipped benchmark says why in the output.
bench() {
  echo "bench: go test $*" | tee -a "$out"
  go test -tags ci -run '^$' -benchmem -timeout 90m -v "$@" 2>&1 | tee -a "$out" || failed=1
}
# Every other package with a benchmark.
fast=$(grep -rl --include='*_test.go' '^func Benchmark' . | xargs -n1 dirname | sort -u |
  grep -v -e '^./systest$' -e '^./bank$' -e '^./bank/pgstore$')
# shellcheck disable=SC2086 # one argument per package
bench -bench . -count "$count" $fast
# The bank's batch benchmarks prepare every batch before the clock starts:
# a fixed number keeps that bounded.
bench -bench . -benchtime 10x -count "$count" ./bank/
bench -bench . -benchtime 4x -count "$slow" ./bank/pgstore/
# A tap is milliseconds: the default benchtime gives each run ~150 of them.
bench -bench 'Tap_ToApproved' -count "$slow" ./systest/
# One forwarding of 100,000 messages, or 7 window starts of each program,
# is one iteration.
bench -bench 'Forward_|Window_' -benchtime 1x -count "$slow" ./systest/
wall=$(($(date +%s) - started))
echo "bench: results in $out (${wall}s)"

go run ./scripts/benchdoc -in "$out" -doc docs/BENCHMARKS.md -wall "${wall}s" \
  -command "make bench (BENCH_COUNT=$count, BENCH_SLOW_COUNT=$slow)" || failed=1
if [ "$failed" -ne 0 ]; then
  echo "bench: a benchmark failed or the summary was not written; see $out" >&2
  exit 1
fi
echo "bench: summary written to docs/BENCHMARKS.md"
