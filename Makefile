# The two commands: `make demo` runs the product, `make test` checks it.
# Both install what they need first (scripts/deps.sh).
SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)

BIN := bin
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: demo test bench package deps build clean

deps:
	@scripts/deps.sh

build: deps
	go build -o $(BIN)/lingqian .
	go build -o $(BIN)/ ./cmd/...

demo: build
	scripts/demo.sh

test: deps
	scripts/test.sh

bench: deps
	scripts/bench.sh

package: build
	mkdir -p dist/lingqian-$(VERSION)
	cp $(BIN)/lingqian $(BIN)/lingqian-phone README.md dist/lingqian-$(VERSION)/
	tar -C dist -czf dist/lingqian-$(VERSION)-linux-amd64.tar.gz lingqian-$(VERSION)
	@echo "package: dist/lingqian-$(VERSION)-linux-amd64.tar.gz"

clean:
	rm -rf $(BIN) dist bench.out demo.png
