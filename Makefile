# storefront: a GraphQL storefront API (gqlgen + ent, SQLite or PostgreSQL).
#   make run    serve the API and the playground on SQLite with the demo catalogue
#   make test   lint, check generated code, run every test (SQLite and PostgreSQL)

GO            ?= go
DATABASE_URL  ?= sqlite://storefront.db
ADDR          ?= :8080
export CGO_ENABLED = 1

.PHONY: run build test test-go lint generate check-generated seed seed-large conformance-deps clean

## run: serve http://localhost:8080/ (playground) and /graphql, seeding an empty database
run:
	SEED_DEMO=true DATABASE_URL=$(DATABASE_URL) ADDR=$(ADDR) $(GO) run .

## build: compile the server to bin/storefront
build:
	$(GO) build -o bin/storefront .

## test: everything CI runs
test: lint check-generated conformance-deps test-go

## test-go: the Go test suite with the race detector, on SQLite and PostgreSQL
test-go:
	$(GO) test -race -count=1 -timeout 20m ./...

## lint: gofmt and go vet
lint:
	@unformatted=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

## generate: regenerate ent (and its SDL in schema/ent.graphql) and the gqlgen executable schema
generate:
	cd ent && $(GO) run -mod=mod entc.go
	$(GO) tool gqlgen generate

## check-generated: fail when generated code does not match its sources
check-generated:
	./scripts/check-generated.sh

## seed: fill DATABASE_URL with the demo catalogue (2,000 products) if it is empty
seed:
	$(GO) run ./cmd/seed -database-url $(DATABASE_URL)

## seed-large: a 100,000-product catalogue for benchmarks, in storefront-large.db
seed-large:
	$(GO) run ./cmd/seed -database-url sqlite://storefront-large.db -products 100000

## conformance-deps: the npm packages of the GraphQL-over-HTTP audit
conformance-deps:
	@if [ ! -d conformance/node_modules/graphql-http ]; then npm ci --prefix conformance --no-audit --no-fund; fi

clean:
	rm -rf bin storefront.db* storefront-large.db*
