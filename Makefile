# harborgen — common tasks. `make test` is what CI runs.
GO      ?= go
BIN     := bin/harborgen
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
FUZZTIME ?= 5m

.PHONY: all build deps test test-services lint demo bench fuzz fuzz-list clean

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/harborgen

# The Debian packages the tests need (as root with apt-get; elsewhere it
# fails with the install command).
deps:
	@bash .ci/deps

# Every test: unit, golden, CLI, the fuzz seed corpora (run as tests), then
# the real-service suite. On a fresh Debian machine with only Go, run as
# root: deps installs what the tests need first.
test: deps lint
	$(GO) test -count=1 -timeout 30m $$($(GO) list ./... | grep -v '/internal/services$$')
	$(MAKE) --no-print-directory test-services

# The real-service suite alone: renders loopback specs and starts Galera,
# Redis, nginx, HAProxy, Ceph RGW and PostgreSQL under Patroni (with etcd)
# from the rendered files on 127.0.0.x.
# HARBORGEN_SERVICES_SPEC=path tries another loopback spec first. Its
# "real-services: ..." lines are the summary.
test-services:
	$(GO) test -count=1 -v -timeout 30m ./internal/services

lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	@$(MAKE) --no-print-directory fuzz-list

# Render examples/ha-modern into ./out, with throwaway secrets in
# demo.secrets.toml (ignored by git; the external database's password is the
# operator's, so the demo supplies one).
demo: build
	$(BIN) secrets init --secrets demo.secrets.toml examples/ha-modern/harborgen.toml
	HARBORGEN_SECRET_DB_PASSWORD=demo $(BIN) render --secrets demo.secrets.toml --out out examples/ha-modern/harborgen.toml

# Go benchmarks of every stage (internal/bench: load, validate, plan, render,
# verify, write on generated specs of 3, 50 and 500 harbor nodes; and the
# other packages' own), then the whole-process ratios of issue 14 measured
# side by side (BENCHROUNDS rounds), printed as one table: docs/benchmarks.md.
BENCHROUNDS ?= 15
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	bash internal/bench/bench.sh $(BENCHROUNDS)

# Long fuzzing runs, not part of CI: make fuzz FUZZTIME=5m runs every fuzz
# target in turn (go test fuzzes one target at a time), each for FUZZTIME,
# minimizing a crash for at most FUZZMINIMIZE. A crash is left in
# <package>/testdata/fuzz/<target>/: commit it with the fix.
FUZZMINIMIZE ?= 30s
FUZZ_TARGETS := \
	internal/spec:FuzzParseTOML \
	internal/spec:FuzzParseYAML \
	internal/secrets:FuzzParseSecrets \
	internal/validate:FuzzValidate \
	internal/render:FuzzPipeline \
	internal/escape:FuzzCompose \
	internal/escape:FuzzDockerfileImage \
	internal/escape:FuzzEnv \
	internal/escape:FuzzINI \
	internal/escape:FuzzMermaidLabel \
	internal/escape:FuzzNginx \
	internal/escape:FuzzRedisConf \
	internal/escape:FuzzShell \
	internal/escape:FuzzURLPathSegment \
	internal/escape:FuzzURLUserinfo \
	internal/escape:FuzzYAML

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t#*:}; \
		echo "== $$fn ($$pkg)"; \
		$(GO) test ./$$pkg -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE); \
	done

# Every fuzz target is listed above: fails when a Fuzz function is missing
# from FUZZ_TARGETS.
fuzz-list:
	@missing=$$(grep -rho --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*' internal | sed 's/^func //' | sort | \
		while read fn; do echo " $(FUZZ_TARGETS) " | grep -q ":$$fn " || echo "$$fn"; done); \
	if [ -n "$$missing" ]; then echo "not in FUZZ_TARGETS: $$missing"; exit 1; fi

clean:
	rm -rf bin
