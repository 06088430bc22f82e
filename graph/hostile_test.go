package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent"
	"storefront/internal/apitest"
)

// hostileCase is one request an attacker would send, and the coded answer
// it must get quickly.
type hostileCase struct {
	name string
	// body is sent as the JSON body of a POST (query and variables), or raw
	// when it is a []byte or a string.
	body any
	// header adds request headers.
	header http.Header
	// status is the HTTP status expected (0: 200).
	status int
	// code is the extensions.code of the first error ("" for a case that
	// must succeed).
	code string
	// check looks further at the decoded answer.
	check func(t *testing.T, r hostileAnswer)
}

type hostileAnswer struct {
	Status int
	Header http.Header
	Body   []byte
	Data   json.RawMessage `json:"data"`
	Errors []apitest.Error `json:"errors"`
	Ext    map[string]any  `json:"extensions"`
}

// hostileBound is how long any refusal may take in the suite. The figure
// the issue asks for (100 ms) is measured without the race detector and
// reported in docs/SECURITY.md; this bound catches hangs and blow-ups
// under -race on a loaded machine.
const hostileBound = 2 * time.Second

// nest repeats open n times, then leaf, then close n times.
func nest(open, leaf, close string, n int) string {
	return strings.Repeat(open, n) + leaf + strings.Repeat(close, n)
}

// fanOut is a document of n fragments, each spreading the next twice: its
// expansion has 2^n fields.
func fanOut(n int) string {
	var b strings.Builder
	b.WriteString("query { ...F0 }\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", n)
	return b.String()
}

func gql(query string, vars map[string]any) map[string]any {
	return map[string]any{"query": query, "variables": vars}
}

func hostileCases() []hostileCase {
	many := func(n int, s string) string { return strings.Repeat(s+" ", n) }
	aliased := func(n int, f func(i int) string) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(f(i))
			b.WriteByte(' ')
		}
		return b.String()
	}
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = fmt.Sprintf("UHJvZHVjdDo%d", i)
	}
	costIs := func(t *testing.T, r hostileAnswer) {
		cost, _ := r.Errors[0].Extensions["cost"].(map[string]any)
		if cost["requested"] == nil || cost["limit"] == nil {
			t.Fatalf("no extensions.cost with requested and limit: %s", r.Body)
		}
	}
	return []hostileCase{
		// Recursive edges: plain lists nested through their parents.
		{name: "variants/product 24 pairs", code: "DEPTH_LIMIT_EXCEEDED",
			body: gql(`{ product(slug: "p-00") { `+nest("variants { product { ", "id", " } }", 24)+` } }`, nil)},
		{name: "variants/product 5 pairs (depth 11)", code: "COMPLEXITY_LIMIT_EXCEEDED", check: costIs,
			body: gql(`{ product(slug: "p-00") { `+nest("variants { product { ", "id", " } }", 5)+` } }`, nil)},
		{name: "category children/parent 24 pairs", code: "DEPTH_LIMIT_EXCEEDED",
			body: gql(`{ category(slug: "electronics") { `+nest("children { parent { ", "id", " } }", 24)+` } }`, nil)},
		{name: "category children 4 levels", code: "COMPLEXITY_LIMIT_EXCEEDED", check: costIs,
			body: gql(`{ category(slug: "electronics") { `+nest("children { ", "id name", " }", 4)+` } }`, nil)},
		// Nested connections multiply by their page sizes.
		{name: "nested connections", code: "COMPLEXITY_LIMIT_EXCEEDED", check: costIs,
			body: gql(`{ products(first: 100) { edges { node { category { products(first: 100) { edges { node { id title } } } } } } } }`, nil)},
		{name: "page size from a variable", code: "COMPLEXITY_LIMIT_EXCEEDED", check: costIs,
			body: gql(`query($n: Int) { products(first: $n) { edges { node { variants { id sku price { amount } compareAtPrice { amount } selectedOptions { name value } } } } } }`, map[string]any{"n": 100})},
		{name: "nodes with 1000 ids", code: "COMPLEXITY_LIMIT_EXCEEDED",
			body: gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Product { variants { id sku title } images { url } } } }`, map[string]any{"ids": ids})},
		// Fragments: fan-out, cycles, merged selections.
		{name: "fragment fan-out 41 levels", code: "SELECTION_LIMIT_EXCEEDED", body: gql(fanOut(41), nil)},
		{name: "fragment fan-out 12 levels", code: "SELECTION_LIMIT_EXCEEDED", body: gql(fanOut(12), nil)},
		{name: "fragment cycle", code: "GRAPHQL_VALIDATION_FAILED", status: 422,
			body: gql(`query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }`, nil)},
		{name: "self-spreading fragment", code: "GRAPHQL_VALIDATION_FAILED", status: 422,
			body: gql(`query { ...A } fragment A on Query { __typename ...A }`, nil)},
		{name: "14,000 repeated fields", code: "SELECTION_LIMIT_EXCEEDED", body: gql(`{ `+many(14000, "__typename")+` }`, nil)},
		{name: "repeated fields spread from 70 fragments", code: "SELECTION_LIMIT_EXCEEDED",
			body: gql(`{ `+aliased(70, func(i int) string { return fmt.Sprintf("...R%d", i) })+` } `+
				aliased(70, func(i int) string { return fmt.Sprintf("fragment R%d on Query { %s }", i, many(10, "__typename")) }), nil)},
		{name: "200 aliases", code: "ALIAS_LIMIT_EXCEEDED",
			body: gql(`{ `+aliased(200, func(i int) string { return fmt.Sprintf("a%d: __typename", i) })+` }`, nil)},
		{name: "40 root fields", code: "ROOT_FIELD_LIMIT_EXCEEDED",
			body: gql(`{ `+aliased(40, func(i int) string { return fmt.Sprintf("p%d: product(slug: \"p-%02d\") { id }", i, i%20) })+` }`, nil)},
		{name: "200 aliased discount mutations", code: "ALIAS_LIMIT_EXCEEDED",
			body: gql(`mutation { `+aliased(200, func(i int) string {
				return fmt.Sprintf(`d%d: cartDiscountCodeUpdate(cartId: "Q2FydDox", code: "GUESS%d") { userErrors { code } }`, i, i)
			})+` }`, nil)},
		// Introspection recursion.
		{name: "introspection recursion (depth)", code: "DEPTH_LIMIT_EXCEEDED",
			body: gql(`{ __schema { types { `+nest("fields { type { ", "name", " } }", 6)+` } } }`, nil)},
		{name: "introspection recursion (cost)", code: "COMPLEXITY_LIMIT_EXCEEDED", check: costIs,
			body: gql(`{ `+aliased(10, func(i int) string { return fmt.Sprintf("s%d: __schema { ...S }", i) })+` }
				fragment S on __Schema { types { name fields { name description args { name description type { name kind } } type { name kind ofType { name kind } } } inputFields { name type { name } } enumValues { name description } } }`, nil)},
		{name: "introspection recursion (validation)", code: "GRAPHQL_VALIDATION_FAILED", status: 422,
			body: gql(`{ __schema { types { fields { type { possibleTypes { fields { type { fields { name } } } } } } } } }`, nil)},
		// Strings: NUL, invalid UTF-8, size.
		{name: "NUL in a variable", code: "BAD_USER_INPUT",
			body: gql(`query($q: String!) { search(query: $q) { edges { node { id } } } }`, map[string]any{"q": "a\x00b"})},
		{name: "NUL in a literal", code: "BAD_USER_INPUT",
			body: gql(`{ product(slug: "p-00\u0000") { id } }`, nil)},
		{name: "NUL in a nested input variable", code: "BAD_USER_INPUT",
			body: gql(`mutation($i: CustomerSignInInput!) { customerSignIn(input: $i) { accessToken } }`,
				map[string]any{"i": map[string]any{"email": "a\x00@example.com", "password": "x"}})},
		{name: "NUL in a sign-in literal", code: "BAD_USER_INPUT",
			body: gql(`mutation { customerSignIn(input: {email: "x\u0000@example.com", password: "p"}) { accessToken } }`, nil)},
		{name: "invalid UTF-8 in the body", code: "BAD_USER_INPUT",
			body: []byte("{\"query\":\"{ product(slug: \\\"\xff\xfe\\\") { id } }\"}")},
		{name: "lone surrogate in a variable", code: "BAD_USER_INPUT",
			body: `{"query":"query($s: String) { product(slug: $s) { id } }","variables":{"s":"\ud800"}}`},
		{name: "a 100 KB argument", code: "BAD_USER_INPUT",
			body: gql(`query($q: String!) { search(query: $q) { edges { node { id } } } }`, map[string]any{"q": strings.Repeat("a", 100<<10)})},
		// Documents that only validation can refuse, but must refuse fast.
		{name: "deeply nested list literal", code: "GRAPHQL_PARSE_FAILED", status: 422,
			body: gql(`{ nodes(ids: `+nest("[", `"x"`, "]", 5000)+`) { id } }`, nil)},
		{name: "over the token limit", code: "GRAPHQL_PARSE_FAILED", status: 422,
			body: gql(`{ __typename `+many(3000, "@skip(if: false)")+` }`, nil)},
		{name: "repeated directives", code: "GRAPHQL_VALIDATION_FAILED", status: 422,
			body: gql(`{ __typename `+many(2000, "@skip(if: false)")+` }`, nil)},
		{name: "2500 operations in one document", code: "",
			body: map[string]any{"operationName": "Q7", "query": aliased(2500, func(i int) string { return fmt.Sprintf("query Q%d { __typename }", i) })}},
		{name: "Int overflow", code: "BAD_USER_INPUT",
			body: gql(`{ products(first: 99999999999) { totalCount } }`, nil)},
	}
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
func sendHostile(t *testing.T, srv *httptest.Server, tc hostileCase) (hostileAnswer, time.Duration) {
	t.Helper()
	var body []byte
	switch b := tc.body.(type) {
	case []byte:
		body = b
	case string:
		body = []byte(b)
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cache-Control", "no-cache")
	for k, v := range tc.header {
		req.Header[k] = v
	}
	start := time.Now()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s: %v", tc.name, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("%s: reading the answer: %v", tc.name, err)
	}
	a := hostileAnswer{Status: resp.StatusCode, Header: resp.Header, Body: raw}
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("%s: status %d, not JSON: %.300s", tc.name, resp.StatusCode, raw)
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
			t.Run(tc.name, func(t *testing.T) {
				a, elapsed := sendHostile(t, srv, tc)
				t.Logf("%s: HTTP %d in %s", tc.name, a.Status, elapsed.Round(time.Microsecond))
				want := tc.status
				if want == 0 {
					want = http.StatusOK
				}
				if a.Status != want {
					t.Errorf("status %d, want %d: %.300s", a.Status, want, a.Body)
				}
				if elapsed > hostileBound {
					t.Errorf("answered in %s, more than %s", elapsed, hostileBound)
				}
				switch {
				case tc.code == "" && len(a.Errors) > 0:
					t.Errorf("unexpected errors: %.300s", a.Body)
				case tc.code != "" && len(a.Errors) == 0:
					t.Errorf("no error, want %s: %.300s", tc.code, a.Body)
				case tc.code != "" && a.Errors[0].Code() != tc.code:
					t.Errorf("code %q, want %q: %.300s", a.Errors[0].Code(), tc.code, a.Body)
				}
				if tc.check != nil && !t.Failed() {
					tc.check(t, a)
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
			a, _ := sendHostile(t, srv, hostileCase{name: q.name, body: gql(q.query, nil)})
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
