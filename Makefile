# The two commands: `make demo` runs the product, `make test` checks it.
# Both install what they need first (scripts/deps.sh).
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)

BIN := bin

.PHONY: demo test bench package deps build clean

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

# The installers, named with FyneApp.toml's version, and SHA256SUMS: dist/.
package: deps
	scripts/package.sh

clean:
	rm -rf $(BIN) dist bench.out demo.png
