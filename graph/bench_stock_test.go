package graph_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"storefront/commerce/access"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/demo"
	"storefront/ent"
	"storefront/ent/category"
	"storefront/ent/customer"
	"storefront/ent/product"
	"storefront/internal/apitest"
)

// Benchmarks of the category page on a seeded catalogue (demo.Seed,
// benchProducts products) and of the staff stock write, on both databases:
// go test -bench 'LargeCategoryPage|StockLevelSet' -benchmem -run '^$' ./graph/

const benchProducts = 20_000

const largeCategoryQuery = `query($n: Int, $c: ID, $lo: String, $hi: String) {
  products(first: $n, sortKey: PRICE, filter: {categoryId: $c, inStock: true, price: {min: $lo, max: $hi}}) {
    totalCount edges { node { title priceRange { minVariantPrice { amount } } availableForSale } }
    pageInfo { hasNextPage endCursor } } }`

func seededBench(b testing.TB, kind string, products int) (*database.DB, *apitest.API) {
	b.Helper()
	db := dbtest.Open(b, kind)
	if _, err := demo.Seed(context.Background(), db.Client, demo.Options{Products: products}); err != nil {
		b.Fatal(err)
	}
	if err := db.Analyze(context.Background()); err != nil {
		b.Fatal(err)
	}
	return db, apitest.New(b, db)
}

// biggestTopCategory is the top-level category with the most products in
// its subtree (by the categories' direct products, children counted too).
func biggestTopCategory(b testing.TB, c *ent.Client) *ent.Category {
	ctx := access.System(context.Background())
	tops := c.Category.Query().Where(category.ParentIDIsNil()).AllX(ctx)
	var best *ent.Category
	bestN := -1
	for _, t := range tops {
		ids := []int{t.ID}
		for frontier := []int{t.ID}; len(frontier) > 0; {
			kids := c.Category.Query().Where(category.ParentIDIn(frontier...)).IDsX(ctx)
			ids, frontier = append(ids, kids...), kids
		}
		if n := c.Product.Query().Where(product.CategoryIDIn(ids...)).CountX(ctx); n > bestN {
			best, bestN = t, n
		}
	}
	return best
}

func serveBench(b *testing.B, api *apitest.API, body, token string) string {
	req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cache-Control", "no-cache")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	api.Handler.ServeHTTP(w, req)
	if w.Code != http.StatusOK || strings.Contains(w.Body.String(), `"errors"`) || strings.Contains(w.Body.String(), `"userErrors":[{`) {
		b.Fatalf("status %d: %.300s", w.Code, w.Body.String())
	}
	return w.Body.String()
}

func BenchmarkLargeCategoryPage(b *testing.B) {
	for _, kind := range dbtest.Kinds {
		b.Run(kind, func(b *testing.B) {
			db, api := seededBench(b, kind, benchProducts)
			cat := biggestTopCategory(b, db.Client)
			body := `{"query":` + quote(largeCategoryQuery) + `,"variables":` +
				toJSON(apitest.Vars{"n": 24, "c": cat.GlobalID().String(), "lo": "10.00", "hi": "200.00"}) + `}`
			if got := serveBench(b, api, body, ""); !strings.Contains(got, `"totalCount":`) || strings.Contains(got, `"totalCount":0`) {
				b.Fatalf("category page: %.300s", got)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				serveBench(b, api, body, "")
			}
		})
	}
}

// staffToken signs in a staff account (made if missing) and returns its
// access token.
func staffToken(b testing.TB, ctx context.Context, api *apitest.API) string {
	b.Helper()
	if _, err := api.Identity.EnsureAccount(ctx, "boss@example.com", "staff password 1", "Boss", customer.RoleSTAFF); err != nil {
		b.Fatal(err)
	}
	return api.SignIn(b, "boss@example.com", "staff password 1").AccessToken
}

func BenchmarkStockLevelSet(b *testing.B) {
	for _, kind := range dbtest.Kinds {
		b.Run(kind, func(b *testing.B) {
			db, api := seededBench(b, kind, 2_000)
			ctx := access.System(context.Background())
			token := staffToken(b, ctx, api)
			vs := db.Client.ProductVariant.Query().Limit(100).AllX(ctx)
			w := db.Client.Warehouse.Query().FirstX(ctx)
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				v := vs[i%len(vs)]
				body := `{"query":"mutation($v: ID!, $w: ID!, $n: Int!) { stockLevelSet(input: {variantId: $v, warehouseId: $w, onHand: $n}) { stockLevel { onHand } userErrors { code } } }","variables":` +
					toJSON(apitest.Vars{"v": v.GlobalID().String(), "w": w.GlobalID().String(), "n": i % 7}) + `}`
				serveBench(b, api, body, token)
				i++
			}
		})
	}
}
