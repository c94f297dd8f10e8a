#!/usr/bin/env bash
# Runs every benchmark; docs/BENCHMARKS.md records the figures and this command.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${BENCH_OUT:-bench.out}
# The bank's PostgreSQL benchmarks start a private cluster (internal/pgtest)
# and skip without one; go test -bench does not print a skip, so say it here.
pgbin=${LINGQIAN_TEST_PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)}
if [ -z "$pgbin" ] || [ ! -x "$pgbin/postgres" ] || [ ! -x "$pgbin/initdb" ]; then
  echo "bench: PostgreSQL's server is not installed (scripts/deps.sh installs it): the bank-on-PostgreSQL figures are skipped"
fi
# The window's start benchmarks need an X server and a keyboard to type with.
for tool in Xvfb xdotool; do
  command -v "$tool" >/dev/null || echo "bench: $tool is not installed (scripts/deps.sh installs it): the window's start figures are skipped"
done
go test -tags ci -run '^$' -bench . -benchmem -count "${BENCH_COUNT:-5}" -timeout 60m ./... | tee "$out"
echo "bench: results in $out"
