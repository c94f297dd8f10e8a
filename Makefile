# The two commands: `make demo` runs the product, `make test` checks it.
# Both install what they need first (scripts/deps.sh).
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)

BIN := bin

.PHONY: demo test bench chaos package deps build clean

deps:
	@scripts/deps.sh

build: deps
	go build -o $(BIN)/lingqian .
	go build -o $(BIN)/ ./cmd/...

demo: build
	scripts/demo.sh

test: deps
	LINGQIAN_TEST_WINDOWS_PACKAGE=1 scripts/test.sh

bench: deps
	scripts/bench.sh

# A bounded fault campaign on loopback (CHAOS_SECONDS, default 180; CHAOS_SEED
# replays one): its last line says how many faults, purchases, lost, duplicated.
chaos: deps
	@mkdir -p $(BIN); set -o pipefail; \
	CHAOS_SECONDS=$${CHAOS_SECONDS:-180} go test -tags ci -run '^TestChaos$$' -count=1 -timeout 60m -v ./systest/ 2>&1 | tee $(BIN)/chaos.out; \
	rc=$$?; grep '^chaos: [0-9]' $(BIN)/chaos.out | tail -1; exit $$rc

# The installers, named with FyneApp.toml's version, and SHA256SUMS: dist/.
package: deps
	scripts/package.sh

clean:
	rm -rf $(BIN) dist bench.out demo.png
