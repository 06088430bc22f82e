package graph_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"storefront/commerce/access"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent/schematype"
	"storefront/internal/apitest"
)

// allOrderFields asks for every field of Order, so that a column the
// order history leaves out (graph/prime.go, orderColumns) shows.
const allOrderFields = `id createdAt updatedAt number email status discountCode
  subtotalPrice { amount currencyCode } totalDiscount { amount currencyCode } totalShipping { amount currencyCode }
  totalTax { amount currencyCode } totalPrice { amount currencyCode }
  shippingAddress { firstName lastName address1 address2 city province zip countryCode phone }
  lines { productTitle variantTitle sku quantity unitPrice { amount currencyCode } total { amount currencyCode } variant { id } }
  statusHistory { status note }`

// TestOrderHistoryReadsWhatItShows: the order history reads only the
// columns its selection needs; every field answers as order(id), which
// reads whole rows, and a page of one field answers that field.
func TestOrderHistoryReadsWhatItShows(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, _ := setup(t, db)
		ctx := access.System(context.Background())
		acc := api.SignUp(t, "history@example.com", "a long enough password")
		me := api.As(acc.AccessToken)
		customerID, _ := claimsOf(t, acc.AccessToken)
		c := db.Client
		v := c.ProductVariant.Query().FirstX(ctx)
		province, phone := "Ontario", "+1 555 0100"
		o := c.Order.Create().SetNumber("SF-COLS-0001").SetCustomerID(customerID).SetCartID(1).
			SetEmail("history@example.com").SetCurrencyCode("EUR").
			SetSubtotal(1000).SetDiscount(150).SetShipping(499).SetTax(190).SetTotal(1539).SetDiscountCode("TENOFF").
			SetShippingAddress(schematype.MailingAddress{FirstName: "Ada", LastName: "Lovelace", Address1: "1 Main St",
				City: "Toronto", Province: province, CountryCode: "CA", Phone: phone}).
			SetCreatedAt(time.Now().Add(-time.Hour)).SaveX(ctx)
		c.OrderLine.Create().SetOrder(o).SetVariant(v).SetProductTitle("Lamp").SetVariantTitle("Red").SetSku(v.Sku).
			SetUnitPrice(500).SetQuantity(2).SetLineTotal(1000).SetAllocations([]schematype.Allocation{}).ExecX(ctx)
		c.OrderEvent.Create().SetOrder(o).SetStatus("PENDING_PAYMENT").SetNote("placed").ExecX(ctx)

		var history struct {
			Viewer struct {
				Orders struct {
					Edges []struct{ Node json.RawMessage }
				}
			}
		}
		me.Query(t, `{ viewer { orders(first: 5) { edges { node { `+allOrderFields+` } } } } }`, nil, &history)
		var one struct{ Order json.RawMessage }
		me.Query(t, `query($id: ID!) { order(id: $id) { `+allOrderFields+` } }`, apitest.Vars{"id": o.GlobalID().String()}, &one)
		if len(history.Viewer.Orders.Edges) != 1 {
			t.Fatalf("order history: %d orders, want 1", len(history.Viewer.Orders.Edges))
		}
		if got, want := string(history.Viewer.Orders.Edges[0].Node), string(one.Order); got != want {
			t.Errorf("order history and order(id) differ:\n history: %s\n order:   %s", got, want)
		}
		for _, want := range []string{`"TENOFF"`, `"15.39"`, `"Ontario"`, `"+1 555 0100"`, `"Lamp"`, `"placed"`, `"EUR"`} {
			if !strings.Contains(string(one.Order), want) {
				t.Errorf("order(id) lacks %s: %s", want, one.Order)
			}
		}

		var number struct {
			Viewer struct {
				Orders struct {
					Edges []struct{ Node struct{ Number string } }
				}
			}
		}
		me.Query(t, `{ viewer { orders(first: 5) { edges { node { number } } } } }`, nil, &number)
		if e := number.Viewer.Orders.Edges; len(e) != 1 || e[0].Node.Number != "SF-COLS-0001" {
			t.Errorf("order history of numbers: %+v", e)
		}
	})
}
