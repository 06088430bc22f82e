package oplimit

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"

	"storefront/internal/hostile"
)

const testSDL = `
type Query {
  shop: Shop
  items(first: Int, last: Int): ItemConnection!
  pick(limit: Int): Pick!
  byIds(ids: [ID!]!): [Item]!
}
type Shop { name: String! tags: [String!]! }
type ItemConnection { edges: [ItemEdge!]! totalCount: Int! }
type ItemEdge { node: Item! cursor: String! }
type Item { id: ID! parts: [Part!]! related: [Item!]! }
type Part { id: ID! item: Item! }
type Pick { items: [Item!]! }
`

var testBounds = map[string]Bound{
	"Item.parts":   {Max: 10},
	"Item.related": {Max: 5},
	"Query.pick":   {Arg: "limit", Default: 3, Max: 7, Children: true},
	"Query.byIds":  {Arg: "ids", Max: 50},
}

func testSchema(t *testing.T) *ast.Schema {
	t.Helper()
	s, err := gqlparser.LoadSchema(&ast.Source{Input: testSDL})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func parse(t *testing.T, q string) *ast.QueryDocument {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: q})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestShape(t *testing.T) {
	for _, tc := range []struct {
		name  string
		query string
		want  shape
	}{
		{"flat", `{ a b c }`, shape{depth: 1, expanded: 3, merged: 3, rootFields: 3}},
		{"nested", `{ a { b { c } } d }`, shape{depth: 3, expanded: 4, merged: 2, rootFields: 2}},
		{"aliases", `{ x: a y: a a }`, shape{depth: 1, expanded: 3, merged: 3, aliases: 2, rootFields: 3}},
		{"fragment spread twice", `{ ...F ...F } fragment F on Query { a { b } }`, shape{depth: 2, expanded: 4, merged: 2, rootFields: 2}},
		{"fan-out 10", hostile.FanOut(10), shape{depth: 1, expanded: 1024, merged: 1024, rootFields: 1024}},
		{"fan-out 60 saturates", hostile.FanOut(60), shape{depth: 1, expanded: saturate, merged: saturate, rootFields: saturate}},
		{"cycle adds nothing", `{ ...A } fragment A on Query { x ...B } fragment B on Query { y ...A }`, shape{depth: 1, expanded: 2, merged: 2, rootFields: 2}},
		{"inline fragments merge", `{ a { ... on T { b c } d } }`, shape{depth: 2, expanded: 4, merged: 3, rootFields: 1}},
		{"ofType chains are free", `{ __type(name: "X") { ofType { ofType { ofType { name } } } } }`, shape{depth: 2, expanded: 5, merged: 1, rootFields: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := measure(parse(t, tc.query)); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCost(t *testing.T) {
	schema := testSchema(t)
	m, err := newCostModel(schema, Model{Bounds: testBounds, Weights: map[string]int{"Shop.name": 7}, Paging: Paging{Default: 20, Max: 100}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		query string
		vars  map[string]any
		want  int64
	}{
		{"scalars, one weighed", `{ shop { name tags } }`, nil, 1 + 7 + 1},
		{"default page", `{ items { edges { node { id } } } }`, nil, 1 + (1 + 20*(1+1))},
		{"first", `{ items(first: 5) { totalCount edges { cursor node { id } } } }`, nil, 1 + 1 + (1 + 5*(1+2))},
		{"first capped", `{ items(first: 1000) { edges { cursor } } }`, nil, 1 + 1 + 100},
		{"first from a variable", `query($n: Int) { items(first: $n) { edges { cursor } } }`, map[string]any{"n": int64(7)}, 1 + 1 + 7},
		{"last", `{ items(last: 2) { edges { cursor } } }`, nil, 1 + 1 + 2},
		{"plain lists multiply", `{ items(first: 2) { edges { node { parts { item { related { id } } } } } } }`, nil,
			1 + (1 + 2*(1+(1+10*(1+(1+5*1)))))},
		{"children bound, default", `{ pick { items { id } } }`, nil, 1 + (1 + 3*1)},
		{"children bound, capped", `{ pick(limit: 100) { items { id } } }`, nil, 1 + (1 + 7*1)},
		{"list argument length", `query($ids: [ID!]!) { byIds(ids: $ids) { id } }`, map[string]any{"ids": []any{"1", "2", "3"}}, 1 + 3},
		{"fragments priced once, counted each time", `{ items(first: 4) { ...C } a: items(first: 4) { ...C } } fragment C on ItemConnection { edges { cursor } }`, nil, 2 * (1 + 1 + 4)},
		{"fragment under different page sizes", `{ items(first: 1) { ...C } a: items(first: 3) { ...C } } fragment C on ItemConnection { edges { cursor } }`, nil, (1 + 1 + 1) + (1 + 1 + 3)},
		{"saturates", `{ items(first: 100) { edges { node { related { related { related { related { related { related { related { related { related { related { related { related { related { related { related { related { related { id } } } } } } } } } } } } } } } } } } } } }`, nil, saturate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, errs := gqlparser.LoadQuery(schema, tc.query)
			if errs != nil {
				t.Fatal(errs)
			}
			op := doc.Operations[0]
			vars, err := validator.VariableValues(schema, op, tc.vars)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.cost(op, vars, 1<<40); got != tc.want {
				t.Fatalf("cost %d, want %d", got, tc.want)
			}
		})
	}
}

func TestUnboundedListsAreRefused(t *testing.T) {
	schema := testSchema(t)
	bounds := map[string]Bound{}
	for k, v := range testBounds {
		if k != "Item.related" {
			bounds[k] = v
		}
	}
	_, err := newCostModel(schema, Model{Bounds: bounds, Paging: Paging{Default: 20, Max: 100}})
	if err == nil || !strings.Contains(err.Error(), "Item.related") {
		t.Fatalf("want an error naming Item.related, got %v", err)
	}
}

func TestIntrospectionIsPricedOverTheSchema(t *testing.T) {
	schema := testSchema(t)
	m, err := newCostModel(schema, Model{Bounds: testBounds, Weights: map[string]int{"Shop.name": 7}, Paging: Paging{Default: 20, Max: 100}})
	if err != nil {
		t.Fatal(err)
	}
	price := func(q string, limit int64) int64 {
		doc, errs := gqlparser.LoadQuery(schema, q)
		if errs != nil {
			t.Fatal(errs)
		}
		return m.cost(doc.Operations[0], nil, limit)
	}
	// One field per type of the schema, plus __schema and types.
	if got, want := price(`{ __schema { types { name } } }`, 1<<40), int64(2+len(schema.Types)); got != want {
		t.Fatalf("types { name }: %d, want %d", got, want)
	}
	// Item has id, parts and related: name per field.
	if got, want := price(`{ __type(name: "Item") { fields { name } } }`, 1<<40), int64(1+1+3); got != want {
		t.Fatalf("__type fields: %d, want %d", got, want)
	}
	// [Part!]! is NON_NULL of LIST of NON_NULL of Part (5 fields down to
	// name); ID! stops at the null ofType below ID (3).
	if got, want := price(`{ __type(name: "Item") { fields { type { ofType { ofType { ofType { name } } } } } } }`, 1<<40), int64(2+3+5+5); got != want {
		t.Fatalf("ofType chain: %d, want %d", got, want)
	}
	// The walk stops soon after the limit.
	if got := price(`{ __schema { types { fields { name args { name } } } } }`, 5); got <= 5 || got > 10 {
		t.Fatalf("the walk went on to %d past a limit of 5", got)
	}
}

func TestStrings(t *testing.T) {
	e := New(Limits{MaxStringBytes: 8}, Model{}, nil)
	for _, tc := range []struct {
		s   string
		bad bool
	}{
		{"fine", false}, {"ünï", false}, {"a\x00b", true}, {"\xff", true}, {"\uFFFD", true}, {"123456789", true},
	} {
		if got := e.badString(tc.s) != ""; got != tc.bad {
			t.Errorf("%q: bad=%v, want %v", tc.s, got, tc.bad)
		}
	}
	path, why := e.badValue(map[string]any{"a": []any{"ok", map[string]any{"b": "x\x00"}}}, []string{"input"})
	if why == "" || strings.Join(path, ".") != "input.a.1.b" {
		t.Fatalf("path %v, why %q", path, why)
	}
}
