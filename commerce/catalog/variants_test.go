package catalog_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"storefront/commerce/access"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent"
	"storefront/ent/product"
	"storefront/ent/productvariant"
)

// TestVariantsComeInPositionOrder: a product's variants are listed in their
// position order however they are read (an edge traversal, eager loading,
// a narrowed traversal), also after a write has moved a row (PostgreSQL
// then meets it last in a scan).
func TestVariantsComeInPositionOrder(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		c := db.Client
		p := c.Product.Create().SetTitle("Shirt").SetSlug("shirt").SetStatus(product.StatusACTIVE).SaveX(ctx)
		// Created out of position order, then the first one rewritten.
		for _, pos := range []int{2, 0, 1} {
			c.ProductVariant.Create().SetProductID(p.ID).SetSku(fmt.Sprint("S", pos)).SetPosition(pos).SetPrice(100).ExecX(ctx)
		}
		for range 3 {
			c.ProductVariant.Update().Where(productvariant.Sku("S0")).AddPrice(1).ExecX(ctx)
		}
		want := []string{"S0", "S1", "S2"}
		skus := func(vs []*ent.ProductVariant) []string {
			var out []string
			for _, v := range vs {
				out = append(out, v.Sku)
			}
			return out
		}
		for name, got := range map[string][]string{
			"traversal":           skus(p.QueryVariants().AllX(ctx)),
			"eager loading":       skus(c.Product.Query().Where(product.ID(p.ID)).WithVariants().OnlyX(ctx).Edges.Variants),
			"narrowed traversal":  skus(p.QueryVariants().Select(productvariant.FieldSku).AllX(ctx)),
			"query of the table":  skus(c.ProductVariant.Query().Where(productvariant.ProductID(p.ID)).AllX(ctx)),
			"narrowed eager load": skus(c.Product.Query().Where(product.ID(p.ID)).WithVariants(func(q *ent.ProductVariantQuery) { q.Select(productvariant.FieldSku, productvariant.FieldProductID) }).OnlyX(ctx).Edges.Variants),
		} {
			if !slices.Equal(got, want) {
				t.Errorf("%s: %v, want %v", name, got, want)
			}
		}
		if first := c.ProductVariant.Query().Where(productvariant.ProductID(p.ID)).FirstX(ctx); first.Sku != "S0" {
			t.Errorf("first variant %s, want S0", first.Sku)
		}
		// A query's own order comes first.
		byPrice := skus(c.ProductVariant.Query().Where(productvariant.ProductID(p.ID)).Order(ent.Desc(productvariant.FieldPrice)).AllX(ctx))
		if byPrice[0] != "S0" {
			t.Errorf("by price, dearest first: %v", byPrice)
		}
	})
}
