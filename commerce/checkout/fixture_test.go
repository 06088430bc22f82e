package checkout_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"

	"storefront/commerce"
	"storefront/commerce/access"
	"storefront/commerce/cart"
	"storefront/commerce/checkout"
	"storefront/commerce/identity"
	"storefront/commerce/inventory"
	"storefront/commerce/live"
	"storefront/commerce/orders"
	"storefront/commerce/payment"
	"storefront/commerce/pricing"
	"storefront/commerce/viewer"
	"storefront/database"
	"storefront/ent"
	entcart "storefront/ent/cart"
	"storefront/ent/discountcode"
	"storefront/ent/orderevent"
	"storefront/ent/product"
	"storefront/ent/stocklevel"
)

// rules are the shop's: 4.99 shipping, free from 100.00, 10% tax.
var rules = pricing.Rules{ShippingFlat: 499, FreeShippingOver: 10000, TaxRateBasisPoints: 1000}

// shop is the storefront's services over one fresh database, assembled as
// app.Build assembles them (without budgets), with a small catalogue.
type shop struct {
	t   *testing.T
	c   *ent.Client
	sys context.Context

	sim      *payment.Simulated
	inv      *inventory.Service
	carts    *cart.Service
	orders   *orders.Service
	checkout *checkout.Service

	w1, w2 int // priorities 0 and 1
	// ACTIVE product "Tee".
	tee int // 10.00; W1 2, W2 5: 7 available
	cap int // 25.00; W1 10
	// ACTIVE product "Poster", archived by tests that need it.
	poster        int // 5.00; W1 10
	posterProduct int

	customers map[string]int // shared by the shop's subtests
}

// on returns the shop for the (sub)test t: its helpers fail t.
func (s *shop) on(t *testing.T) *shop {
	c := *s
	c.t, c.sys = t, access.System(t.Context())
	return &c
}

func newShop(t *testing.T, db *database.DB, sim *payment.Simulated) *shop {
	t.Helper()
	s := &shop{t: t, c: db.Client, sys: access.System(t.Context()), sim: sim, customers: map[string]int{}}
	broker := live.NewBroker()
	s.inv = inventory.New(s.c, broker)
	s.carts = cart.New(s.c, rules, broker)
	s.orders = orders.New(s.c, s.inv, sim, slog.New(slog.DiscardHandler))
	s.checkout = checkout.New(s.c, s.carts, s.inv, s.orders)

	c, sys := s.c, s.sys
	s.w1 = c.Warehouse.Create().SetCode("W1").SetName("One").SetPriority(0).SaveX(sys).ID
	s.w2 = c.Warehouse.Create().SetCode("W2").SetName("Two").SetPriority(1).SaveX(sys).ID
	tee := c.Product.Create().SetTitle("Tee").SetSlug("tee").SetStatus(product.StatusACTIVE).SaveX(sys).ID
	s.tee = s.variant(tee, "TEE-M", "Medium", 1000, 2, 5)
	s.cap = s.variant(tee, "CAP", "Cap", 2500, 10)
	s.posterProduct = c.Product.Create().SetTitle("Poster").SetSlug("poster").SetStatus(product.StatusACTIVE).SaveX(sys).ID
	s.poster = s.variant(s.posterProduct, "POSTER", "A2", 500, 10)
	return s
}

// variant makes a variant with onHand units in W1, W2, ... .
func (s *shop) variant(productID int, sku, title string, price int64, onHand ...int) int {
	s.t.Helper()
	v := s.c.ProductVariant.Create().SetProductID(productID).SetSku(sku).SetTitle(title).SetPrice(price).SaveX(s.sys)
	for i, n := range onHand {
		s.c.StockLevel.Create().SetVariantID(v.ID).SetWarehouseID([]int{s.w1, s.w2}[i]).SetOnHand(n).ExecX(s.sys)
	}
	return v.ID
}

// customer returns the ID of the customer account with email, made on
// first use.
func (s *shop) customer(email string) int {
	s.t.Helper()
	if id, ok := s.customers[email]; ok {
		return id
	}
	id := s.c.Customer.Create().SetEmail(email).SetPasswordHash("x").SaveX(s.sys).ID
	s.customers[email] = id
	return id
}

// code makes a discount code; edit may set more of it.
func (s *shop) code(code string, value int64, edit ...func(*ent.DiscountCodeCreate)) int {
	s.t.Helper()
	q := s.c.DiscountCode.Create().SetCode(code).SetKind(discountcode.KindPERCENTAGE).SetValue(value)
	for _, f := range edit {
		f(q)
	}
	return q.SaveX(s.sys).ID
}

// newCart creates a cart as the viewer of ctx with quantities of variants
// (variant, quantity, variant, quantity, ...).
func (s *shop) newCart(ctx context.Context, vq ...int) int {
	s.t.Helper()
	var lines []cart.LineInput
	for i := 0; i < len(vq); i += 2 {
		lines = append(lines, cart.LineInput{VariantID: vq[i], Quantity: vq[i+1]})
	}
	res, err := s.carts.Create(ctx, lines)
	if err != nil {
		s.t.Fatalf("create a cart: %v", err)
	}
	return res.Cart.ID
}

// guest is the context of an anonymous shopper's request.
func guest(t *testing.T) context.Context {
	return viewer.NewContext(t.Context(), viewer.Viewer{ClientIP: "192.0.2.1"})
}

// as is the context of a signed-in customer's request.
func as(t *testing.T, customerID int) context.Context {
	return viewer.NewContext(t.Context(), viewer.Viewer{CustomerID: customerID, Role: viewer.Customer, ClientIP: "192.0.2.2"})
}

// input is a valid checkout of a cart with key.
func input(cartID int, key string) checkout.Input {
	return checkout.Input{
		CartID: cartID, Email: "  Ada.Guest@Example.COM ", IdempotencyKey: key,
		ShippingAddress: identity.AddressInput{
			FirstName: "Ada", LastName: "Lovelace", Address1: " 1 Main St ", City: "Springfield",
			Zip: "12345", CountryCode: "us",
		},
	}
}

// stock is the stock of the database: (variant, warehouse) -> on hand.
func (s *shop) stock() map[[2]int]int {
	s.t.Helper()
	out := map[[2]int]int{}
	for _, l := range s.c.StockLevel.Query().AllX(s.sys) {
		out[[2]int{l.VariantID, l.WarehouseID}] = l.OnHand
	}
	return out
}

// onHand is a variant's stock in W1 and W2.
func (s *shop) onHand(variantID int) [2]int {
	s.t.Helper()
	var out [2]int
	for _, l := range s.c.StockLevel.Query().Where(stocklevel.VariantID(variantID)).AllX(s.sys) {
		switch l.WarehouseID {
		case s.w1:
			out[0] = l.OnHand
		case s.w2:
			out[1] = l.OnHand
		}
	}
	return out
}

// available is a variant's stored available quantity.
func (s *shop) available(variantID int) int {
	return s.c.ProductVariant.GetX(s.sys, variantID).Available
}

// cartState is a cart's status, version and code, read as the system.
func (s *shop) cartState(id int) string {
	s.t.Helper()
	c := s.c.Cart.GetX(s.sys, id)
	code := ""
	if c.DiscountCode != nil {
		code = *c.DiscountCode
	}
	return fmt.Sprintf("%s v%d code %q", c.Status, c.Version, code)
}

// orderCount is the number of orders in the database.
func (s *shop) orderCount() int { return s.c.Order.Query().CountX(s.sys) }

// events are an order's status history, as "STATUS note", oldest first.
func (s *shop) events(orderID int) []string {
	var out []string
	for _, e := range s.c.OrderEvent.Query().Where(orderevent.OrderID(orderID)).Order(orderevent.ByID()).AllX(s.sys) {
		out = append(out, e.Status+" "+e.Note)
	}
	return out
}

// unchanged fails the test when the stock, the orders or a cart differ
// from a snapshot taken before a refused checkout.
type snapshot struct {
	stock  map[[2]int]int
	orders int
	carts  map[int]string
	ledger int
}

func (s *shop) snapshot(carts ...int) snapshot {
	sn := snapshot{stock: s.stock(), orders: s.orderCount(), carts: map[int]string{}, ledger: len(s.sim.Ledger())}
	for _, id := range carts {
		sn.carts[id] = s.cartState(id)
	}
	return sn
}

func (s *shop) unchanged(what string, before snapshot) {
	s.t.Helper()
	if got := s.stock(); !maps.Equal(got, before.stock) {
		s.t.Fatalf("%s changed the stock: %v, was %v", what, got, before.stock)
	}
	if got := s.orderCount(); got != before.orders {
		s.t.Fatalf("%s: %d orders, were %d", what, got, before.orders)
	}
	for id, st := range before.carts {
		if got := s.cartState(id); got != st {
			s.t.Fatalf("%s changed cart %d: %s, was %s", what, id, got, st)
		}
	}
	if got := len(s.sim.Ledger()); got != before.ledger {
		s.t.Fatalf("%s: %d payments, were %d", what, got, before.ledger)
	}
}

// wantError fails unless err is a *commerce.Error with code, on field
// (nil: none), whose message contains msg.
func wantError(t *testing.T, err error, code commerce.Code, field []string, msg string) {
	t.Helper()
	var ce *commerce.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v (%T), want a *commerce.Error %s", err, err, code)
	}
	if ce.Code != code || !slices.Equal(ce.Field, field) || !strings.Contains(ce.Message, msg) {
		t.Fatalf("error %s on %q (%q), want %s on %q containing %q", ce.Code, ce.Field, ce.Message, code, field, msg)
	}
}

// status is a cart status, for comparisons with cartState.
func status(st entcart.Status, version int) string {
	return fmt.Sprintf("%s v%d", st, version)
}
