package inventory_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"storefront/commerce"
	"storefront/commerce/access"
	"storefront/commerce/catalog"
	"storefront/commerce/inventory"
	"storefront/commerce/txn"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent"
	"storefront/ent/product"
	"storefront/ent/productvariant"
	"storefront/ent/schematype"
	"storefront/ent/stocklevel"
)

// checkStored compares the stored availability of every variant and the
// in-stock flag of every product with what the stock levels say, and
// returns the number of variants and products checked.
func checkStored(t *testing.T, c *ent.Client) (variants, products int) {
	t.Helper()
	ctx := access.System(context.Background())
	sum := map[int]int{}
	for _, l := range c.StockLevel.Query().AllX(ctx) {
		if l.OnHand < 0 || l.Reserved < 0 {
			t.Errorf("stock level %d: on hand %d, reserved %d", l.ID, l.OnHand, l.Reserved)
		}
		sum[l.VariantID] += max(l.OnHand-l.Reserved, 0)
	}
	inStock := map[int]bool{}
	for _, v := range c.ProductVariant.Query().AllX(ctx) {
		if v.Available != sum[v.ID] {
			t.Errorf("variant %d (%s): stored available %d, stock levels sum to %d", v.ID, v.Sku, v.Available, sum[v.ID])
		}
		inStock[v.ProductID] = inStock[v.ProductID] || sum[v.ID] > 0
		variants++
	}
	for _, p := range c.Product.Query().AllX(ctx) {
		if p.InStock != inStock[p.ID] {
			t.Errorf("product %d (%s): stored in_stock %v, variants say %v", p.ID, p.Title, p.InStock, inStock[p.ID])
		}
		products++
	}
	return variants, products
}

// TestStoredAvailabilityUnderConcurrency: goroutines take, return and set
// stock, and change prices, of the same few variants (siblings of the same products, in the
// same warehouses) in every interleaving the scheduler gives; afterwards
// the stored availability of every variant equals the sum over its stock
// levels, and every product's flag says whether one of its variants has
// some. Run it with -race.
func TestStoredAvailabilityUnderConcurrency(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		c := db.Client
		var whs []*ent.Warehouse
		for i := range 3 {
			whs = append(whs, c.Warehouse.Create().SetCode(fmt.Sprint("W", i)).SetName("W").SetPriority(i).SaveX(ctx))
		}
		// Products in two categories, so that a take of several variants
		// moves the stored counts of both (commerce/catalog/counts.go).
		cats := []*ent.Category{
			c.Category.Create().SetName("X").SetSlug("x").SaveX(ctx),
			c.Category.Create().SetName("Y").SetSlug("y").SaveX(ctx),
		}
		var variants []*ent.ProductVariant
		for i, n := range []int{3, 2, 1} { // products with 3, 2 and 1 variants
			p := c.Product.Create().SetTitle(fmt.Sprint("P", i)).SetSlug(fmt.Sprint("p", i)).SetStatus(product.StatusACTIVE).
				SetCategory(cats[(i+1)%2]).SaveX(ctx)
			for j := range n {
				v := c.ProductVariant.Create().SetProduct(p).SetSku(fmt.Sprintf("V%d-%d", i, j)).SetPrice(100).SaveX(ctx)
				for _, w := range whs {
					c.StockLevel.Create().SetVariant(v).SetWarehouse(w).SetOnHand(2).SaveX(ctx)
				}
				variants = append(variants, v)
			}
		}
		checkStored(t, c)

		inv := inventory.New(c, nil)
		shop := catalog.New(c, "USD")
		const workers, ops = 6, 25
		var mu sync.Mutex
		counts := map[string]int{}
		var wg sync.WaitGroup
		for g := range workers {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(g), 7))
				var taken []map[int][]schematype.Allocation
				for range ops {
					op := r.IntN(5)
					var err error
					switch {
					case op == 0: // take one to three variants
						var reqs []inventory.Request
						for range 1 + r.IntN(3) {
							reqs = append(reqs, inventory.Request{VariantID: variants[r.IntN(len(variants))].ID, Quantity: 1 + r.IntN(3)})
						}
						err = txn.Run(ctx, c, func(ctx context.Context, tx *ent.Client) error {
							alloc, err := inv.Take(ctx, tx, reqs)
							if err == nil {
								taken = append(taken, alloc)
							}
							return err
						})
					case op == 1 && len(taken) > 0: // return an earlier take
						alloc := taken[len(taken)-1]
						err = txn.Run(ctx, c, func(ctx context.Context, tx *ent.Client) error {
							return inv.Return(ctx, tx, alloc)
						})
						if err == nil {
							taken = taken[:len(taken)-1]
						}
					case op == 3: // staff change a variant's price (locks variant, then product)
						price := fmt.Sprintf("%d.00", 1+r.IntN(9))
						_, err = shop.UpdateVariant(ctx, variants[r.IntN(len(variants))].ID, catalog.VariantInput{Price: &price})
					case op == 4: // staff move a product to a category, archive or restore it (product, then categories)
						in := catalog.ProductInput{}
						switch r.IntN(3) {
						case 0:
							in.CategoryID = &cats[r.IntN(len(cats))].ID
						case 1:
							st := product.StatusARCHIVED
							in.Status = &st
						default:
							st := product.StatusACTIVE
							in.Status = &st
						}
						_, err = shop.UpdateProduct(ctx, variants[r.IntN(len(variants))].ProductID, in)
					default: // set the stock of one variant in one warehouse
						op = 2
						_, err = inv.SetOnHand(ctx, variants[r.IntN(len(variants))].ID, whs[r.IntN(len(whs))].ID, r.IntN(4))
					}
					name := [...]string{"take", "return", "set", "price", "product"}[op]
					var ce *commerce.Error
					switch {
					case err == nil:
						name += " ok"
					case errors.As(err, &ce) && (ce.Code == inventory.OutOfStock || ce.Code == commerce.Conflict):
						name += " refused"
					default:
						t.Errorf("%s: %v", name, err)
					}
					mu.Lock()
					counts[name]++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		t.Logf("operations: %v", counts)
		for _, op := range []string{"take ok", "return ok", "set ok", "price ok", "product ok"} {
			if counts[op] == 0 {
				t.Errorf("no %q among %v: the interleaving did not exercise it", op, counts)
			}
		}
		if v, p := checkStored(t, c); v != 6 || p != 3 {
			t.Fatalf("checked %d variants and %d products, want 6 and 3", v, p)
		}
		checkCategoryCounts(t, c)
	})
}

// checkCategoryCounts compares every category's stored product counts
// with its products.
func checkCategoryCounts(t *testing.T, c *ent.Client) {
	t.Helper()
	ctx := access.System(context.Background())
	for _, cat := range c.Category.Query().AllX(ctx) {
		active := c.Product.Query().Where(product.CategoryID(cat.ID), product.StatusEQ(product.StatusACTIVE)).CountX(ctx)
		inStock := c.Product.Query().Where(product.CategoryID(cat.ID), product.StatusEQ(product.StatusACTIVE), product.InStock(true)).CountX(ctx)
		if cat.ActiveProducts != active || cat.InStockProducts != inStock {
			t.Errorf("category %s: stored %d active, %d in stock; products say %d and %d",
				cat.Name, cat.ActiveProducts, cat.InStockProducts, active, inStock)
		}
	}
}

// TestStoredAvailabilityOnWrites: the stored values follow every write
// that is not a stock movement: a variant created (with or without a
// value for available), stock levels created, changed and deleted
// directly, a stock level created by SetOnHand, and a variant deleted.
func TestStoredAvailabilityOnWrites(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		c := db.Client
		cat := catalog.New(c, "USD")
		inv := inventory.New(c, nil)
		w1 := c.Warehouse.Create().SetCode("A").SetName("A").SaveX(ctx)
		w2 := c.Warehouse.Create().SetCode("B").SetName("B").SaveX(ctx)
		p := c.Product.Create().SetTitle("P").SetSlug("p").SetStatus(product.StatusACTIVE).SaveX(ctx)
		state := func(vid int) (int, bool) {
			return c.ProductVariant.GetX(ctx, vid).Available, c.Product.GetX(ctx, p.ID).InStock
		}
		expect := func(what string, vid, available int, inStock bool) {
			t.Helper()
			if a, s := state(vid); a != available || s != inStock {
				t.Fatalf("%s: variant available %d, product in stock %v; want %d, %v", what, a, s, available, inStock)
			}
			checkStored(t, c)
		}

		sku, price := "V1", "5.00"
		v1, err := cat.CreateVariant(ctx, p.ID, catalog.VariantInput{SKU: &sku, Price: &price})
		if err != nil {
			t.Fatal(err)
		}
		expect("new variant", v1.ID, 0, false)

		// A variant cannot be created with stock it does not have.
		v2 := c.ProductVariant.Create().SetProduct(p).SetSku("V2").SetPrice(100).SetAvailable(9).SaveX(ctx)
		expect("variant created with available 9", v2.ID, 0, false)

		l := c.StockLevel.Create().SetVariantID(v1.ID).SetWarehouse(w1).SetOnHand(4).SetReserved(1).SaveX(ctx)
		expect("stock level created", v1.ID, 3, true)
		if _, err := inv.SetOnHand(ctx, v1.ID, w2.ID, 5); err != nil {
			t.Fatal(err)
		}
		expect("stock level created by SetOnHand", v1.ID, 8, true)
		c.StockLevel.UpdateOne(l).SetOnHand(1).ExecX(ctx)
		expect("stock level changed directly (reserved 1 of 1)", v1.ID, 5, true)
		c.StockLevel.Update().Where(stocklevel.VariantID(v1.ID)).SetOnHand(0).SetReserved(0).ExecX(ctx)
		expect("stock levels emptied directly", v1.ID, 0, false)

		c.StockLevel.Create().SetVariantID(v2.ID).SetWarehouse(w2).SetOnHand(2).ExecX(ctx)
		expect("stock of the second variant", v2.ID, 2, true)
		// Deleting the variant that has stock: its levels first (the
		// foreign key), then the variant, in one transaction.
		err = txn.Run(ctx, c, func(ctx context.Context, tx *ent.Client) error {
			if _, err := tx.StockLevel.Delete().Where(stocklevel.VariantID(v2.ID)).Exec(ctx); err != nil {
				return err
			}
			return tx.ProductVariant.DeleteOneID(v2.ID).Exec(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
		if c.Product.GetX(ctx, p.ID).InStock {
			t.Fatal("product still in stock after its only stocked variant was deleted")
		}
		if n := c.ProductVariant.Query().Where(productvariant.ProductID(p.ID)).CountX(ctx); n != 1 {
			t.Fatalf("%d variants left, want 1", n)
		}
		// A product whose flag went wrong (written around the rules) is
		// put right by deleting a variant of it, and by RefreshAll.
		c.StockLevel.Update().Where(stocklevel.VariantID(v1.ID), stocklevel.WarehouseID(w1.ID)).SetOnHand(6).ExecX(ctx)
		expect("restocked", v1.ID, 6, true)
		c.Product.UpdateOneID(p.ID).SetInStock(false).ExecX(ctx)
		v3 := c.ProductVariant.Create().SetProduct(p).SetSku("V3").SetPrice(100).SaveX(ctx)
		c.ProductVariant.DeleteOne(v3).ExecX(ctx)
		expect("variant deleted", v1.ID, 6, true)
		c.ProductVariant.UpdateOneID(v1.ID).SetAvailable(1).ExecX(ctx)
		c.Product.UpdateOneID(p.ID).SetInStock(false).ExecX(ctx)
		if err := inventory.RefreshAll(ctx, c); err != nil {
			t.Fatal(err)
		}
		expect("RefreshAll", v1.ID, 6, true)
	})
}
