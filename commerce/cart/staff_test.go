package cart_test

import (
	"testing"

	"storefront/commerce"
	"storefront/commerce/cart"
	"storefront/commerce/pricing"
	"storefront/commerce/viewer"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent/product"
)

// TestStaffCannotBuyWhatIsNotForSale: staff see DRAFT and ARCHIVED
// products, but a cart (theirs too) takes only variants of ACTIVE ones, and
// a line whose product stopped being ACTIVE costs nothing and is shown as
// no longer for sale, to staff as to shoppers.
func TestStaffCannotBuyWhatIsNotForSale(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		s := newShop(t, db)
		svc := s.service(pricing.Rules{})
		staffID := s.c.Customer.Create().SetEmail("boss@example.com").SetPasswordHash("x").SetRole("STAFF").SaveX(s.sys).ID
		staff := viewer.NewContext(t.Context(), viewer.Viewer{CustomerID: staffID, Role: viewer.Staff, ClientIP: "192.0.2.3"})
		for _, v := range []int{s.draft, s.archived} {
			_, err := svc.Create(staff, []cart.LineInput{{VariantID: v, Quantity: 1}})
			wantError(t, err, commerce.Invalid, []string{"input", "lines", "0", "variantId"}, "not for sale")
		}
		id := newCart(t, svc, staff, cart.LineInput{VariantID: s.small, Quantity: 1}, cart.LineInput{VariantID: s.pen, Quantity: 2})
		// The shirt is withdrawn while it sits in the cart.
		shirt := s.c.ProductVariant.GetX(s.sys, s.small).ProductID
		s.c.Product.UpdateOneID(shirt).SetStatus(product.StatusDRAFT).ExecX(s.sys)
		p, err := svc.Price(staff, s.c.Cart.GetX(s.sys, id))
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Lines) != 2 || p.Lines[0].Variant != nil || p.Lines[0].Total != 0 || p.Cost.Subtotal != 2*pricePen {
			t.Fatalf("priced for staff after the shirt was withdrawn: lines %+v, subtotal %d; want the shirt not for sale and %d", p.Lines, p.Cost.Subtotal, 2*pricePen)
		}
	})
}

// TestMergeAfterSignIn: on an anonymous request that has just signed a
// customer in, the guest cart is merged as that customer and priced as
// them.
func TestMergeAfterSignIn(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		s := newShop(t, db)
		svc := s.service(pricing.Rules{})
		me := s.customer("signin@example.com")
		g := newCart(t, svc, guest(t), cart.LineInput{VariantID: s.pen, Quantity: 3})
		res, priced, err := svc.MergeAfterSignIn(guest(t), viewer.Viewer{CustomerID: me, Role: viewer.Customer}, g)
		if err != nil {
			t.Fatal(err)
		}
		if res.Cart.CustomerID == nil || *res.Cart.CustomerID != me || priced.Cost.Subtotal != 3*pricePen || len(priced.Lines) != 1 {
			t.Fatalf("merged cart %+v, priced %+v; want the customer's, 3 pens", res.Cart, priced.Cost)
		}
		// A cart that is not there: the merge's error, nothing priced.
		if res, priced, err := svc.MergeAfterSignIn(guest(t), viewer.Viewer{CustomerID: me, Role: viewer.Customer}, g+1000); err == nil || res != nil || priced != nil {
			t.Fatalf("unknown guest cart: %v %v %v", res, priced, err)
		}
	})
}
