package graph_test

import (
	"testing"

	"storefront/database"
	"storefront/database/dbtest"
	"storefront/internal/apitest"
)

// TestCursorsWhereverTheyAreAsked: a page seals its cursors only when its
// selection shows one (graph/prime.go listOptions); a cursor asked for
// through a fragment or only through pageInfo is sealed all the same, and
// takes the next page.
func TestCursorsWhereverTheyAreAsked(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, cat := setup(t, db)
		addProducts(t, db.Client, cat, 6)
		type page struct {
			Products struct {
				Edges []struct {
					Cursor string
					Node   struct{ ID string }
				}
				PageInfo struct{ EndCursor string }
			}
		}
		next := func(after string) page {
			t.Helper()
			var p page
			api.Query(t, `query($a: Cursor) { products(first: 2, after: $a) { edges { node { id } } } }`, apitest.Vars{"a": after}, &p)
			if len(p.Products.Edges) != 2 {
				t.Fatalf("the page after %q: %+v", after, p)
			}
			return p
		}
		var first, viaInfo page
		api.Query(t, `{ products(first: 2) { ...F } } fragment F on ProductConnection { edges { cursor node { id } } }`, nil, &first)
		api.Query(t, `{ products(first: 2) { edges { node { id } } pageInfo { endCursor } } }`, nil, &viaInfo)
		if len(first.Products.Edges) != 2 || first.Products.Edges[1].Cursor == "" || viaInfo.Products.PageInfo.EndCursor == "" {
			t.Fatalf("cursors: %+v, %+v", first, viaInfo)
		}
		a, b := next(first.Products.Edges[1].Cursor), next(viaInfo.Products.PageInfo.EndCursor)
		if a.Products.Edges[0].Node.ID != b.Products.Edges[0].Node.ID || a.Products.Edges[0].Node.ID == first.Products.Edges[0].Node.ID {
			t.Errorf("the next pages differ or repeat: %+v, %+v after %+v", a, b, first)
		}
	})
}
