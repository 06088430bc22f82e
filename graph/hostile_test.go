package graph_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent"
	"storefront/internal/apitest"
	"storefront/internal/hostile"
)

type hostileAnswer struct {
	Status int
	Header http.Header
	Body   []byte
	Data   json.RawMessage `json:"data"`
	Errors []apitest.Error `json:"errors"`
	Ext    map[string]any  `json:"extensions"`
}

// hostileBound is how long any refusal may take in the suite. The figure
// the issue asks for (100 ms) is measured without the race detector by
// cmd/hostile and reported in docs/SECURITY.md; this bound catches hangs
// and blow-ups under -race on a loaded machine.
const hostileBound = 2 * time.Second

// fixture names the test catalogue's product and category for the cases.
var fixture = hostile.Fixture{Product: "p-00", Category: "electronics"}

func hostileCases() []hostile.Case { return hostile.Cases(fixture) }

func gql(query string, vars map[string]any) map[string]any {
	return map[string]any{"query": query, "variables": vars}
}

// dataSnapshot counts what a hostile request must not change.
func dataSnapshot(t *testing.T, c *ent.Client) string {
	t.Helper()
	ctx := sysCtx()
	var onHand, reserved int
	for _, s := range c.StockLevel.Query().AllX(ctx) {
		onHand += s.OnHand
		reserved += s.Reserved
	}
	return fmt.Sprintf("products=%d variants=%d categories=%d carts=%d lines=%d orders=%d customers=%d sessions=%d on_hand=%d reserved=%d",
		c.Product.Query().CountX(ctx), c.ProductVariant.Query().CountX(ctx), c.Category.Query().CountX(ctx),
		c.Cart.Query().CountX(ctx), c.CartLine.Query().CountX(ctx), c.Order.Query().CountX(ctx),
		c.Customer.Query().CountX(ctx), c.Session.Query().CountX(ctx), onHand, reserved)
}

// sendHostile sends one case over a real TCP connection.
func sendHostile(t *testing.T, srv *httptest.Server, tc hostile.Case) (hostileAnswer, time.Duration) {
	t.Helper()
	ans, err := hostile.Send(srv.URL, tc, nil, 30*time.Second)
	elapsed := ans.Elapsed
	if err != nil {
		t.Fatalf("%s: %v", tc.Name, err)
	}
	resp, raw := ans, ans.Body
	a := hostileAnswer{Status: resp.Status, Header: resp.Header, Body: raw}
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("%s: status %d, not JSON: %.300s", tc.Name, resp.Status, raw)
	}
	return a, elapsed
}

// TestHostileRequests sends what an attacker would, anonymously, through
// the real HTTP server: each must get its coded answer within the bound,
// leave the data as it was, and leave the server answering others.
func TestHostileRequests(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, _ := setup(t, db)
		srv := httptest.NewServer(api.Handler)
		defer srv.Close()
		before := dataSnapshot(t, db.Client)
		for _, tc := range hostileCases() {
			t.Run(tc.Name, func(t *testing.T) {
				a, elapsed := sendHostile(t, srv, tc)
				t.Logf("%s: HTTP %d in %s", tc.Name, a.Status, elapsed.Round(time.Microsecond))
				if want := tc.WantStatus(); a.Status != want {
					t.Errorf("status %d, want %d: %.300s", a.Status, want, a.Body)
				}
				if elapsed > hostileBound {
					t.Errorf("answered in %s, more than %s", elapsed, hostileBound)
				}
				switch {
				case tc.Code == "" && len(a.Errors) > 0:
					t.Errorf("unexpected errors: %.300s", a.Body)
				case tc.Code != "" && len(a.Errors) == 0:
					t.Errorf("no error, want %s: %.300s", tc.Code, a.Body)
				case tc.Code != "" && a.Errors[0].Code() != tc.Code:
					t.Errorf("code %q, want %q: %.300s", a.Errors[0].Code(), tc.Code, a.Body)
				}
				if tc.Code == "COMPLEXITY_LIMIT_EXCEEDED" && !t.Failed() {
					cost, _ := a.Errors[0].Extensions["cost"].(map[string]any)
					if cost["requested"] == nil || cost["limit"] == nil {
						t.Errorf("no extensions.cost with requested and limit: %s", a.Body)
					}
				}
				// Someone else's ordinary request still answers.
				var ok struct{ Product struct{ Title string } }
				api.Query(t, `{ product(slug: "p-01") { title } }`, nil, &ok)
				if ok.Product.Title == "" {
					t.Fatal("an ordinary query failed after the hostile one")
				}
			})
		}
		if after := dataSnapshot(t, db.Client); after != before {
			t.Fatalf("hostile requests changed data:\nbefore %s\nafter  %s", before, after)
		}
	})
}

// TestOrdinaryOperationsReportTheirCost checks that accepted operations
// carry extensions.cost, and that the storefront's own pages fit well
// inside the limit.
func TestOrdinaryOperationsReportTheirCost(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, _ := setup(t, db)
		srv := httptest.NewServer(api.Handler)
		defer srv.Close()
		for _, q := range []struct {
			name, query string
			max         float64
		}{
			{"home page", `{ products(first: 50) { edges { node { id title slug category { name } priceRange { minVariantPrice { amount currencyCode } maxVariantPrice { amount currencyCode } } availableForSale featuredImage { url } } } pageInfo { hasNextPage endCursor } } }`, 2000},
			{"product page", `{ product(slug: "p-00") { id title description images { url altText } variants { id sku title price { amount currencyCode } compareAtPrice { amount } quantityAvailable availableForSale selectedOptions { name value } } category { name parent { name } } } }`, 2000},
			{"introspection", introspectionQuery, 20000},
		} {
			a, _ := sendHostile(t, srv, hostile.Case{Name: q.name, Body: gql(q.query, nil)})
			if len(a.Errors) > 0 {
				t.Fatalf("%s: %.300s", q.name, a.Body)
			}
			cost, _ := a.Ext["cost"].(map[string]any)
			requested, _ := cost["requested"].(float64)
			if requested <= 0 || requested > q.max || cost["limit"] != float64(20000) {
				t.Fatalf("%s: extensions.cost %v, want requested in 1..%v and limit 20000", q.name, a.Ext["cost"], q.max)
			}
			t.Logf("%s costs %v", q.name, requested)
		}
	})
}

// introspectionQuery is what GraphiQL sends to draw the documentation.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}`
