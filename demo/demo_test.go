package demo_test

import (
	"storefront/commerce/access"

	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"storefront/database"
	"storefront/database/dbtest"
	"storefront/demo"
	"storefront/ent"
	"storefront/ent/category"
	"storefront/ent/product"
	"storefront/ent/productvariant"
	"storefront/ent/stocklevel"
)

const testProducts = 200

// kind maps a database's dialect back to its dbtest kind.
func kind(t *testing.T, db *database.DB) string {
	t.Helper()
	switch db.Dialect {
	case dialect.SQLite:
		return "sqlite"
	case dialect.Postgres:
		return "postgres"
	}
	t.Fatalf("unknown dialect %q", db.Dialect)
	return ""
}

func seed(t *testing.T, client *ent.Client, opts demo.Options) demo.Stats {
	t.Helper()
	stats, err := demo.Seed(access.System(context.Background()), client, opts)
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	return stats
}

func TestSeed(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		c := db.Client
		stats := seed(t, c, demo.Options{Products: testProducts})

		counts := demo.Stats{
			Categories:  c.Category.Query().CountX(ctx),
			Products:    c.Product.Query().CountX(ctx),
			Variants:    c.ProductVariant.Query().CountX(ctx),
			Warehouses:  c.Warehouse.Query().CountX(ctx),
			StockLevels: c.StockLevel.Query().CountX(ctx),
		}
		if counts != stats {
			t.Errorf("Stats = %+v, rows in the database = %+v", stats, counts)
		}
		if counts.Categories < 20 {
			t.Errorf("categories = %d, want >= 20", counts.Categories)
		}
		if counts.Products != testProducts {
			t.Errorf("products = %d, want %d", counts.Products, testProducts)
		}
		if counts.Variants < 3*testProducts {
			t.Errorf("variants = %d, want >= %d", counts.Variants, 3*testProducts)
		}
		if counts.Warehouses != 3 {
			t.Errorf("warehouses = %d, want 3", counts.Warehouses)
		}
		if counts.StockLevels != 3*counts.Variants {
			t.Errorf("stock levels = %d, want 3 x %d variants", counts.StockLevels, counts.Variants)
		}

		// Products sit in leaf categories.
		cats := c.Category.Query().WithChildren().AllX(ctx)
		leaf := make(map[int]bool, len(cats))
		slugs := make(map[string]bool, len(cats))
		for _, cat := range cats {
			leaf[cat.ID] = len(cat.Edges.Children) == 0
			if slugs[cat.Slug] {
				t.Errorf("duplicate category slug %q", cat.Slug)
			}
			slugs[cat.Slug] = true
		}
		if n := c.Category.Query().Where(category.ParentIDIsNil()).CountX(ctx); n < 5 {
			t.Errorf("top-level categories = %d, want a tree with several roots", n)
		}

		products := c.Product.Query().WithVariants().Order(ent.Asc(product.FieldID)).AllX(ctx)
		statuses := map[product.Status]int{}
		skus := map[string]bool{}
		onSale, variants := 0, 0
		for i, p := range products {
			statuses[p.Status]++
			if p.CategoryID == nil || !leaf[*p.CategoryID] {
				t.Errorf("product %d %q: category %v is not a leaf", p.ID, p.Title, p.CategoryID)
			}
			if p.CurrencyCode != "USD" {
				t.Errorf("product %d: currency %q", p.ID, p.CurrencyCode)
			}
			if len(p.Images) < 1 || len(p.Images) > 3 {
				t.Errorf("product %d: %d images", p.ID, len(p.Images))
			}
			for _, img := range p.Images {
				if !strings.HasPrefix(img.URL, "https://picsum.photos/seed/"+p.Slug+"-") || img.AltText == "" {
					t.Errorf("product %d: image %+v", p.ID, img)
				}
			}
			if i > 0 && !p.CreatedAt.After(products[i-1].CreatedAt) {
				t.Errorf("product %d: created_at %v not after the previous product's", p.ID, p.CreatedAt)
			}
			// The slug ends in the product number, which every SKU
			// repeats: this checks that variants are linked to the right
			// product.
			number, err := strconv.Atoi(p.Slug[strings.LastIndexByte(p.Slug, '-')+1:])
			if err != nil {
				t.Fatalf("product %d: slug %q has no number", p.ID, p.Slug)
			}
			prefix := fmt.Sprintf("SF-%06d-", number)
			if len(p.Edges.Variants) == 0 {
				t.Errorf("product %d has no variants", p.ID)
				continue
			}
			lo, hi := p.Edges.Variants[0].Price, p.Edges.Variants[0].Price
			for _, v := range p.Edges.Variants {
				variants++
				lo, hi = min(lo, v.Price), max(hi, v.Price)
				if !strings.HasPrefix(v.Sku, prefix) {
					t.Errorf("product %d (%s): variant SKU %q", p.ID, p.Slug, v.Sku)
				}
				if skus[v.Sku] {
					t.Errorf("duplicate SKU %q", v.Sku)
				}
				skus[v.Sku] = true
				if v.Price <= 0 || v.CurrencyCode != "USD" {
					t.Errorf("variant %s: price %d %s", v.Sku, v.Price, v.CurrencyCode)
				}
				if v.CompareAtPrice != nil {
					onSale++
					if *v.CompareAtPrice <= v.Price {
						t.Errorf("variant %s: compare-at %d <= price %d", v.Sku, *v.CompareAtPrice, v.Price)
					}
				}
				if len(v.Options) == 0 || v.Title == "" {
					t.Errorf("variant %s: options %v, title %q", v.Sku, v.Options, v.Title)
				}
			}
			if p.MinPrice != lo || p.MaxPrice != hi {
				t.Errorf("product %d: min/max price %d/%d, variants range %d/%d", p.ID, p.MinPrice, p.MaxPrice, lo, hi)
			}
		}
		if statuses[product.StatusACTIVE] < testProducts*9/10 {
			t.Errorf("statuses = %v, want mostly ACTIVE", statuses)
		}
		if onSale == 0 || onSale == variants {
			t.Errorf("%d of %d variants on sale, want some", onSale, variants)
		}

		// Stock: 0..60 on hand, nothing reserved, some variants sold out.
		if n := c.StockLevel.Query().Where(stocklevel.Or(stocklevel.OnHandGT(60), stocklevel.ReservedNEQ(0))).CountX(ctx); n != 0 {
			t.Errorf("%d stock levels outside on_hand 0..60, reserved 0", n)
		}
		inStock := c.ProductVariant.Query().Where(productvariant.HasStockLevelsWith(stocklevel.OnHandGT(0))).CountX(ctx)
		if soldOut := counts.Variants - inStock; soldOut == 0 || soldOut > counts.Variants/4 {
			t.Errorf("%d of %d variants sold out, want about 10%%", soldOut, counts.Variants)
		}
	})
}

type row struct {
	productID int
	title     string
	slug      string
	variantID int
	sku       string
	price     int64
}

func dump(t *testing.T, c *ent.Client) []row {
	t.Helper()
	ctx := access.System(context.Background())
	var rows []row
	products := c.Product.Query().
		WithVariants(func(q *ent.ProductVariantQuery) { q.Order(ent.Asc(productvariant.FieldID)) }).
		Order(ent.Asc(product.FieldID)).
		AllX(ctx)
	for _, p := range products {
		for _, v := range p.Edges.Variants {
			rows = append(rows, row{p.ID, p.Title, p.Slug, v.ID, v.Sku, v.Price})
		}
	}
	return rows
}

func TestSeedDeterministic(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		other := dbtest.Open(t, kind(t, db))
		seed(t, db.Client, demo.Options{Products: testProducts})
		seed(t, other.Client, demo.Options{Products: testProducts})
		a, b := dump(t, db.Client), dump(t, other.Client)
		if len(a) == 0 {
			t.Fatal("nothing seeded")
		}
		if !slices.Equal(a, b) {
			for i := range min(len(a), len(b)) {
				if a[i] != b[i] {
					t.Fatalf("runs differ at row %d: %+v vs %+v", i, a[i], b[i])
				}
			}
			t.Fatalf("runs differ in length: %d vs %d rows", len(a), len(b))
		}

		// Another seed gives another catalogue.
		third := dbtest.Open(t, kind(t, db))
		seed(t, third.Client, demo.Options{Products: testProducts, Seed: 2})
		if c := dump(t, third.Client); slices.Equal(a, c) {
			t.Error("seeds 1 and 2 gave the same catalogue")
		}
	})
}

func TestSeedNotEmpty(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		c := db.Client
		seeded, stats, err := demo.SeedIfEmpty(ctx, c, demo.Options{Products: 10})
		if err != nil || !seeded || stats.Products != 10 {
			t.Fatalf("SeedIfEmpty on an empty catalogue = %v, %+v, %v; want true, 10 products, nil", seeded, stats, err)
		}
		before := dump(t, c)
		categories := c.Category.Query().CountX(ctx)

		if _, err := demo.Seed(ctx, c, demo.Options{Products: 10, Seed: 7}); !errors.Is(err, demo.ErrNotEmpty) {
			t.Errorf("Seed on a non-empty catalogue: err = %v, want ErrNotEmpty", err)
		}
		seeded, stats, err = demo.SeedIfEmpty(ctx, c, demo.Options{Products: 10})
		if err != nil || seeded || stats != (demo.Stats{}) {
			t.Errorf("SeedIfEmpty on a non-empty catalogue = %v, %+v, %v; want false, zero, nil", seeded, stats, err)
		}
		if after := dump(t, c); !slices.Equal(before, after) || c.Category.Query().CountX(ctx) != categories {
			t.Error("the catalogue changed")
		}
	})
}

func TestSeedDefaults(t *testing.T) {
	// Negative counts are refused before touching the database.
	if _, err := demo.Seed(access.System(context.Background()), nil, demo.Options{Products: -1}); err == nil {
		t.Error("Seed with Products: -1 succeeded")
	}
}

func TestSeedExistingRows(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		c := db.Client

		// A category whose slug the demo tree uses: refused, nothing written.
		c.Category.Create().SetName("Shoes").SetSlug("shoes").ExecX(ctx)
		if _, err := demo.Seed(ctx, c, demo.Options{Products: 10}); err == nil || !strings.Contains(err.Error(), `"shoes"`) {
			t.Errorf("Seed with a clashing category slug: err = %v", err)
		}
		if n := c.Category.Query().CountX(ctx); n != 1 {
			t.Errorf("categories after a failed Seed = %d, want 1", n)
		}
		c.Category.Delete().ExecX(ctx)

		// An existing demo warehouse is reused.
		waw := c.Warehouse.Create().SetCode("EU-WAW").SetName("Warsaw").SetPriority(5).SaveX(ctx)
		stats := seed(t, c, demo.Options{Products: 10})
		if stats.Warehouses != 2 || c.Warehouse.Query().CountX(ctx) != 3 {
			t.Errorf("Stats.Warehouses = %d, %d warehouses; want 2 created, 3 in all", stats.Warehouses, c.Warehouse.Query().CountX(ctx))
		}
		if n := c.StockLevel.Query().Where(stocklevel.WarehouseID(waw.ID)).CountX(ctx); n != stats.Variants {
			t.Errorf("stock levels in the existing warehouse = %d, want %d", n, stats.Variants)
		}
	})
}

// TestSeedStoresAvailability: the seeder writes each variant's stored
// availability and each product's in-stock flag itself (the stock hooks
// are off for the bulk load); they equal what the stock levels say, and
// the catalogue has products on both sides of the flag.
func TestSeedStoresAvailability(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		seed(t, db.Client, demo.Options{Products: 300})
		ctx := access.System(context.Background())
		sum := map[int]int{}
		for _, l := range db.Client.StockLevel.Query().AllX(ctx) {
			sum[l.VariantID] += max(l.OnHand-l.Reserved, 0)
		}
		inStock := map[int]bool{}
		for _, v := range db.Client.ProductVariant.Query().AllX(ctx) {
			if v.Available != sum[v.ID] {
				t.Fatalf("variant %s: stored available %d, stock levels %d", v.Sku, v.Available, sum[v.ID])
			}
			inStock[v.ProductID] = inStock[v.ProductID] || sum[v.ID] > 0
		}
		counts := map[bool]int{}
		for _, p := range db.Client.Product.Query().AllX(ctx) {
			if p.InStock != inStock[p.ID] {
				t.Fatalf("product %s: stored in_stock %v, variants say %v", p.Slug, p.InStock, inStock[p.ID])
			}
			counts[p.InStock]++
		}
		if counts[true] == 0 || counts[false] == 0 {
			t.Fatalf("products in stock / not: %v; want some of each", counts)
		}
	})
}
