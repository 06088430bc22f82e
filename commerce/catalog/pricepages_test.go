package catalog_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"storefront/commerce/access"
	"storefront/commerce/catalog"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent"
	"storefront/ent/product"
	"storefront/relay/paging"
)

// TestPricePagesWalkTheWholeList: a list with a price range (read through
// the late row lookup: IDs from the index first, then the rows) pages
// forwards and backwards through exactly the products the range keeps, in
// every sort order, with no product twice or missing.
func TestPricePagesWalkTheWholeList(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		c := db.Client
		svc := catalog.New(c, "USD")
		top := createCategory(t, ctx, svc, "Top", 0)
		child := createCategory(t, ctx, svc, "Child", top)
		other := createCategory(t, ctx, svc, "Other", 0)
		cats := []int{top, child, other}
		for i := range 40 {
			lo := int64(100 + (i*37)%900)
			c.Product.Create().SetTitle(fmt.Sprintf("P%02d", (i*13)%40)).SetSlug(fmt.Sprint("p", i)).
				SetStatus(product.StatusACTIVE).SetCategoryID(cats[i%3]).
				SetMinPrice(lo).SetMaxPrice(lo + int64(i%4)*150).ExecX(ctx)
		}
		lo, hi := "3.00", "7.00"
		f := catalog.ProductFilter{CategoryID: &top, MinPrice: &lo, MaxPrice: &hi}
		// What the range keeps (every product here has one price per
		// bound pair: a range matches when it overlaps [3.00, 7.00]).
		var want []int
		for _, p := range c.Product.Query().AllX(ctx) {
			if (p.CategoryID != nil && (*p.CategoryID == top || *p.CategoryID == child)) && p.MaxPrice >= 300 && p.MinPrice <= 700 &&
				(p.MinPrice >= 300 || p.MaxPrice <= 700) {
				want = append(want, p.ID)
			}
		}
		slices.Sort(want)
		if len(want) < 8 {
			t.Fatalf("fixture: only %d products in the range", len(want))
		}
		for _, sort := range []catalog.SortKey{catalog.SortByPrice, catalog.SortByTitle, catalog.SortByCreatedAt, catalog.SortByID} {
			for _, reverse := range []bool{false, true} {
				for _, backwards := range []bool{false, true} {
					name := fmt.Sprintf("%s reverse=%v backwards=%v", sort, reverse, backwards)
					var got []int
					var cursor *ent.Cursor
					for range 20 {
						three := 3
						page := paging.Page{First: &three, After: cursor}
						if backwards {
							page = paging.Page{Last: &three, Before: cursor}
						}
						conn, err := svc.Products(ctx, page, f, sort, reverse)
						if err != nil {
							t.Fatalf("%s: %v", name, err)
						}
						if conn.TotalCount != len(want) {
							t.Fatalf("%s: totalCount %d, want %d", name, conn.TotalCount, len(want))
						}
						for _, e := range conn.Edges {
							got = append(got, e.Node.ID)
						}
						if backwards {
							if !conn.PageInfo.HasPreviousPage {
								break
							}
							cursor = conn.PageInfo.StartCursor
						} else {
							if !conn.PageInfo.HasNextPage {
								break
							}
							cursor = conn.PageInfo.EndCursor
						}
					}
					if sort == catalog.SortByPrice && !backwards {
						prices := map[int]int64{}
						for _, p := range c.Product.Query().Where(product.IDIn(got...)).AllX(ctx) {
							prices[p.ID] = p.MinPrice
						}
						for i := 1; i < len(got); i++ {
							a, b := prices[got[i-1]], prices[got[i]]
							if (!reverse && (a > b || a == b && got[i-1] > got[i])) || (reverse && (a < b || a == b && got[i-1] < got[i])) {
								t.Fatalf("%s: out of order at %d: %v", name, i, got)
							}
						}
					}
					sorted := slices.Clone(got)
					slices.Sort(sorted)
					if !slices.Equal(sorted, want) {
						t.Errorf("%s: pages held %v, want the products %v", name, got, want)
					}
				}
			}
		}
	})
}
