package graph_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"storefront/commerce/access"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/internal/apitest"
)

const searchQuery = `query($q: String!, $first: Int, $filter: ProductFilter, $sortKey: ProductSortKeys) {
  search(query: $q, first: $first, filter: $filter, sortKey: $sortKey) {
    totalCount edges { node { title availableForSale } }
  }
}`

type searchPage struct {
	Search struct {
		TotalCount int
		Edges      []struct {
			Node struct {
				Title            string
				AvailableForSale bool
			}
		}
	}
}

func (p searchPage) titles() []string {
	var out []string
	for _, e := range p.Search.Edges {
		out = append(out, e.Node.Title)
	}
	return out
}

const suggestQuery = `query($q: String!, $limit: Int) {
  predictiveSearch(query: $q, limit: $limit) {
    products { title priceRange { minVariantPrice { amount } } availableForSale }
    categories { name }
  }
}`

type suggestions struct {
	PredictiveSearch struct {
		Products []struct {
			Title      string
			PriceRange struct {
				MinVariantPrice struct{ Amount string }
			}
			AvailableForSale bool
		}
		Categories []struct{ Name string }
	}
}

func TestSearch(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, cat := setup(t, db)
		ctx := access.System(context.Background())
		// Headlamp (index 7) gets a description to be found by.
		db.Client.Product.UpdateOne(cat.active[7]).SetDescription("A bright LED lamp for Camping trips").ExecX(ctx)

		for _, tc := range []struct {
			name string
			vars apitest.Vars
			want []string
		}{
			{"one word, any case", apitest.Vars{"q": "WATCH"}, []string{"Quartz Watch"}},
			{"every word must match", apitest.Vars{"q": "running shoes"}, []string{"Running Shoes"}},
			{"words in any order", apitest.Vars{"q": "shoes running"}, []string{"Running Shoes"}},
			{"no product holds both words", apitest.Vars{"q": "running watch"}, nil},
			{"description words count", apitest.Vars{"q": "camping led"}, []string{"Headlamp"}},
			{"LIKE wildcards are plain text", apitest.Vars{"q": "%"}, nil},
			{"underscore too", apitest.Vars{"q": "_"}, nil},
			{"sorted by title", apitest.Vars{"q": "e", "sortKey": "TITLE", "first": 3}, []string{"Ceramic Vase", "Denim Jacket", "Espresso Cup"}},
			{"with a filter", apitest.Vars{"q": "a", "filter": map[string]any{"inStock": true}, "sortKey": "TITLE", "first": 100},
				// The even products are in stock.
				[]string{"Garden Gloves", "Ice Tray", "Leather Wallet", "Quartz Watch", "Sunglasses", "Travel Pillow", "Wool Scarf", "Yoga Mat"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var p searchPage
				api.Query(t, searchQuery, tc.vars, &p)
				if got := p.titles(); !slices.Equal(got, tc.want) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
				if tc.vars["first"] == nil && p.Search.TotalCount != len(tc.want) {
					t.Fatalf("totalCount %d, want %d", p.Search.TotalCount, len(tc.want))
				}
			})
		}
		// A list that shows descriptions and images reads them (lists that
		// do not, skip those columns).
		var long struct {
			Search struct {
				Edges []struct {
					Node struct {
						Description   string
						FeaturedImage *struct{ URL string }
					}
				}
			}
		}
		api.Query(t, `{ search(query: "camping") { edges { node { description featuredImage { url } } } } }`, nil, &long)
		if e := long.Search.Edges; len(e) != 1 || e[0].Node.Description != "A bright LED lamp for Camping trips" || e[0].Node.FeaturedImage == nil || e[0].Node.FeaturedImage.URL == "" {
			t.Fatalf("description and image of a listed product: %+v", long)
		}
		// Every in-stock hit says so: the filter and the field agree.
		var p searchPage
		api.Query(t, searchQuery, apitest.Vars{"q": "a", "filter": map[string]any{"inStock": true}, "first": 100}, &p)
		for _, e := range p.Search.Edges {
			if !e.Node.AvailableForSale {
				t.Fatalf("%s is listed as in stock but is not available", e.Node.Title)
			}
		}

		for _, tc := range []struct{ name, q string }{
			{"empty", ""},
			{"blank", "   "},
			{"too long", strings.Repeat("x", 201)},
			{"too many words", "a b c d e f g h i j k"},
		} {
			t.Run("refused: "+tc.name, func(t *testing.T) {
				e := api.ExpectCode(t, "BAD_USER_INPUT", searchQuery, apitest.Vars{"q": tc.q})
				if !slices.Equal(e.Field(), []string{"query"}) {
					t.Fatalf("field %v, want [query]", e.Field())
				}
				api.ExpectCode(t, "BAD_USER_INPUT", suggestQuery, apitest.Vars{"q": tc.q})
			})
		}
		api.ExpectCode(t, "BAD_USER_INPUT", searchQuery, apitest.Vars{"q": "a", "first": 101})
	})
}

func TestPredictiveSearch(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, _ := setup(t, db)
		suggest := func(t *testing.T, vars apitest.Vars) (products, categories []string) {
			t.Helper()
			var s suggestions
			api.Query(t, suggestQuery, vars, &s)
			for _, p := range s.PredictiveSearch.Products {
				if p.PriceRange.MinVariantPrice.Amount == "" {
					t.Fatalf("%s has no price", p.Title)
				}
				products = append(products, p.Title)
			}
			for _, c := range s.PredictiveSearch.Categories {
				categories = append(categories, c.Name)
			}
			return products, categories
		}
		// "ke": Kettle starts with it, Denim Jacket only contains it.
		if p, _ := suggest(t, apitest.Vars{"q": "KE"}); !slices.Equal(p, []string{"Kettle", "Denim Jacket"}) {
			t.Fatalf("products %v, want Kettle first, then Denim Jacket", p)
		}
		if p, _ := suggest(t, apitest.Vars{"q": "ke", "limit": 1}); !slices.Equal(p, []string{"Kettle"}) {
			t.Fatalf("limit 1: %v", p)
		}
		if p, c := suggest(t, apitest.Vars{"q": "ho"}); !slices.Equal(c, []string{"Headphones", "Shoes"}) || !slices.Equal(p, []string{"Phone Stand", "Running Shoes", "Zip Hoodie"}) {
			t.Fatalf("ho: products %v, categories %v", p, c)
		}
		if p, c := suggest(t, apitest.Vars{"q": "zzz"}); len(p) != 0 || len(c) != 0 {
			t.Fatalf("zzz: %v %v", p, c)
		}
		for _, limit := range []int{0, -1, 21} {
			e := api.ExpectCode(t, "BAD_USER_INPUT", suggestQuery, apitest.Vars{"q": "a", "limit": limit})
			if !slices.Equal(e.Field(), []string{"limit"}) {
				t.Fatalf("limit %d: field %v", limit, e.Field())
			}
		}
		// At most three statements whatever the limit: products starting
		// with the text; products containing it (skipped when the first
		// filled the list); categories. availableForSale is the products'
		// stored flag.
		for _, limit := range []int{1, 5, 20} {
			if n := api.Statements(t, suggestQuery, apitest.Vars{"q": "e", "limit": limit}); n > 3 || (limit > 1 && n != 3) {
				t.Fatalf("limit %d: %d statements, want 3 (2 when the first query fills the list)", limit, n)
			}
		}
	})
}
