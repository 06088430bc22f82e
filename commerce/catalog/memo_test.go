package catalog_test

import (
	"context"
	"fmt"
	"testing"

	"storefront/commerce/access"
	"storefront/commerce/catalog"
	"storefront/commerce/inventory"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent/product"
	"storefront/ent/productvariant"
	"storefront/ent/stocklevel"
	"storefront/relay/paging"
)

// TestRememberedPriceCountsFollowEveryWrite: a category page with a price
// range keeps answering the database's count while its count is
// remembered (memo.go), through every write that changes which products
// the range keeps, including a variant priced inside a product's range
// (its range does not change) and a category moved into the subtree.
// Each step compares the remembering service with a new one, whose first
// count is the database's.
func TestRememberedPriceCountsFollowEveryWrite(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		c := db.Client
		svc := catalog.New(c, "USD")
		inv := inventory.New(c, nil)
		wh := c.Warehouse.Create().SetCode("W").SetName("W").SaveX(ctx)
		top := createCategory(t, ctx, svc, "Top", 0)
		child := createCategory(t, ctx, svc, "Child", top)
		other := createCategory(t, ctx, svc, "Other", 0)
		active := product.StatusACTIVE

		// newProduct makes an ACTIVE product in cat with variants at these
		// prices (minor units), each with stock.
		n := 0
		newProduct := func(cat int, prices ...int) (int, []int) {
			t.Helper()
			n++
			title, slug := fmt.Sprint("P", n), fmt.Sprint("p", n)
			p, err := svc.CreateProduct(ctx, catalog.ProductInput{Title: &title, Slug: &slug, Status: &active, CategoryID: &cat})
			if err != nil {
				t.Fatal(err)
			}
			var variants []int
			for _, minor := range prices {
				variants = append(variants, newVariant(t, ctx, svc, inv, p.ID, wh.ID, minor))
			}
			return p.ID, variants
		}
		spanning, spanned := newProduct(child, 100, 900) // no variant within 3.00-5.00
		newProduct(child, 400)
		newProduct(top, 350, 450)
		cheap, _ := newProduct(top, 50)
		newProduct(other, 400)

		ranges := [][2]string{{"3.00", "5.00"}, {"", "5.00"}, {"3.00", ""}, {"0.10", "20.00"}}
		check := func(step string) {
			t.Helper()
			fresh := catalog.New(c, "USD")
			for _, root := range []int{top, child, other} {
				for _, r := range ranges {
					for _, stock := range []bool{false, true} {
						want := priceCount(t, ctx, fresh, root, r, stock)
						if got := priceCount(t, ctx, svc, root, r, stock); got != want {
							t.Errorf("%s: category %d, range %v, in stock %v: remembered %d, the database says %d", step, root, r, stock, got, want)
						}
					}
				}
			}
		}
		check("created")
		check("again, from the memo")
		if got := priceCount(t, ctx, svc, top, [2]string{"3.00", "5.00"}, false); got != 2 {
			t.Fatalf("Top with 3.00-5.00 counts %d, want 2", got)
		}

		// A variant within the range, inside the product's price range
		// (1.00-9.00, unchanged): the product now matches 3.00-5.00.
		within := newVariant(t, ctx, svc, inv, spanning, wh.ID, 420)
		check("variant added within the range")
		if got := priceCount(t, ctx, svc, top, [2]string{"3.00", "5.00"}, false); got != 3 {
			t.Fatalf("Top with 3.00-5.00 counts %d, want 3", got)
		}
		price := "8.00"
		if _, err := svc.UpdateVariant(ctx, within, catalog.VariantInput{Price: &price}); err != nil {
			t.Fatal(err)
		}
		check("variant repriced out of the range, inside the product's")
		price = "4.00"
		if _, err := svc.UpdateVariant(ctx, spanned[1], catalog.VariantInput{Price: &price}); err != nil {
			t.Fatal(err)
		}
		check("the dearest variant repriced into the range")

		if _, err := inv.SetOnHand(ctx, spanned[0], wh.ID, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := inv.SetOnHand(ctx, spanned[1], wh.ID, 0); err != nil {
			t.Fatal(err)
		}
		check("sold out")

		archived := product.StatusARCHIVED
		if _, err := svc.UpdateProduct(ctx, cheap, catalog.ProductInput{Status: &archived}); err != nil {
			t.Fatal(err)
		}
		check("archived")
		if _, err := svc.UpdateProduct(ctx, cheap, catalog.ProductInput{CategoryID: &child, Status: &active}); err != nil {
			t.Fatal(err)
		}
		check("restored into another category")

		// A category with products moved into Top's subtree, then out.
		if _, err := svc.UpdateCategory(ctx, other, catalog.CategoryInput{ParentID: &child}); err != nil {
			t.Fatal(err)
		}
		check("category moved in")
		zero := 0
		if _, err := svc.UpdateCategory(ctx, other, catalog.CategoryInput{ParentID: &zero}); err != nil {
			t.Fatal(err)
		}
		check("category moved out")

		vs := c.ProductVariant.Query().Where(productvariant.ProductID(cheap)).IDsX(ctx)
		c.StockLevel.Delete().Where(stocklevel.VariantIDIn(vs...)).ExecX(ctx)
		c.ProductVariant.Delete().Where(productvariant.IDIn(vs...)).ExecX(ctx)
		c.Product.DeleteOneID(cheap).ExecX(ctx)
		check("deleted")
	})
}

// TestRememberedPriceCountStatements: a remembered count costs one
// statement over the categories instead of the count over the products,
// and a text filter is never remembered.
func TestRememberedPriceCountStatements(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		svc := catalog.New(db.Client, "USD")
		inv := inventory.New(db.Client, nil)
		wh := db.Client.Warehouse.Create().SetCode("W").SetName("W").SaveX(ctx)
		top := createCategory(t, ctx, svc, "Top", 0)
		active := product.StatusACTIVE
		title, slug := "Lamp", "lamp"
		p, err := svc.CreateProduct(ctx, catalog.ProductInput{Title: &title, Slug: &slug, Status: &active, CategoryID: &top})
		if err != nil {
			t.Fatal(err)
		}
		newVariant(t, ctx, svc, inv, p.ID, wh.ID, 400)

		statements := func(f catalog.ProductFilter) int64 {
			t.Helper()
			cctx, n := database.CountStatements(ctx)
			first := 10
			conn, err := svc.Products(cctx, paging.Page{First: &first}, f, catalog.SortByPrice, false)
			if err != nil || conn.TotalCount != 1 {
				t.Fatalf("totalCount %v (%v), want 1", conn, err)
			}
			return n.Load()
		}
		lo, hi, q := "3.00", "5.00", "lam"
		priced := catalog.ProductFilter{CategoryID: &top, InStock: true, MinPrice: &lo, MaxPrice: &hi}
		if got := statements(priced); got != 3 {
			t.Errorf("first page: %d statements, want 3 (versions, count, page)", got)
		}
		if got := statements(priced); got != 2 {
			t.Errorf("second page: %d statements, want 2 (versions, page)", got)
		}
		text := priced
		text.Query = &q
		for i := range 2 {
			if got := statements(text); got != 2 {
				t.Errorf("page %d with a text filter: %d statements, want 2 (count, page)", i+1, got)
			}
		}
	})
}

// newVariant adds a variant priced minor to a product, with 5 in stock.
func newVariant(t *testing.T, ctx context.Context, svc *catalog.Service, inv *inventory.Service, productID, warehouse, minor int) int {
	t.Helper()
	sku, price := fmt.Sprintf("SKU-%d-%d", productID, minor), fmt.Sprintf("%d.%02d", minor/100, minor%100)
	v, err := svc.CreateVariant(ctx, productID, catalog.VariantInput{SKU: &sku, Price: &price})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inv.SetOnHand(ctx, v.ID, warehouse, 5); err != nil {
		t.Fatal(err)
	}
	return v.ID
}

// priceCount is the totalCount of root's category page with a price range
// r (an empty bound is unset).
func priceCount(t *testing.T, ctx context.Context, svc *catalog.Service, root int, r [2]string, inStock bool) int {
	t.Helper()
	f := catalog.ProductFilter{CategoryID: &root, InStock: inStock}
	if r[0] != "" {
		f.MinPrice = &r[0]
	}
	if r[1] != "" {
		f.MaxPrice = &r[1]
	}
	one := 1
	conn, err := svc.Products(ctx, paging.Page{First: &one}, f, catalog.SortByPrice, false)
	if err != nil {
		t.Fatal(err)
	}
	return conn.TotalCount
}
