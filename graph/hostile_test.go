package graph_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"storefront/commerce/budget"
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

// TestHostileScenarios: the attacks that need more than one request or a
// cart of their own, each answered with its code within the bound.
func TestHostileScenarios(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api := apitest.New(t, db, func(c *apitest.Config) {
			c.BodyReadTimeout = time.Second
			c.Budget = budget.Config{} // the real defaults
			c.NoResponseCache = true
		})
		cat := seedCatalogue(t, db.Client)
		srv := httptest.NewServer(api.Handler)
		defer srv.Close()
		timed := func(name string, f func() string) {
			t.Run(name, func(t *testing.T) {
				start := time.Now()
				code := f()
				elapsed := time.Since(start)
				t.Logf("%s: %s in %s", name, code, elapsed.Round(time.Microsecond))
				if elapsed > hostileBound {
					t.Errorf("took %s, more than %s", elapsed, hostileBound)
				}
			})
		}

		timed("body at 1 byte/s", func() string {
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
			go func() {
				for range 20 {
					if _, err := conn.Write([]byte(" ")); err != nil {
						return
					}
					time.Sleep(200 * time.Millisecond)
				}
			}()
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no answer to a slow body: %v", err)
			}
			defer resp.Body.Close()
			var r struct{ Errors []apitest.Error }
			raw, _ := io.ReadAll(resp.Body)
			_ = json.Unmarshal(raw, &r)
			if resp.StatusCode != http.StatusRequestTimeout || len(r.Errors) == 0 || r.Errors[0].Code() != "REQUEST_TIMEOUT" {
				t.Fatalf("status %d: %s", resp.StatusCode, raw)
			}
			return "408 REQUEST_TIMEOUT"
		})

		timed("cursor of another sort key", func() string {
			var page struct {
				Products struct{ PageInfo struct{ EndCursor string } }
			}
			api.Query(t, `{ products(first: 2, sortKey: PRICE) { pageInfo { endCursor } } }`, nil, &page)
			e := api.ExpectCode(t, "BAD_USER_INPUT", `query($c: Cursor) { products(first: 2, after: $c, sortKey: TITLE) { edges { node { id } } } }`,
				apitest.Vars{"c": page.Products.PageInfo.EndCursor})
			return "BAD_USER_INPUT " + strings.Join(e.Field(), ".")
		})

		variant := cat.variants[cat.active[0].ID][0].GlobalID().String()
		newCart := func(as *apitest.API) string {
			var c struct {
				CartCreate struct{ Cart struct{ ID string } }
			}
			as.Query(t, `mutation($v: ID!) { cartCreate(input: {lines: [{variantId: $v, quantity: 1}]}) { cart { id } } }`, apitest.Vars{"v": variant}, &c)
			return c.CartCreate.Cart.ID
		}

		timed("country code ZZ at checkout", func() string {
			in := checkoutInput(newCart(api), "hostile-zz")
			in["shippingAddress"].(map[string]any)["countryCode"] = "ZZ"
			var r struct {
				CheckoutComplete struct {
					Order      *struct{ ID string }
					UserErrors []struct {
						Code  string
						Field []string
					}
				}
			}
			api.Query(t, `mutation($in: CheckoutCompleteInput!) { checkoutComplete(input: $in) { order { id } userErrors { code field } } }`, apitest.Vars{"in": in}, &r)
			p := r.CheckoutComplete
			if p.Order != nil || len(p.UserErrors) != 1 || p.UserErrors[0].Code != "BAD_USER_INPUT" {
				t.Fatalf("checkout to ZZ: %+v", p)
			}
			return "BAD_USER_INPUT " + strings.Join(p.UserErrors[0].Field, ".")
		})

		timed("discount code guessing", func() string {
			guesser := api.From("203.0.113.66")
			cart := newCart(guesser)
			for round := range 3 {
				var q strings.Builder
				q.WriteString("mutation($c: ID!) {")
				for i := range 25 {
					fmt.Fprintf(&q, ` g%d: cartDiscountCodeUpdate(cartId: $c, code: "GUESS-%d-%d") { userErrors { code } }`, i, round, i)
				}
				q.WriteString(" }")
				w := guesser.Send(t, map[string]any{"query": q.String(), "variables": map[string]any{"c": cart}}, nil)
				var r struct{ Errors []apitest.Error }
				mustJSON(t, w.Body.Bytes(), &r)
				for _, e := range r.Errors {
					if e.Code() == "RATE_LIMITED" && e.Extensions["retryAfterSeconds"] != nil && w.Header().Get("Retry-After") != "" {
						return fmt.Sprintf("RATE_LIMITED after %d guesses, Retry-After %s", round*25+25-len(r.Errors), w.Header().Get("Retry-After"))
					}
				}
			}
			t.Fatal("75 guesses of discount codes, none refused")
			return ""
		})

		timed("lock-out aimed at a customer", func() string {
			const email, pw = "target@example.com", "the target's password"
			api.From("198.51.100.9").SignUp(t, email, pw)
			attacker := api.From("203.0.113.77")
			var q strings.Builder
			q.WriteString("mutation {")
			for i := range 25 {
				fmt.Fprintf(&q, ` a%d: customerSignIn(input: {email: %q, password: "guess %d"}) { accessToken userErrors { code } }`, i, email, i)
			}
			q.WriteString(" }")
			w := attacker.Send(t, map[string]any{"query": q.String()}, nil)
			if !bytes.Contains(w.Body.Bytes(), []byte(`"RATE_LIMITED"`)) {
				t.Fatalf("25 guesses from one address, none refused: %.300s", w.Body)
			}
			// The owner, from another address, gets in at once.
			api.From("192.0.2.200").SignIn(t, email, pw)
			return "RATE_LIMITED for the attacker; the owner signs in from a new address"
		})
	})
}

// TestHostileSubscriptions: the operation limits hold over websockets too:
// an over-deep or over-aliased subscription is refused with its code (a
// "next" with the error, then "complete", as for other refusals before
// execution that are not validation errors), and the connection goes on
// serving.
func TestHostileSubscriptions(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		s := newLiveServer(t, db)
		ws := dialWS(t, s.srv, transportWS)
		ws.init(nil)
		aliases := ""
		for i := range 60 {
			aliases += fmt.Sprintf(" a%d: productId", i)
		}
		for id, tc := range map[string]struct{ query, code string }{
			"1": {`subscription($v: [ID!]) { inventoryChanged(variantIds: $v) { variantId` + aliases + ` } }`, "ALIAS_LIMIT_EXCEEDED"},
			"2": {`subscription($v: [ID!]) { inventoryChanged(variantIds: $v) { variantId __typename` + strings.Repeat(" __typename", 300) + ` } }`, "SELECTION_LIMIT_EXCEEDED"},
			"3": {`subscription($v: [ID!]) { inventoryChanged(variantIds: $v) { variantId } } fragment F on Query { ` + strings.Repeat("product(slug: \"x\") { variants { ", 8) + `id` + strings.Repeat(" } }", 8) + ` }`, "DEPTH_LIMIT_EXCEEDED"},
		} {
			ws.subscribe(id, tc.query, stockVars(s.v))
			m, err := ws.read()
			if err != nil || m.ID != id || (m.Type != "next" && m.Type != "error") || !strings.Contains(string(m.Payload), tc.code) {
				t.Fatalf("subscription %s: %s %s (%v), want its refusal with %s", id, m.Type, m.Payload, err, tc.code)
			}
			if m.Type == "next" {
				ws.expect("complete", id)
			}
		}
		ws.subscribe("ok", watchStock, stockVars(s.v))
		if e := ws.nextStock("ok"); e.VariantID != s.v.GlobalID().String() {
			t.Fatalf("the connection stopped serving after refusals: %+v", e)
		}
	})
}
