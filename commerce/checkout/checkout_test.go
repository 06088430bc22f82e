package checkout_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"storefront/commerce"
	"storefront/commerce/cart"
	"storefront/commerce/checkout"
	"storefront/commerce/orders"
	"storefront/commerce/payment"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent"
	entcart "storefront/ent/cart"
	"storefront/ent/discountcode"
	"storefront/ent/order"
	"storefront/ent/orderline"
	"storefront/ent/product"
	"storefront/ent/schematype"
)

var orderNumber = regexp.MustCompile(`^SF-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$`)

// TestGuestCheckout: a guest's cart becomes a PAID order with the cart's
// lines (titles, SKU and prices copied), the cart's totals (subtotal,
// shipping, 10% tax rounded half up), the normalised email and address,
// and the idempotency key; the stock is taken from the warehouses in
// priority order and the allocations are kept on the lines; the payment
// is captured for the total; the cart is closed; the guest reads the
// order by its ID.
func TestGuestCheckout(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		s := newShop(t, db, payment.NewSimulated())
		ctx := guest(t)
		cartID := s.newCart(ctx, s.tee, 3, s.cap, 1)

		res, err := s.checkout.Complete(ctx, input(cartID, "guest-key-0001"))
		if err != nil {
			t.Fatal(err)
		}
		if res.PaymentError != nil || res.Order == nil || res.Order.Status != order.StatusPAID {
			t.Fatalf("result %+v (payment error %v), want a PAID order", res.Order, res.PaymentError)
		}
		o := s.c.Order.GetX(s.sys, res.Order.ID)
		// 3 x 10.00 + 25.00 = 55.00, shipping 4.99 (under 100.00), 10% of
		// 59.99 = 5.999 -> 6.00, total 65.99.
		if o.Subtotal != 5500 || o.Discount != 0 || o.Shipping != 499 || o.Tax != 600 || o.Total != 6599 || o.CurrencyCode != "USD" {
			t.Fatalf("order amounts: subtotal %d discount %d shipping %d tax %d total %d %s",
				o.Subtotal, o.Discount, o.Shipping, o.Tax, o.Total, o.CurrencyCode)
		}
		if !orderNumber.MatchString(o.Number) || o.CartID != cartID || o.CustomerID != nil || o.DiscountCode != nil ||
			o.Email != "ada.guest@example.com" || o.IdempotencyKey == nil || *o.IdempotencyKey != "guest-key-0001" {
			t.Fatalf("order %+v", o)
		}
		wantAddr := schematype.MailingAddress{FirstName: "Ada", LastName: "Lovelace", Address1: "1 Main St", City: "Springfield", Zip: "12345", CountryCode: "US"}
		if o.ShippingAddress != wantAddr {
			t.Fatalf("shipping address %+v, want %+v", o.ShippingAddress, wantAddr)
		}

		type line struct {
			Sku, Product, Variant string
			Unit                  int64
			Qty                   int
			Total                 int64
			Alloc                 string
		}
		var got []line
		for _, l := range s.c.OrderLine.Query().Where(orderline.OrderID(o.ID)).Order(orderline.BySku()).AllX(s.sys) {
			got = append(got, line{l.Sku, l.ProductTitle, l.VariantTitle, l.UnitPrice, l.Quantity, l.LineTotal, fmt.Sprint(l.Allocations)})
		}
		want := []line{
			{"CAP", "Tee", "Cap", 2500, 1, 2500, fmt.Sprint([]schematype.Allocation{{WarehouseID: s.w1, Quantity: 1}})},
			// W1 (priority 0) first: its 2, then 1 of W2's 5.
			{"TEE-M", "Tee", "Medium", 1000, 3, 3000, fmt.Sprint([]schematype.Allocation{{WarehouseID: s.w1, Quantity: 2}, {WarehouseID: s.w2, Quantity: 1}})},
		}
		if !slices.Equal(got, want) {
			t.Fatalf("order lines\n%+v\nwant\n%+v", got, want)
		}

		if tee, cp := s.onHand(s.tee), s.onHand(s.cap); tee != [2]int{0, 4} || cp != [2]int{9, 0} {
			t.Fatalf("stock after the order: tee %v, cap %v", tee, cp)
		}
		if a, b := s.available(s.tee), s.available(s.cap); a != 4 || b != 9 {
			t.Fatalf("available after the order: tee %d, cap %d", a, b)
		}
		if ev := s.events(o.ID); !slices.Equal(ev, []string{"PENDING_PAYMENT order placed", "PAID payment captured"}) {
			t.Fatalf("status history %q", ev)
		}
		ledger := s.sim.Ledger()
		if e, ok := ledger[deref(o.PaymentID)]; len(ledger) != 1 || !ok || e.State != payment.StateCaptured || e.Amount != 6599 || e.Currency != "USD" || e.Captures != 1 {
			t.Fatalf("payments %+v; the order's payment is %v", ledger, o.PaymentID)
		}
		if got := s.cartState(cartID); got != status(entcart.StatusCOMPLETED, 2)+` code ""` {
			t.Fatalf("cart after checkout: %s", got)
		}
		// The checked-out cart takes no more changes.
		_, err = s.carts.AddLines(ctx, cartID, []cart.LineInput{{VariantID: s.tee, Quantity: 1}}, nil)
		wantError(t, err, commerce.Conflict, nil, "start a new cart")
		// The guest reads the order by its ID.
		if r, err := s.orders.Get(guest(t), o.ID); err != nil || r.Number != o.Number || r.Status != order.StatusPAID {
			t.Fatalf("the guest reads the order: %v, %v", r, err)
		}
	})
}

// TestIdempotency: the same key returns the same order and takes nothing
// more (no second order, stock or payment), also when sent several times
// at once; the key sent with another cart is refused on idempotencyKey;
// another key on a checked-out cart is a CONFLICT; a key older than
// KeyTTL is released for a new checkout.
func TestIdempotency(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		s := newShop(t, db, payment.NewSimulated())
		ctx := guest(t)
		first := s.newCart(ctx, s.tee, 2)
		res, err := s.checkout.Complete(ctx, input(first, "same-key-0001"))
		if err != nil || res.Order.Status != order.StatusPAID {
			t.Fatalf("checkout: %+v, %v", res, err)
		}
		placed := res.Order
		after := s.snapshot(first)

		// The same request again (the answer was lost): the same order.
		for i := range 2 {
			again, err := s.checkout.Complete(guest(t), input(first, "same-key-0001"))
			if err != nil || again.PaymentError != nil || again.Order == nil || again.Order.ID != placed.ID ||
				again.Order.Number != placed.Number || again.Order.Status != order.StatusPAID {
				t.Fatalf("retry %d: %+v, %v; want order %d", i, again, err, placed.ID)
			}
			s.unchanged("a retry", after)
		}
		if ev := s.events(placed.ID); len(ev) != 2 {
			t.Fatalf("status history after retries: %q", ev)
		}

		// The key with another cart.
		second := s.newCart(ctx, s.cap, 1)
		before := s.snapshot(first, second)
		_, err = s.checkout.Complete(ctx, input(second, "same-key-0001"))
		wantError(t, err, commerce.Invalid, []string{"input", "idempotencyKey"}, "used for another cart")
		s.unchanged("the key with another cart", before)

		// Another key on the checked-out cart.
		_, err = s.checkout.Complete(ctx, input(first, "other-key-0001"))
		wantError(t, err, commerce.Conflict, nil, "already been checked out")
		s.unchanged("another key on a checked-out cart", before)

		// A key older than KeyTTL names no order any more.
		old := time.Now().Add(-checkout.KeyTTL - time.Minute)
		q := "UPDATE orders SET created_at = ? WHERE id = ?"
		if db.Dialect == "postgres" {
			q = "UPDATE orders SET created_at = $1 WHERE id = $2"
		}
		if _, err := db.SQL.ExecContext(t.Context(), q, old, placed.ID); err != nil {
			t.Fatal(err)
		}
		res, err = s.checkout.Complete(ctx, input(second, "same-key-0001"))
		if err != nil || res.Order == nil || res.Order.ID == placed.ID || res.Order.CartID != second {
			t.Fatalf("an expired key: %+v, %v; want a new order of cart %d", res, err, second)
		}
		if o := s.c.Order.GetX(s.sys, placed.ID); o.IdempotencyKey != nil {
			t.Fatalf("the old order keeps its expired key %q", *o.IdempotencyKey)
		}

		// One key sent several times at once (a double click): one order,
		// stock and payment taken once; every answer that has an order has
		// that one, and the others may only be asked to retry.
		third := s.newCart(ctx, s.tee, 1)
		stockBefore, ledgerBefore := s.onHand(s.tee), len(s.sim.Ledger())
		const n = 4
		results := make([]*checkout.Result, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				results[i], errs[i] = s.checkout.Complete(guest(t), input(third, "double-click-0001"))
			})
		}
		close(start)
		wg.Wait()
		var ids []int
		for i := range n {
			switch {
			case errs[i] == nil && results[i].Order != nil:
				ids = append(ids, results[i].Order.ID)
			case commerce.ErrorCode(errs[i]) == commerce.Conflict && strings.Contains(errs[i].Error(), "in progress"):
			default:
				t.Fatalf("request %d: %+v, %v", i, results[i], errs[i])
			}
		}
		placedOrders := s.c.Order.Query().Where(order.CartID(third)).AllX(s.sys)
		if len(placedOrders) != 1 || len(ids) == 0 {
			t.Fatalf("%d orders of the cart and %d answers with an order, want 1 and at least 1", len(placedOrders), len(ids))
		}
		for _, id := range ids {
			if id != placedOrders[0].ID {
				t.Fatalf("answers name orders %v, want only %d", ids, placedOrders[0].ID)
			}
		}
		if placedOrders[0].Status != order.StatusPAID {
			t.Fatalf("the order is %s", placedOrders[0].Status)
		}
		if got := s.onHand(s.tee); got[0]+got[1] != stockBefore[0]+stockBefore[1]-1 {
			t.Fatalf("stock %v, was %v: want one unit taken", got, stockBefore)
		}
		if got := len(s.sim.Ledger()); got != ledgerBefore+1 {
			t.Fatalf("%d payments, were %d: want one more", got, ledgerBefore)
		}
	})
}

// TestOutOfStock: a cart asking for more than is available is refused
// with OUT_OF_STOCK naming the SKU and what is available, and nothing
// changes: no order, no stock taken (not even of the lines that could be
// served), no use of the cart's discount code, no payment, the cart still
// open at its version. The key is not spent: once the cart fits the
// stock, the same key checks out.
func TestOutOfStock(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		s := newShop(t, db, payment.NewSimulated())
		code := s.code("LIMITED", 1000, func(d *ent.DiscountCodeCreate) { d.SetUsageLimit(3) })
		ctx := guest(t)
		cartID := s.newCart(ctx, s.cap, 1, s.tee, 8)
		if _, err := s.carts.ApplyDiscountCode(ctx, cartID, "LIMITED", nil); err != nil {
			t.Fatal(err)
		}
		before := s.snapshot(cartID)
		res, err := s.checkout.Complete(ctx, input(cartID, "short-key-0001"))
		wantError(t, err, commerce.OutOfStock, nil, "not enough stock of TEE-M: 7 available, 8 requested")
		if res != nil {
			t.Fatalf("a refused checkout returned %+v", res)
		}
		s.unchanged("an out-of-stock checkout", before)
		if n := s.c.DiscountCode.GetX(s.sys, code).UsedCount; n != 0 {
			t.Fatalf("the code was used %d times by a refused checkout", n)
		}

		for _, l := range s.c.CartLine.Query().AllX(s.sys) {
			if l.CartID == cartID && l.VariantID == s.tee {
				if _, err := s.carts.UpdateLines(ctx, cartID, []cart.LineUpdate{{LineID: l.ID, Quantity: 7}}, nil); err != nil {
					t.Fatal(err)
				}
			}
		}
		res, err = s.checkout.Complete(ctx, input(cartID, "short-key-0001"))
		if err != nil || res.Order.Status != order.StatusPAID {
			t.Fatalf("the same key once the cart fits: %+v, %v", res, err)
		}
		if tee := s.onHand(s.tee); tee != [2]int{0, 0} || s.available(s.tee) != 0 {
			t.Fatalf("tee stock %v, available %d; want all 7 taken", tee, s.available(s.tee))
		}
		if n := s.c.DiscountCode.GetX(s.sys, code).UsedCount; n != 1 {
			t.Fatalf("the code was used %d times, want 1", n)
		}
		// Now sold out: another cart is refused, saying none is left.
		other := s.newCart(ctx, s.tee, 1)
		before = s.snapshot(other)
		_, err = s.checkout.Complete(ctx, input(other, "short-key-0002"))
		wantError(t, err, commerce.OutOfStock, nil, "0 available, 1 requested")
		s.unchanged("checkout of a sold-out variant", before)
	})
}

// TestCheckoutRules runs the rules of checkout on one shop per database:
// refusals, customers' orders, discount codes and declined payments.
func TestCheckoutRules(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		s := newShop(t, db, payment.NewSimulated())
		t.Run("refused", func(t *testing.T) { testRefused(t, s.on(t)) })
		t.Run("customer", func(t *testing.T) { testCustomer(t, s.on(t)) })
		t.Run("discount", func(t *testing.T) { testDiscount(t, s.on(t)) })
		t.Run("declined payment", func(t *testing.T) { testDeclinedPayment(t, s.on(t)) })
	})
}

// testDeclinedPayment: when the payment is declined, the order is still
// placed and waits for payment (PENDING_PAYMENT, no payment ID), holding
// the stock it took; the cart is closed; the result carries the order and
// the PAYMENT_DECLINED error (not an error of Complete). A retry with the
// same key returns that order; the order can then be paid, which takes no
// more stock.
func testDeclinedPayment(t *testing.T, s *shop) {
	cases := []struct {
		name  string
		sim   func() *payment.Simulated
		token string
	}{
		{"the provider declines everything", func() *payment.Simulated { return &payment.Simulated{DeclineAll: true} }, ""},
		{"a declined card", payment.NewSimulated, payment.TokenDeclined},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := s.on(t)
			// The services as app.Build makes them, over this provider.
			sim := c.sim()
			co := checkout.New(s.c, s.carts, s.inv, orders.New(s.c, s.inv, sim, nil))
			v := s.variant(s.posterProduct, fmt.Sprint("DECLINE-", i), "D", 1500, 3, 2)
			ctx := guest(t)
			cartID := s.newCart(ctx, v, 4)
			in := input(cartID, fmt.Sprint("declined-key-", i))
			in.PaymentToken = c.token
			res, err := co.Complete(ctx, in)
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			if !errors.Is(res.PaymentError, payment.ErrDeclined) || commerce.ErrorCode(res.PaymentError) != commerce.PaymentDeclined {
				t.Fatalf("payment error %v, want PAYMENT_DECLINED", res.PaymentError)
			}
			o := s.c.Order.GetX(s.sys, res.Order.ID)
			if res.Order.Status != order.StatusPENDING_PAYMENT || o.Status != order.StatusPENDING_PAYMENT || o.PaymentID != nil {
				t.Fatalf("order %+v (returned as %s), want PENDING_PAYMENT without a payment", o, res.Order.Status)
			}
			// 4 x 15.00 = 60.00 + 4.99 = 64.99, 10% = 6.499 -> 6.50.
			if o.Total != 7149 {
				t.Fatalf("total %d", o.Total)
			}
			if ev := s.events(o.ID); !slices.Equal(ev, []string{"PENDING_PAYMENT order placed"}) {
				t.Fatalf("status history %q", ev)
			}
			if got := s.onHand(v); got != [2]int{0, 1} {
				t.Fatalf("stock %v after a declined order of 4 from 3+2, want [0 1]: the order holds it", got)
			}
			if got := s.cartState(cartID); got != status(entcart.StatusCOMPLETED, 2)+` code ""` {
				t.Fatalf("cart %s", got)
			}
			if n := len(sim.Ledger()); n != 0 {
				t.Fatalf("%d payments after a decline", n)
			}

			again, err := co.Complete(guest(t), in)
			if err != nil || again.Order == nil || again.Order.ID != o.ID || again.Order.Status != order.StatusPENDING_PAYMENT {
				t.Fatalf("retry with the same key: %+v, %v", again, err)
			}
			// Paid later with a card that works.
			pay := orders.New(s.c, s.inv, payment.NewSimulated(), nil)
			paid, err := pay.Pay(guest(t), o.ID, payment.TokenVisa)
			if err != nil || paid.Status != order.StatusPAID {
				t.Fatalf("paying the order: %+v, %v", paid, err)
			}
			if got := s.onHand(v); got != [2]int{0, 1} {
				t.Fatalf("stock %v after paying, want [0 1]", got)
			}
		})
	}
}

// testRefused: bad input (email, address, idempotency key) is
// BAD_USER_INPUT on the field at fault; an unknown cart or one the viewer
// may not see is NOT_FOUND; an empty cart, a line no longer for sale and
// a discount code that no longer applies are BAD_USER_INPUT on cartId.
// Nothing changes in any case.
func testRefused(t *testing.T, s *shop) {
	alice, bob := s.customer("alice@example.com"), s.customer("bob@example.com")
	s.code("GOING", 1000, func(d *ent.DiscountCodeCreate) { d.SetEndsAt(time.Now().Add(time.Hour)) })
	s.code("PAUSED", 1000)
	s.code("DELETED", 1000)
	teeCart := func(ctx context.Context) int { return s.newCart(ctx, s.tee, 1) }
	withCode := func(code string, after func()) func(context.Context) int {
		return func(ctx context.Context) int {
			id := s.newCart(ctx, s.tee, 1)
			if _, err := s.carts.ApplyDiscountCode(ctx, id, code, nil); err != nil {
				t.Fatal(err)
			}
			after()
			return id
		}
	}
	long := strings.Repeat("x", 250) + "@example.com"
	field := func(name ...string) []string { return append([]string{"input"}, name...) }
	addr := func(name string) []string { return field("shippingAddress", name) }
	cases := []struct {
		name  string
		ctx   context.Context
		cart  func(context.Context) int
		edit  func(*checkout.Input)
		code  commerce.Code
		field []string
		msg   string
		after func()
	}{
		{name: "no email", edit: func(in *checkout.Input) { in.Email = "" },
			code: commerce.Invalid, field: field("email"), msg: "not an email address"},
		{name: "not an email", edit: func(in *checkout.Input) { in.Email = "ada at example.com" },
			code: commerce.Invalid, field: field("email"), msg: "not an email address"},
		{name: "an email without a domain", edit: func(in *checkout.Input) { in.Email = "ada@localhost" },
			code: commerce.Invalid, field: field("email"), msg: "not an email address"},
		{name: "an email of 262 characters", edit: func(in *checkout.Input) { in.Email = long },
			code: commerce.Invalid, field: field("email"), msg: "longer than 254"},
		{name: "no street", edit: func(in *checkout.Input) { in.ShippingAddress.Address1 = "  " },
			code: commerce.Invalid, field: addr("address1"), msg: "address1 is required"},
		{name: "no city", edit: func(in *checkout.Input) { in.ShippingAddress.City = "" },
			code: commerce.Invalid, field: addr("city"), msg: "city is required"},
		{name: "an unknown country", edit: func(in *checkout.Input) { in.ShippingAddress.CountryCode = "XX" },
			code: commerce.Invalid, field: addr("countryCode"), msg: "ISO 3166-1"},
		{name: "no country", edit: func(in *checkout.Input) { in.ShippingAddress.CountryCode = "" },
			code: commerce.Invalid, field: addr("countryCode"), msg: "ISO 3166-1"},
		{name: "a zip of 21 characters", edit: func(in *checkout.Input) { in.ShippingAddress.Zip = strings.Repeat("9", 21) },
			code: commerce.Invalid, field: addr("zip"), msg: "longer than 20"},
		{name: "a first name of 101 characters", edit: func(in *checkout.Input) { in.ShippingAddress.FirstName = strings.Repeat("é", 101) },
			code: commerce.Invalid, field: addr("firstName"), msg: "longer than 100"},
		{name: "a key of 7 characters", edit: func(in *checkout.Input) { in.IdempotencyKey = "1234567" },
			code: commerce.Invalid, field: field("idempotencyKey"), msg: "8 to 128"},
		{name: "a key of 129 characters", edit: func(in *checkout.Input) { in.IdempotencyKey = strings.Repeat("k", 129) },
			code: commerce.Invalid, field: field("idempotencyKey"), msg: "8 to 128"},
		{name: "a key with spaces", edit: func(in *checkout.Input) { in.IdempotencyKey = "key with spaces" },
			code: commerce.Invalid, field: field("idempotencyKey"), msg: "8 to 128"},
		{name: "an unknown cart", cart: func(context.Context) int { return -1 },
			code: commerce.NotFound, field: field("cartId"), msg: "no such cart"},
		{name: "another customer's cart", ctx: as(t, bob), cart: func(context.Context) int { return teeCart(as(t, alice)) },
			code: commerce.NotFound, field: field("cartId"), msg: "no such cart"},
		{name: "a customer's cart, as a guest", cart: func(context.Context) int { return teeCart(as(t, alice)) },
			code: commerce.NotFound, field: field("cartId"), msg: "no such cart"},
		{name: "an empty cart", cart: func(ctx context.Context) int { return s.newCart(ctx) },
			code: commerce.Invalid, field: field("cartId"), msg: "the cart is empty"},
		{name: "a line no longer for sale", cart: func(ctx context.Context) int {
			id := s.newCart(ctx, s.tee, 1, s.poster, 1)
			s.c.Product.UpdateOneID(s.posterProduct).SetStatus(product.StatusARCHIVED).ExecX(s.sys)
			return id
		}, code: commerce.Invalid, field: field("cartId"), msg: "no longer for sale",
			after: func() { s.c.Product.UpdateOneID(s.posterProduct).SetStatus(product.StatusACTIVE).ExecX(s.sys) }},
		{name: "a code that expired since it was applied", cart: withCode("GOING", func() {
			s.c.DiscountCode.Update().Where(discountcode.Code("GOING")).SetEndsAt(time.Now().Add(-time.Minute)).ExecX(s.sys)
		}), code: commerce.Invalid, field: field("cartId"), msg: "discount code GOING has expired"},
		{name: "a code deactivated since it was applied", cart: withCode("PAUSED", func() {
			s.c.DiscountCode.Update().Where(discountcode.Code("PAUSED")).SetActive(false).ExecX(s.sys)
		}), code: commerce.Invalid, field: field("cartId"), msg: "discount code PAUSED is not active"},
		{name: "a code deleted since it was applied", cart: withCode("DELETED", func() {
			s.c.DiscountCode.Delete().Where(discountcode.Code("DELETED")).ExecX(s.sys)
		}), code: commerce.Invalid, field: field("cartId"), msg: "discount code DELETED no longer exists"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := s.on(t)
			ctx := c.ctx
			if ctx == nil {
				ctx = guest(t)
			}
			var cartID int
			if c.cart != nil {
				cartID = c.cart(guest(t))
			} else {
				cartID = teeCart(guest(t))
			}
			in := input(cartID, fmt.Sprintf("refused-key-%02d", i))
			if c.edit != nil {
				c.edit(&in)
			}
			var before snapshot
			if cartID > 0 {
				before = s.snapshot(cartID)
			} else {
				before = s.snapshot()
			}
			res, err := s.checkout.Complete(ctx, in)
			wantError(t, err, c.code, c.field, c.msg)
			if res != nil {
				t.Fatalf("a refused checkout returned %+v", res)
			}
			s.unchanged("a refused checkout", before)
			if c.after != nil {
				c.after()
			}
		})
	}
}

// testCustomer: a signed-in customer's checkout is their order
// (customer_id), of their own cart or of a guest cart they name; they
// read it, another customer and a guest cannot even by its ID.
func testCustomer(t *testing.T, s *shop) {
	alice, bob := s.customer("alice@example.com"), s.customer("bob@example.com")
	cases := []struct {
		name string
		cart func() int
	}{
		{"the customer's cart", func() int { return s.newCart(as(t, alice), s.cap, 1) }},
		{"a guest cart, checked out signed in", func() int { return s.newCart(guest(t), s.cap, 1) }},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := s.on(t)
			cartID := c.cart()
			res, err := s.checkout.Complete(as(t, alice), input(cartID, fmt.Sprint("customer-key-", i)))
			if err != nil || res.Order.Status != order.StatusPAID {
				t.Fatalf("checkout: %+v, %v", res, err)
			}
			o := s.c.Order.GetX(s.sys, res.Order.ID)
			if o.CustomerID == nil || *o.CustomerID != alice || o.CartID != cartID {
				t.Fatalf("order of customer %v and cart %d, want %d and %d", o.CustomerID, o.CartID, alice, cartID)
			}
			if r, err := s.orders.Get(as(t, alice), o.ID); err != nil || r.ID != o.ID {
				t.Fatalf("the customer reads the order: %v, %v", r, err)
			}
			for _, ctx := range []context.Context{as(t, bob), guest(t)} {
				_, err := s.orders.Get(ctx, o.ID)
				wantError(t, err, commerce.NotFound, []string{"id"}, "no such order")
			}
		})
	}
	if n := s.c.Order.Query().Where(order.CustomerID(alice)).CountX(s.sys); n != len(cases) {
		t.Fatalf("alice has %d orders, want %d", n, len(cases))
	}
}

// testDiscount: the cart's code is spent by the checkout that uses
// it, within its usage limit: a second cart holding a code that ran out
// meanwhile is refused (not silently charged the full price) until its
// shopper removes the code; a code whose minimum subtotal the cart does
// not reach is neither applied to the order nor spent.
func testDiscount(t *testing.T, s *shop) {
	once := s.code("ONCE", 1000, func(d *ent.DiscountCodeCreate) { d.SetUsageLimit(1) })
	big := s.code("BIGSPEND", 1000, func(d *ent.DiscountCodeCreate) { d.SetMinSubtotal(10000) })
	ctx := guest(t)
	a, b := s.newCart(ctx, s.cap, 2), s.newCart(ctx, s.cap, 1)
	for _, id := range []int{a, b} {
		if _, err := s.carts.ApplyDiscountCode(ctx, id, "once", nil); err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.checkout.Complete(ctx, input(a, "discount-key-a"))
	if err != nil {
		t.Fatal(err)
	}
	// 50.00 - 10% = 45.00 + 4.99 = 49.99, 10% = 4.999 -> 5.00: 54.99.
	o := s.c.Order.GetX(s.sys, res.Order.ID)
	if o.DiscountCode == nil || *o.DiscountCode != "ONCE" || o.Subtotal != 5000 || o.Discount != 500 || o.Shipping != 499 || o.Tax != 500 || o.Total != 5499 {
		t.Fatalf("order with ONCE: code %v subtotal %d discount %d shipping %d tax %d total %d", o.DiscountCode, o.Subtotal, o.Discount, o.Shipping, o.Tax, o.Total)
	}
	if n := s.c.DiscountCode.GetX(s.sys, once).UsedCount; n != 1 {
		t.Fatalf("ONCE used %d times", n)
	}

	before := s.snapshot(b)
	_, err = s.checkout.Complete(ctx, input(b, "discount-key-b"))
	wantError(t, err, commerce.Invalid, []string{"input", "cartId"}, "discount code ONCE has been used up")
	s.unchanged("a checkout with a used-up code", before)

	if _, err := s.carts.ApplyDiscountCode(ctx, b, "", nil); err != nil {
		t.Fatal(err)
	}
	res, err = s.checkout.Complete(ctx, input(b, "discount-key-b"))
	if err != nil {
		t.Fatal(err)
	}
	// 25.00 + 4.99 = 29.99, 10% = 2.999 -> 3.00: 32.99.
	if o := s.c.Order.GetX(s.sys, res.Order.ID); o.DiscountCode != nil || o.Discount != 0 || o.Total != 3299 {
		t.Fatalf("order without the code: code %v discount %d total %d", o.DiscountCode, o.Discount, o.Total)
	}

	c := s.newCart(ctx, s.tee, 1)
	if _, err := s.carts.ApplyDiscountCode(ctx, c, "BIGSPEND", nil); err != nil {
		t.Fatal(err)
	}
	res, err = s.checkout.Complete(ctx, input(c, "discount-key-c"))
	if err != nil {
		t.Fatal(err)
	}
	// 10.00 + 4.99 = 14.99, 10% = 1.499 -> 1.50: 16.49.
	if o := s.c.Order.GetX(s.sys, res.Order.ID); o.DiscountCode != nil || o.Discount != 0 || o.Total != 1649 {
		t.Fatalf("order under the minimum: code %v discount %d total %d", o.DiscountCode, o.Discount, o.Total)
	}
	if n := s.c.DiscountCode.GetX(s.sys, big).UsedCount; n != 0 {
		t.Fatalf("BIGSPEND used %d times under its minimum", n)
	}
}

// TestConcurrentLastUnits: carts race for the last units of a variant,
// checking out at the same moment: exactly as many succeed as there are
// units, the others are refused OUT_OF_STOCK with their carts still open,
// and the stock ends at zero, never below. Several rounds per database.
func TestConcurrentLastUnits(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		s := newShop(t, db, payment.NewSimulated())
		cases := []struct {
			name   string
			carts  int
			onHand []int // per warehouse
		}{
			{"two carts, the last unit", 2, []int{1}},
			{"four carts, three units in two warehouses", 4, []int{1, 2}},
		}
		const rounds = 5
		for ci, c := range cases {
			units := 0
			for _, n := range c.onHand {
				units += n
			}
			for round := range rounds {
				v := s.variant(s.posterProduct, fmt.Sprintf("LAST-%d-%d", ci, round), "Last", 700, c.onHand...)
				carts := make([]int, c.carts)
				for i := range carts {
					carts[i] = s.newCart(guest(t), v, 1)
				}
				results := make([]*checkout.Result, c.carts)
				errs := make([]error, c.carts)
				start := make(chan struct{})
				var wg sync.WaitGroup
				for i := range carts {
					wg.Go(func() {
						<-start
						results[i], errs[i] = s.checkout.Complete(guest(t), input(carts[i], fmt.Sprintf("last-%d-%d-%d", ci, round, i)))
					})
				}
				close(start)
				wg.Wait()

				won := 0
				for i := range carts {
					st := s.cartState(carts[i])
					if errs[i] == nil {
						if results[i].PaymentError != nil || results[i].Order.Status != order.StatusPAID {
							t.Fatalf("%s, round %d, cart %d: %+v (payment %v)", c.name, round, i, results[i].Order, results[i].PaymentError)
						}
						if st != status(entcart.StatusCOMPLETED, 2)+` code ""` {
							t.Fatalf("%s, round %d: a winning cart is %s", c.name, round, st)
						}
						won++
						continue
					}
					var ce *commerce.Error
					if !errors.As(errs[i], &ce) || ce.Code != commerce.OutOfStock {
						t.Fatalf("%s, round %d, cart %d: %v, want OUT_OF_STOCK", c.name, round, i, errs[i])
					}
					if st != status(entcart.StatusACTIVE, 1)+` code ""` {
						t.Fatalf("%s, round %d: a refused cart is %s", c.name, round, st)
					}
				}
				if won != units {
					t.Fatalf("%s, round %d: %d of %d checkouts succeeded, want %d", c.name, round, won, c.carts, units)
				}
				if got := s.onHand(v); got != [2]int{} || s.available(v) != 0 {
					t.Fatalf("%s, round %d: stock %v, available %d; want none left", c.name, round, got, s.available(v))
				}
				if n := s.c.Order.Query().Where(order.CartIDIn(carts...)).CountX(s.sys); n != units {
					t.Fatalf("%s, round %d: %d orders, want %d", c.name, round, n, units)
				}
				sold := 0
				for _, l := range s.c.OrderLine.Query().Where(orderline.VariantID(v)).AllX(s.sys) {
					sold += l.Quantity
				}
				if sold != units {
					t.Fatalf("%s, round %d: %d units sold, want %d", c.name, round, sold, units)
				}
			}
		}
		for k, n := range s.stock() {
			if n < 0 {
				t.Fatalf("stock of variant %d in warehouse %d is %d", k[0], k[1], n)
			}
		}
	})
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
