# OmenDB — build, run, test, benchmark.
#   make run    build and start OmenDB on its embedded default (data in ./data)
#   make test   everything CI runs (vet, unit, race, SQL logic vs PostgreSQL, crash tests)
#   make bench  benchmarks side by side with their peers (slow; not part of test)

GO      ?= go
BIN     := bin/omendb
PKGS    := ./...
# Packages with concurrent code run under the race detector (and the
# column executor's tests of memory shared between statements).
RACE_PKGS := ./oltp/... ./log/... ./materializer/... ./sql/pgwire/... ./internal/procs/

.PHONY: all build run test test-unit test-race vet fmt-check deps bench verify verify-tpch fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/omendb

run: build
	./$(BIN) serve

deps:
	@./scripts/deps.sh
	@./scripts/client-deps.sh

fmt-check:
	@out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

test-unit: build
	$(GO) test -count=1 -timeout 12m $(PKGS)

test-race:
	$(GO) test -count=1 -race -timeout 10m $(RACE_PKGS)
	$(GO) test -count=1 -race -timeout 5m -run '^(TestStmtMemConcurrentStatements|TestScratchReuseMatchesRowExecutor|TestStmtMem|TestScratchPool)$$' ./sql/vexec/

test: deps fmt-check vet test-unit test-race

bench: build
	./$(BIN) bench commit --rounds 3
	./$(BIN) bench pgbench --duration 15s --rounds 3
	./$(BIN) bench index --keys 1000000
	./$(BIN) bench tpch gen --sf 1 --out /tmp/omendb-tpch-sf1

# verify: long correctness checks (TPC-H generator at SF 1 against dbgen's md5s).
verify: build
	OMENDB_VERIFY=1 $(GO) test -count=1 -run 'TestSF1$$' -timeout 20m ./bench/tpch/dbgen

# verify-tpch: the 22 TPC-H queries' SF 1 results against the TPC's answer set
# (loads SF 1 into an in-process OmenDB, a few minutes; TPCH_URL=… checks a
# server already loaded with SF 1 instead).
verify-tpch: build
	./$(BIN) bench tpch run --sf 1 --timeout 120s $(if $(TPCH_URL),--url '$(TPCH_URL)') --check $${OMENDB_SHARED:-../shared}/tpch/answers-sf1

fuzz:
	$(GO) test -run=NONE -fuzz=FuzzDecode -fuzztime=30s ./log
	$(GO) test -run=NONE -fuzz=FuzzDecodeRow -fuzztime=30s ./types
	$(GO) test -run=NONE -fuzz=FuzzParseJSONPath -fuzztime=30s ./types

clean:
	rm -rf bin
