// Package hostile holds the requests an attacker would send to the API,
// each with the coded answer it must get: the table that the hostile suite
// (graph/hostile_test.go), the fuzzer's seeds and the hostile mix of
// cmd/hostile share.
package hostile

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"storefront/commerce"
)

// Case is one hostile request.
type Case struct {
	Name string
	// Method is the HTTP method (default POST); RawQuery the URL's query.
	Method, RawQuery string
	// ContentType is the request's (default application/json).
	ContentType string
	// Body is sent as the JSON body of a POST (query and variables), or
	// as it is when it is a []byte or a string.
	Body any
	// Chunked sends the body without a Content-Length, in chunks.
	Chunked bool
	// Status is the HTTP status expected (0: 200).
	Status int
	// Code is the extensions.code of the first error ("" for a case that
	// must succeed).
	Code string
}

// WantStatus is the status expected.
func (c Case) WantStatus() int {
	if c.Status == 0 {
		return 200
	}
	return c.Status
}

// Request builds the HTTP request of c against base (http://host:port).
func (c Case) Request(base string) (*http.Request, error) {
	var body []byte
	switch b := c.Body.(type) {
	case nil:
	case []byte:
		body = b
	case string:
		body = []byte(b)
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			return nil, err
		}
	}
	method := c.Method
	if method == "" {
		method = http.MethodPost
	}
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
		if c.Chunked {
			r = io.MultiReader(r) // hides the length: sent chunked
		}
	}
	u := base + "/graphql"
	if c.RawQuery != "" {
		u += "?" + c.RawQuery
	}
	req, err := http.NewRequest(method, u, r)
	if err != nil {
		return nil, err
	}
	ct := c.ContentType
	if ct == "" {
		ct = "application/json"
	}
	if body != nil {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Cache-Control", "no-cache")
	return req, nil
}

// Fixture names what the cases refer to in the catalogue.
type Fixture struct {
	Product  string // a product's slug
	Category string // a category with children
}

// nest repeats open n times, then leaf, then close n times.
func nest(open, leaf, close string, n int) string {
	return strings.Repeat(open, n) + leaf + strings.Repeat(close, n)
}

// FanOut is a document of n fragments, each spreading the next twice: its
// expansion has 2^n fields.
func FanOut(n int) string {
	var b strings.Builder
	b.WriteString("query { ...F0 }\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", n)
	return b.String()
}

// gql is a POST body.
func gql(query string, vars map[string]any) map[string]any {
	return map[string]any{"query": query, "variables": vars}
}

// Cases are the hostile requests, anonymous, against a catalogue that has
// the product and category of fix.
func Cases(fix Fixture) []Case {
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
	return []Case{
		// Recursive edges: plain lists nested through their parents.
		{Name: "variants/product 24 pairs", Code: string(commerce.DepthLimitExceeded),
			Body: gql(`{ product(slug: `+strconv.Quote(fix.Product)+`) { `+nest("variants { product { ", "id", " } }", 24)+` } }`, nil)},
		{Name: "variants/product 5 pairs (depth 11)", Code: string(commerce.ComplexityLimitExceeded),
			Body: gql(`{ product(slug: `+strconv.Quote(fix.Product)+`) { `+nest("variants { product { ", "id", " } }", 5)+` } }`, nil)},
		{Name: "category children/parent 24 pairs", Code: string(commerce.DepthLimitExceeded),
			Body: gql(`{ category(slug: `+strconv.Quote(fix.Category)+`) { `+nest("children { parent { ", "id", " } }", 24)+` } }`, nil)},
		{Name: "category children 4 levels", Code: string(commerce.ComplexityLimitExceeded),
			Body: gql(`{ category(slug: `+strconv.Quote(fix.Category)+`) { `+nest("children { ", "id name", " }", 4)+` } }`, nil)},
		// Nested connections multiply by their page sizes.
		{Name: "nested connections", Code: string(commerce.ComplexityLimitExceeded),
			Body: gql(`{ products(first: 100) { edges { node { category { products(first: 100) { edges { node { id title } } } } } } } }`, nil)},
		{Name: "page size from a variable", Code: string(commerce.ComplexityLimitExceeded),
			Body: gql(`query($n: Int) { products(first: $n) { edges { node { variants { id sku price { amount } compareAtPrice { amount } selectedOptions { name value } } } } } }`, map[string]any{"n": 100})},
		{Name: "nodes with 1000 ids", Code: string(commerce.ComplexityLimitExceeded),
			Body: gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Product { variants { id sku title } images { url } } } }`, map[string]any{"ids": ids})},
		// Fragments: fan-out, cycles, merged selections.
		{Name: "fragment fan-out 41 levels", Code: string(commerce.SelectionLimitExceeded), Body: gql(FanOut(41), nil)},
		{Name: "fragment fan-out 12 levels", Code: string(commerce.SelectionLimitExceeded), Body: gql(FanOut(12), nil)},
		{Name: "fragment cycle", Code: string(commerce.GraphQLValidationFailed), Status: 422,
			Body: gql(`query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }`, nil)},
		{Name: "self-spreading fragment", Code: string(commerce.GraphQLValidationFailed), Status: 422,
			Body: gql(`query { ...A } fragment A on Query { __typename ...A }`, nil)},
		{Name: "14,000 repeated fields", Code: string(commerce.SelectionLimitExceeded), Body: gql(`{ `+many(14000, "__typename")+` }`, nil)},
		{Name: "repeated fields spread from 70 fragments", Code: string(commerce.SelectionLimitExceeded),
			Body: gql(`{ `+aliased(70, func(i int) string { return fmt.Sprintf("...R%d", i) })+` } `+
				aliased(70, func(i int) string { return fmt.Sprintf("fragment R%d on Query { %s }", i, many(10, "__typename")) }), nil)},
		{Name: "200 aliases", Code: string(commerce.AliasLimitExceeded),
			Body: gql(`{ `+aliased(200, func(i int) string { return fmt.Sprintf("a%d: __typename", i) })+` }`, nil)},
		{Name: "40 root fields", Code: string(commerce.RootFieldLimitExceeded),
			Body: gql(`{ `+aliased(40, func(i int) string { return fmt.Sprintf("p%d: product(slug: %q) { id }", i, fix.Product) })+` }`, nil)},
		{Name: "200 aliased discount mutations", Code: string(commerce.AliasLimitExceeded),
			Body: gql(`mutation { `+aliased(200, func(i int) string {
				return fmt.Sprintf(`d%d: cartDiscountCodeUpdate(cartId: "Q2FydDox", Code: "GUESS%d") { userErrors { code } }`, i, i)
			})+` }`, nil)},
		// Introspection recursion.
		{Name: "introspection recursion (depth)", Code: string(commerce.DepthLimitExceeded),
			Body: gql(`{ __schema { types { `+nest("fields { type { ", "name", " } }", 6)+` } } }`, nil)},
		{Name: "introspection recursion (cost)", Code: string(commerce.ComplexityLimitExceeded),
			Body: gql(`{ `+aliased(10, func(i int) string { return fmt.Sprintf("s%d: __schema { ...S }", i) })+` }
				fragment S on __Schema { types { name fields { name description args { name description type { name kind } } type { name kind ofType { name kind } } } inputFields { name type { name } } enumValues { name description } } }`, nil)},
		{Name: "introspection recursion (validation)", Code: string(commerce.GraphQLValidationFailed), Status: 422,
			Body: gql(`{ __schema { types { fields { type { possibleTypes { fields { type { fields { name } } } } } } } } }`, nil)},
		// Strings: NUL, invalid UTF-8, size.
		{Name: "NUL in a variable", Code: string(commerce.Invalid),
			Body: gql(`query($q: String!) { search(query: $q) { edges { node { id } } } }`, map[string]any{"q": "a\x00b"})},
		{Name: "NUL in a literal", Code: string(commerce.Invalid),
			Body: gql(`{ product(slug: "p-00\u0000") { id } }`, nil)},
		{Name: "NUL in a nested input variable", Code: string(commerce.Invalid),
			Body: gql(`mutation($i: CustomerSignInInput!) { customerSignIn(input: $i) { accessToken } }`,
				map[string]any{"i": map[string]any{"email": "a\x00@example.com", "password": "x"}})},
		{Name: "NUL in a sign-in literal", Code: string(commerce.Invalid),
			Body: gql(`mutation { customerSignIn(input: {email: "x\u0000@example.com", password: "p"}) { accessToken } }`, nil)},
		{Name: "NUL in a discount code", Code: string(commerce.Invalid),
			Body: gql(`mutation($c: String!) { cartDiscountCodeUpdate(cartId: "Q2FydDox", code: $c) { userErrors { code } } }`, map[string]any{"c": "SAVE\x0010"})},
		{Name: "NUL in a shipping address", Code: string(commerce.Invalid),
			Body: gql(`mutation($in: CheckoutCompleteInput!) { checkoutComplete(input: $in) { userErrors { code } } }`, map[string]any{"in": map[string]any{
				"cartId": "Q2FydDox", "email": "a@example.com", "idempotencyKey": "k",
				"shippingAddress": map[string]any{"firstName": "A", "lastName": "B", "address1": "1 Main St\x00", "city": "X", "countryCode": "US", "zip": "1"}}})},
		{Name: "NUL in a customer name", Code: string(commerce.Invalid),
			Body: gql(`mutation { customerCreate(input: {email: "n@example.com", password: "a long enough password", name: "Eve\u0000"}) { userErrors { code } } }`, nil)},
		{Name: "NUL in an ID", Code: string(commerce.Invalid), Body: gql(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": "UHJv\x00"})},
		{Name: "NUL in a cursor", Code: string(commerce.Invalid),
			Body: gql(`query($c: Cursor) { products(first: 1, after: $c) { totalCount } }`, map[string]any{"c": "\x00"})},
		{Name: "invalid UTF-8 in the body", Code: string(commerce.Invalid),
			Body: []byte("{\"query\":\"{ product(slug: \\\"\xff\xfe\\\") { id } }\"}")},
		{Name: "lone surrogate in a variable", Code: string(commerce.Invalid),
			Body: `{"query":"query($s: String) { product(slug: $s) { id } }","variables":{"s":"\ud800"}}`},
		{Name: "a 100 KB argument", Code: string(commerce.Invalid),
			Body: gql(`query($q: String!) { search(query: $q) { edges { node { id } } } }`, map[string]any{"q": strings.Repeat("a", 100<<10)})},
		// Documents that only validation can refuse, but must refuse fast.
		{Name: "deeply nested list literal", Code: string(commerce.GraphQLParseFailed), Status: 422,
			Body: gql(`{ nodes(ids: `+nest("[", `"x"`, "]", 5000)+`) { id } }`, nil)},
		{Name: "over the token limit", Code: string(commerce.GraphQLParseFailed), Status: 422,
			Body: gql(`{ __typename `+many(3000, "@skip(if: false)")+` }`, nil)},
		{Name: "repeated directives", Code: string(commerce.GraphQLValidationFailed), Status: 422,
			Body: gql(`{ __typename `+many(2000, "@skip(if: false)")+` }`, nil)},
		{Name: "2500 operations in one document", Code: "",
			Body: map[string]any{"operationName": "Q7", "query": aliased(2500, func(i int) string { return fmt.Sprintf("query Q%d { __typename }", i) })}},
		// The transport: sizes, methods, media types, malformed bodies.
		{Name: "20 MB chunked body", Status: 413, Code: string(commerce.PayloadTooLarge), Chunked: true,
			Body: gql(`query($q: String!) { search(query: $q) { edges { node { id } } } }`, map[string]any{"q": strings.Repeat("x", 20<<20)})},
		{Name: "2 MB body", Status: 413, Code: string(commerce.PayloadTooLarge),
			Body: gql(`{ __typename }`, map[string]any{"pad": strings.Repeat("x", 2<<20)})},
		{Name: "mutation over GET", Method: http.MethodGet, Status: 405, Code: string(commerce.MethodNotAllowed),
			RawQuery: url.Values{"query": {`mutation { customerSignOut { userErrors { code } } }`}}.Encode()},
		{Name: "PUT", Method: http.MethodPut, Status: 405, Code: string(commerce.MethodNotAllowed), Body: gql(`{ __typename }`, nil)},
		{Name: "text/plain body", ContentType: "text/plain", Status: 415, Code: string(commerce.UnsupportedMediaType), Body: `{ __typename }`},
		{Name: "undecodable JSON", Status: 400, Code: string(commerce.BadRequest), Body: `{"query": "{ __typename }"`},
		{Name: "a batch of 1000 operations", Status: 400, Code: string(commerce.BadRequest),
			Body: "[" + strings.TrimSuffix(strings.Repeat(`{"query":"{ __typename }"},`, 1000), ",") + "]"},
		{Name: "variables nested 20,000 deep", Status: 400, Code: string(commerce.BadRequest),
			Body: `{"query":"query($v: [ID!]) { nodes(ids: $v) { id } }","variables":{"v":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}}`},
		{Name: "Int overflow", Code: string(commerce.Invalid),
			Body: gql(`{ products(first: 99999999999) { totalCount } }`, nil)},
	}
}

// Answer is what the server sent back.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
	// Elapsed runs from the connection's first byte to the answer's last:
	// what the server took, without the client's building of the body.
	Elapsed time.Duration
}

// Send sends c to the server at base (http://host:port) on a connection of
// its own, from local (nil: any address), writing the body while it reads
// the answer: a server may answer (413) before a body is over. It gives up
// after timeout.
func Send(base string, c Case, local net.Addr, timeout time.Duration) (Answer, error) {
	req, err := c.Request(base)
	if err != nil {
		return Answer{}, err
	}
	d := net.Dialer{LocalAddr: local, Timeout: timeout}
	conn, err := d.Dial("tcp", req.URL.Host)
	if err != nil {
		return Answer{}, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	start := time.Now()
	go func() { _ = req.Write(conn) }()
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return Answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return Answer{Status: resp.StatusCode, Header: resp.Header, Body: body, Elapsed: time.Since(start)}, err
}
