# storefront: a GraphQL storefront API (gqlgen + ent, SQLite or PostgreSQL).
#   make run    serve the API and the playground on SQLite with the demo catalogue
#   make test   lint, check generated code, run every test (SQLite and PostgreSQL)

GO            ?= go
DATABASE_URL  ?= sqlite://storefront.db
ADDR          ?= :8080
export CGO_ENABLED = 1

.PHONY: run build test test-go test-pg-restart lint generate check-generated seed seed-large conformance-deps clean

## run: serve http://localhost:8080/ (playground) and /graphql, seeding an empty database
run:
	SEED_DEMO=true DATABASE_URL=$(DATABASE_URL) ADDR=$(ADDR) $(GO) run .

## build: compile the server to bin/storefront
build:
	$(GO) build -o bin/storefront .

## test: everything CI runs (the PostgreSQL restart last, alone)
test: lint check-generated conformance-deps test-go
	$(MAKE) test-pg-restart

## test-go: the Go test suite with the race detector, on SQLite and PostgreSQL
test-go:
	$(GO) test -race -count=1 -timeout 20m ./...

## test-pg-restart: two replicas survive a restart of PostgreSQL, on a throwaway cluster of the
## test's own (initdb in a temporary folder, a free port; the machine's server is never touched)
test-pg-restart:
	GO=$(GO) ./scripts/pg-restart-test.sh

## lint: gofmt and go vet
lint:
	@unformatted=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

## generate: regenerate ent (and its SDL in schema/ent.graphql) and the gqlgen executable schema,
## then rewrite ent's per-column scan allocations (internal/entpost) and the executor's
## per-object and per-field overheads (internal/gqlpost)
generate:
	cd ent && $(GO) run -mod=mod entc.go
	$(GO) run ./internal/entpost ent
	$(GO) run ./internal/gqlgenerate
	$(GO) run ./internal/gqlpost graph/generated

## check-generated: fail when generated code does not match its sources
check-generated:
	./scripts/check-generated.sh

## seed: fill DATABASE_URL with the demo catalogue (2,000 products) if it is empty
seed:
	$(GO) run ./cmd/seed -database-url $(DATABASE_URL)

## seed-large: a 100,000-product catalogue for benchmarks, in storefront-large.db
seed-large:
	$(GO) run ./cmd/seed -database-url sqlite://storefront-large.db -products 100000

## conformance-deps: the npm packages of the client tests (graphql-http audit, graphql-ws), when missing or stale
conformance-deps:
	@if [ ! -f conformance/node_modules/.package-lock.json ] || [ conformance/package-lock.json -nt conformance/node_modules/.package-lock.json ]; then \
		npm ci --prefix conformance --no-audit --no-fund; fi

clean:
	rm -rf bin storefront.db* storefront-large.db*

.PHONY: bench bench-quick
BENCH_FLAGS ?=

## bench: the storefront mix on SQLite and PostgreSQL (100,000 products, seeded once into
## .cache/bench and the storefront_bench database), and the home page against a hand-written
## reference handler; results also in .cache/bench/results.json. See docs/PERFORMANCE.md
bench:
	$(GO) run ./cmd/bench -json .cache/bench/results.json $(BENCH_FLAGS)

## bench-quick: the same with 3 s per operation, as a smoke check
bench-quick:
	$(GO) run ./cmd/bench -duration 3s -json .cache/bench/results-quick.json $(BENCH_FLAGS)

## hostile: a real server under the hostile mix for 60 s (SQLite and PostgreSQL): each attack's answer and time, the neighbour's latency, peak RSS (docs/SECURITY.md)
.PHONY: hostile
hostile:
	GO=$(GO) $(GO) run ./cmd/hostile -postgres $(HOSTILE_FLAGS)

## fuzz: search the GraphQL endpoint for answers without a code (FUZZTIME, default 2m; make test replays the seeds)
.PHONY: fuzz
FUZZTIME ?= 2m
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzGraphQLEndpoint$$' -fuzztime $(FUZZTIME) ./graph/

## bench-subscriptions: 10,000 websocket subscribers on one server (SQLite): memory per subscriber, delivery latency
.PHONY: bench-subscriptions
bench-subscriptions:
	GO=$(GO) $(GO) run ./cmd/benchsubs $(BENCHSUBS_FLAGS)
