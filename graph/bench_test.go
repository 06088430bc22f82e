package graph_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"storefront/database/dbtest"
	"storefront/internal/apitest"
)

// Benchmarks of the resolver hot paths, in process on SQLite (the HTTP
// layer included, the network not; the response cache bypassed):
// go test -bench . -run '^$' ./graph/
// The load test of the whole server is cmd/bench (make bench).

func benchmarkQuery(b *testing.B, query string, vars func(*catalogue) apitest.Vars) {
	db := dbtest.Open(b, "sqlite")
	api := apitest.New(b, db)
	cat := seedCatalogue(b, db.Client)
	addProducts(b, db.Client, cat, 40)
	benchmarkOn(b, api, query, vars(cat))
}

// benchmarkOn measures query through api's handler; token, when set, is
// the bearer token of the requests.
func benchmarkOn(b *testing.B, api *apitest.API, query string, vars apitest.Vars, token ...string) {
	body := `{"query":` + quote(query) + `,"variables":` + toJSON(vars) + `}`
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Cache-Control", "no-cache") // the resolvers, not the response cache
		for _, t := range token {
			req.Header.Set("Authorization", "Bearer "+t)
		}
		w := httptest.NewRecorder()
		api.Handler.ServeHTTP(w, req)
		if w.Code != http.StatusOK || strings.Contains(w.Body.String(), `"errors"`) {
			b.Fatalf("status %d: %.300s", w.Code, w.Body.String())
		}
	}
}

func BenchmarkHomePage(b *testing.B) {
	benchmarkQuery(b, statementBudget[0].query, func(*catalogue) apitest.Vars { return apitest.Vars{"n": 50} })
}

func BenchmarkCategoryPage(b *testing.B) {
	benchmarkQuery(b, statementBudget[1].query, func(c *catalogue) apitest.Vars {
		return apitest.Vars{"n": 24, "c": c.electronics.GlobalID().String()}
	})
}

func BenchmarkProductPages(b *testing.B) {
	benchmarkQuery(b, statementBudget[2].query, func(*catalogue) apitest.Vars { return apitest.Vars{"n": 10} })
}

func quote(s string) string { return toJSON(s) }

func toJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// BenchmarkProducts50 is fifty small objects: the executor's cost per
// object and field, with one SQL statement.
func BenchmarkProducts50(b *testing.B) {
	benchmarkQuery(b, `query($n: Int) { products(first: $n) { edges { node { id title } } } }`,
		func(*catalogue) apitest.Vars { return apitest.Vars{"n": 50} })
}

// BenchmarkTypename is a trivial request: the fixed cost of the handler.
func BenchmarkTypename(b *testing.B) {
	benchmarkQuery(b, `{ __typename }`, func(*catalogue) apitest.Vars { return apitest.Vars{} })
}

// BenchmarkCart is the cart of statements_test.go with 20 lines.
func BenchmarkCart(b *testing.B) {
	db := dbtest.Open(b, "sqlite")
	api := apitest.New(b, db)
	cat := seedCatalogue(b, db.Client)
	addProducts(b, db.Client, cat, 40)
	id := cartWithLines(b, db.Client, sysCtx(), 20)
	benchmarkOn(b, api, statementBudget[3].query, apitest.Vars{"id": id})
}

// BenchmarkOrderHistory is the order history of statements_test.go: 10
// orders of two lines.
func BenchmarkOrderHistory(b *testing.B) {
	db := dbtest.Open(b, "sqlite")
	api := apitest.New(b, db)
	cat := seedCatalogue(b, db.Client)
	addProducts(b, db.Client, cat, 40)
	acc := api.SignUp(b, "bench@example.com", "a long enough password")
	customerID, _ := claimsOf(b, acc.AccessToken)
	ordersFor(b, db.Client, sysCtx(), customerID, 10)
	benchmarkOn(b, api, statementBudget[4].query, apitest.Vars{"n": 10}, acc.AccessToken)
}
