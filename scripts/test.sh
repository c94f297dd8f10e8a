#!/usr/bin/env bash
# The whole check: formatting, vet, and every test. Tests that need the
# PC/SC service start their own pcscd (internal/pcsctest) and stop it by PID.
set -euo pipefail
cd "$(dirname "$0")/.."

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" $unformatted >&2
  exit 1
fi

# A short fault campaign runs with the tests (systest's TestChaos); `make
# chaos` runs the long one.
export CHAOS_SECONDS=${CHAOS_SECONDS:-20}

# -tags ci: Fyne's software driver, so unit tests need no GPU or display.
go vet -tags ci ./...
go test -tags ci -count=1 -timeout 20m "$@" ./...
