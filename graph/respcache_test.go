package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"storefront/commerce/access"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/internal/apitest"
)

// cached sends an anonymous POST of query and returns the body, the
// X-Cache header and the SQL statements the request cost.
func cached(t *testing.T, api *apitest.API, header http.Header, query string, vars apitest.Vars) (body []byte, xcache string, statements int64) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	ctx, n := database.CountStatements(context.Background())
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	api.Handler.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	return w.Body.Bytes(), w.Header().Get("X-Cache"), n.Load()
}

const homeQuery = `query($n: Int) { products(first: $n, sortKey: CREATED_AT, reverse: true) { edges { node {
  id title category { name } priceRange { minVariantPrice { amount currencyCode } } availableForSale } } } }`

const oneProduct = `query($slug: String) { product(slug: $slug) { title availableForSale variants { quantityAvailable } } }`

func TestResponseCache(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, cat := setup(t, db)
		ctx := access.System(context.Background())
		vars := apitest.Vars{"n": 20}

		first, x1, n1 := cached(t, api, nil, homeQuery, vars)
		second, x2, n2 := cached(t, api, nil, homeQuery, vars)
		if x1 != "MISS" || x2 != "HIT" || n1 == 0 || n2 != 0 || !bytes.Equal(first, second) {
			t.Fatalf("first %s (%d statements), second %s (%d statements), same body: %v", x1, n1, x2, n2, bytes.Equal(first, second))
		}
		// Other variables are another entry.
		if _, x, _ := cached(t, api, nil, homeQuery, apitest.Vars{"n": 3}); x != "MISS" {
			t.Fatalf("other variables: %s", x)
		}
		// Cache-Control: no-cache computes the answer.
		if body, x, n := cached(t, api, http.Header{"Cache-Control": {"no-cache"}}, homeQuery, vars); x != "BYPASS" || n == 0 || !bytes.Equal(body, first) {
			t.Fatalf("no-cache: %s, %d statements", x, n)
		}

		t.Run("a write through the API empties it", func(t *testing.T) {
			// Product 0 has 4 available; a guest buys them all.
			slug := cat.active[0].Slug
			before, _, _ := cached(t, api, nil, oneProduct, apitest.Vars{"slug": slug})
			if _, x, _ := cached(t, api, nil, oneProduct, apitest.Vars{"slug": slug}); x != "HIT" || !strings.Contains(string(before), `"availableForSale":true`) {
				t.Fatalf("warm-up: %s %s", x, before)
			}
			var created struct{ CartCreate cartPayload }
			api.Query(t, `mutation($v: ID!) { cartCreate(input: {lines: [{variantId: $v, quantity: 4}]}) { `+cartFields+` } }`,
				apitest.Vars{"v": cat.variants[cat.active[0].ID][0].GlobalID().String()}, &created)
			var done struct {
				CheckoutComplete struct {
					Order      *orderResp
					UserErrors []struct{ Code, Message string }
				}
			}
			api.Query(t, checkoutMutation, apitest.Vars{"in": checkoutInput(created.CartCreate.Cart.ID, "cache-key-0001")}, &done)
			if done.CheckoutComplete.Order == nil {
				t.Fatalf("checkout failed: %+v", done.CheckoutComplete.UserErrors)
			}
			after, x, _ := cached(t, api, nil, oneProduct, apitest.Vars{"slug": slug})
			if x != "MISS" || !strings.Contains(string(after), `"availableForSale":false`) {
				t.Fatalf("after the checkout: %s %s", x, after)
			}
			if _, x, _ := cached(t, api, nil, homeQuery, vars); x != "MISS" {
				t.Fatalf("home page after the checkout: %s", x)
			}
		})

		t.Run("a transaction empties it when it commits, not before", func(t *testing.T) {
			p := cat.active[1]
			cached(t, api, nil, oneProduct, apitest.Vars{"slug": p.Slug})
			tx, err := db.Client.Tx(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tx.Product.UpdateOne(p).SetTitle("Bamboo Toothbrush II").ExecX(ctx)
			if body, x, _ := cached(t, api, nil, oneProduct, apitest.Vars{"slug": p.Slug}); x != "HIT" || !strings.Contains(string(body), `"Bamboo Toothbrush"`) {
				t.Fatalf("before the commit: %s %s", x, body)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if body, x, _ := cached(t, api, nil, oneProduct, apitest.Vars{"slug": p.Slug}); x != "MISS" || !strings.Contains(string(body), `"Bamboo Toothbrush II"`) {
				t.Fatalf("after the commit: %s %s", x, body)
			}
			// A rolled-back change does not empty it.
			cached(t, api, nil, oneProduct, apitest.Vars{"slug": p.Slug})
			tx, _ = db.Client.Tx(ctx)
			tx.Product.UpdateOne(p).SetTitle("never").ExecX(ctx)
			_ = tx.Rollback()
			if _, x, _ := cached(t, api, nil, oneProduct, apitest.Vars{"slug": p.Slug}); x != "HIT" {
				t.Fatalf("after a rollback: %s", x)
			}
		})

		t.Run("only anonymous catalogue queries without errors", func(t *testing.T) {
			acc := api.SignUp(t, "cache@example.com", "a long enough password")
			for _, tc := range []struct {
				name   string
				header http.Header
				query  string
				vars   apitest.Vars
			}{
				{"signed in", http.Header{"Authorization": {"Bearer " + acc.AccessToken}}, homeQuery, vars},
				{"a refused token", http.Header{"Authorization": {"Bearer nonsense"}}, homeQuery, vars},
				{"viewer beside products", nil, `{ viewer { id } products(first: 1) { totalCount } }`, nil},
				{"a cart", nil, `query($id: ID!) { cart(id: $id) { id } }`, apitest.Vars{"id": "Q2FydDox"}},
				{"a mutation", nil, `mutation { customerSignOut { userErrors { code } } }`, nil},
			} {
				for range 2 {
					if _, x, _ := cached(t, api, tc.header, tc.query, tc.vars); x != "" {
						t.Fatalf("%s: X-Cache %q, want none", tc.name, x)
					}
				}
			}
			for range 2 {
				if body, x, _ := cached(t, api, nil, homeQuery, apitest.Vars{"n": 101}); x != "MISS" || !strings.Contains(string(body), "BAD_USER_INPUT") {
					t.Fatalf("an error answer: %s %s", x, body)
				}
			}
		})

		t.Run("concurrent misses compute once", func(t *testing.T) {
			db.Client.Product.UpdateOne(cat.active[2]).SetTitle("Leather Wallet II").ExecX(ctx) // empties the cache
			ctx, n := database.CountStatements(context.Background())
			b, _ := json.Marshal(map[string]any{"query": homeQuery, "variables": vars})
			bodies := make([][]byte, 16)
			var wg sync.WaitGroup
			for i := range bodies {
				wg.Go(func() {
					req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", bytes.NewReader(b))
					req.Header.Set("Content-Type", "application/json")
					w := httptest.NewRecorder()
					api.Handler.ServeHTTP(w, req)
					bodies[i] = w.Body.Bytes()
				})
			}
			wg.Wait()
			one := api.Statements(t, homeQuery, vars)
			if n.Load() != one {
				t.Fatalf("16 concurrent requests cost %d statements, one computation %d", n.Load(), one)
			}
			for _, body := range bodies {
				if !bytes.Equal(body, bodies[0]) || !strings.Contains(string(body), "Leather Wallet II") {
					t.Fatalf("bodies differ: %.200s / %.200s", body, bodies[0])
				}
			}
		})
	})
}

// TestResponseCacheStoredAnswers: a repeated request is answered with the
// stored bytes, per Accept header (the content type differs), never for a
// request with credentials, and not after the catalogue changed.
func TestResponseCacheStoredAnswers(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, cat := setup(t, db)
		vars := apitest.Vars{"n": 5}
		first, x1, _ := cached(t, api, nil, homeQuery, vars)
		again, x2, n2 := cached(t, api, nil, homeQuery, vars)
		if x1 != "MISS" || x2 != "HIT" || n2 != 0 || !bytes.Equal(first, again) {
			t.Fatalf("%s then %s (%d statements), same bytes %v", x1, x2, n2, bytes.Equal(first, again))
		}
		// Another Accept: its own answer, with its own content type.
		accept := http.Header{"Accept": {"application/graphql-response+json"}}
		req := func(h http.Header) *httptest.ResponseRecorder {
			b, _ := json.Marshal(map[string]any{"query": homeQuery, "variables": vars})
			r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(b))
			r.Header.Set("Content-Type", "application/json")
			for k, v := range h {
				r.Header[k] = v
			}
			w := httptest.NewRecorder()
			api.Handler.ServeHTTP(w, r)
			return w
		}
		for range 2 {
			w := req(accept)
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/graphql-response+json") {
				t.Fatalf("Accept graphql-response+json answered %q (X-Cache %s)", ct, w.Header().Get("X-Cache"))
			}
		}
		// Credentials: computed (or refused), never the stored answer.
		if w := req(http.Header{"Authorization": {"Bearer nonsense"}}); w.Header().Get("X-Cache") == "HIT" {
			t.Fatalf("a request with credentials got a stored answer")
		}
		// A catalogue change: computed again, with the new title.
		db.Client.Product.UpdateOne(cat.active[len(cat.active)-1]).SetTitle("Renamed").ExecX(sysCtx())
		body, x3, n3 := cached(t, api, nil, homeQuery, vars)
		if x3 != "MISS" || n3 == 0 || bytes.Equal(body, first) {
			t.Fatalf("after a change: %s, %d statements, same bytes %v", x3, n3, bytes.Equal(body, first))
		}
	})
}
