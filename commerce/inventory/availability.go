// Package inventory owns stock: what can be sold, and (later) the one
// function through which every stock change goes.
package inventory

import (
	"context"
	"fmt"
	"math"

	"entgo.io/ent/dialect/sql"

	"storefront/commerce/access"
	"storefront/ent"
	"storefront/ent/predicate"
	"storefront/ent/product"
	"storefront/ent/productvariant"
	"storefront/ent/stocklevel"
)

// MaxReportedQuantity is the largest quantity the API reports. GraphQL's
// Int is a signed 32-bit integer, and stock summed over warehouses can go
// past it (each stock level holds up to MaxOnHand).
const MaxReportedQuantity = math.MaxInt32

// Reported is the one rule for every available quantity shown to a client
// (quantityAvailable, StockLevel.available, inventoryChanged events, cart
// warnings): never below zero, and clamped to MaxReportedQuantity, which
// then means "at least that many".
func Reported(n int) int { return min(max(n, 0), MaxReportedQuantity) }

// availableExpr is the quantity a shopper can buy of one variant in one
// warehouse.
func availableExpr(t interface{ C(string) string }) string {
	return fmt.Sprintf("%s - %s", t.C(stocklevel.FieldOnHand), t.C(stocklevel.FieldReserved))
}

// VariantQuantities returns, for each of variantIDs, the quantity available
// for sale summed over warehouses, as Reported (never below zero, at most
// MaxReportedQuantity), in one statement.
// Variants without stock levels are absent from the map, meaning zero.
func VariantQuantities(ctx context.Context, client *ent.Client, variantIDs []int) (map[int]int, error) {
	var rows []struct {
		VariantID int `sql:"variant_id"`
		Available int `sql:"available"`
	}
	err := client.StockLevel.Query().
		Where(stocklevel.VariantIDIn(variantIDs...)).
		GroupBy(stocklevel.FieldVariantID).
		Aggregate(func(s *sql.Selector) string {
			return sql.As(fmt.Sprintf("COALESCE(SUM(%s), 0)", availableExpr(s)), "available")
		}).
		Scan(access.System(ctx), &rows) // totals are public; per-warehouse rows are not
	if err != nil {
		return nil, fmt.Errorf("inventory: variant quantities: %w", err)
	}
	out := make(map[int]int, len(rows))
	for _, r := range rows {
		out[r.VariantID] = Reported(r.Available)
	}
	return out, nil
}

// ProductsInStock returns the subset of productIDs that have at least one
// variant with stock available for sale, in one statement.
func ProductsInStock(ctx context.Context, client *ent.Client, productIDs []int) (map[int]bool, error) {
	ids, err := client.ProductVariant.Query().
		Where(productvariant.ProductIDIn(productIDs...), variantInStock()).
		Unique(true).
		Select(productvariant.FieldProductID).
		Ints(ctx) // variant visibility applies; the stock subquery is plain SQL
	if err != nil {
		return nil, fmt.Errorf("inventory: products in stock: %w", err)
	}
	out := make(map[int]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// variantInStock holds for variants whose stock over all warehouses is
// above zero.
func variantInStock() predicate.ProductVariant {
	return func(s *sql.Selector) {
		d := sql.Dialect(s.Dialect())
		sl := d.Table(stocklevel.Table).As("sl")
		sub := d.SelectExpr(sql.Expr(fmt.Sprintf("COALESCE(SUM(%s), 0)", availableExpr(sl)))).
			From(sl).
			Where(sql.ColumnsEQ(sl.C(stocklevel.FieldVariantID), s.C(productvariant.FieldID)))
		s.Where(sql.P(func(b *sql.Builder) {
			b.WriteString("(").Join(sub).WriteString(") > 0")
		}))
	}
}

// ProductInStock is a product predicate: at least one variant available.
func ProductInStock() predicate.Product {
	return product.HasVariantsWith(variantInStock())
}
