package catalog_test

import (
	"context"
	"fmt"
	"testing"

	entsql "entgo.io/ent/dialect/sql"

	"storefront/commerce/access"
	"storefront/commerce/catalog"
	"storefront/commerce/inventory"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent"
	"storefront/ent/category"
	"storefront/ent/product"
	"storefront/ent/stocklevel"
	"storefront/relay/paging"
)

// checkCounts compares every category's stored counts with its products,
// and each category's subtree count (the stored sums, and a category
// page's totalCount, which reads them) with a count over the products.
func checkCounts(t *testing.T, ctx context.Context, svc *catalog.Service, c *ent.Client, step string) {
	t.Helper()
	for _, cat := range c.Category.Query().AllX(ctx) {
		active := c.Product.Query().Where(product.CategoryID(cat.ID), product.StatusEQ(product.StatusACTIVE)).CountX(ctx)
		inStock := c.Product.Query().Where(product.CategoryID(cat.ID), product.StatusEQ(product.StatusACTIVE), product.InStock(true)).CountX(ctx)
		if cat.ActiveProducts != active || cat.InStockProducts != inStock {
			t.Errorf("%s: category %s: stored %d active, %d in stock; products say %d and %d",
				step, cat.Name, cat.ActiveProducts, cat.InStockProducts, active, inStock)
		}
		subtree := c.Category.Query().Where(category.PathHasPrefix(cat.Path)).IDsX(ctx)
		for _, stock := range []bool{false, true} {
			q := c.Product.Query().Where(product.CategoryIDIn(subtree...), product.StatusEQ(product.StatusACTIVE))
			if stock {
				q.Where(product.InStock(true))
			}
			want := q.CountX(ctx)
			got, err := catalog.SubtreeCount(ctx, c, cat.ID, stock)
			if err != nil || got != want {
				t.Errorf("%s: %s subtree, in stock only %v: SubtreeCount %d (%v), want %d", step, cat.Name, stock, got, err, want)
			}
			id, one := cat.ID, 1
			conn, err := svc.Products(ctx, paging.Page{First: &one}, catalog.ProductFilter{CategoryID: &id, InStock: stock}, catalog.SortKey("PRICE"), false)
			if err != nil || conn.TotalCount != want {
				t.Errorf("%s: %s page, in stock only %v: totalCount %v (%v), want %d", step, cat.Name, stock, conn, err, want)
			}
			// With a price range the database counts (every price here is
			// within it): the same number.
			lo := "0.00"
			conn, err = svc.Products(ctx, paging.Page{First: &one}, catalog.ProductFilter{CategoryID: &id, InStock: stock, MinPrice: &lo}, catalog.SortKey("PRICE"), false)
			if err != nil || conn.TotalCount != want {
				t.Errorf("%s: %s page with a price range, in stock only %v: totalCount %v (%v), want %d", step, cat.Name, stock, conn, err, want)
			}
		}
	}
}

// TestCategoryCountsFollowEveryProductWrite: the stored counts of each
// category, and the totals of category pages, follow products created,
// stocked and sold out (the stock function), archived and restored, moved
// to another category, deleted, and a category deleted under its products.
func TestCategoryCountsFollowEveryProductWrite(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		c := db.Client
		svc := catalog.New(c, "USD")
		inv := inventory.New(c, nil)
		mk := func(name string, parent int) int { return createCategory(t, ctx, svc, name, parent) }
		top := mk("Top", 0)
		child := mk("Child", top)
		grandchild := mk("Grandchild", child)
		other := mk("Other", 0)
		wh := c.Warehouse.Create().SetCode("W").SetName("W").SaveX(ctx)

		type item struct{ product, variant int }
		var items []item
		for i, cat := range []int{top, child, child, grandchild, other, other} {
			p := c.Product.Create().SetTitle(fmt.Sprint("P", i)).SetSlug(fmt.Sprint("p", i)).
				SetStatus(product.StatusACTIVE).SetCategoryID(cat).SaveX(ctx)
			v := c.ProductVariant.Create().SetProductID(p.ID).SetSku(fmt.Sprint("S", i)).SetPrice(100).SaveX(ctx)
			items = append(items, item{p.ID, v.ID})
		}
		c.Product.Create().SetTitle("Draft").SetSlug("draft").SetCategoryID(child).SaveX(ctx) // DRAFT: never counted
		checkCounts(t, ctx, svc, c, "created")
		if n, _ := catalog.SubtreeCount(ctx, c, top, false); n != 4 {
			t.Fatalf("Top's subtree counts %d active products, want 4", n)
		}

		for _, it := range items[:5] {
			if _, err := inv.SetOnHand(ctx, it.variant, wh.ID, 3); err != nil {
				t.Fatal(err)
			}
		}
		checkCounts(t, ctx, svc, c, "stocked")
		if n, _ := catalog.SubtreeCount(ctx, c, top, true); n != 4 {
			t.Fatalf("Top's subtree counts %d products in stock, want 4", n)
		}

		if _, err := inv.SetOnHand(ctx, items[1].variant, wh.ID, 0); err != nil {
			t.Fatal(err)
		}
		checkCounts(t, ctx, svc, c, "sold out")

		archived := product.StatusARCHIVED
		if _, err := svc.UpdateProduct(ctx, items[2].product, catalog.ProductInput{Status: &archived}); err != nil {
			t.Fatal(err)
		}
		checkCounts(t, ctx, svc, c, "archived")
		active := product.StatusACTIVE
		if _, err := svc.UpdateProduct(ctx, items[2].product, catalog.ProductInput{Status: &active}); err != nil {
			t.Fatal(err)
		}
		checkCounts(t, ctx, svc, c, "restored")

		if _, err := svc.UpdateProduct(ctx, items[3].product, catalog.ProductInput{CategoryID: &other}); err != nil {
			t.Fatal(err)
		}
		checkCounts(t, ctx, svc, c, "moved")

		c.Product.UpdateOneID(items[0].product).ClearCategory().ExecX(ctx)
		checkCounts(t, ctx, svc, c, "uncategorised")

		c.StockLevel.Delete().Where(stocklevel.VariantID(items[4].variant)).ExecX(ctx)
		c.ProductVariant.DeleteOneID(items[4].variant).ExecX(ctx)
		c.Product.DeleteOneID(items[4].product).ExecX(ctx)
		checkCounts(t, ctx, svc, c, "deleted")

		// Deleting a category clears its products' category (the foreign
		// key), which moves nothing else.
		c.Category.DeleteOneID(grandchild).ExecX(ctx)
		checkCounts(t, ctx, svc, c, "category deleted")

		// The repair finds nothing to change, and puts back what a write
		// that bypassed the triggers would have broken.
		if _, err := c.ExecContext(ctx, "UPDATE categories SET active_products = 99"); err != nil {
			t.Fatal(err)
		}
		if err := catalog.RecountCategories(ctx, c); err != nil {
			t.Fatal(err)
		}
		checkCounts(t, ctx, svc, c, "recounted")
	})
}

// TestInstallCountsOnceWhenServersStartTogether: servers migrating one
// database at the same time install the triggers once, and none fails.
func TestInstallCountsOnceWhenServersStartTogether(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		if err := catalog.DropCounts(ctx, db.Client, db.Dialect); err != nil {
			t.Fatal(err)
		}
		// A plain client, as database.Migrate's (the server's counts
		// statements).
		plain := ent.NewClient(ent.Driver(entsql.OpenDB(db.Dialect, db.SQL)))
		errs := make(chan error, 8)
		for range 8 {
			go func() { errs <- catalog.InstallCounts(ctx, plain, db.Dialect) }()
		}
		for range 8 {
			if err := <-errs; err != nil {
				t.Errorf("install: %v", err)
			}
		}
		top := db.Client.Category.Create().SetName("Top").SetSlug("top").SaveX(ctx)
		db.Client.Product.Create().SetTitle("P").SetSlug("p").SetStatus(product.StatusACTIVE).SetCategory(top).ExecX(ctx)
		if got := db.Client.Category.GetX(ctx, top.ID).ActiveProducts; got != 1 {
			t.Errorf("after one product: %d active products, want 1 (a trigger twice, or none)", got)
		}
	})
}
