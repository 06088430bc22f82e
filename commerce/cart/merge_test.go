package cart_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"storefront/commerce"
	"storefront/commerce/cart"
	"storefront/commerce/pricing"
	"storefront/database"
	"storefront/database/dbtest"
	entcart "storefront/ent/cart"
)

// TestMergeGuestCart runs the merge of a guest cart on sign-in on one
// shop per database: what merges, into which cart, and what is refused.
func TestMergeGuestCart(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		s := newShop(t, db)
		t.Run("lines", func(t *testing.T) { testMergeLines(t, s.on(t)) })
		t.Run("target", func(t *testing.T) { testMergeTarget(t, s.on(t)) })
		t.Run("refused", func(t *testing.T) { testMergeRefused(t, s.on(t)) })
	})
}

// testMergeLines: on sign-in, a guest cart moves into the customer's
// newest open cart, which survives: the quantities of a variant in both
// are summed and held to what is available (never below what the
// customer's cart already held) and to 999, a guest line of a sold-out
// variant is dropped, each held-back line with a NOT_ENOUGH_STOCK warning;
// both carts' versions go up by one, the guest cart is closed (MERGED) and
// takes no more changes, and both carts are announced. A customer without
// an open cart adopts the guest cart as it is.
func testMergeLines(t *testing.T, s *shop) {
	svc := s.service(pricing.Rules{})
	type w struct {
		variant, available int
		code               string // NOT_ENOUGH_STOCK when empty
	}
	type tc struct {
		name  string
		mine  map[int]int // the customer's open cart (nil: none)
		guest map[int]int
		want  map[int]int // the surviving cart's lines
		warn  []w         // warnings
	}
	cases := []tc{
		{name: "no customer cart: the guest cart is adopted as it is",
			guest: map[int]int{s.small: 9, s.mug: 1}, want: map[int]int{s.small: 9, s.mug: 1}},
		{name: "different variants are added",
			mine: map[int]int{s.large: 1}, guest: map[int]int{s.pen: 2, s.coin: 3},
			want: map[int]int{s.large: 1, s.pen: 2, s.coin: 3}},
		{name: "the same variant is summed",
			mine: map[int]int{s.large: 2, s.pen: 1}, guest: map[int]int{s.large: 3},
			want: map[int]int{s.large: 5, s.pen: 1}},
		{name: "a sum beyond what is available is held to it",
			mine: map[int]int{s.small: 3, s.large: 1}, guest: map[int]int{s.small: 2, s.large: 4},
			want: map[int]int{s.small: 4, s.large: 5}, warn: []w{{s.small, 4, ""}}},
		{name: "a new guest line beyond what is available is held to it",
			mine: map[int]int{s.large: 1}, guest: map[int]int{s.small: 9},
			want: map[int]int{s.large: 1, s.small: 4}, warn: []w{{s.small, 4, ""}}},
		{name: "a guest line of a sold-out variant is dropped",
			mine: map[int]int{s.large: 1}, guest: map[int]int{s.mug: 2, s.pen: 1},
			want: map[int]int{s.large: 1, s.pen: 1}, warn: []w{{s.mug, 0, ""}}},
		{name: "the customer's own lines are not cut to what is available",
			mine: map[int]int{s.small: 6, s.mug: 1}, guest: map[int]int{s.large: 1},
			want: map[int]int{s.small: 6, s.mug: 1, s.large: 1}},
		{name: "a sum beyond 999 is held to 999",
			mine: map[int]int{s.large: 600}, guest: map[int]int{s.large: 600},
			want: map[int]int{s.large: 999}, warn: []w{{s.large, 5000, string(commerce.LineLimit)}}},
		{name: "guest units left out when the customer's line already holds all there is",
			mine: map[int]int{s.small: 5}, guest: map[int]int{s.small: 2},
			want: map[int]int{s.small: 5}, warn: []w{{s.small, 4, ""}}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := s.on(t)
			me := s.customer(fmt.Sprintf("merge%d@example.com", i))
			ctx := as(t, me)
			var mine int
			if c.mine != nil {
				mine = newCart(t, svc, ctx, lines(c.mine)...)
			}
			g := newCart(t, svc, guest(t), lines(c.guest)...)
			s.pub.take()

			res, err := svc.MergeGuestCart(ctx, g)
			if err != nil {
				t.Fatal(err)
			}
			if c.mine == nil {
				// Adopted: the guest cart becomes the customer's.
				want := state{Version: 2, Status: entcart.StatusACTIVE, Customer: me, Lines: c.want}
				if got := s.state(g); res.Cart.ID != g || !got.equal(want) {
					t.Fatalf("adopted cart %d: %v, want cart %d %v", res.Cart.ID, got, g, want)
				}
				if p := s.pub.take(); !slices.Equal(p, []int{g}) {
					t.Fatalf("announced %v, want [%d]", p, g)
				}
			} else {
				want := state{Version: 2, Status: entcart.StatusACTIVE, Customer: me, Lines: c.want}
				if got := s.state(mine); res.Cart.ID != mine || !got.equal(want) {
					t.Fatalf("merged into cart %d: %v, want cart %d %v", res.Cart.ID, got, mine, want)
				}
				closed := state{Version: 2, Status: entcart.StatusMERGED, Lines: c.guest}
				if got := s.state(g); !got.equal(closed) {
					t.Fatalf("guest cart after the merge: %v, want %v", got, closed)
				}
				if p := s.pub.take(); !slices.Equal(slices.Sorted(slices.Values(p)), slices.Sorted(slices.Values([]int{g, mine}))) {
					t.Fatalf("announced %v, want %d and %d", p, g, mine)
				}
				// The guest cart is closed for good.
				_, err := svc.AddLines(guest(t), g, []cart.LineInput{{s.pen, 1}}, nil)
				wantError(t, err, commerce.Conflict, nil, "start a new cart")
			}
			if res.Cart.Version != 2 || res.Cart.CustomerID == nil || *res.Cart.CustomerID != me {
				t.Fatalf("returned cart %+v", res.Cart)
			}
			var got []w
			for _, x := range res.Warnings {
				code := x.Code
				if code == notEnough {
					code = ""
				}
				got = append(got, w{x.VariantID, x.AvailableQuantity, code})
			}
			if !slices.Equal(got, c.warn) {
				t.Fatalf("warnings %+v, want %+v", res.Warnings, c.warn)
			}
			// The customer's cart is now the surviving one.
			if vc, err := svc.ViewerCart(ctx); err != nil || vc == nil || vc.ID != res.Cart.ID {
				t.Fatalf("ViewerCart = %v, %v; want %d", vc, err, res.Cart.ID)
			}
		})
	}
}

// testMergeTarget: the guest cart goes into the customer's newest
// open cart, not an older one nor a checked-out one; merging the
// customer's own only cart adopts it; a guest line beyond the 100-line
// limit is not added.
func testMergeTarget(t *testing.T, s *shop) {
	svc := s.service(pricing.Rules{})

	t.Run("the newest open cart", func(t *testing.T) {
		s := s.on(t)
		me := s.customer("newest@example.com")
		ctx := as(t, me)
		old := newCart(t, svc, ctx, cart.LineInput{VariantID: s.pen, Quantity: 1})
		newer := newCart(t, svc, ctx, cart.LineInput{VariantID: s.coin, Quantity: 1})
		done := newCart(t, svc, ctx, cart.LineInput{VariantID: s.large, Quantity: 1})
		s.c.Cart.UpdateOneID(old).SetUpdatedAt(time.Now().Add(-2 * time.Hour)).ExecX(s.sys)
		s.c.Cart.UpdateOneID(newer).SetUpdatedAt(time.Now().Add(-time.Hour)).ExecX(s.sys)
		s.c.Cart.UpdateOneID(done).SetStatus(entcart.StatusCOMPLETED).ExecX(s.sys)
		oldBefore, doneBefore := s.state(old), s.state(done)
		g := newCart(t, svc, guest(t), cart.LineInput{VariantID: s.large, Quantity: 2})
		res, err := svc.MergeGuestCart(ctx, g)
		if err != nil {
			t.Fatal(err)
		}
		if res.Cart.ID != newer {
			t.Fatalf("merged into %d, want the newest open cart %d (old %d, completed %d)", res.Cart.ID, newer, old, done)
		}
		if got := s.state(newer); !got.equal(state{Version: 2, Status: entcart.StatusACTIVE, Customer: me, Lines: map[int]int{s.coin: 1, s.large: 2}}) {
			t.Fatalf("newest cart %v", got)
		}
		if got := s.state(old); !got.equal(oldBefore) {
			t.Fatalf("the older cart changed: %v", got)
		}
		if got := s.state(done); !got.equal(doneBefore) {
			t.Fatalf("the completed cart changed: %v", got)
		}
	})

	t.Run("only a checked-out cart: adopt", func(t *testing.T) {
		s := s.on(t)
		me := s.customer("checkedout@example.com")
		ctx := as(t, me)
		done := newCart(t, svc, ctx, cart.LineInput{VariantID: s.large, Quantity: 1})
		s.c.Cart.UpdateOneID(done).SetStatus(entcart.StatusCOMPLETED).ExecX(s.sys)
		g := newCart(t, svc, guest(t), cart.LineInput{VariantID: s.pen, Quantity: 2})
		res, err := svc.MergeGuestCart(ctx, g)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.state(g); res.Cart.ID != g || !got.equal(state{Version: 2, Status: entcart.StatusACTIVE, Customer: me, Lines: map[int]int{s.pen: 2}}) {
			t.Fatalf("cart %d: %v", res.Cart.ID, got)
		}
	})

	t.Run("one's own cart", func(t *testing.T) {
		s := s.on(t)
		me := s.customer("own@example.com")
		ctx := as(t, me)
		mine := newCart(t, svc, ctx, cart.LineInput{VariantID: s.pen, Quantity: 2})
		res, err := svc.MergeGuestCart(ctx, mine)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.state(mine); res.Cart.ID != mine || !got.equal(state{Version: 2, Status: entcart.StatusACTIVE, Customer: me, Lines: map[int]int{s.pen: 2}}) {
			t.Fatalf("cart %d: %v", res.Cart.ID, got)
		}
	})

	t.Run("the line limit", func(t *testing.T) {
		s := s.on(t)
		me := s.customer("full@example.com")
		ctx := as(t, me)
		bulk := s.bulk(cart.MaxLines)
		full := map[int]int{}
		for _, id := range bulk {
			full[id] = 1
		}
		mine := newCart(t, svc, ctx, lines(full)...)
		g := newCart(t, svc, guest(t), cart.LineInput{VariantID: s.large, Quantity: 1})
		res, err := svc.MergeGuestCart(ctx, g)
		if err != nil {
			t.Fatal(err)
		}
		// The customer's cart keeps its 100 lines and no more, the
		// dropped line is told (LINE_LIMIT), and the guest cart is closed.
		if got := s.state(mine); res.Cart.ID != mine || len(got.Lines) != cart.MaxLines || got.Lines[s.large] != 0 || got.Version != 2 {
			t.Fatalf("cart %d: version %d, %d lines (large: %d)", res.Cart.ID, got.Version, len(got.Lines), got.Lines[s.large])
		}
		if len(res.Warnings) != 1 || res.Warnings[0].Code != string(commerce.LineLimit) || res.Warnings[0].VariantID != s.large {
			t.Fatalf("warnings %+v, want one LINE_LIMIT for the large shirt", res.Warnings)
		}
		if got := s.state(g).Status; got != entcart.StatusMERGED {
			t.Fatalf("guest cart is %s", got)
		}
	})
}

// testMergeRefused: merging needs a signed-in customer, an open
// cart, and a guest cart (or one's own): otherwise it is refused with the
// right code and neither cart changes.
func testMergeRefused(t *testing.T, s *shop) {
	svc := s.service(pricing.Rules{})
	alice, bob := s.customer("alice@example.com"), s.customer("bob@example.com")
	alicesCart := newCart(t, svc, as(t, alice), cart.LineInput{VariantID: s.pen, Quantity: 1})
	bobsCart := newCart(t, svc, as(t, bob), cart.LineInput{VariantID: s.coin, Quantity: 1})
	g := newCart(t, svc, guest(t), cart.LineInput{VariantID: s.large, Quantity: 1})
	merged := newCart(t, svc, guest(t), cart.LineInput{VariantID: s.large, Quantity: 1})
	if _, err := svc.MergeGuestCart(as(t, bob), merged); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		ctx   context.Context
		cart  int
		code  commerce.Code
		field []string
		msg   string
	}{
		{"anonymous", guest(t), g, commerce.Unauthenticated, nil, "sign in"},
		{"another customer's cart", as(t, alice), bobsCart, commerce.NotFound, []string{"cartId"}, "no such cart"},
		{"an unknown cart", as(t, alice), -1, commerce.NotFound, []string{"cartId"}, "no such cart"},
		{"a cart merged already", as(t, alice), merged, commerce.Conflict, nil, "start a new cart"},
		{"a cart merged already, by its merger", as(t, bob), merged, commerce.Conflict, nil, "start a new cart"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := s.on(t)
			before := map[int]state{}
			for _, id := range []int{alicesCart, bobsCart, g, merged} {
				before[id] = s.state(id)
			}
			_, err := svc.MergeGuestCart(c.ctx, c.cart)
			wantError(t, err, c.code, c.field, c.msg)
			for id, st := range before {
				if got := s.state(id); !got.equal(st) {
					t.Fatalf("cart %d changed: %v, was %v", id, got, st)
				}
			}
		})
	}
}

// lines turns a map of variant quantities into line inputs, in variant
// order.
func lines(m map[int]int) []cart.LineInput {
	var out []cart.LineInput
	for _, v := range slices.Sorted(maps.Keys(m)) {
		out = append(out, cart.LineInput{VariantID: v, Quantity: m[v]})
	}
	return out
}
