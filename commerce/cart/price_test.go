package cart_test

import (
	"reflect"
	"slices"
	"testing"

	"storefront/commerce/access"
	"storefront/commerce/cart"
	"storefront/commerce/pricing"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent"
	"storefront/ent/discountcode"
	"storefront/ent/product"
	"storefront/ent/productvariant"
)

// TestPrice prices carts through the cart service on one shop per
// database: the pricing rules, then changes of the catalogue.
func TestPrice(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		s := newShop(t, db)
		t.Run("rules", func(t *testing.T) { testPriceRules(t, s.on(t)) })
		t.Run("catalogue changes", func(t *testing.T) { testPriceFollowsCatalogue(t, s.on(t)) })
	})
}

// testPriceRules prices carts through the cart service, from the stored
// variants and discount codes: line totals, subtotal, percentage
// (round half up) and fixed (capped) discounts, a minimum subtotal,
// flat shipping and free shipping from a threshold reached after the
// discount, tax in basis points on the discounted subtotal plus shipping
// (round half up), and an expired code on the cart left out. Every
// amount is integer minor units, worked out by hand below.
func testPriceRules(t *testing.T, s *shop) {
	pct, fixed := discountcode.KindPERCENTAGE, discountcode.KindFIXED_AMOUNT
	s.code("TEN", pct, 1000)
	s.code("PCT15", pct, 1500)
	s.code("HALF", pct, 5000)
	s.code("FIVE", fixed, 500)
	s.code("BIG", fixed, 100000)
	s.code("MIN50", pct, 1000, func(d *ent.DiscountCodeCreate) { d.SetMinSubtotal(5000) })
	// OLD expired after it was put on the cart (set below, as applying
	// it now is refused).
	s.code("OLD", pct, 1000, func(d *ent.DiscountCodeCreate) { d.SetEndsAt(past()) })
	// The shop's rules: 4.99 shipping, free from 50.00, 23% tax.
	shop := pricing.Rules{ShippingFlat: 499, FreeShippingOver: 5000, TaxRateBasisPoints: 2300}

	type line struct{ variant, qty int }
	cases := []struct {
		name     string
		rules    pricing.Rules
		lines    []line
		code     string
		want     pricing.Cost
		discount string // the code Price applies ("" none)
	}{
		{name: "an empty cart costs nothing, not even shipping", rules: shop,
			want: pricing.Cost{LineTotals: []int64{}}},
		{name: "one line: flat shipping, tax rounded down",
			rules: shop, lines: []line{{s.small, 2}},
			// 3998 + 499 = 4497; 23% = 1034.31
			want: pricing.Cost{LineTotals: []int64{3998}, Subtotal: 3998, Shipping: 499, Tax: 1034, Total: 5531}},
		{name: "three lines just under the threshold: tax rounded up",
			rules: shop, lines: []line{{s.small, 1}, {s.large, 1}, {s.coin, 1}},
			// 1999 + 2500 + 5 = 4504 + 499 = 5003; 23% = 1150.69
			want: pricing.Cost{LineTotals: []int64{1999, 2500, 5}, Subtotal: 4504, Shipping: 499, Tax: 1151, Total: 6154}},
		{name: "free shipping at the threshold exactly",
			rules: shop, lines: []line{{s.large, 2}},
			// 5000 >= 5000: no shipping; 23% = 1150
			want: pricing.Cost{LineTotals: []int64{5000}, Subtotal: 5000, Tax: 1150, Total: 6150}},
		{name: "the threshold counts after the discount",
			rules: shop, lines: []line{{s.large, 2}}, code: "TEN", discount: "TEN",
			// 5000 - 500 = 4500 < 5000: shipping; 4999 * 23% = 1149.77
			want: pricing.Cost{LineTotals: []int64{5000}, Subtotal: 5000, Discount: 500, Shipping: 499, Tax: 1150, Total: 6149, DiscountApplied: true}},
		{name: "a minimum subtotal reached",
			rules: shop, lines: []line{{s.large, 2}}, code: "MIN50", discount: "MIN50",
			want: pricing.Cost{LineTotals: []int64{5000}, Subtotal: 5000, Discount: 500, Shipping: 499, Tax: 1150, Total: 6149, DiscountApplied: true}},
		{name: "a minimum subtotal not reached: the code stays, nothing off",
			rules: shop, lines: []line{{s.small, 1}}, code: "MIN50", discount: "MIN50",
			// 1999 + 499 = 2498; 23% = 574.54
			want: pricing.Cost{LineTotals: []int64{1999}, Subtotal: 1999, Shipping: 499, Tax: 575, Total: 3073}},
		{name: "an expired code on the cart is left out",
			rules: shop, lines: []line{{s.small, 1}}, code: "OLD",
			want: pricing.Cost{LineTotals: []int64{1999}, Subtotal: 1999, Shipping: 499, Tax: 575, Total: 3073}},
		{name: "15% of 3.33 is 0.50 (49.95 rounds up)",
			lines: []line{{s.pen, 1}}, code: "PCT15", discount: "PCT15",
			want: pricing.Cost{LineTotals: []int64{333}, Subtotal: 333, Discount: 50, Total: 283, DiscountApplied: true}},
		{name: "an exact half rounds up: 50% of 0.05 is 0.03",
			lines: []line{{s.coin, 1}}, code: "HALF", discount: "HALF",
			want: pricing.Cost{LineTotals: []int64{5}, Subtotal: 5, Discount: 3, Total: 2, DiscountApplied: true}},
		{name: "a fixed discount",
			rules: shop, lines: []line{{s.pen, 3}}, code: "FIVE", discount: "FIVE",
			// 999 - 500 = 499 + 499 = 998; 23% = 229.54
			want: pricing.Cost{LineTotals: []int64{999}, Subtotal: 999, Discount: 500, Shipping: 499, Tax: 230, Total: 1228, DiscountApplied: true}},
		{name: "a fixed discount never exceeds the subtotal; shipping is still charged and taxed",
			rules: shop, lines: []line{{s.small, 1}}, code: "BIG", discount: "BIG",
			// 1999 - 1999 = 0 + 499; 23% = 114.77
			want: pricing.Cost{LineTotals: []int64{1999}, Subtotal: 1999, Discount: 1999, Shipping: 499, Tax: 115, Total: 614, DiscountApplied: true}},
		{name: "tax: an exact half rounds up",
			rules: pricing.Rules{TaxRateBasisPoints: 1000}, lines: []line{{s.coin, 1}},
			// 5 * 10% = 0.5
			want: pricing.Cost{LineTotals: []int64{5}, Subtotal: 5, Tax: 1, Total: 6}},
		{name: "tax: below a half rounds down",
			rules: pricing.Rules{TaxRateBasisPoints: 1000}, lines: []line{{s.coin, 2}, {s.pen, 1}},
			// 343 * 10% = 34.3
			want: pricing.Cost{LineTotals: []int64{10, 333}, Subtotal: 343, Tax: 34, Total: 377}},
		{name: "no free shipping threshold: shipping on any amount",
			rules: pricing.Rules{ShippingFlat: 499}, lines: []line{{s.large, 40}},
			want: pricing.Cost{LineTotals: []int64{100000}, Subtotal: 100000, Shipping: 499, Total: 100499}},
		{name: "a sold-out variant is priced like any other",
			rules: pricing.Rules{ShippingFlat: 499}, lines: []line{{s.mug, 3}},
			want: pricing.Cost{LineTotals: []int64{1500}, Subtotal: 1500, Shipping: 499, Total: 1999}},
	}
	prices := map[int]int64{s.small: priceSmall, s.large: priceLarge, s.mug: priceMug, s.pen: pricePen, s.coin: priceCoin}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := s.on(t)
			svc := s.service(c.rules)
			// One operation, as the GraphQL handler runs it: the cart
			// named by Get is known to Price (cart.Price itself names
			// nothing; see the report).
			ctx := access.WithKnownIDs(guest(t))
			var in []cart.LineInput
			for _, l := range c.lines {
				in = append(in, cart.LineInput{VariantID: l.variant, Quantity: l.qty})
			}
			id := newCart(t, svc, ctx, in...)
			if c.code != "" {
				s.c.Cart.UpdateOneID(id).SetDiscountCode(c.code).ExecX(s.sys)
			}
			crt, err := svc.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			p, err := svc.Price(ctx, crt)
			if err != nil {
				t.Fatal(err)
			}
			got := p.Cost
			if !slices.Equal(got.LineTotals, c.want.LineTotals) || len(got.LineTotals) != len(c.want.LineTotals) {
				t.Fatalf("line totals %v, want %v", got.LineTotals, c.want.LineTotals)
			}
			got.LineTotals, c.want.LineTotals = nil, nil
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("cost %+v,\nwant %+v", got, c.want)
			}
			if got.Total != got.Subtotal-got.Discount+got.Shipping+got.Tax {
				t.Fatalf("total %d is not subtotal - discount + shipping + tax", got.Total)
			}
			if p.Currency != "USD" {
				t.Fatalf("currency %q", p.Currency)
			}
			switch {
			case c.discount == "" && p.Discount != nil:
				t.Fatalf("discount %s applied, want none", p.Discount.Code)
			case c.discount != "" && (p.Discount == nil || p.Discount.Code != c.discount):
				t.Fatalf("discount %v, want %s", p.Discount, c.discount)
			}
			// The priced lines, in the order they were added, at the
			// variants' prices.
			if len(p.Lines) != len(c.lines) {
				t.Fatalf("%d priced lines, want %d", len(p.Lines), len(c.lines))
			}
			for i, l := range p.Lines {
				w := c.lines[i]
				if l.Variant == nil || l.Variant.ID != w.variant || l.Line.Quantity != w.qty ||
					l.UnitPrice != prices[w.variant] || l.Total != prices[w.variant]*int64(w.qty) {
					t.Fatalf("line %d: %+v (unit %d, total %d), want %d x variant %d at %d", i, l.Line, l.UnitPrice, l.Total, w.qty, w.variant, prices[w.variant])
				}
			}
		})
	}
}

// testPriceFollowsCatalogue: a cart is priced at the variants' current
// prices, not those of when the lines were added; a line whose product is
// no longer for sale costs nothing (its Variant is nil, which checkout
// refuses) while the rest of the cart is priced as usual.
func testPriceFollowsCatalogue(t *testing.T, s *shop) {
	svc := s.service(pricing.Rules{ShippingFlat: 499, TaxRateBasisPoints: 1000})
	ctx := access.WithKnownIDs(guest(t))
	id := newCart(t, svc, ctx, cart.LineInput{VariantID: s.small, Quantity: 2}, cart.LineInput{VariantID: s.pen, Quantity: 1})
	price := func() *cart.Priced {
		t.Helper()
		c, err := svc.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		p, err := svc.Price(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// 3998 + 333 = 4331 + 499 = 4830; 10% = 483
	if p := price(); p.Cost.Subtotal != 4331 || p.Cost.Total != 5313 {
		t.Fatalf("before: %+v", p.Cost)
	}

	s.c.ProductVariant.UpdateOneID(s.small).SetPrice(2250).ExecX(s.sys)
	p := price()
	// 4500 + 333 = 4833 + 499 = 5332; 10% = 533.2
	if p.Lines[0].UnitPrice != 2250 || p.Lines[0].Total != 4500 || p.Cost.Subtotal != 4833 || p.Cost.Tax != 533 || p.Cost.Total != 5865 {
		t.Fatalf("after a price change: lines %+v %+v, cost %+v", p.Lines[0], p.Lines[1], p.Cost)
	}
	if v := s.state(id).Version; v != 1 {
		t.Fatalf("a price change moved the cart's version to %d", v)
	}

	// The pen's product is archived: shoppers no longer see it.
	penProduct := s.c.ProductVariant.Query().Where(productvariant.ID(s.pen)).QueryProduct().OnlyIDX(s.sys)
	s.c.Product.UpdateOneID(penProduct).SetStatus(product.StatusARCHIVED).ExecX(s.sys)
	p = price()
	if len(p.Lines) != 2 || p.Lines[1].Variant != nil || p.Lines[1].UnitPrice != 0 || p.Lines[1].Total != 0 || p.Lines[1].Line.Quantity != 1 {
		t.Fatalf("the archived line: %+v (variant %v)", p.Lines[1], p.Lines[1].Variant)
	}
	// 4500 + 499 = 4999; 10% = 499.9
	if p.Cost.Subtotal != 4500 || p.Cost.Tax != 500 || p.Cost.Total != 5499 || !slices.Equal(p.Cost.LineTotals, []int64{4500}) {
		t.Fatalf("cost without the archived line: %+v", p.Cost)
	}
}
