package graph_test

import (
	"testing"

	"storefront/database"
	"storefront/database/dbtest"
	"storefront/internal/apitest"
)

const cartFields = `cart { id version totalQuantity discountCode
  lines { id quantity variant { id sku } cost { unitPrice { amount } total { amount } } }
  cost { subtotal { amount } discount { amount } shipping { amount } tax { amount } total { amount } } }
  userErrors { field message code } warnings { code message variantId availableQuantity }`

type cartResp struct {
	ID, DiscountCode string
	Version          int
	TotalQuantity    int
	Lines            []struct {
		ID       string
		Quantity int
		Variant  *struct{ ID, Sku string }
		Cost     struct{ UnitPrice, Total struct{ Amount string } }
	}
	Cost struct {
		Subtotal, Discount, Shipping, Tax, Total struct{ Amount string }
	}
}

type cartPayload struct {
	Cart       *cartResp
	UserErrors []struct {
		Field         []string
		Message, Code string
	}
	Warnings []struct {
		Code, Message, VariantID string
		AvailableQuantity        int
	}
}

const checkoutMutation = `mutation($in: CheckoutCompleteInput!) { checkoutComplete(input: $in) {
  order { id number status email totalPrice { amount } subtotalPrice { amount } totalShipping { amount }
    lines { sku productTitle quantity unitPrice { amount } total { amount } }
    statusHistory { status note } shippingAddress { city countryCode } }
  userErrors { field message code } } }`

type orderResp struct {
	ID, Number, Status, Email string
	TotalPrice                struct{ Amount string }
	SubtotalPrice             struct{ Amount string }
	TotalShipping             struct{ Amount string }
	Lines                     []struct {
		Sku, ProductTitle string
		Quantity          int
		UnitPrice, Total  struct{ Amount string }
	}
	StatusHistory   []struct{ Status, Note string }
	ShippingAddress struct{ City, CountryCode string }
}

func checkoutInput(cartID, key string) map[string]any {
	return map[string]any{
		"cartId": cartID, "email": "Guest@Example.com", "idempotencyKey": key,
		"shippingAddress": map[string]any{"firstName": "Ada", "lastName": "L", "address1": "1 Main St", "city": "Springfield", "countryCode": "US", "zip": "12345"},
	}
}

// TestStorefrontFlow browses, fills a cart, checks out as a guest and reads
// the order back.
func TestStorefrontFlow(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, cat := setup(t, db)
		small := cat.variants[cat.active[0].ID][0] // 1.00, 4 available
		other := cat.variants[cat.active[2].ID][0] // 3.00 ((2*7)%20+1 = 15 -> 15.00)

		var created struct{ CartCreate cartPayload }
		api.Query(t, `mutation($v: ID!) { cartCreate(input: {lines: [{variantId: $v, quantity: 2}]}) { `+cartFields+` } }`,
			apitest.Vars{"v": small.GlobalID().String()}, &created)
		c := created.CartCreate.Cart
		if c == nil || c.Version != 1 || c.TotalQuantity != 2 || c.Cost.Subtotal.Amount != "2.00" || c.Cost.Shipping.Amount != "4.99" || c.Cost.Total.Amount != "6.99" {
			t.Fatalf("cartCreate: %+v", created.CartCreate)
		}
		var added struct{ CartLinesAdd cartPayload }
		api.Query(t, `mutation($c: ID!, $v: ID!, $ver: Int) { cartLinesAdd(cartId: $c, lines: [{variantId: $v, quantity: 4}], expectedVersion: $ver) { `+cartFields+` } }`,
			apitest.Vars{"c": c.ID, "v": other.GlobalID().String(), "ver": 1}, &added)
		c = added.CartLinesAdd.Cart
		if c == nil || c.Version != 2 || len(c.Lines) != 2 || c.Cost.Shipping.Amount != "0.00" {
			t.Fatalf("cartLinesAdd: %+v", added.CartLinesAdd)
		}
		// A stale version is refused, and nothing changes.
		var stale struct{ CartLinesAdd cartPayload }
		api.Query(t, `mutation($c: ID!, $v: ID!) { cartLinesAdd(cartId: $c, lines: [{variantId: $v, quantity: 1}], expectedVersion: 1) { `+cartFields+` } }`,
			apitest.Vars{"c": c.ID, "v": other.GlobalID().String()}, &stale)
		if ue := stale.CartLinesAdd.UserErrors; len(ue) != 1 || ue[0].Code != "CONFLICT" {
			t.Fatalf("stale version: %+v", stale.CartLinesAdd)
		}
		// Asking for more than is available still works, with a warning.
		var more struct{ CartLinesUpdate cartPayload }
		api.Query(t, `mutation($c: ID!, $l: ID!) { cartLinesUpdate(cartId: $c, lines: [{id: $l, quantity: 9}]) { `+cartFields+` } }`,
			apitest.Vars{"c": c.ID, "l": c.Lines[0].ID}, &more)
		if w := more.CartLinesUpdate.Warnings; len(w) != 1 || w[0].Code != "NOT_ENOUGH_STOCK" || w[0].AvailableQuantity != 4 {
			t.Fatalf("warnings: %+v", more.CartLinesUpdate)
		}
		// Checkout refuses 9 of a variant with 4 available, and changes nothing.
		var short struct {
			CheckoutComplete struct {
				Order      *orderResp
				UserErrors []struct{ Code, Message string }
			}
		}
		api.Query(t, checkoutMutation, apitest.Vars{"in": checkoutInput(c.ID, "flow-key-0001")}, &short)
		if ue := short.CheckoutComplete.UserErrors; short.CheckoutComplete.Order != nil || len(ue) != 1 || ue[0].Code != "OUT_OF_STOCK" {
			t.Fatalf("checkout beyond stock: %+v", short.CheckoutComplete)
		}
		var back struct{ CartLinesUpdate cartPayload }
		api.Query(t, `mutation($c: ID!, $l: ID!) { cartLinesUpdate(cartId: $c, lines: [{id: $l, quantity: 3}]) { `+cartFields+` } }`,
			apitest.Vars{"c": c.ID, "l": c.Lines[0].ID}, &back)

		var done struct {
			CheckoutComplete struct {
				Order      *orderResp
				UserErrors []struct{ Code, Message string }
			}
		}
		api.Query(t, checkoutMutation, apitest.Vars{"in": checkoutInput(c.ID, "flow-key-0002")}, &done)
		o := done.CheckoutComplete.Order
		if o == nil || o.Status != "PAID" || o.Email != "guest@example.com" || len(o.Lines) != 2 || o.ShippingAddress.City != "Springfield" || len(o.StatusHistory) != 2 {
			t.Fatalf("checkout: %+v", done.CheckoutComplete)
		}
		if o.SubtotalPrice.Amount != "63.00" || o.TotalShipping.Amount != "0.00" || o.TotalPrice.Amount != "63.00" {
			t.Fatalf("order amounts: %+v", o)
		}
		// The same key again: the same order.
		var again struct {
			CheckoutComplete struct{ Order *orderResp }
		}
		api.Query(t, checkoutMutation, apitest.Vars{"in": checkoutInput(c.ID, "flow-key-0002")}, &again)
		if again.CheckoutComplete.Order == nil || again.CheckoutComplete.Order.ID != o.ID {
			t.Fatalf("retry returned %+v, want order %s", again.CheckoutComplete.Order, o.ID)
		}
		// Stock went down: 4 - 3 = 1 left of the small variant.
		var p productDetailResp
		api.Query(t, productDetail, apitest.Vars{"slug": "p-00"}, &p)
		if p.Product.Variants[0].QuantityAvailable != 1 {
			t.Fatalf("stock after checkout: %d", p.Product.Variants[0].QuantityAvailable)
		}
		// The guest reads the order by its ID.
		var read struct{ Order *orderResp }
		api.Query(t, `query($id: ID!) { order(id: $id) { id number status lines { sku } } }`, apitest.Vars{"id": o.ID}, &read)
		if read.Order == nil || read.Order.Number != o.Number {
			t.Fatalf("order(id) = %+v", read.Order)
		}
		// Nobody can list guest orders.
		var list struct{ Orders struct{ TotalCount int } }
		api.Query(t, `{ orders(first: 10) { totalCount } }`, nil, &list)
		if list.Orders.TotalCount != 0 {
			t.Fatalf("anonymous orders list: %d", list.Orders.TotalCount)
		}
	})
}

func TestGuestCartMergesOnSignIn(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, cat := setup(t, db)
		x := cat.variants[cat.active[0].ID][0] // 4 available
		y := cat.variants[cat.active[2].ID][0]
		acc := api.SignUp(t, "ivy@example.com", "a long enough password")
		me := api.As(acc.AccessToken)

		var mine struct{ CartCreate cartPayload }
		me.Query(t, `mutation($x: ID!, $y: ID!) { cartCreate(input: {lines: [{variantId: $x, quantity: 3}, {variantId: $y, quantity: 1}]}) { `+cartFields+` } }`,
			apitest.Vars{"x": x.GlobalID().String(), "y": y.GlobalID().String()}, &mine)
		var guest struct{ CartCreate cartPayload }
		api.Query(t, `mutation($x: ID!) { cartCreate(input: {lines: [{variantId: $x, quantity: 2}]}) { `+cartFields+` } }`,
			apitest.Vars{"x": x.GlobalID().String()}, &guest)

		var in struct {
			CustomerSignIn struct {
				AccessToken *string
				Cart        *cartResp
				UserErrors  []struct{ Code string }
			}
		}
		api.Query(t, `mutation($g: ID) { customerSignIn(input: {email: "ivy@example.com", password: "a long enough password", guestCartId: $g}) {
		  accessToken cart { id lines { quantity variant { sku } } } userErrors { code } } }`,
			apitest.Vars{"g": guest.CartCreate.Cart.ID}, &in)
		c := in.CustomerSignIn.Cart
		if in.CustomerSignIn.AccessToken == nil || c == nil || c.ID != mine.CartCreate.Cart.ID || len(c.Lines) != 2 {
			t.Fatalf("sign-in with a guest cart: %+v", in.CustomerSignIn)
		}
		// 3 + 2 wanted, 4 available: held to 4.
		if c.Lines[0].Variant.Sku != x.Sku || c.Lines[0].Quantity != 4 {
			t.Fatalf("merged line: %+v", c.Lines[0])
		}
		// The guest cart is closed.
		var closed struct{ CartLinesAdd cartPayload }
		api.Query(t, `mutation($c: ID!, $x: ID!) { cartLinesAdd(cartId: $c, lines: [{variantId: $x, quantity: 1}]) { `+cartFields+` } }`,
			apitest.Vars{"c": guest.CartCreate.Cart.ID, "x": x.GlobalID().String()}, &closed)
		if ue := closed.CartLinesAdd.UserErrors; len(ue) != 1 || ue[0].Code != "CONFLICT" {
			t.Fatalf("adding to a merged cart: %+v", closed.CartLinesAdd)
		}

		// The customer checks out and finds the order in their history; the
		// viewer's cart is gone (checked out).
		var done struct {
			CheckoutComplete struct{ Order *orderResp }
		}
		me.Query(t, checkoutMutation, apitest.Vars{"in": checkoutInput(c.ID, "merge-key-0001")}, &done)
		if done.CheckoutComplete.Order == nil {
			t.Fatal("checkout failed")
		}
		var hist struct {
			Viewer struct {
				Cart   *struct{ ID string }
				Orders struct {
					TotalCount int
					Edges      []struct{ Node struct{ ID, Number string } }
				}
			}
		}
		me.Query(t, `{ viewer { cart { id } orders(first: 10) { totalCount edges { node { id number } } } } }`, nil, &hist)
		if hist.Viewer.Cart != nil || hist.Viewer.Orders.TotalCount != 1 || hist.Viewer.Orders.Edges[0].Node.ID != done.CheckoutComplete.Order.ID {
			t.Fatalf("viewer after checkout: %+v", hist.Viewer)
		}
		// Another customer cannot read it, even by ID.
		other := api.As(api.SignUp(t, "jack@example.com", "a long enough password").AccessToken)
		var o struct{ Order *orderResp }
		other.Query(t, `query($id: ID!) { order(id: $id) { id } }`, apitest.Vars{"id": done.CheckoutComplete.Order.ID}, &o)
		if o.Order != nil {
			t.Fatal("another customer reads the order")
		}
	})
}
