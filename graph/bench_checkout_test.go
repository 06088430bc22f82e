package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"storefront/commerce/access"
	"storefront/database/dbtest"
	"storefront/ent/product"
	"storefront/ent/productvariant"
	"storefront/internal/apitest"
)

// BenchmarkCheckout places one order per iteration through the HTTP
// handler, as a guest shopper does: cartCreate with two lines, then
// checkoutComplete with a fresh idempotency key (the order is paid by the
// simulated provider in the same request). The write side of issue 11's
// "writes may not get slower by more than 15%", next to
// BenchmarkStockLevelSet:
// go test -run '^$' -bench 'Checkout|StockLevelSet' -benchmem ./graph/
//
// The variants get a very large on-hand quantity in every warehouse first,
// so that a long run never sells one out (selling out takes the dearer
// path that recomputes the products' flags; a shopper's checkout usually
// does not).
func BenchmarkCheckout(b *testing.B) {
	for _, kind := range dbtest.Kinds {
		b.Run(kind, func(b *testing.B) {
			db, api := seededBench(b, kind, 2_000)
			ctx := access.System(context.Background())
			staff := staffToken(b, ctx, api)
			// The first variant of each of ten active products.
			var vs []string
			for _, p := range db.Client.Product.Query().Where(product.StatusEQ(product.StatusACTIVE)).Order(product.ByID()).Limit(10).AllX(ctx) {
				v := db.Client.ProductVariant.Query().Where(productvariant.ProductID(p.ID)).Order(productvariant.ByID()).FirstX(ctx)
				vs = append(vs, v.GlobalID().String())
			}
			for _, w := range db.Client.Warehouse.Query().AllX(ctx) {
				for _, v := range vs {
					serveBench(b, api, `{"query":"mutation($v: ID!, $w: ID!, $n: Int!) { stockLevelSet(input: {variantId: $v, warehouseId: $w, onHand: $n}) { stockLevel { onHand } userErrors { code } } }","variables":`+
						toJSON(apitest.Vars{"v": v, "w": w.GlobalID().String(), "n": 1_000_000_000})+`}`, staff)
				}
			}
			const cartQuery = `mutation($a: ID!, $b: ID!) { cartCreate(input: {lines: [{variantId: $a, quantity: 1}, {variantId: $b, quantity: 2}]}) {
  cart { id totalQuantity cost { total { amount } } } userErrors { code } } }`
			const orderQuery = `mutation($in: CheckoutCompleteInput!) { checkoutComplete(input: $in) {
  order { number status totalPrice { amount } } userErrors { code message } } }`
			address := map[string]any{"firstName": "Ada", "lastName": "L", "address1": "1 Main St", "city": "Springfield", "countryCode": "US", "zip": "12345"}
			b.ReportAllocs()
			b.ResetTimer()
			i := 0
			for b.Loop() {
				created := serveBench(b, api, `{"query":`+quote(cartQuery)+`,"variables":`+
					toJSON(apitest.Vars{"a": vs[i%len(vs)], "b": vs[(i+1)%len(vs)]})+`}`, "")
				var cart struct {
					Data struct {
						CartCreate struct{ Cart struct{ ID string } }
					}
				}
				if err := json.Unmarshal([]byte(created), &cart); err != nil || cart.Data.CartCreate.Cart.ID == "" {
					b.Fatalf("cartCreate: %v %.300s", err, created)
				}
				order := serveBench(b, api, `{"query":`+quote(orderQuery)+`,"variables":`+toJSON(apitest.Vars{"in": map[string]any{
					"cartId": cart.Data.CartCreate.Cart.ID, "email": "shopper@example.com", "shippingAddress": address,
					"idempotencyKey": fmt.Sprintf("bench-checkout-%d", i),
				}})+`}`, "")
				if !strings.Contains(order, `"status":"PAID"`) {
					b.Fatalf("checkoutComplete: %.300s", order)
				}
				i++
			}
		})
	}
}
