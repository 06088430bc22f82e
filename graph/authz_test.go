package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"storefront/auth/ratelimit"
	"storefront/commerce/access"
	"storefront/commerce/identity"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent"
	"storefront/ent/address"
	entcart "storefront/ent/cart"
	"storefront/ent/cartline"
	"storefront/ent/category"
	"storefront/ent/customer"
	"storefront/ent/discountcode"
	"storefront/ent/order"
	"storefront/ent/orderevent"
	"storefront/ent/orderline"
	"storefront/ent/product"
	"storefront/ent/productvariant"
	"storefront/ent/stocklevel"
	"storefront/ent/warehouse"
	"storefront/internal/apitest"
	"storefront/relay/gid"
)

// TestAuthorizationMatrix states, for every Query field, every Node type and
// every Mutation field of the API, what each kind of viewer gets: an
// anonymous shopper, customer A, customer B and a staff member. The tables
// below are the matrix; a completeness guard fails the test when the schema
// has a field or a Node type that no table row covers, so a new field cannot
// ship without its authorization case.
//
// Every table has one column per viewer, always in this order:
//
//	anonymous, customer A, customer B, staff
//
// Expected data is written as JSON in which fixture global IDs are replaced
// by symbols ("p0", "draft", "custA", "addrB", "W1", ...: see setup); lists
// compare as sets and keys in any order.
func TestAuthorizationMatrix(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		w := authzSetup(t, db) // fixtures once per database
		t.Run("completeness", w.checkCompleteness)
		t.Run("queries", w.checkQueries)
		t.Run("nodes", w.checkNodes)
		t.Run("mutations", w.checkMutations) // last: it changes the fixtures
	})
}

// who is a viewer, and the index of its column in every table.
type who int

const (
	asAnon who = iota
	asA
	asB
	asStaff
)

var authzViewers = []who{asAnon, asA, asB, asStaff}

func (v who) String() string { return [...]string{"anonymous", "customerA", "customerB", "staff"}[v] }

// short replaces {v} in variables: per viewer values such as "new-{v}@shop.test".
func (v who) short() string { return [...]string{"Anon", "A", "B", "Staff"}[v] }

// per holds one value per viewer, in column order.
type per[T any] [4]T

func forAll[T any](v T) per[T] { return per[T]{v, v, v, v} }

// staffOnly is what staff get, and what everyone else gets instead.
func staffOnly[T any](staff, others T) per[T] { return per[T]{others, others, others, staff} }

// ---------------------------------------------------------------------------
// 2. Query fields: the data each viewer gets (no viewer gets an error).

type authzQueryCase struct {
	field string // the Query field this row covers
	query string
	vars  apitest.Vars // "@sym" is a fixture's global ID
	want  per[string]  // symbolised data
}

var authzQueryCases = []authzQueryCase{
	// viewer: nobody for anonymous, one's own account for everyone else.
	{"viewer", `{ viewer { id email role } }`, nil, per[string]{
		`{"viewer":null}`,
		`{"viewer":{"id":"custA","email":"a@shop.test","role":"CUSTOMER"}}`,
		`{"viewer":{"id":"custB","email":"b@shop.test","role":"CUSTOMER"}}`,
		`{"viewer":{"id":"staff","email":"staff@shop.test","role":"STAFF"}}`}},
	// The address book edges show one's own addresses only, for staff too.
	{"viewer", `{ viewer { addresses { id } defaultAddress { id } } }`, nil, per[string]{
		`{"viewer":null}`,
		`{"viewer":{"addresses":[{"id":"addrA"},{"id":"delA"}],"defaultAddress":{"id":"addrA"}}}`,
		`{"viewer":{"addresses":[{"id":"addrB"},{"id":"addrB2"},{"id":"delB"}],"defaultAddress":{"id":"addrB"}}}`,
		`{"viewer":{"addresses":[{"id":"addrStaff"},{"id":"delStaff"}],"defaultAddress":{"id":"addrStaff"}}}`}},

	// products: the 20 ACTIVE products, never the DRAFT or ARCHIVED one
	// (the list is the storefront's, so staff see the same).
	{"products", `{ products(first: 100) { totalCount } }`, nil,
		forAll(`{"products":{"totalCount":20}}`)},
	{"products", `{ products(first: 100, filter: {query: "-product"}) { totalCount edges { node { id } } } }`, nil,
		forAll(`{"products":{"totalCount":0,"edges":[]}}`)},
	{"products", `{ products(first: 1, filter: {query: "Quartz"}) { edges { node { id variants { id } } } } }`, nil,
		forAll(`{"products":{"edges":[{"node":{"id":"p0","variants":[{"id":"p0v0"},{"id":"p0v1"}]}}]}}`)},

	// product: ACTIVE products for everyone; DRAFT and ARCHIVED ones for staff.
	{"product", `query($id: ID) { product(id: $id) { id status variants { id } } }`, apitest.Vars{"id": "@p0"},
		forAll(`{"product":{"id":"p0","status":"ACTIVE","variants":[{"id":"p0v0"},{"id":"p0v1"}]}}`)},
	{"product", `query($id: ID) { product(id: $id) { id status variants { id } } }`, apitest.Vars{"id": "@draft"},
		staffOnly(`{"product":{"id":"draft","status":"DRAFT","variants":[{"id":"draftv"}]}}`, `{"product":null}`)},
	{"product", `{ product(slug: "draft-product") { id } }`, nil,
		staffOnly(`{"product":{"id":"draft"}}`, `{"product":null}`)},
	{"product", `query($id: ID) { product(id: $id) { id status } }`, apitest.Vars{"id": "@archived"},
		staffOnly(`{"product":{"id":"archived","status":"ARCHIVED"}}`, `{"product":null}`)},

	// search and predictiveSearch: the same ACTIVE products as products,
	// for everyone; the hidden ones are titled "...-product".
	{"search", `{ search(query: "product", first: 100) { totalCount } }`, nil,
		forAll(`{"search":{"totalCount":0}}`)},
	{"search", `{ search(query: "quartz WATCH", first: 5) { edges { node { id } } } }`, nil,
		forAll(`{"search":{"edges":[{"node":{"id":"p0"}}]}}`)},
	{"predictiveSearch", `{ predictiveSearch(query: "product") { products { id } categories { id } } }`, nil,
		forAll(`{"predictiveSearch":{"products":[],"categories":[]}}`)},
	{"predictiveSearch", `{ predictiveSearch(query: "quar") { products { id } categories { id } } }`, nil,
		forAll(`{"predictiveSearch":{"products":[{"id":"p0"}],"categories":[]}}`)},

	// categories and category: public. Category.products lists ACTIVE
	// products of the tree (audio and headphones: 10; the draft and the
	// archived product, in audio, are not among them).
	{"categories", `{ categories(first: 100) { totalCount } }`, nil,
		forAll(`{"categories":{"totalCount":5}}`)},
	{"category", `{ category(slug: "audio") { id parent { id } children { id } products(first: 100) { totalCount } } }`, nil,
		forAll(`{"category":{"id":"audio","parent":{"id":"electronics"},"children":[{"id":"headphones"}],"products":{"totalCount":10}}}`)},
	{"category", `query($id: ID) { category(id: $id) { slug } }`, apitest.Vars{"id": "@fashion"},
		forAll(`{"category":{"slug":"fashion"}}`)},

	// warehouses: staff data; everyone else gets an empty list.
	{"warehouses", `{ warehouses { totalCount edges { node { id code name priority } } } }`, nil, staffOnly(
		`{"warehouses":{"totalCount":2,"edges":[{"node":{"id":"W1","code":"W1","name":"One","priority":0}},{"node":{"id":"W2","code":"W2","name":"Two","priority":1}}]}}`,
		`{"warehouses":{"totalCount":0,"edges":[]}}`)},

	// node / nodes with edges: stock per warehouse is staff data (shoppers
	// see the total only); a customer's account and address book are theirs
	// and staff's, by node, nodes and every edge.
	{"node", `query($id: ID!) { node(id: $id) { ... on ProductVariant { quantityAvailable product { id } stockLevels { warehouse { id } onHand reserved available } } } }`,
		apitest.Vars{"id": "@p0v0"}, staffOnly(
			`{"node":{"quantityAvailable":4,"product":{"id":"p0"},"stockLevels":[{"warehouse":{"id":"W1"},"onHand":3,"reserved":1,"available":2},{"warehouse":{"id":"W2"},"onHand":2,"reserved":0,"available":2}]}}`,
			`{"node":{"quantityAvailable":4,"product":{"id":"p0"},"stockLevels":[]}}`)},
	{"node", `query($id: ID!) { node(id: $id) { ... on ProductVariant { quantityAvailable product { id } stockLevels { warehouse { code } onHand } } } }`,
		apitest.Vars{"id": "@draftv"}, staffOnly(
			`{"node":{"quantityAvailable":10,"product":{"id":"draft"},"stockLevels":[{"warehouse":{"code":"W1"},"onHand":10}]}}`,
			`{"node":null}`)},
	{"node", `query($id: ID!) { node(id: $id) { ... on Customer { email addresses { id } defaultAddress { id } } } }`,
		apitest.Vars{"id": "@custA"}, per[string]{
			`{"node":null}`,
			`{"node":{"email":"a@shop.test","addresses":[{"id":"addrA"},{"id":"delA"}],"defaultAddress":{"id":"addrA"}}}`,
			`{"node":null}`,
			`{"node":{"email":"a@shop.test","addresses":[{"id":"addrA"},{"id":"delA"}],"defaultAddress":{"id":"addrA"}}}`}},
	{"node", `query($id: ID!) { node(id: $id) { ... on Customer { email addresses { id } defaultAddress { id } } } }`,
		apitest.Vars{"id": "@custB"}, per[string]{
			`{"node":null}`,
			`{"node":null}`,
			`{"node":{"email":"b@shop.test","addresses":[{"id":"addrB"},{"id":"addrB2"},{"id":"delB"}],"defaultAddress":{"id":"addrB"}}}`,
			`{"node":{"email":"b@shop.test","addresses":[{"id":"addrB"},{"id":"addrB2"},{"id":"delB"}],"defaultAddress":{"id":"addrB"}}}`}},
	{"node", `query($id: ID!) { node(id: $id) { ... on Customer { cart { id } orders { totalCount } } } }`,
		apitest.Vars{"id": "@custA"}, per[string]{
			`{"node":null}`,
			`{"node":{"cart":{"id":"cartA"},"orders":{"totalCount":2}}}`,
			`{"node":null}`,
			`{"node":{"cart":null,"orders":{"totalCount":2}}}`}}, // a cart shows to its customer's own session only

	// cart: a guest cart to whoever names its ID; a customer's cart to them
	// and staff.
	{"cart", `query($id: ID!) { cart(id: $id) { id totalQuantity lines { variant { id } } } }`, apitest.Vars{"id": "@cartAnon"},
		forAll(`{"cart":{"id":"cartAnon","totalQuantity":2,"lines":[{"variant":{"id":"p0v0"}},{"variant":{"id":"p0v1"}}]}}`)},
	{"cart", `query($id: ID!) { cart(id: $id) { id } }`, apitest.Vars{"id": "@cartA"},
		per[string]{`{"cart":null}`, `{"cart":{"id":"cartA"}}`, `{"cart":null}`, `{"cart":{"id":"cartA"}}`}},
	{"cart", `query($id: ID!) { cart(id: $id) { id } }`, apitest.Vars{"id": "@cartB"},
		per[string]{`{"cart":null}`, `{"cart":null}`, `{"cart":{"id":"cartB"}}`, `{"cart":{"id":"cartB"}}`}},
	{"viewer", `{ viewer { cart { id } orders(first: 100) { totalCount edges { node { id } } } } }`, nil, per[string]{
		`{"viewer":null}`,
		`{"viewer":{"cart":{"id":"cartA"},"orders":{"totalCount":2,"edges":[{"node":{"id":"orderA"}},{"node":{"id":"pendingA"}}]}}}`,
		`{"viewer":{"cart":{"id":"cartB"},"orders":{"totalCount":3,"edges":[{"node":{"id":"orderB"}},{"node":{"id":"pendingB"}},{"node":{"id":"pendingB2"}}]}}}`,
		`{"viewer":{"cart":{"id":"cartStaff"},"orders":{"totalCount":1,"edges":[{"node":{"id":"pendingStaff"}}]}}}`}},

	// order: a guest order to whoever names its ID; a customer's order to
	// them and staff, with its lines, history and shipping address.
	{"order", `query($id: ID!) { order(id: $id) { id status lines { sku } statusHistory { status } shippingAddress { city } } }`, apitest.Vars{"id": "@orderA"}, per[string]{
		`{"order":null}`,
		`{"order":{"id":"orderA","status":"PAID","lines":[{"sku":"SKU-06-0"}],"statusHistory":[{"status":"PENDING_PAYMENT"},{"status":"PAID"}],"shippingAddress":{"city":"Krakow"}}}`,
		`{"order":null}`,
		`{"order":{"id":"orderA","status":"PAID","lines":[{"sku":"SKU-06-0"}],"statusHistory":[{"status":"PENDING_PAYMENT"},{"status":"PAID"}],"shippingAddress":{"city":"Krakow"}}}`}},
	{"order", `query($id: ID!) { order(id: $id) { id status } }`, apitest.Vars{"id": "@guestOrder"},
		forAll(`{"order":{"id":"guestOrder","status":"PAID"}}`)},
	// orders: staff only; customers read viewer.orders.
	{"orders", `{ orders(first: 100) { totalCount } }`, nil,
		staffOnly(`{"orders":{"totalCount":8}}`, `{"orders":{"totalCount":0}}`)},
	{"orders", `{ orders(first: 100, filter: {status: PAID}) { edges { node { id } } } }`, nil, staffOnly(
		`{"orders":{"edges":[{"node":{"id":"orderA"}},{"node":{"id":"orderB"}},{"node":{"id":"guestOrder"}}]}}`,
		`{"orders":{"edges":[]}}`)},

	{"nodes", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
		apitest.Vars{"ids": []string{"@custA", "@custB", "@addrA", "@addrB", "@draft", "@W1"}}, per[string]{
			`{"nodes":[null,null,null,null,null,null]}`,
			`{"nodes":[{"id":"custA"},null,{"id":"addrA"},null,null,null]}`,
			`{"nodes":[null,{"id":"custB"},null,{"id":"addrB"},null,null]}`,
			`{"nodes":[{"id":"custA"},{"id":"custB"},{"id":"addrA"},{"id":"addrB"},{"id":"draft"},{"id":"W1"}]}`}},
}

func (w *authzWorld) checkQueries(t *testing.T) {
	for _, c := range authzQueryCases {
		for _, v := range authzViewers {
			errs, data := w.run(t, v, c.query, c.vars)
			if len(errs) > 0 {
				t.Errorf("%s as %s: unexpected errors %+v\nquery: %s", c.field, v, errs, c.query)
				continue
			}
			if got := w.symbolise(data); !equalJSON(got, c.want[v]) {
				t.Errorf("%s as %s:\n query: %s\n  got: %s\n want: %s", c.field, v, c.query, got, c.want[v])
			}
		}
	}
}

// ---------------------------------------------------------------------------
// 3. node(id) and nodes(ids) for every Node type: who gets the object
// (everyone else gets null, never an error).

type authzNodeCase struct {
	typ, sym string
	sees     per[bool]
}

const (
	Y = true
	N = false
)

var authzNodeCases = []authzNodeCase{
	// type, symbol, seen by {anonymous, A, B, staff}
	{"Product", "p0", per[bool]{Y, Y, Y, Y}},
	{"Product", "draft", per[bool]{N, N, N, Y}},
	{"Product", "archived", per[bool]{N, N, N, Y}},
	{"ProductVariant", "p0v0", per[bool]{Y, Y, Y, Y}},
	{"ProductVariant", "draftv", per[bool]{N, N, N, Y}},
	{"ProductVariant", "archivedv", per[bool]{N, N, N, Y}},
	{"Category", "electronics", per[bool]{Y, Y, Y, Y}},
	{"Category", "headphones", per[bool]{Y, Y, Y, Y}},
	{"Warehouse", "W1", per[bool]{N, N, N, Y}},
	{"Customer", "custA", per[bool]{N, Y, N, Y}},
	{"Customer", "custB", per[bool]{N, N, Y, Y}},
	{"Customer", "staff", per[bool]{N, N, N, Y}},
	{"Address", "addrA", per[bool]{N, Y, N, Y}},
	{"Address", "addrB", per[bool]{N, N, Y, Y}},
	{"Address", "addrStaff", per[bool]{N, N, N, Y}},
	{"Cart", "cartAnon", per[bool]{Y, Y, Y, Y}}, // a guest cart: its ID is the key
	{"Cart", "cartA", per[bool]{N, Y, N, Y}},
	{"Cart", "cartB", per[bool]{N, N, Y, Y}},
	{"Order", "guestOrder", per[bool]{Y, Y, Y, Y}}, // a guest order: its ID is the key
	{"Order", "orderA", per[bool]{N, Y, N, Y}},
	{"Order", "orderB", per[bool]{N, N, Y, Y}},
	// Controls: a missing row, and an ID of a type that is not a Node.
	{"Product", "missingProduct", per[bool]{N, N, N, N}},
	{"StockLevel", "stockLevel", per[bool]{N, N, N, N}},
}

func (w *authzWorld) checkNodes(t *testing.T) {
	const q = `query($id: ID!) { node(id: $id) { __typename id } nodes(ids: [$id, $id]) { __typename id } }`
	for _, c := range authzNodeCases {
		for _, v := range authzViewers {
			errs, data := w.run(t, v, q, apitest.Vars{"id": "@" + c.sym})
			if len(errs) > 0 {
				t.Errorf("node(%s %s) as %s: unexpected errors %+v", c.typ, c.sym, v, errs)
				continue
			}
			want := `{"node":null,"nodes":[null,null]}`
			if c.sees[v] {
				n := fmt.Sprintf(`{"__typename":%q,"id":%q}`, c.typ, c.sym)
				want = fmt.Sprintf(`{"node":%s,"nodes":[%s,%s]}`, n, n, n)
			}
			if got := w.symbolise(data); !equalJSON(got, want) {
				t.Errorf("node(%s %s) as %s:\n  got: %s\n want: %s", c.typ, c.sym, v, got, want)
			}
		}
	}
}

// ---------------------------------------------------------------------------
// 4. Mutations: the outcome per viewer, and that a refused attempt changes
// nothing in the database.

// outcome is what one attempt gives.
type outcome string

const (
	OK       outcome = "ok"                    // data, no top-level error, no userErrors
	UNAUTH   outcome = "error:UNAUTHENTICATED" // top-level error, null payload
	FORBID   outcome = "error:FORBIDDEN"       // top-level error, null payload
	NOTFOUND outcome = "userError:NOT_FOUND"   // a payload with this userError
	SKIP     outcome = "-"                     // not attempted (covered by another row)
)

type authzMutationCase struct {
	field string
	name  string // what the row tries, when a field has several rows
	query string
	vars  apitest.Vars // "@sym" is a fixture's global ID (or token); {v} is the viewer
	want  per[outcome]
	// writes: an allowed attempt changes the database (sessions and
	// refresh tokens aside). A refused one never does.
	writes bool
	// self, when set, is a path in the payload that must name the viewer's
	// own Customer on success.
	self string
}

const authzAddress = `{address1: "1 Authz Road", city: "Testville", countryCode: "PL"}`

const authzCheckout = `mutation($c: ID!, $k: String!, $t: String) {
  checkoutComplete(input: {cartId: $c, email: "buyer@shop.test", idempotencyKey: $k, paymentToken: $t,
    shippingAddress: {address1: "1 Checkout Road", city: "Krakow", countryCode: "PL"}}) {
    order { id status } userErrors { code } } }`

var authzMutationCases = []authzMutationCase{
	// Staff: changing the catalogue.
	{field: "productCreate", query: `mutation($t: String!) { productCreate(input: {title: $t}) { product { id } userErrors { code } } }`,
		vars: apitest.Vars{"t": "Authz {v}"}, want: per[outcome]{UNAUTH, FORBID, FORBID, OK}, writes: true},
	{field: "productUpdate", name: "an ACTIVE product", query: `mutation($id: ID!) { productUpdate(id: $id, input: {title: "Renamed", status: ARCHIVED}) { product { id } userErrors { code } } }`,
		vars: apitest.Vars{"id": "@p1"}, want: per[outcome]{UNAUTH, FORBID, FORBID, OK}, writes: true},
	{field: "productUpdate", name: "the DRAFT product", query: `mutation($id: ID!) { productUpdate(id: $id, input: {status: ACTIVE}) { product { id } userErrors { code } } }`,
		vars: apitest.Vars{"id": "@draft"}, want: per[outcome]{UNAUTH, FORBID, FORBID, OK}, writes: true},
	{field: "productVariantCreate", query: `mutation($p: ID!, $sku: String!) { productVariantCreate(input: {productId: $p, sku: $sku, price: "1.00"}) { productVariant { id } userErrors { code } } }`,
		vars: apitest.Vars{"p": "@p2", "sku": "AZ-{v}"}, want: per[outcome]{UNAUTH, FORBID, FORBID, OK}, writes: true},
	{field: "productVariantUpdate", query: `mutation($id: ID!) { productVariantUpdate(id: $id, input: {price: "3.00", title: "Renamed"}) { productVariant { id } userErrors { code } } }`,
		vars: apitest.Vars{"id": "@p2v0"}, want: per[outcome]{UNAUTH, FORBID, FORBID, OK}, writes: true},
	{field: "categoryCreate", query: `mutation($n: String!) { categoryCreate(input: {name: $n}) { category { id } userErrors { code } } }`,
		vars: apitest.Vars{"n": "Authz {v}"}, want: per[outcome]{UNAUTH, FORBID, FORBID, OK}, writes: true},
	{field: "categoryUpdate", query: `mutation($id: ID!) { categoryUpdate(id: $id, input: {name: "Renamed", topLevel: true}) { category { id } userErrors { code } } }`,
		vars: apitest.Vars{"id": "@shoes"}, want: per[outcome]{UNAUTH, FORBID, FORBID, OK}, writes: true},

	// Staff: warehouses and stock.
	{field: "warehouseCreate", query: `mutation($c: String!) { warehouseCreate(input: {code: $c, name: "Authz"}) { warehouse { id } userErrors { code } } }`,
		vars: apitest.Vars{"c": "AZ-{v}"}, want: per[outcome]{UNAUTH, FORBID, FORBID, OK}, writes: true},
	{field: "warehouseUpdate", query: `mutation($id: ID!) { warehouseUpdate(id: $id, input: {name: "Renamed", priority: 7}) { warehouse { id } userErrors { code } } }`,
		vars: apitest.Vars{"id": "@W2"}, want: per[outcome]{UNAUTH, FORBID, FORBID, OK}, writes: true},
	// BUG (commerce/inventory/stock.go, SetOnHand): the variant and
	// warehouse are looked up with the viewer's context before any write, and
	// warehouses are hidden from non-staff, so the refusal comes out as a
	// NOT_FOUND userError ("no such warehouse") instead of the privacy
	// denial. Nothing is written either way.
	{field: "stockLevelSet", query: `mutation($v: ID!, $w: ID!) { stockLevelSet(input: {variantId: $v, warehouseId: $w, onHand: 42}) { stockLevel { onHand } userErrors { code } } }`,
		vars: apitest.Vars{"v": "@p0v0", "w": "@W1"}, want: per[outcome]{
			UNAUTH, FORBID, FORBID, OK}, writes: true},

	// Carts: everyone keeps their own cart (a guest's is reached by its
	// ID); another customer's cart looks missing. Staff may write every
	// cart (access.CartPolicy).
	{field: "cartCreate", query: `mutation($p: ID!) { cartCreate(input: {lines: [{variantId: $p, quantity: 1}]}) { cart { id } userErrors { code } } }`,
		vars: apitest.Vars{"p": "@p0v0"}, want: forAll(OK), writes: true},
	{field: "cartLinesAdd", name: "one's own cart", query: `mutation($c: ID!, $p: ID!) { cartLinesAdd(cartId: $c, lines: [{variantId: $p, quantity: 1}]) { cart { id } userErrors { code } } }`,
		vars: apitest.Vars{"c": "@cart{v}", "p": "@p2v0"}, want: forAll(OK), writes: true},
	{field: "cartLinesAdd", name: "the guest cart, by ID", query: `mutation($c: ID!, $p: ID!) { cartLinesAdd(cartId: $c, lines: [{variantId: $p, quantity: 1}]) { cart { id } userErrors { code } } }`,
		vars: apitest.Vars{"c": "@cartAnon", "p": "@p2v1"}, want: forAll(OK), writes: true},
	{field: "cartLinesAdd", name: "B's cart", query: `mutation($c: ID!, $p: ID!) { cartLinesAdd(cartId: $c, lines: [{variantId: $p, quantity: 1}]) { cart { id } userErrors { code } } }`,
		vars: apitest.Vars{"c": "@cartB", "p": "@p2v1"}, want: per[outcome]{NOTFOUND, NOTFOUND, SKIP, OK}, writes: true},
	{field: "cartLinesUpdate", name: "one's own cart", query: `mutation($c: ID!, $l: ID!) { cartLinesUpdate(cartId: $c, lines: [{id: $l, quantity: 3}]) { cart { id } userErrors { code } } }`,
		vars: apitest.Vars{"c": "@cart{v}", "l": "@line{v}"}, want: forAll(OK), writes: true},
	{field: "cartLinesUpdate", name: "B's cart", query: `mutation($c: ID!, $l: ID!) { cartLinesUpdate(cartId: $c, lines: [{id: $l, quantity: 5}]) { cart { id } userErrors { code } } }`,
		vars: apitest.Vars{"c": "@cartB", "l": "@lineB"}, want: per[outcome]{NOTFOUND, NOTFOUND, SKIP, OK}, writes: true},
	{field: "cartLinesUpdate", name: "B's line in one's own cart", query: `mutation($c: ID!, $l: ID!) { cartLinesUpdate(cartId: $c, lines: [{id: $l, quantity: 7}]) { cart { id } userErrors { code } } }`,
		vars: apitest.Vars{"c": "@cart{v}", "l": "@lineB"}, want: per[outcome]{NOTFOUND, NOTFOUND, SKIP, NOTFOUND}, writes: true},
	{field: "cartLinesRemove", name: "one's own cart", query: `mutation($c: ID!, $l: ID!) { cartLinesRemove(cartId: $c, lineIds: [$l]) { cart { id } userErrors { code } } }`,
		vars: apitest.Vars{"c": "@cart{v}", "l": "@line2{v}"}, want: forAll(OK), writes: true},
	{field: "cartLinesRemove", name: "B's cart", query: `mutation($c: ID!, $l: ID!) { cartLinesRemove(cartId: $c, lineIds: [$l]) { cart { id } userErrors { code } } }`,
		vars: apitest.Vars{"c": "@cartB", "l": "@lineB"}, want: per[outcome]{NOTFOUND, NOTFOUND, SKIP, OK}, writes: true},
	{field: "cartDiscountCodeUpdate", name: "one's own cart", query: `mutation($c: ID!) { cartDiscountCodeUpdate(cartId: $c, code: "") { cart { id } userErrors { code } } }`,
		vars: apitest.Vars{"c": "@cart{v}"}, want: forAll(OK), writes: true},
	{field: "cartDiscountCodeUpdate", name: "B's cart", query: `mutation($c: ID!) { cartDiscountCodeUpdate(cartId: $c, code: "") { cart { id } userErrors { code } } }`,
		vars: apitest.Vars{"c": "@cartB"}, want: per[outcome]{NOTFOUND, NOTFOUND, SKIP, OK}, writes: true},
	{field: "cartMerge", name: "a guest cart", query: `mutation($c: ID!) { cartMerge(guestCartId: $c) { cart { id } userErrors { code } } }`,
		vars: apitest.Vars{"c": "@merge{v}"}, want: per[outcome]{UNAUTH, OK, OK, OK}, writes: true},
	// BUG (commerce/cart/merge.go, MergeGuestCart): it never checks that the
	// "guest" cart has no customer; it relies on the privacy rules, which
	// show customers only their own carts and guest carts, but show staff
	// every cart. So a staff member's cartMerge takes customer B's cart:
	// B's lines move into the staff member's cart and B's cart is closed
	// (MERGED).
	{field: "cartMerge", name: "B's cart", query: `mutation($c: ID!) { cartMerge(guestCartId: $c) { cart { id } userErrors { code } } }`,
		vars: apitest.Vars{"c": "@cartB"}, want: per[outcome]{UNAUTH, NOTFOUND, SKIP, NOTFOUND}, writes: true},
	{field: "checkoutComplete", name: "one's own cart", query: authzCheckout,
		vars: apitest.Vars{"c": "@co{v}", "k": "authz-own-{v}"}, want: forAll(OK), writes: true},
	// Staff may check out a customer's cart (the order is the customer's).
	{field: "checkoutComplete", name: "B's cart", query: authzCheckout,
		vars: apitest.Vars{"c": "@coB2", "k": "authz-other-{v}"}, want: per[outcome]{NOTFOUND, NOTFOUND, SKIP, OK}, writes: true},

	// Orders: paying is for whoever may see the order (its customer, or
	// anyone naming a guest order); status changes are staff's. An order
	// the viewer may not see looks missing (NOT_FOUND, as for node(id)), so
	// only who may see it gets the refusal (FORBIDDEN or UNAUTHENTICATED).
	{field: "orderPay", name: "one's own order", query: `mutation($o: ID!) { orderPay(id: $o) { order { id status } userErrors { code } } }`,
		vars: apitest.Vars{"o": "@pending{v}"}, want: forAll(OK), writes: true},
	{field: "orderPay", name: "B's order", query: `mutation($o: ID!) { orderPay(id: $o) { order { id status } userErrors { code } } }`,
		vars: apitest.Vars{"o": "@pendingB2"}, want: per[outcome]{NOTFOUND, NOTFOUND, SKIP, OK}, writes: true},
	{field: "orderCancel", name: "A's order", query: `mutation($o: ID!) { orderCancel(id: $o) { order { id status } userErrors { code } } }`,
		vars: apitest.Vars{"o": "@orderA"}, want: per[outcome]{NOTFOUND, FORBID, NOTFOUND, OK}, writes: true},
	{field: "orderCancel", name: "a guest order, by ID", query: `mutation($o: ID!) { orderCancel(id: $o) { order { id status } userErrors { code } } }`,
		vars: apitest.Vars{"o": "@guestOrder"}, want: per[outcome]{UNAUTH, FORBID, FORBID, OK}, writes: true},
	{field: "orderFulfill", name: "B's order", query: `mutation($o: ID!) { orderFulfill(id: $o) { order { id status } userErrors { code } } }`,
		vars: apitest.Vars{"o": "@orderB"}, want: per[outcome]{NOTFOUND, NOTFOUND, FORBID, OK}, writes: true},
	{field: "orderMarkDelivered", name: "B's order", query: `mutation($o: ID!) { orderMarkDelivered(id: $o) { order { id status } userErrors { code } } }`,
		vars: apitest.Vars{"o": "@orderB"}, want: per[outcome]{NOTFOUND, NOTFOUND, FORBID, OK}, writes: true},

	// Accounts: signing up, in and out is for anyone; the rest acts on the
	// signed-in viewer's own account only.
	{field: "customerCreate", query: `mutation($e: String!) { customerCreate(input: {email: $e, password: "fresh {v} password"}) { customer { id } userErrors { code } } }`,
		vars: apitest.Vars{"e": "new-{v}@shop.test"}, want: forAll(OK), writes: true},
	{field: "customerSignIn", query: `mutation($e: String!) { customerSignIn(input: {email: $e, password: "fresh {v} password"}) { accessToken userErrors { code } } }`,
		vars: apitest.Vars{"e": "new-{v}@shop.test"}, want: forAll(OK)},
	// The refresh token is the credential, whoever sends it.
	{field: "customerRefreshToken", name: "a live refresh token", query: `mutation($r: String!) { customerRefreshToken(refreshToken: $r) { accessToken userErrors { code } } }`,
		vars: apitest.Vars{"r": "@refresh{v}"}, want: forAll(OK)},
	{field: "customerRefreshToken", name: "a bogus refresh token", query: `mutation { customerRefreshToken(refreshToken: "bogus") { accessToken userErrors { code } } }`,
		want: forAll(UNAUTH)},
	{field: "customerUpdate", query: `mutation { customerUpdate(input: {name: "Renamed {v}"}) { customer { id } userErrors { code } } }`,
		want: per[outcome]{UNAUTH, OK, OK, OK}, writes: true, self: "customer.id"},
	{field: "customerAddressCreate", query: `mutation { customerAddressCreate(address: ` + authzAddress + `) { address { id } customer { id } userErrors { code } } }`,
		want: per[outcome]{UNAUTH, OK, OK, OK}, writes: true, self: "customer.id"},

	// Someone else's address (B's) looks missing to customer A, and B's
	// book stays as it was.
	//
	// BUG (commerce/identity/addresses.go): these mutations act on "the
	// signed-in customer's address book", but UpdateAddress, DeleteAddress
	// and SetDefaultAddress scope the address to the viewer only through the
	// privacy rules, which let staff see and write every address. So a
	// staff member signed in as themselves rewrites or deletes B's address,
	// and customerDefaultAddressUpdate makes B's address the staff member's
	// own default (an address of another customer's book).
	{field: "customerAddressUpdate", name: "B's address", query: `mutation($id: ID!) { customerAddressUpdate(id: $id, address: ` + authzAddress + `) { address { id } userErrors { code } } }`,
		vars: apitest.Vars{"id": "@addrB"}, want: per[outcome]{UNAUTH, NOTFOUND, SKIP, NOTFOUND}, writes: true},
	{field: "customerAddressUpdate", name: "one's own address", query: `mutation($id: ID!) { customerAddressUpdate(id: $id, address: {address1: "{v}'s own road", city: "Testville", countryCode: "PL"}) { address { id } customer { id } userErrors { code } } }`,
		vars: apitest.Vars{"id": "@addr{v}"}, want: per[outcome]{UNAUTH, OK, OK, OK}, writes: true, self: "customer.id"},
	{field: "customerDefaultAddressUpdate", name: "B's address", query: `mutation($id: ID!) { customerDefaultAddressUpdate(addressId: $id) { customer { id } userErrors { code } } }`,
		vars: apitest.Vars{"id": "@addrB2"}, want: per[outcome]{UNAUTH, NOTFOUND, SKIP, NOTFOUND}, writes: true},
	{field: "customerDefaultAddressUpdate", name: "one's own address", query: `mutation($id: ID!) { customerDefaultAddressUpdate(addressId: $id) { customer { id defaultAddress { id } } userErrors { code } } }`,
		vars: apitest.Vars{"id": "@del{v}"}, want: per[outcome]{UNAUTH, OK, OK, OK}, writes: true, self: "customer.id"},
	{field: "customerAddressDelete", name: "B's address", query: `mutation($id: ID!) { customerAddressDelete(id: $id) { deletedAddressId userErrors { code } } }`,
		vars: apitest.Vars{"id": "@addrB2"}, want: per[outcome]{UNAUTH, NOTFOUND, SKIP, NOTFOUND}, writes: true},
	{field: "customerAddressDelete", name: "one's own address", query: `mutation($id: ID!) { customerAddressDelete(id: $id) { deletedAddressId userErrors { code } } }`,
		vars: apitest.Vars{"id": "@del{v}"}, want: per[outcome]{UNAUTH, OK, OK, OK}, writes: true},
	{field: "customerPasswordChange", query: `mutation { customerPasswordChange(input: {currentPassword: "secret {v} password", newPassword: "changed {v} password"}) { customer { id } userErrors { code } } }`,
		want: per[outcome]{UNAUTH, OK, OK, OK}, writes: true, self: "customer.id"},
	// Last: it ends the viewers' sessions.
	{field: "customerSignOut", query: `mutation { customerSignOut { signedOut userErrors { code } } }`,
		want: per[outcome]{UNAUTH, OK, OK, OK}},
}

func (w *authzWorld) checkMutations(t *testing.T) {
	for _, c := range authzMutationCases {
		label := c.field
		if c.name != "" {
			label += " (" + c.name + ")"
		}
		for _, v := range authzViewers {
			if c.want[v] == SKIP {
				continue
			}
			before := w.digest(t)
			errs, data := w.run(t, v, c.query, c.vars)
			got, payload := classifyAnswer(c.field, errs, data)
			if want := c.want[v]; got != want {
				t.Errorf("%s as %s: got %s, want %s\n errors: %+v\n data: %s", label, v, got, want, errs, w.symbolise(data))
			}
			changed := w.digest(t) != before
			switch {
			case got != OK && changed:
				t.Errorf("%s as %s: refused (%s) but the database changed", label, v, got)
			case got == OK && c.writes && !changed:
				t.Errorf("%s as %s: allowed but nothing changed", label, v)
			case got == OK && c.self != "":
				if self := w.symbolise(jsonAt(payload, c.self)); self != fmt.Sprintf("%q", w.self[v]) {
					t.Errorf("%s as %s: %s is %s, want the viewer's own %q", label, v, c.self, self, w.self[v])
				}
			}
		}
	}
	// Signed out: the tokens no longer work, and refused attempts say so.
	for _, v := range []who{asA, asB, asStaff} {
		errs, _ := w.run(t, v, `mutation { customerUpdate(input: {name: "x"}) { userErrors { code } } }`, nil)
		if len(errs) != 1 || errs[0].Code() != "UNAUTHENTICATED" {
			t.Errorf("after customerSignOut, %s's token still works: %+v", v, errs)
		}
	}
}

// classifyAnswer classifies the answer to one mutation and returns its payload.
func classifyAnswer(field string, errs []apitest.Error, data json.RawMessage) (outcome, json.RawMessage) {
	var d map[string]json.RawMessage
	_ = json.Unmarshal(data, &d)
	payload := d[field]
	if len(errs) > 0 {
		codes := map[string]bool{}
		for _, e := range errs {
			codes[e.Code()] = true
		}
		if len(codes) != 1 || (len(payload) > 0 && string(payload) != "null") {
			return outcome(fmt.Sprintf("mixed:%v payload=%s", codes, payload)), payload
		}
		return outcome("error:" + errs[0].Code()), payload
	}
	var p struct {
		UserErrors []struct{ Code string }
	}
	if err := json.Unmarshal(payload, &p); err != nil || string(payload) == "null" {
		return outcome("null payload: " + string(payload)), payload
	}
	if len(p.UserErrors) > 0 {
		return outcome("userError:" + p.UserErrors[0].Code), payload
	}
	return OK, payload
}

// ---------------------------------------------------------------------------
// 1. The completeness guard: every Query field, every Mutation field and
// every object type implementing Node has a row above; every row names
// something that exists.

func (w *authzWorld) checkCompleteness(t *testing.T) {
	var s struct {
		Schema struct {
			QueryType, MutationType struct{ Fields []struct{ Name string } }
			Types                   []struct {
				Name, Kind string
				Interfaces []struct{ Name string }
			}
		} `json:"__schema"`
	}
	w.api.Query(t, `{ __schema { queryType { fields { name } } mutationType { fields { name } } types { name kind interfaces { name } } } }`, nil, &s)

	covered := func(rows []string) map[string]bool {
		m := map[string]bool{}
		for _, r := range rows {
			m[r] = true
		}
		return m
	}
	var qs, ms, ns []string
	for _, c := range authzQueryCases {
		qs = append(qs, c.field)
	}
	qs = append(qs, "node", "nodes") // nodeCases run both for every Node type
	for _, c := range authzMutationCases {
		ms = append(ms, c.field)
	}
	for _, c := range authzNodeCases {
		ns = append(ns, c.typ)
	}
	check := func(what string, schema []string, rows []string, controls ...string) {
		inSchema, inRows := covered(schema), covered(rows)
		for _, name := range schema {
			if !inRows[name] {
				t.Errorf("%s %s has no case in the authorization matrix (graph/authz_test.go): add one", what, name)
			}
		}
		for _, name := range rows {
			if !inSchema[name] && !slices.Contains(controls, name) {
				t.Errorf("the authorization matrix has a case for %s %s, which the schema does not have", what, name)
			}
		}
	}
	var qf, mf, nodeTypes []string
	for _, f := range s.Schema.QueryType.Fields {
		if !strings.HasPrefix(f.Name, "__") {
			qf = append(qf, f.Name)
		}
	}
	for _, f := range s.Schema.MutationType.Fields {
		mf = append(mf, f.Name)
	}
	for _, ty := range s.Schema.Types {
		if ty.Kind == "OBJECT" && slices.ContainsFunc(ty.Interfaces, func(i struct{ Name string }) bool { return i.Name == "Node" }) {
			nodeTypes = append(nodeTypes, ty.Name)
		}
	}
	if len(qf) == 0 || len(mf) == 0 || len(nodeTypes) == 0 {
		t.Fatalf("introspection found no fields or Node types: %+v", s)
	}
	check("Query field", qf, qs)
	check("Mutation field", mf, ms)
	check("Node type", nodeTypes, ns, "StockLevel")
}

// ---------------------------------------------------------------------------
// Fixtures: the catalogue of fixture_test.go, customers A and B with their
// address books, a staff member, and symbols for the global IDs.

type authzWorld struct {
	db    *database.DB
	api   *apitest.API
	as    per[*apitest.API]
	self  per[string]       // each viewer's own Customer symbol
	ref   map[string]string // symbol -> global ID or token
	names *strings.Replacer // `"global ID"` -> `"symbol"`
}

func authzSetup(t *testing.T, db *database.DB) *authzWorld {
	t.Helper()
	unlimited := func(c *apitest.Config) {
		many := ratelimit.Rate{Burst: 1000, Every: time.Millisecond}
		c.Identity.SignIn = identity.SignInPolicy{PerAddress: many, PerAccountAddress: many, AccountFree: 1000}
		c.Identity.SignUpPerAddress = many
	}
	api := apitest.New(t, db, unlimited)
	w := &authzWorld{db: db, api: api, ref: map[string]string{}}
	sys := access.System(context.Background())
	var pairs []string
	name := func(sym, id string) {
		if _, dup := w.ref[sym]; dup {
			t.Fatalf("symbol %s defined twice", sym)
		}
		w.ref[sym] = id
		pairs = append(pairs, `"`+id+`"`, `"`+sym+`"`)
	}

	cat := seedCatalogue(t, db.Client)
	for _, c := range []*ent.Category{cat.electronics, cat.audio, cat.headphones, cat.fashion, cat.shoes} {
		name(c.Slug, c.GlobalID().String())
	}
	for i, p := range cat.active {
		name(fmt.Sprintf("p%d", i), p.GlobalID().String())
		for j, v := range cat.variants[p.ID] {
			name(fmt.Sprintf("p%dv%d", i, j), v.GlobalID().String())
		}
	}
	name("draft", cat.draft.GlobalID().String())
	name("draftv", cat.variants[cat.draft.ID][0].GlobalID().String())
	name("archived", cat.archived.GlobalID().String())
	name("archivedv", cat.variants[cat.archived.ID][0].GlobalID().String())
	for _, wh := range db.Client.Warehouse.Query().Order(warehouse.ByID()).AllX(sys) {
		name(wh.Code, wh.GlobalID().String())
	}
	name("missingProduct", gid.New("Product", 1_000_000).String())
	sl := db.Client.StockLevel.Query().FirstX(sys)
	name("stockLevel", gid.New("StockLevel", sl.ID).String())

	// Accounts, and their address books written directly: A has addrA
	// (default) and delA; B has addrB (default), addrB2 and delB; staff has
	// addrStaff (default) and delStaff.
	accounts := map[who]apitest.Account{
		asA: api.SignUp(t, "a@shop.test", "secret A password"),
		asB: api.SignUp(t, "b@shop.test", "secret B password"),
	}
	if _, err := api.Identity.EnsureAccount(t.Context(), "staff@shop.test", "secret Staff password", "Staff", customer.RoleSTAFF); err != nil {
		t.Fatal(err)
	}
	accounts[asStaff] = api.SignIn(t, "staff@shop.test", "secret Staff password")
	w.as[asAnon] = api
	for _, v := range []who{asA, asB, asStaff} {
		acc := accounts[v]
		w.as[v] = api.As(acc.AccessToken)
		w.self[v] = map[who]string{asA: "custA", asB: "custB", asStaff: "staff"}[v]
		name(w.self[v], acc.ID)
		id, err := gid.ParseAs(acc.ID, "Customer")
		if err != nil {
			t.Fatal(err)
		}
		book := []string{"addr" + v.short()}
		if v == asB {
			book = append(book, "addrB2")
		}
		book = append(book, "del"+v.short())
		for i, sym := range book {
			a := db.Client.Address.Create().SetCustomerID(id).
				SetAddress1(sym + " street").SetCity("Krakow").SetCountryCode("PL").SaveX(sys)
			name(sym, a.GlobalID().String())
			if i == 0 {
				db.Client.Customer.UpdateOneID(id).SetDefaultAddressID(a.ID).ExecX(sys)
			}
		}
	}
	// The anonymous viewer has no address book: it tries A's.
	w.ref["addrAnon"], w.ref["delAnon"] = w.ref["addrA"], w.ref["delA"]

	// Live refresh tokens, one per viewer to send, of a separate account.
	api.SignUp(t, "r@shop.test", "secret R password")
	for _, v := range authzViewers {
		w.ref["refresh"+v.short()] = api.SignIn(t, "r@shop.test", "secret R password").RefreshToken
	}
	// Carts and orders, made through the API. Orders first (their carts are
	// closed by checkout), then the carts the mutation rows check out or
	// merge, then each viewer's own cart, newest, so that it is the one
	// viewer.cart shows: cart{v} with line{v} (p0v0) and line2{v} (p0v1).
	// The anonymous viewer's cart is a guest cart.
	cartOf := func(v who, variants ...string) string {
		var lines []string
		for _, sym := range variants {
			lines = append(lines, fmt.Sprintf(`{variantId: %q, quantity: 1}`, w.ref[sym]))
		}
		var r struct {
			CartCreate struct{ Cart *struct{ ID string } }
		}
		w.mustRun(t, v, `mutation { cartCreate(input: {lines: [`+strings.Join(lines, ",")+`]}) { cart { id } } }`, nil, &r)
		if r.CartCreate.Cart == nil {
			t.Fatalf("cartCreate as %s failed", v)
		}
		return r.CartCreate.Cart.ID
	}
	orderOf := func(v who, variant, token string) string {
		var r struct {
			CheckoutComplete struct{ Order *struct{ ID, Status string } }
		}
		w.mustRun(t, v, authzCheckout, apitest.Vars{"c": cartOf(v, variant), "k": "setup-" + variant + "-" + v.short() + "-" + token, "t": token}, &r)
		if o := r.CheckoutComplete.Order; o == nil || (o.Status == "PAID") != (token == "tok_visa") {
			t.Fatalf("checkout as %s with %s: %+v", v, token, o)
		}
		return r.CheckoutComplete.Order.ID
	}
	name("orderA", orderOf(asA, "p6v0", "tok_visa"))
	name("orderB", orderOf(asB, "p6v0", "tok_visa"))
	name("guestOrder", orderOf(asAnon, "p6v0", "tok_visa"))
	for _, v := range authzViewers {
		name("pending"+v.short(), orderOf(v, "p8v0", "tok_declined"))
	}
	name("pendingB2", orderOf(asB, "p10v0", "tok_declined"))
	for _, v := range authzViewers {
		name("merge"+v.short(), cartOf(asAnon, "p12v0"))
		name("co"+v.short(), cartOf(v, "p4v0"))
	}
	name("coB2", cartOf(asB, "p14v0"))
	for _, v := range authzViewers {
		id := cartOf(v, "p0v0", "p0v1")
		name("cart"+v.short(), id)
		var r struct {
			Cart struct {
				Lines []struct {
					ID      string
					Variant struct{ ID string }
				}
			}
		}
		w.mustRun(t, v, `query($id: ID!) { cart(id: $id) { lines { id variant { id } } } }`, apitest.Vars{"id": id}, &r)
		for _, l := range r.Cart.Lines {
			switch l.Variant.ID {
			case w.ref["p0v0"]:
				name("line"+v.short(), l.ID)
			case w.ref["p0v1"]:
				name("line2"+v.short(), l.ID)
			}
		}
	}

	w.names = strings.NewReplacer(pairs...)
	return w
}

// mustRun runs an operation that must not fail with top-level errors and
// decodes its data into out.
func (w *authzWorld) mustRun(t *testing.T, v who, query string, vars apitest.Vars, out any) {
	t.Helper()
	errs, data := w.run(t, v, query, vars)
	if len(errs) > 0 {
		t.Fatalf("setup as %s failed: %+v %s\nquery: %s", v, errs, data, query)
	}
	if err := json.Unmarshal(data, out); err != nil {
		t.Fatal(err)
	}
}

// run sends an operation as viewer v, with "{v}" and "@sym" resolved in the
// query and variables, and returns the top-level errors and the data.
func (w *authzWorld) run(t *testing.T, v who, query string, vars apitest.Vars) ([]apitest.Error, json.RawMessage) {
	t.Helper()
	resolve := func(s string) string {
		s = strings.ReplaceAll(s, "{v}", v.short())
		if sym, ok := strings.CutPrefix(s, "@"); ok {
			id, known := w.ref[sym]
			if !known {
				t.Fatalf("unknown symbol @%s", sym)
			}
			return id
		}
		return s
	}
	resolved := apitest.Vars{}
	for k, val := range vars {
		switch x := val.(type) {
		case string:
			resolved[k] = resolve(x)
		case []string:
			ids := make([]string, len(x))
			for i, s := range x {
				ids[i] = resolve(s)
			}
			resolved[k] = ids
		default:
			resolved[k] = val
		}
	}
	status, body := w.as[v].Post(t, map[string]any{"query": resolve(query), "variables": resolved}, nil)
	var resp struct {
		Data   json.RawMessage `json:"data"`
		Errors []apitest.Error `json:"errors"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatalf("status %d, undecodable body %q: %v", status, body, err)
	}
	if status >= 500 {
		t.Fatalf("status %d: %s", status, body)
	}
	return resp.Errors, resp.Data
}

// symbolise returns data as compact JSON with fixture global IDs replaced by
// their symbols.
func (w *authzWorld) symbolise(data json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, data); err != nil {
		return string(data)
	}
	return w.names.Replace(b.String())
}

// sameJSON compares two JSON documents ignoring key order and list order.
func equalJSON(a, b string) bool {
	ca, errA := canonicalJSON(a)
	cb, errB := canonicalJSON(b)
	return errA == nil && errB == nil && ca == cb
}

func canonicalJSON(s string) (string, error) {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return "", err
	}
	var canon func(any) any
	canon = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = canon(e)
			}
		case []any:
			keys := make([]string, len(x))
			for i, e := range x {
				x[i] = canon(e)
				b, _ := json.Marshal(x[i])
				keys[i] = string(b)
			}
			sort.Sort(jsonSorter{keys, x})
		}
		return v
	}
	b, err := json.Marshal(canon(v)) // maps marshal with sorted keys
	return string(b), err
}

type jsonSorter struct {
	keys []string
	vals []any
}

func (s jsonSorter) Len() int           { return len(s.keys) }
func (s jsonSorter) Less(i, j int) bool { return s.keys[i] < s.keys[j] }
func (s jsonSorter) Swap(i, j int) {
	s.keys[i], s.keys[j] = s.keys[j], s.keys[i]
	s.vals[i], s.vals[j] = s.vals[j], s.vals[i]
}

// pick returns the JSON at a dotted path of objects ("customer.id").
func jsonAt(doc json.RawMessage, path string) json.RawMessage {
	for _, key := range strings.Split(path, ".") {
		var m map[string]json.RawMessage
		if json.Unmarshal(doc, &m) != nil {
			return json.RawMessage("null")
		}
		doc = m[key]
	}
	if doc == nil {
		return json.RawMessage("null")
	}
	return doc
}

// digest is everything a mutation may change, read directly from the
// database (System context): a refused attempt must leave it as it was.
// Sessions and refresh tokens are left out: signing in creates them.
func (w *authzWorld) digest(t *testing.T) string {
	t.Helper()
	ctx := access.System(context.Background())
	c := w.db.Client
	var b strings.Builder
	line := func(s fmt.Stringer) { b.WriteString(s.String()); b.WriteByte('\n') }
	for _, x := range c.Customer.Query().Order(customer.ByID()).AllX(ctx) {
		line(x)
		b.WriteString(x.PasswordHash + "\n")
	}
	for _, x := range c.Address.Query().Order(address.ByID()).AllX(ctx) {
		line(x)
	}
	for _, x := range c.Category.Query().Order(category.ByID()).AllX(ctx) {
		line(x)
	}
	for _, x := range c.Product.Query().Order(product.ByID()).AllX(ctx) {
		line(x)
	}
	for _, x := range c.ProductVariant.Query().Order(productvariant.ByID()).AllX(ctx) {
		line(x)
	}
	for _, x := range c.Warehouse.Query().Order(warehouse.ByID()).AllX(ctx) {
		line(x)
	}
	for _, x := range c.StockLevel.Query().Order(stocklevel.ByID()).AllX(ctx) {
		line(x)
	}
	for _, x := range c.Cart.Query().Order(entcart.ByID()).AllX(ctx) {
		line(x)
	}
	for _, x := range c.CartLine.Query().Order(cartline.ByID()).AllX(ctx) {
		line(x)
	}
	for _, x := range c.Order.Query().Order(order.ByID()).AllX(ctx) {
		line(x)
	}
	for _, x := range c.OrderLine.Query().Order(orderline.ByID()).AllX(ctx) {
		line(x)
	}
	for _, x := range c.OrderEvent.Query().Order(orderevent.ByID()).AllX(ctx) {
		line(x)
	}
	for _, x := range c.DiscountCode.Query().Order(discountcode.ByID()).AllX(ctx) {
		line(x)
	}
	return b.String()
}
