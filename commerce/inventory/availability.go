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

// Sellable is the one rule for what a warehouse can sell of a variant:
// on hand less reserved, never below zero. A variant's stored available
// quantity is the sum of it over its warehouses (the SQL of stored.go says
// the same in SQL); Reported then clamps what a client is shown.
func Sellable(onHand, reserved int) int { return max(onHand-reserved, 0) }

// VariantQuantities returns, for each of variantIDs, the quantity available
// for sale summed over warehouses, as Reported (never below zero, at most
// MaxReportedQuantity), from the variants' stored availability, in one
// statement. Variants the viewer cannot see, or that do not exist, are
// absent from the map, meaning zero.
func VariantQuantities(ctx context.Context, client *ent.Client, variantIDs []int) (map[int]int, error) {
	vs, err := client.ProductVariant.Query().
		Where(productvariant.IDIn(variantIDs...)).
		Select(productvariant.FieldID, productvariant.FieldAvailable).
		All(access.System(ctx)) // totals are public
	if err != nil {
		return nil, fmt.Errorf("inventory: variant quantities: %w", err)
	}
	out := make(map[int]int, len(vs))
	for _, v := range vs {
		out[v.ID] = Reported(v.Available)
	}
	return out, nil
}

// ProductInStock is a product predicate: at least one variant available,
// by the stored flag (indexed with status, category and price). It is
// written as a comparison (in_stock = true): ent writes a bare column for
// a boolean equality, which SQLite cannot match with an index.
func ProductInStock() predicate.Product {
	return func(s *sql.Selector) {
		s.Where(sql.P(func(b *sql.Builder) {
			b.WriteString(s.C(product.FieldInStock)).WriteString(" = ").Arg(true)
		}))
	}
}
