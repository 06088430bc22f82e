package cart_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"storefront/commerce"
	"storefront/commerce/access"
	"storefront/commerce/cart"
	"storefront/commerce/pricing"
	"storefront/commerce/viewer"
	"storefront/database"
	"storefront/ent"
	entcart "storefront/ent/cart"
	"storefront/ent/cartline"
	"storefront/ent/discountcode"
	"storefront/ent/product"
)

// shop is a small, fully known catalogue over one fresh database, made in
// a System context, with the variants the cart tests buy.
type shop struct {
	t   *testing.T
	c   *ent.Client
	sys context.Context
	w1  int // priority 0
	w2  int // priority 1

	// ACTIVE product "Shirt".
	small int // 19.99; on hand 3 (1 reserved) + 2: 4 available
	large int // 25.00; 5000 available
	// ACTIVE product "Mug": sold out.
	mug int // 5.00; 0 available
	// ACTIVE product "Sundries": cheap variants for rounding.
	pen  int // 3.33; 100 available
	coin int // 0.05; 100 available
	// Variants of a DRAFT and an ARCHIVED product, 10 available each.
	draft, archived int

	pub   *recorder
	cache *cache
}

// cache holds what a shop makes once and shares between its subtests.
type cache struct {
	mu        sync.Mutex
	bulk      []int
	customers map[string]int
}

// on returns the shop for the (sub)test t: its helpers fail t.
func (s *shop) on(t *testing.T) *shop {
	c := *s
	c.t, c.sys = t, access.System(t.Context())
	return &c
}

// Prices of the fixture's variants, in minor units.
const (
	priceSmall = 1999
	priceLarge = 2500
	priceMug   = 500
	pricePen   = 333
	priceCoin  = 5
)

func newShop(t *testing.T, db *database.DB) *shop {
	t.Helper()
	s := &shop{t: t, c: db.Client, sys: access.System(t.Context()), pub: &recorder{}, cache: &cache{customers: map[string]int{}}}
	c, sys := s.c, s.sys
	s.w1 = c.Warehouse.Create().SetCode("W1").SetName("One").SetPriority(0).SaveX(sys).ID
	s.w2 = c.Warehouse.Create().SetCode("W2").SetName("Two").SetPriority(1).SaveX(sys).ID
	mkProduct := func(title string, st product.Status) int {
		return c.Product.Create().SetTitle(title).SetSlug(strings.ToLower(title)).SetStatus(st).SaveX(sys).ID
	}
	mkVariant := func(productID int, sku string, price int64, stock ...[3]int) int {
		v := c.ProductVariant.Create().SetProductID(productID).SetSku(sku).SetTitle(sku).SetPrice(price).SaveX(sys)
		for _, st := range stock { // warehouse, on hand, reserved
			c.StockLevel.Create().SetVariantID(v.ID).SetWarehouseID(st[0]).SetOnHand(st[1]).SetReserved(st[2]).ExecX(sys)
		}
		return v.ID
	}
	shirt := mkProduct("Shirt", product.StatusACTIVE)
	s.small = mkVariant(shirt, "SHIRT-S", priceSmall, [3]int{s.w1, 3, 1}, [3]int{s.w2, 2, 0})
	s.large = mkVariant(shirt, "SHIRT-L", priceLarge, [3]int{s.w1, 5000, 0})
	s.mug = mkVariant(mkProduct("Mug", product.StatusACTIVE), "MUG", priceMug, [3]int{s.w1, 0, 0})
	sundries := mkProduct("Sundries", product.StatusACTIVE)
	s.pen = mkVariant(sundries, "PEN", pricePen, [3]int{s.w1, 100, 0})
	s.coin = mkVariant(sundries, "COIN", priceCoin, [3]int{s.w1, 100, 0})
	s.draft = mkVariant(mkProduct("Draft", product.StatusDRAFT), "DRAFT", 1000, [3]int{s.w1, 10, 0})
	s.archived = mkVariant(mkProduct("Archived", product.StatusARCHIVED), "ARCHIVED", 1000, [3]int{s.w1, 10, 0})
	if got := c.ProductVariant.GetX(sys, s.small).Available; got != 4 {
		t.Fatalf("fixture: the small shirt has %d available, want 4", got)
	}
	return s
}

// bulk returns n variants (at most 101) of an ACTIVE product "Bulk" (no
// stock), for the line limits; they are made once per shop.
func (s *shop) bulk(n int) []int {
	s.t.Helper()
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	if s.cache.bulk == nil {
		p := s.c.Product.Create().SetTitle("Bulk").SetSlug("bulk").SetStatus(product.StatusACTIVE).SaveX(s.sys)
		mk := make([]*ent.ProductVariantCreate, cart.MaxLines+1)
		for i := range mk {
			mk[i] = s.c.ProductVariant.Create().SetProductID(p.ID).SetSku(fmt.Sprintf("BULK-%03d", i)).SetPrice(100).SetPosition(i)
		}
		for _, v := range s.c.ProductVariant.CreateBulk(mk...).SaveX(s.sys) {
			s.cache.bulk = append(s.cache.bulk, v.ID)
		}
	}
	return s.cache.bulk[:n]
}

// service returns a cart service with rules that announces to s.pub.
func (s *shop) service(rules pricing.Rules) *cart.Service {
	return cart.New(s.c, rules, s.pub)
}

// customer returns the ID of the customer account with email, made on
// first use.
func (s *shop) customer(email string) int {
	s.t.Helper()
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	if id, ok := s.cache.customers[email]; ok {
		return id
	}
	id := s.c.Customer.Create().SetEmail(email).SetPasswordHash("x").SaveX(s.sys).ID
	s.cache.customers[email] = id
	return id
}

// code makes a discount code; edit may set more of it.
func (s *shop) code(code string, kind discountcode.Kind, value int64, edit ...func(*ent.DiscountCodeCreate)) *ent.DiscountCode {
	s.t.Helper()
	q := s.c.DiscountCode.Create().SetCode(code).SetKind(kind).SetValue(value)
	for _, f := range edit {
		f(q)
	}
	return q.SaveX(s.sys)
}

// guest is the context of an anonymous shopper's request.
func guest(t *testing.T) context.Context {
	return viewer.NewContext(t.Context(), viewer.Viewer{ClientIP: "192.0.2.1"})
}

// as is the context of a signed-in customer's request.
func as(t *testing.T, customerID int) context.Context {
	return viewer.NewContext(t.Context(), viewer.Viewer{CustomerID: customerID, Role: viewer.Customer, ClientIP: "192.0.2.2"})
}

// state is what a cart holds, read as the system.
type state struct {
	Version  int
	Status   entcart.Status
	Customer int // 0: a guest cart
	Code     string
	Lines    map[int]int // variant ID -> quantity
}

func (s *shop) state(cartID int) state {
	s.t.Helper()
	c := s.c.Cart.GetX(s.sys, cartID)
	st := state{Version: c.Version, Status: c.Status, Lines: map[int]int{}}
	if c.CustomerID != nil {
		st.Customer = *c.CustomerID
	}
	if c.DiscountCode != nil {
		st.Code = *c.DiscountCode
	}
	for _, l := range s.c.CartLine.Query().Where(cartline.CartID(cartID)).AllX(s.sys) {
		st.Lines[l.VariantID] = l.Quantity
	}
	return st
}

func (st state) String() string {
	keys := slices.Sorted(maps.Keys(st.Lines))
	var b strings.Builder
	fmt.Fprintf(&b, "version %d %s customer %d code %q lines [", st.Version, st.Status, st.Customer, st.Code)
	for _, k := range keys {
		fmt.Fprintf(&b, " %d:%d", k, st.Lines[k])
	}
	b.WriteString(" ]")
	return b.String()
}

func (st state) equal(o state) bool {
	return st.Version == o.Version && st.Status == o.Status && st.Customer == o.Customer &&
		st.Code == o.Code && maps.Equal(st.Lines, o.Lines)
}

// lineID returns the ID of the cart's line of a variant.
func (s *shop) lineID(cartID, variantID int) int {
	s.t.Helper()
	return s.c.CartLine.Query().Where(cartline.CartID(cartID), cartline.VariantID(variantID)).OnlyIDX(s.sys)
}

// counts returns the numbers of carts and cart lines in the database.
func (s *shop) counts() (carts, lines int) {
	return s.c.Cart.Query().CountX(s.sys), s.c.CartLine.Query().CountX(s.sys)
}

// newCart creates a guest cart (or, with a customer context, theirs) with
// lines, failing the test on an error.
func newCart(t *testing.T, svc *cart.Service, ctx context.Context, lines ...cart.LineInput) int {
	t.Helper()
	res, err := svc.Create(ctx, lines)
	if err != nil {
		t.Fatalf("create a cart: %v", err)
	}
	return res.Cart.ID
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

// recorder is a Publisher that remembers the carts announced.
type recorder struct {
	mu    sync.Mutex
	carts []int
}

func (r *recorder) PublishCart(id int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.carts = append(r.carts, id)
}

// take returns the carts announced since the last take.
func (r *recorder) take() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.carts
	r.carts = nil
	return out
}

// past and future are times around now for discount windows.
func past() time.Time   { return time.Now().Add(-time.Hour) }
func future() time.Time { return time.Now().Add(time.Hour) }

func ptr[T any](v T) *T { return &v }

// The codes of cart warnings.
const (
	notEnough  = string(commerce.NotEnoughStock)
	outOfStock = string(commerce.OutOfStock)
)
