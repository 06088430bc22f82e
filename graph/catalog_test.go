package graph_test

import (
	"slices"
	"sort"
	"storefront/commerce/access"
	"strings"
	"testing"

	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent"
	"storefront/internal/apitest"
	"storefront/relay/gid"
)

const productsQuery = `query Products($first: Int, $after: Cursor, $last: Int, $before: Cursor,
  $filter: ProductFilter, $sortKey: ProductSortKeys, $reverse: Boolean) {
  products(first: $first, after: $after, last: $last, before: $before,
    filter: $filter, sortKey: $sortKey, reverse: $reverse) {
    totalCount
    edges { cursor node { id title slug } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`

type productsPage struct {
	Products struct {
		TotalCount int
		Edges      []struct {
			Cursor string
			Node   struct{ ID, Title, Slug string }
		}
		PageInfo struct {
			HasNextPage, HasPreviousPage bool
			StartCursor, EndCursor       *string
		}
	}
}

func (p productsPage) titles() []string {
	var out []string
	for _, e := range p.Products.Edges {
		out = append(out, e.Node.Title)
	}
	return out
}

func setup(t *testing.T, db *database.DB) (*apitest.API, *catalogue) {
	return apitest.New(t, db), seedCatalogue(t, db.Client)
}

func titlesOf(ps []*ent.Product) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Title)
	}
	return out
}

func TestProductPagination(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, cat := setup(t, db)
		all := titlesOf(cat.active) // ID order, the default sort

		var p1 productsPage
		api.Query(t, productsQuery, apitest.Vars{"first": 10}, &p1)
		if got := p1.titles(); !slices.Equal(got, all[:10]) {
			t.Fatalf("first page = %v, want %v", got, all[:10])
		}
		if p1.Products.TotalCount != 20 || !p1.Products.PageInfo.HasNextPage || p1.Products.PageInfo.HasPreviousPage {
			t.Fatalf("first page info: total %d, %+v", p1.Products.TotalCount, p1.Products.PageInfo)
		}
		if *p1.Products.PageInfo.EndCursor != p1.Products.Edges[9].Cursor {
			t.Fatal("endCursor is not the last edge's cursor")
		}

		// The second page ends exactly at the last product.
		var p2 productsPage
		api.Query(t, productsQuery, apitest.Vars{"first": 10, "after": *p1.Products.PageInfo.EndCursor}, &p2)
		if got := p2.titles(); !slices.Equal(got, all[10:]) {
			t.Fatalf("second page = %v, want %v", got, all[10:])
		}
		if p2.Products.PageInfo.HasNextPage {
			t.Fatal("exact last page says it has a next page")
		}

		// Past the end: empty, no cursors.
		var p3 productsPage
		api.Query(t, productsQuery, apitest.Vars{"first": 10, "after": *p2.Products.PageInfo.EndCursor}, &p3)
		if len(p3.Products.Edges) != 0 || p3.Products.PageInfo.HasNextPage || p3.Products.PageInfo.EndCursor != nil {
			t.Fatalf("page past the end: %+v", p3.Products)
		}

		// Backwards: the last 5, then the 5 before them.
		var b1, b2 productsPage
		api.Query(t, productsQuery, apitest.Vars{"last": 5}, &b1)
		if got := b1.titles(); !slices.Equal(got, all[15:]) {
			t.Fatalf("last 5 = %v, want %v", got, all[15:])
		}
		if !b1.Products.PageInfo.HasPreviousPage {
			t.Fatal("last page should have a previous page")
		}
		api.Query(t, productsQuery, apitest.Vars{"last": 5, "before": *b1.Products.PageInfo.StartCursor}, &b2)
		if got := b2.titles(); !slices.Equal(got, all[10:15]) {
			t.Fatalf("5 before = %v, want %v", got, all[10:15])
		}

		// No first or last: the default page size (20) holds everything.
		var d productsPage
		api.Query(t, productsQuery, nil, &d)
		if len(d.Products.Edges) != 20 {
			t.Fatalf("default page has %d products", len(d.Products.Edges))
		}
		var zero productsPage
		api.Query(t, productsQuery, apitest.Vars{"first": 0}, &zero)
		if len(zero.Products.Edges) != 0 || zero.Products.TotalCount != 20 {
			t.Fatalf("first: 0 = %+v", zero.Products)
		}

		// An empty result.
		var empty productsPage
		api.Query(t, productsQuery, apitest.Vars{"first": 5, "filter": map[string]any{"query": "no such thing"}}, &empty)
		if empty.Products.TotalCount != 0 || len(empty.Products.Edges) != 0 || empty.Products.PageInfo.HasNextPage || empty.Products.PageInfo.StartCursor != nil {
			t.Fatalf("empty result = %+v", empty.Products)
		}
	})
}

func TestProductPaginationErrors(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, _ := setup(t, db)
		for name, vars := range map[string]apitest.Vars{
			"first 101":          {"first": 101},
			"first -1":           {"first": -1},
			"last 101":           {"last": 101},
			"first and last":     {"first": 1, "last": 1},
			"garbage cursor":     {"first": 1, "after": "not a cursor"},
			"base64 junk cursor": {"first": 1, "after": "AAAA"},
			"unknown category":   {"first": 1, "filter": map[string]any{"categoryId": "bm9wZQ"}},
			"product as category": {"first": 1, "filter": map[string]any{
				"categoryId": gid.New("Product", 1).String()}},
			"bad price":         {"first": 1, "filter": map[string]any{"price": map[string]any{"min": "abc"}}},
			"negative price":    {"first": 1, "filter": map[string]any{"price": map[string]any{"max": "-1"}}},
			"too many decimals": {"first": 1, "filter": map[string]any{"price": map[string]any{"max": "1.001"}}},
			"long query":        {"first": 1, "filter": map[string]any{"query": strings.Repeat("x", 201)}},
		} {
			t.Run(name, func(t *testing.T) {
				e := api.ExpectCode(t, "BAD_USER_INPUT", productsQuery, vars)
				if e.Message == "" || strings.Contains(e.Message, "ent:") || strings.Contains(e.Message, "sql") {
					t.Fatalf("unclear or leaky message: %q", e.Message)
				}
			})
		}
		// GraphQL-level validation keeps gqlgen's own code.
		errs, _ := api.Errors(t, `{ products(first: "ten") { totalCount } }`, nil)
		if errs[0].Code() != "GRAPHQL_VALIDATION_FAILED" {
			t.Fatalf("validation error code = %s", errs[0].Code())
		}
		// 2^31 overflows GraphQL's Int but not Go's: the page-size rule answers.
		e := api.ExpectCode(t, "BAD_USER_INPUT", `{ products(first: 2147483648) { totalCount } }`, nil)
		if !strings.Contains(e.Message, "between 0 and 100") {
			t.Fatalf("2^31 message = %q", e.Message)
		}
		// A cursor issued for one sort order is refused for another.
		var byPrice productsPage
		api.Query(t, productsQuery, apitest.Vars{"first": 2, "sortKey": "PRICE"}, &byPrice)
		api.ExpectCode(t, "BAD_USER_INPUT", productsQuery, apitest.Vars{"first": 2, "sortKey": "TITLE", "after": *byPrice.Products.PageInfo.EndCursor})
	})
}

func TestProductSorting(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, cat := setup(t, db)
		byTitle := titlesOf(cat.active)
		sort.Strings(byTitle)
		byPrice := slices.Clone(cat.active)
		sort.SliceStable(byPrice, func(i, j int) bool { return byPrice[i].MinPrice < byPrice[j].MinPrice })
		newest := titlesOf(cat.active)
		slices.Reverse(newest)

		for _, tc := range []struct {
			sortKey string
			reverse bool
			want    []string
		}{
			{"TITLE", false, byTitle},
			{"TITLE", true, reversed(byTitle)},
			{"PRICE", false, titlesOf(byPrice)},
			{"CREATED_AT", true, newest},
			{"ID", true, newest},
		} {
			// Page through in steps of 7 so that cursors of each order are used.
			var got []string
			var after any
			for {
				var p productsPage
				api.Query(t, productsQuery, apitest.Vars{"first": 7, "after": after, "sortKey": tc.sortKey, "reverse": tc.reverse}, &p)
				got = append(got, p.titles()...)
				if !p.Products.PageInfo.HasNextPage {
					break
				}
				after = *p.Products.PageInfo.EndCursor
			}
			// Equal prices may come in either order: compare prices then.
			if tc.sortKey == "PRICE" {
				if !slices.IsSortedFunc(got, func(a, b string) int { return int(priceOf(cat, a) - priceOf(cat, b)) }) || len(got) != 20 {
					t.Fatalf("PRICE order: %v", got)
				}
				continue
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("%s reverse=%v: got %v, want %v", tc.sortKey, tc.reverse, got, tc.want)
			}
		}
	})
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

func priceOf(cat *catalogue, title string) int64 {
	for _, p := range cat.active {
		if p.Title == title {
			return p.MinPrice
		}
	}
	return -1
}

func TestProductFilters(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, cat := setup(t, db)
		want := func(keep func(i int, p *ent.Product) bool) []string {
			var out []string
			for i, p := range cat.active {
				if keep(i, p) {
					out = append(out, p.Title)
				}
			}
			return out
		}
		for _, tc := range []struct {
			name   string
			filter map[string]any
			want   []string
		}{
			{"electronics includes descendants", map[string]any{"categoryId": gid.New("Category", cat.electronics.ID).String()},
				want(func(i int, _ *ent.Product) bool { return i%4 != 2 })},
			{"audio includes headphones", map[string]any{"categoryId": gid.New("Category", cat.audio.ID).String()},
				want(func(i int, _ *ent.Product) bool { return i%4 == 0 || i%4 == 1 })},
			{"leaf category", map[string]any{"categoryId": gid.New("Category", cat.shoes.ID).String()},
				want(func(i int, _ *ent.Product) bool { return i%4 == 2 })},
			{"text, any case", map[string]any{"query": "SHOE"}, []string{"Running Shoes"}},
			{"in stock", map[string]any{"inStock": true}, want(func(i int, _ *ent.Product) bool { return i%2 == 0 })},
			{"price range on variants", map[string]any{"price": map[string]any{"min": "5.00", "max": "8"}},
				want(func(i int, _ *ent.Product) bool {
					p := fixturePrice(i)
					return (p >= 500 && p <= 800) || (p+50 >= 500 && p+50 <= 800)
				})},
			// Ranges inside a product's own price range (cheapest variant
			// below, dearest above): decided by its variants' prices.
			{"price range between two variants", map[string]any{"price": map[string]any{"min": "5.10", "max": "5.40"}},
				want(func(int, *ent.Product) bool { return false })},
			{"price range around the dearer variant only", map[string]any{"price": map[string]any{"min": "5.40", "max": "5.60"}},
				want(func(i int, _ *ent.Product) bool { return fixturePrice(i)+50 == 550 })},
			{"price minimum only", map[string]any{"price": map[string]any{"min": "19.50"}},
				want(func(i int, _ *ent.Product) bool { return fixturePrice(i)+50 >= 1950 })},
			{"combined", map[string]any{"inStock": true, "categoryId": gid.New("Category", cat.fashion.ID).String(), "price": map[string]any{"max": "10.00"}},
				want(func(i int, _ *ent.Product) bool { return i%2 == 0 && i%4 == 2 && fixturePrice(i) <= 1000 })},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var p productsPage
				api.Query(t, productsQuery, apitest.Vars{"first": 100, "filter": tc.filter}, &p)
				if got := p.titles(); !slices.Equal(got, tc.want) || p.Products.TotalCount != len(tc.want) {
					t.Fatalf("got %v (total %d), want %v", got, p.Products.TotalCount, tc.want)
				}
			})
		}
	})
}

const productDetail = `query($id: ID, $slug: String) {
  product(id: $id, slug: $slug) {
    id title slug availableForSale
    featuredImage { url altText }
    images { url }
    category { name parent { name } }
    priceRange { minVariantPrice { amount currencyCode minorUnits } maxVariantPrice { amount } }
    variants {
      id sku title quantityAvailable availableForSale
      price { amount currencyCode minorUnits }
      compareAtPrice { amount }
      selectedOptions { name value }
      product { slug }
    }
  }
}`

type productDetailResp struct {
	Product *struct {
		ID, Title, Slug  string
		AvailableForSale bool
		FeaturedImage    *struct{ URL, AltText string }
		Images           []struct{ URL string }
		Category         struct {
			Name   string
			Parent *struct{ Name string }
		}
		PriceRange struct {
			MinVariantPrice struct{ Amount, CurrencyCode, MinorUnits string }
			MaxVariantPrice struct{ Amount string }
		}
		Variants []struct {
			ID, Sku, Title    string
			QuantityAvailable int
			AvailableForSale  bool
			Price             struct{ Amount, CurrencyCode, MinorUnits string }
			CompareAtPrice    *struct{ Amount string }
			SelectedOptions   []struct{ Name, Value string }
			Product           struct{ Slug string }
		}
	}
}

func TestProductDetail(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, cat := setup(t, db)
		p := cat.active[0] // Quartz Watch: headphones, 1.00/1.50, in stock
		var byID, bySlug productDetailResp
		api.Query(t, productDetail, apitest.Vars{"id": p.GlobalID().String()}, &byID)
		api.Query(t, productDetail, apitest.Vars{"slug": "p-00"}, &bySlug)
		got := byID.Product
		if got == nil || bySlug.Product == nil || got.ID != bySlug.Product.ID {
			t.Fatalf("by id %+v, by slug %+v", got, bySlug.Product)
		}
		if got.Title != "Quartz Watch" || !got.AvailableForSale || got.FeaturedImage.AltText != "Quartz Watch" || len(got.Images) != 1 {
			t.Fatalf("product = %+v", got)
		}
		if got.Category.Name != "Headphones" || got.Category.Parent.Name != "Audio" {
			t.Fatalf("category = %+v", got.Category)
		}
		if pr := got.PriceRange; pr.MinVariantPrice.Amount != "1.00" || pr.MinVariantPrice.MinorUnits != "100" || pr.MinVariantPrice.CurrencyCode != "USD" || pr.MaxVariantPrice.Amount != "1.50" {
			t.Fatalf("price range = %+v", pr)
		}
		if len(got.Variants) != 2 {
			t.Fatalf("variants = %+v", got.Variants)
		}
		small, large := got.Variants[0], got.Variants[1]
		if small.Sku != "SKU-00-0" || small.QuantityAvailable != 4 || !small.AvailableForSale ||
			small.Price.Amount != "1.00" || small.CompareAtPrice == nil || small.CompareAtPrice.Amount != "2.00" ||
			len(small.SelectedOptions) != 1 || small.SelectedOptions[0] != (struct{ Name, Value string }{"Size", "S"}) || small.Product.Slug != "p-00" {
			t.Fatalf("small variant = %+v", small)
		}
		if large.QuantityAvailable != 0 || large.AvailableForSale || large.CompareAtPrice != nil || large.Price.MinorUnits != "150" {
			t.Fatalf("large variant = %+v", large)
		}

		// Hidden and unknown products are null, not errors.
		for _, vars := range []apitest.Vars{
			{"id": cat.draft.GlobalID().String()},
			{"slug": "archived-product"},
			{"slug": "nope"},
			{"id": gid.New("Product", 999999).String()},
		} {
			var r productDetailResp
			api.Query(t, productDetail, vars, &r)
			if r.Product != nil {
				t.Fatalf("%v: got %+v, want null", vars, r.Product)
			}
		}
		api.ExpectCode(t, "BAD_USER_INPUT", productDetail, apitest.Vars{})
		api.ExpectCode(t, "BAD_USER_INPUT", productDetail, apitest.Vars{"id": p.GlobalID().String(), "slug": "p-00"})
		api.ExpectCode(t, "BAD_USER_INPUT", productDetail, apitest.Vars{"id": gid.New("Category", cat.audio.ID).String()})
		api.ExpectCode(t, "BAD_USER_INPUT", productDetail, apitest.Vars{"id": "%%%"})
	})
}

const nodeQuery = `query($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Product { title }
    ... on ProductVariant { sku }
    ... on Category { slug }
    ... on Warehouse { code }
  }
}`

func TestNodeLookup(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, cat := setup(t, db)
		p := cat.active[3]
		v := cat.variants[p.ID][1]
		w := db.Client.Warehouse.Query().FirstX(access.System(t.Context()))
		for _, tc := range []struct {
			id, typename, field string
		}{
			{p.GlobalID().String(), "Product", p.Title},
			{v.GlobalID().String(), "ProductVariant", v.Sku},
			{cat.audio.GlobalID().String(), "Category", "audio"},
		} {
			var r struct {
				Node map[string]any
			}
			api.Query(t, nodeQuery, apitest.Vars{"id": tc.id}, &r)
			if r.Node == nil || r.Node["__typename"] != tc.typename || r.Node["id"] != tc.id {
				t.Fatalf("node(%s) = %v", tc.id, r.Node)
			}
			found := false
			for _, val := range r.Node {
				found = found || val == tc.field
			}
			if !found {
				t.Fatalf("node(%s) = %v, missing %q", tc.id, r.Node, tc.field)
			}
		}
		// Hidden, missing and unknown-type nodes are null.
		for _, id := range []string{
			cat.draft.GlobalID().String(),
			cat.variants[cat.archived.ID][0].GlobalID().String(),
			gid.New("Product", 424242).String(),
			gid.New("Spaceship", 1).String(),
			w.GlobalID().String(), // warehouses are staff data
		} {
			var r struct{ Node map[string]any }
			api.Query(t, nodeQuery, apitest.Vars{"id": id}, &r)
			if r.Node != nil {
				t.Fatalf("node(%s) = %v, want null", id, r.Node)
			}
		}
		// Malformed IDs are input errors.
		for _, id := range []string{"", "!!", "UHJvZHVjdA", gid.New("Product", 1).String() + "x"} {
			api.ExpectCode(t, "BAD_USER_INPUT", nodeQuery, apitest.Vars{"id": id})
		}

		var r struct {
			Nodes []map[string]any
		}
		api.Query(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, apitest.Vars{"ids": []string{
			p.GlobalID().String(), gid.New("Product", 424242).String(), cat.shoes.GlobalID().String(),
		}}, &r)
		if len(r.Nodes) != 3 || r.Nodes[0]["id"] != p.GlobalID().String() || r.Nodes[1] != nil || r.Nodes[2]["id"] != cat.shoes.GlobalID().String() {
			t.Fatalf("nodes = %v", r.Nodes)
		}
		ids := make([]string, 101)
		for i := range ids {
			ids[i] = p.GlobalID().String()
		}
		api.ExpectCode(t, "BAD_USER_INPUT", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, apitest.Vars{"ids": ids})
	})
}

func TestCategories(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, cat := setup(t, db)
		var r struct {
			Categories struct {
				TotalCount int
				Edges      []struct {
					Node struct {
						Name     string
						Children []struct{ Name string }
					}
				}
			}
			Category struct {
				Name     string
				Products struct {
					TotalCount int
					Edges      []struct{ Node struct{ Title string } }
				}
			}
		}
		api.Query(t, `query($slug: String) {
		  categories(first: 10, filter: { topLevel: true }) { totalCount edges { node { name children { name } } } }
		  category(slug: $slug) { name products(first: 3, sortKey: TITLE) { totalCount edges { node { title } } } }
		}`, apitest.Vars{"slug": "audio"}, &r)
		if r.Categories.TotalCount != 2 || r.Categories.Edges[0].Node.Name != "Electronics" || r.Categories.Edges[0].Node.Children[0].Name != "Audio" {
			t.Fatalf("categories = %+v", r.Categories)
		}
		if r.Category.Name != "Audio" || r.Category.Products.TotalCount != 10 || len(r.Category.Products.Edges) != 3 {
			t.Fatalf("audio = %+v", r.Category)
		}
		var c struct {
			Categories struct{ TotalCount int }
		}
		api.Query(t, `query($p: ID) { categories(filter: { parentId: $p }) { totalCount } }`, apitest.Vars{"p": cat.electronics.GlobalID().String()}, &c)
		if c.Categories.TotalCount != 1 {
			t.Fatalf("children of electronics = %d", c.Categories.TotalCount)
		}
	})
}
