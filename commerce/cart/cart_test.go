package cart_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"storefront/auth/ratelimit"
	"storefront/commerce"
	"storefront/commerce/budget"
	"storefront/commerce/cart"
	"storefront/commerce/pricing"
	"storefront/commerce/viewer"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent"
	entcart "storefront/ent/cart"
	"storefront/ent/discountcode"
)

// TestLines runs the line operations on one shop per database: create,
// add, update and remove, and the stock warnings of changes.
func TestLines(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		s := newShop(t, db)
		t.Run("create", func(t *testing.T) { testCreate(t, s.on(t)) })
		t.Run("add", func(t *testing.T) { testAddLines(t, s.on(t)) })
		t.Run("update", func(t *testing.T) { testUpdateLines(t, s.on(t)) })
		t.Run("remove", func(t *testing.T) { testRemoveLines(t, s.on(t)) })
		t.Run("stock warnings", func(t *testing.T) { testStockWarnings(t, s.on(t)) })
	})
}

// testCreate: a cart is created with its lines (one line per variant,
// quantities of a repeated variant summed), at version 1, owned by the
// signed-in customer or by no one; bad lines are refused with a coded
// error on the line's field and create nothing at all.
func testCreate(t *testing.T, s *shop) {
	svc := s.service(pricing.Rules{})
	bulk := s.bulk(cart.MaxLines + 1)
	many := func(n int) []cart.LineInput {
		out := make([]cart.LineInput, n)
		for i := range out {
			out[i] = cart.LineInput{VariantID: bulk[i], Quantity: 1}
		}
		return out
	}
	alice := s.customer("alice@example.com")
	type tc struct {
		name  string
		ctx   context.Context
		lines []cart.LineInput
		// want: the lines of the created cart, or
		want map[int]int
		// the error.
		code  commerce.Code
		field []string
		msg   string
	}
	cases := []tc{
		{name: "no lines", ctx: guest(t), want: map[int]int{}},
		{name: "two variants", ctx: guest(t), lines: []cart.LineInput{{s.small, 2}, {s.large, 1}},
			want: map[int]int{s.small: 2, s.large: 1}},
		{name: "a variant twice is one line", ctx: guest(t), lines: []cart.LineInput{{s.small, 1}, {s.large, 1}, {s.small, 2}},
			want: map[int]int{s.small: 3, s.large: 1}},
		{name: "quantity 999", ctx: guest(t), lines: []cart.LineInput{{s.large, cart.MaxQuantity}},
			want: map[int]int{s.large: 999}},
		{name: "100 lines", ctx: guest(t), lines: many(cart.MaxLines), want: func() map[int]int {
			m := map[int]int{}
			for _, id := range bulk[:cart.MaxLines] {
				m[id] = 1
			}
			return m
		}()},
		{name: "a customer's cart", ctx: as(t, alice), lines: []cart.LineInput{{s.pen, 1}}, want: map[int]int{s.pen: 1}},

		{name: "quantity 0", ctx: guest(t), lines: []cart.LineInput{{s.small, 0}},
			code: commerce.Invalid, field: []string{"input", "lines", "0", "quantity"}, msg: "between 1 and 999"},
		{name: "quantity 1000", ctx: guest(t), lines: []cart.LineInput{{s.small, 1000}},
			code: commerce.Invalid, field: []string{"input", "lines", "0", "quantity"}, msg: "between 1 and 999"},
		{name: "negative quantity on the second line", ctx: guest(t), lines: []cart.LineInput{{s.small, 1}, {s.large, -1}},
			code: commerce.Invalid, field: []string{"input", "lines", "1", "quantity"}, msg: "between 1 and 999"},
		{name: "a variant twice, past 999 in all", ctx: guest(t), lines: []cart.LineInput{{s.large, 500}, {s.large, 500}},
			code: commerce.Invalid, field: []string{"input", "lines", "1", "quantity"}, msg: "at most 999"},
		{name: "a DRAFT product's variant", ctx: guest(t), lines: []cart.LineInput{{s.draft, 1}},
			code: commerce.Invalid, field: []string{"input", "lines", "0", "variantId"}, msg: "not for sale"},
		{name: "an ARCHIVED product's variant after a good line", ctx: guest(t), lines: []cart.LineInput{{s.small, 1}, {s.archived, 1}},
			code: commerce.Invalid, field: []string{"input", "lines", "1", "variantId"}, msg: "not for sale"},
		{name: "a DRAFT product's variant, signed in", ctx: as(t, alice), lines: []cart.LineInput{{s.draft, 1}},
			code: commerce.Invalid, field: []string{"input", "lines", "0", "variantId"}, msg: "not for sale"},
		{name: "an unknown variant", ctx: guest(t), lines: []cart.LineInput{{-5, 1}},
			code: commerce.Invalid, field: []string{"input", "lines", "0", "variantId"}, msg: "not for sale"},
		{name: "101 lines", ctx: guest(t), lines: many(cart.MaxLines + 1),
			code: commerce.Invalid, field: []string{"input", "lines"}, msg: "at most 100 lines"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := s.on(t)
			carts, lines := s.counts()
			res, err := svc.Create(c.ctx, c.lines)
			if c.code != "" {
				wantError(t, err, c.code, c.field, c.msg)
				if res != nil {
					t.Fatalf("a refused create returned a cart: %+v", res.Cart)
				}
				if n, m := s.counts(); n != carts || m != lines {
					t.Fatalf("%d carts and %d lines after a refused create, were %d and %d", n, m, carts, lines)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := state{Version: 1, Status: entcart.StatusACTIVE, Customer: customerOf(c.ctx), Lines: c.want}
			if got := s.state(res.Cart.ID); !got.equal(want) {
				t.Fatalf("created cart %v, want %v", got, want)
			}
			if res.Cart.Version != 1 || res.Cart.Status != entcart.StatusACTIVE {
				t.Fatalf("returned cart %+v", res.Cart)
			}
			// The new cart is the creator's to use (a guest's by its ID).
			if got, err := svc.Get(c.ctx, res.Cart.ID); err != nil || got.ID != res.Cart.ID {
				t.Fatalf("Get of the new cart = %v, %v", got, err)
			}
		})
	}
}

// testAddLines: adding a variant makes a line or adds to the variant's
// line; the bounds of a line (1..999) and of a cart (100 lines) hold, and a
// refused add, even one whose first lines were fine, changes nothing and
// announces nothing.
func testAddLines(t *testing.T, s *shop) {
	svc := s.service(pricing.Rules{})
	bulk := s.bulk(cart.MaxLines)
	many := func(n int) []cart.LineInput {
		out := make([]cart.LineInput, n)
		for i := range out {
			out[i] = cart.LineInput{VariantID: bulk[i], Quantity: 1}
		}
		return out
	}
	withBulk := func(n int, more map[int]int) map[int]int {
		for _, id := range bulk[:n] {
			more[id] = 1
		}
		return more
	}
	cases := []struct {
		name  string
		lines []cart.LineInput
		want  map[int]int // the lines after, or
		code  commerce.Code
		field []string
		msg   string
	}{
		{name: "a new variant", lines: []cart.LineInput{{s.large, 2}}, want: map[int]int{s.small: 1, s.large: 2}},
		{name: "the same variant adds up", lines: []cart.LineInput{{s.small, 2}}, want: map[int]int{s.small: 3}},
		{name: "up to 999 exactly", lines: []cart.LineInput{{s.small, 998}}, want: map[int]int{s.small: 999}},
		{name: "99 new lines make 100", lines: many(cart.MaxLines - 1), want: withBulk(cart.MaxLines-1, map[int]int{s.small: 1})},

		{name: "past 999 on a line", lines: []cart.LineInput{{s.small, 999}},
			code: commerce.Invalid, field: []string{"lines", "0", "quantity"}, msg: "at most 999 (it has 1)"},
		{name: "no lines", lines: nil,
			code: commerce.Invalid, field: []string{"lines"}, msg: "at least one line"},
		{name: "quantity 0", lines: []cart.LineInput{{s.large, 0}},
			code: commerce.Invalid, field: []string{"lines", "0", "quantity"}, msg: "between 1 and 999"},
		{name: "quantity 1000", lines: []cart.LineInput{{s.large, 1000}},
			code: commerce.Invalid, field: []string{"lines", "0", "quantity"}, msg: "between 1 and 999"},
		{name: "a DRAFT product's variant", lines: []cart.LineInput{{s.draft, 1}},
			code: commerce.Invalid, field: []string{"lines", "0", "variantId"}, msg: "not for sale"},
		{name: "a good line, then an ARCHIVED product's variant", lines: []cart.LineInput{{s.large, 1}, {s.archived, 1}},
			code: commerce.Invalid, field: []string{"lines", "1", "variantId"}, msg: "not for sale"},
		{name: "100 new lines to a cart of 1", lines: many(cart.MaxLines),
			code: commerce.Invalid, field: []string{"lines"}, msg: "at most 100 lines"},
		{name: "101 lines", lines: append(many(cart.MaxLines), cart.LineInput{VariantID: s.large, Quantity: 1}),
			code: commerce.Invalid, field: []string{"lines"}, msg: "at most 100 lines"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := s.on(t)
			ctx := guest(t)
			id := newCart(t, svc, ctx, cart.LineInput{VariantID: s.small, Quantity: 1})
			before := s.state(id)
			s.pub.take()
			res, err := svc.AddLines(ctx, id, c.lines, nil)
			if c.code != "" {
				wantError(t, err, c.code, c.field, c.msg)
				if got := s.state(id); !got.equal(before) {
					t.Fatalf("a refused add changed the cart: %v, was %v", got, before)
				}
				if p := s.pub.take(); len(p) != 0 {
					t.Fatalf("a refused add announced %v", p)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := state{Version: 2, Status: entcart.StatusACTIVE, Lines: c.want}
			if got := s.state(id); !got.equal(want) {
				t.Fatalf("cart %v, want %v", got, want)
			}
			if res.Cart.Version != 2 {
				t.Fatalf("returned version %d, want 2", res.Cart.Version)
			}
			if p := s.pub.take(); !slices.Equal(p, []int{id}) {
				t.Fatalf("announced %v, want [%d]", p, id)
			}
		})
	}
}

// testUpdateLines: quantities are set (not added), within 1..999; a line
// of another cart is not found; a refused update changes nothing.
func testUpdateLines(t *testing.T, s *shop) {
	svc := s.service(pricing.Rules{})
	ctx := guest(t)
	other := newCart(t, svc, guest(t), cart.LineInput{VariantID: s.small, Quantity: 1})
	otherLine := s.lineID(other, s.small)
	cases := []struct {
		name    string
		updates func(small, large int) []cart.LineUpdate
		want    map[int]int
		code    commerce.Code
		field   []string
		msg     string
	}{
		{name: "one line", updates: func(sm, _ int) []cart.LineUpdate { return []cart.LineUpdate{{sm, 3}} },
			want: map[int]int{s.small: 3, s.large: 1}},
		{name: "two lines", updates: func(sm, lg int) []cart.LineUpdate { return []cart.LineUpdate{{sm, 2}, {lg, 5}} },
			want: map[int]int{s.small: 2, s.large: 5}},
		{name: "down to 1, up to 999", updates: func(sm, lg int) []cart.LineUpdate { return []cart.LineUpdate{{sm, 1}, {lg, 999}} },
			want: map[int]int{s.small: 1, s.large: 999}},
		{name: "the last update of a line wins", updates: func(sm, _ int) []cart.LineUpdate { return []cart.LineUpdate{{sm, 7}, {sm, 4}} },
			want: map[int]int{s.small: 4, s.large: 1}},

		{name: "quantity 0", updates: func(sm, _ int) []cart.LineUpdate { return []cart.LineUpdate{{sm, 0}} },
			code: commerce.Invalid, field: []string{"lines", "0", "quantity"}, msg: "remove the line"},
		{name: "quantity 1000", updates: func(sm, _ int) []cart.LineUpdate { return []cart.LineUpdate{{sm, 1000}} },
			code: commerce.Invalid, field: []string{"lines", "0", "quantity"}, msg: "between 1 and 999"},
		{name: "a good update, then quantity -1", updates: func(sm, lg int) []cart.LineUpdate { return []cart.LineUpdate{{sm, 5}, {lg, -1}} },
			code: commerce.Invalid, field: []string{"lines", "1", "quantity"}, msg: "between 1 and 999"},
		{name: "a line of another cart", updates: func(sm, _ int) []cart.LineUpdate { return []cart.LineUpdate{{sm, 5}, {otherLine, 2}} },
			code: commerce.NotFound, field: []string{"lines", "1", "id"}, msg: "no such line"},
		{name: "an unknown line", updates: func(int, int) []cart.LineUpdate { return []cart.LineUpdate{{-1, 2}} },
			code: commerce.NotFound, field: []string{"lines", "0", "id"}, msg: "no such line"},
		{name: "no updates", updates: func(int, int) []cart.LineUpdate { return nil },
			code: commerce.Invalid, field: []string{"lines"}, msg: "1 to 100"},
		{name: "101 updates", updates: func(sm, _ int) []cart.LineUpdate {
			u := make([]cart.LineUpdate, cart.MaxLines+1)
			for i := range u {
				u[i] = cart.LineUpdate{LineID: sm, Quantity: 1}
			}
			return u
		}, code: commerce.Invalid, field: []string{"lines"}, msg: "1 to 100"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := s.on(t)
			id := newCart(t, svc, ctx, cart.LineInput{VariantID: s.small, Quantity: 1}, cart.LineInput{VariantID: s.large, Quantity: 1})
			before, otherBefore := s.state(id), s.state(other)
			_, err := svc.UpdateLines(ctx, id, c.updates(s.lineID(id, s.small), s.lineID(id, s.large)), nil)
			if got := s.state(other); !got.equal(otherBefore) {
				t.Fatalf("the other cart changed: %v, was %v", got, otherBefore)
			}
			if c.code != "" {
				wantError(t, err, c.code, c.field, c.msg)
				if got := s.state(id); !got.equal(before) {
					t.Fatalf("a refused update changed the cart: %v, was %v", got, before)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := state{Version: 2, Status: entcart.StatusACTIVE, Lines: c.want}
			if got := s.state(id); !got.equal(want) {
				t.Fatalf("cart %v, want %v", got, want)
			}
		})
	}
}

// testRemoveLines: lines go; the cart stays open when emptied; a line of
// another cart, or an unknown one, is not found and nothing is removed.
func testRemoveLines(t *testing.T, s *shop) {
	svc := s.service(pricing.Rules{})
	ctx := guest(t)
	other := newCart(t, svc, guest(t), cart.LineInput{VariantID: s.small, Quantity: 1})
	otherLine := s.lineID(other, s.small)
	cases := []struct {
		name  string
		ids   func(small, large int) []int
		want  map[int]int
		code  commerce.Code
		field []string
		msg   string
	}{
		{name: "one line", ids: func(sm, _ int) []int { return []int{sm} }, want: map[int]int{s.large: 1}},
		{name: "every line", ids: func(sm, lg int) []int { return []int{lg, sm} }, want: map[int]int{}},
		{name: "a line named twice", ids: func(sm, _ int) []int { return []int{sm, sm} }, want: map[int]int{s.large: 1}},

		{name: "a line of another cart", ids: func(sm, _ int) []int { return []int{sm, otherLine} },
			code: commerce.NotFound, field: []string{"lineIds"}, msg: "no such line"},
		{name: "an unknown line", ids: func(int, int) []int { return []int{-1} },
			code: commerce.NotFound, field: []string{"lineIds"}, msg: "no such line"},
		{name: "no lines", ids: func(int, int) []int { return nil },
			code: commerce.Invalid, field: []string{"lineIds"}, msg: "1 to 100"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := s.on(t)
			id := newCart(t, svc, ctx, cart.LineInput{VariantID: s.small, Quantity: 1}, cart.LineInput{VariantID: s.large, Quantity: 1})
			before, otherBefore := s.state(id), s.state(other)
			res, err := svc.RemoveLines(ctx, id, c.ids(s.lineID(id, s.small), s.lineID(id, s.large)), nil)
			if got := s.state(other); !got.equal(otherBefore) {
				t.Fatalf("the other cart changed: %v, was %v", got, otherBefore)
			}
			if c.code != "" {
				wantError(t, err, c.code, c.field, c.msg)
				if got := s.state(id); !got.equal(before) {
					t.Fatalf("a refused removal changed the cart: %v, was %v", got, before)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := state{Version: 2, Status: entcart.StatusACTIVE, Lines: c.want}
			if got := s.state(id); !got.equal(want) {
				t.Fatalf("cart %v, want %v", got, want)
			}
			if len(res.Warnings) != 0 {
				t.Fatalf("warnings on a removal: %+v", res.Warnings)
			}
		})
	}
}

// TestVersions: every change adds one to the version; a change sent with
// another version than the cart's is a CONFLICT on expectedVersion that
// says the current version and changes nothing; a closed cart refuses
// every change; a cart the viewer may not see is not found; of two
// changes sent at once with the same version, one wins.
func TestVersions(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		s := newShop(t, db)
		s.code("TEN", discountcode.KindPERCENTAGE, 1000)
		svc := s.service(pricing.Rules{})
		ctx := guest(t)
		id := newCart(t, svc, ctx, cart.LineInput{VariantID: s.small, Quantity: 1})

		// The changes, each given the version to send.
		changes := []struct {
			name string
			do   func(ver *int) (*cart.Result, error)
		}{
			{"add", func(ver *int) (*cart.Result, error) {
				return svc.AddLines(ctx, id, []cart.LineInput{{s.large, 1}}, ver)
			}},
			{"update", func(ver *int) (*cart.Result, error) {
				return svc.UpdateLines(ctx, id, []cart.LineUpdate{{s.lineID(id, s.large), 2}}, ver)
			}},
			{"discount", func(ver *int) (*cart.Result, error) { return svc.ApplyDiscountCode(ctx, id, "TEN", ver) }},
			{"remove discount", func(ver *int) (*cart.Result, error) { return svc.ApplyDiscountCode(ctx, id, "", ver) }},
			{"remove", func(ver *int) (*cart.Result, error) {
				return svc.RemoveLines(ctx, id, []int{s.lineID(id, s.large)}, ver)
			}},
		}
		version := 1
		for _, ch := range changes {
			for _, stale := range []int{version - 1, version + 1, 0} {
				before := s.state(id)
				_, err := ch.do(&stale)
				wantError(t, err, commerce.Conflict, []string{"expectedVersion"}, fmt.Sprintf("now version %d", version))
				if got := s.state(id); !got.equal(before) {
					t.Fatalf("%s with version %d changed the cart: %v, was %v", ch.name, stale, got, before)
				}
			}
			res, err := ch.do(ptr(version))
			if err != nil {
				t.Fatalf("%s with the current version %d: %v", ch.name, version, err)
			}
			version++
			if res.Cart.Version != version || s.state(id).Version != version {
				t.Fatalf("%s: version %d (stored %d), want %d", ch.name, res.Cart.Version, s.state(id).Version, version)
			}
		}
		// Without an expected version a change always goes through.
		if res, err := svc.AddLines(ctx, id, []cart.LineInput{{s.pen, 1}}, nil); err != nil || res.Cart.Version != version+1 {
			t.Fatalf("add without a version: %v, %v", res, err)
		}
		version++

		// Not found: an unknown cart, or one the viewer may not see.
		alice, bob := s.customer("alice@example.com"), s.customer("bob@example.com")
		mine := newCart(t, svc, as(t, alice), cart.LineInput{VariantID: s.small, Quantity: 1})
		for _, c := range []struct {
			name string
			ctx  context.Context
			cart int
		}{
			{"an unknown cart", ctx, -1},
			{"another customer's cart", as(t, bob), mine},
			{"a customer's cart, as a guest", guest(t), mine},
		} {
			before := s.state(mine)
			_, err := svc.AddLines(c.ctx, c.cart, []cart.LineInput{{s.large, 1}}, nil)
			wantError(t, err, commerce.NotFound, []string{"cartId"}, "no such cart")
			if _, err := svc.Get(c.ctx, c.cart); commerce.ErrorCode(err) != commerce.NotFound {
				t.Fatalf("%s: Get = %v, want NOT_FOUND", c.name, err)
			}
			if got := s.state(mine); !got.equal(before) {
				t.Fatalf("%s changed the cart: %v", c.name, got)
			}
		}

		// A closed cart (checked out or merged) takes no change.
		for _, st := range []entcart.Status{entcart.StatusCOMPLETED, entcart.StatusMERGED} {
			closed := newCart(t, svc, ctx, cart.LineInput{VariantID: s.small, Quantity: 1})
			s.c.Cart.UpdateOneID(closed).SetStatus(st).ExecX(s.sys)
			before := s.state(closed)
			_, err := svc.AddLines(ctx, closed, []cart.LineInput{{s.large, 1}}, ptr(before.Version))
			wantError(t, err, commerce.Conflict, nil, "start a new cart")
			_, err = svc.ApplyDiscountCode(ctx, closed, "TEN", nil)
			wantError(t, err, commerce.Conflict, nil, "start a new cart")
			if got := s.state(closed); !got.equal(before) {
				t.Fatalf("a %s cart changed: %v, was %v", st, got, before)
			}
		}

		// Two devices change the cart at once with the version they both
		// saw: exactly one change is made.
		for round := range 5 {
			base := s.state(id).Version
			var wg sync.WaitGroup
			errs := make([]error, 2)
			start := make(chan struct{})
			for i, v := range []int{s.coin, s.mug} {
				wg.Go(func() {
					<-start
					_, errs[i] = svc.AddLines(ctx, id, []cart.LineInput{{v, 1}}, &base)
				})
			}
			close(start)
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case commerce.ErrorCode(err) != commerce.Conflict:
					t.Fatalf("round %d: %v, want success or CONFLICT", round, err)
				}
			}
			if ok != 1 {
				t.Fatalf("round %d: %d of two concurrent changes with version %d succeeded (%v), want 1", round, ok, base, errs)
			}
			if got := s.state(id).Version; got != base+1 {
				t.Fatalf("round %d: version %d, want %d", round, got, base+1)
			}
			// Undo the winner for the next round.
			st := s.state(id)
			for _, v := range []int{s.coin, s.mug} {
				if _, in := st.Lines[v]; in {
					if _, err := svc.RemoveLines(ctx, id, []int{s.lineID(id, v)}, nil); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	})
}

// testStockWarnings: a change that leaves a touched variant with more in
// the cart than is available is made, with a NOT_ENOUGH_STOCK warning
// (OUT_OF_STOCK when none is available) that names the variant and what
// is available (on hand less reserved, over warehouses); variants the
// change did not touch are not warned about.
func testStockWarnings(t *testing.T, s *shop) {
	svc := s.service(pricing.Rules{})
	ctx := guest(t)
	type w struct {
		code      string
		variant   int
		available int
	}
	check := func(what string, res *cart.Result, err error, want ...w) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		var got []w
		for _, x := range res.Warnings {
			got = append(got, w{x.Code, x.VariantID, x.AvailableQuantity})
			if x.Message == "" {
				t.Errorf("%s: warning without a message: %+v", what, x)
			}
		}
		sortW := func(a, b w) int { return a.variant - b.variant }
		slices.SortFunc(got, sortW)
		slices.SortFunc(want, sortW)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: warnings %+v, want %+v", what, got, want)
		}
	}

	res, err := svc.Create(ctx, []cart.LineInput{{s.small, 4}})
	check("4 of 4 available", res, err)
	id := res.Cart.ID
	res, err = svc.AddLines(ctx, id, []cart.LineInput{{s.small, 1}}, nil)
	check("5 of 4 available", res, err, w{notEnough, s.small, 4})
	if got := s.state(id).Lines[s.small]; got != 5 {
		t.Fatalf("the cart holds %d, want 5: the change is made despite the warning", got)
	}
	if !strings.Contains(res.Warnings[0].Message, "only 4 available") {
		t.Fatalf("message %q", res.Warnings[0].Message)
	}
	res, err = svc.AddLines(ctx, id, []cart.LineInput{{s.large, 3}}, nil)
	check("another variant: no warning about the first", res, err)
	res, err = svc.AddLines(ctx, id, []cart.LineInput{{s.mug, 1}}, nil)
	check("a sold-out variant", res, err, w{outOfStock, s.mug, 0})
	res, err = svc.UpdateLines(ctx, id, []cart.LineUpdate{{s.lineID(id, s.small), 9}, {s.lineID(id, s.large), 999}}, nil)
	check("update two lines", res, err, w{notEnough, s.small, 4})
	res, err = svc.UpdateLines(ctx, id, []cart.LineUpdate{{s.lineID(id, s.small), 4}}, nil)
	check("back to what is available", res, err)
	res, err = svc.RemoveLines(ctx, id, []int{s.lineID(id, s.mug)}, nil)
	check("removal", res, err)

	res, err = svc.Create(ctx, []cart.LineInput{{s.small, 9}, {s.mug, 2}, {s.large, 1}})
	check("create", res, err, w{notEnough, s.small, 4}, w{outOfStock, s.mug, 0})
}

// TestDiscountCodes runs the discount code rules on one shop per
// database: which codes apply, and the budget of attempts.
func TestDiscountCodes(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		s := newShop(t, db)
		t.Run("apply", func(t *testing.T) { testApplyDiscountCode(t, s.on(t)) })
		t.Run("attempts", func(t *testing.T) { testDiscountCodeAttempts(t, s.on(t)) })
	})
}

// testApplyDiscountCode: a valid code is stored upper-cased and trimmed; an
// unknown, inactive, not yet valid, expired or used-up code is refused
// (BAD_USER_INPUT on code) and the cart keeps the code it had; an empty
// code removes the code; a code that is too long is refused before
// anything is looked up.
func testApplyDiscountCode(t *testing.T, s *shop) {
	pct := discountcode.KindPERCENTAGE
	s.code("TEN", pct, 1000)
	s.code("LAST", pct, 1000, func(d *ent.DiscountCodeCreate) { d.SetUsageLimit(1) })
	s.code("WINDOW", pct, 1000, func(d *ent.DiscountCodeCreate) { d.SetStartsAt(past()).SetEndsAt(future()) })
	s.code("OLD", pct, 1000, func(d *ent.DiscountCodeCreate) { d.SetEndsAt(past()) })
	s.code("SOON", pct, 1000, func(d *ent.DiscountCodeCreate) { d.SetStartsAt(future()) })
	s.code("OFF", pct, 1000, func(d *ent.DiscountCodeCreate) { d.SetActive(false) })
	s.code("GONE", pct, 1000, func(d *ent.DiscountCodeCreate) { d.SetUsageLimit(2).SetUsedCount(2) })
	svc := s.service(pricing.Rules{})
	ctx := guest(t)
	cases := []struct {
		code string
		want string // the cart's code after, or
		msg  string // the error
	}{
		{code: "LAST", want: "LAST"},
		{code: "  window ", want: "WINDOW"},
		{code: "", want: ""},
		{code: "   ", want: ""},
		{code: "NOPE", msg: `unknown discount code "NOPE"`},
		{code: strings.Repeat("X", cart.MaxDiscountCode), msg: "unknown discount code"},
		{code: strings.Repeat("X", cart.MaxDiscountCode+1), msg: "at most 64 characters"},
		{code: "old", msg: "discount code OLD has expired"},
		{code: "SOON", msg: "discount code SOON is not valid yet"},
		{code: "OFF", msg: "discount code OFF is not active"},
		{code: "GONE", msg: "discount code GONE has been used up"},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%q", c.code), func(t *testing.T) {
			s := s.on(t)
			id := newCart(t, svc, ctx, cart.LineInput{VariantID: s.large, Quantity: 1})
			if _, err := svc.ApplyDiscountCode(ctx, id, "ten", ptr(1)); err != nil {
				t.Fatal(err)
			}
			before := s.state(id)
			if before.Code != "TEN" || before.Version != 2 {
				t.Fatalf("after applying ten: %v", before)
			}
			res, err := svc.ApplyDiscountCode(ctx, id, c.code, ptr(2))
			if c.msg != "" {
				wantError(t, err, commerce.Invalid, []string{"code"}, c.msg)
				if got := s.state(id); !got.equal(before) {
					t.Fatalf("a refused code changed the cart: %v, was %v", got, before)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := s.state(id)
			if got.Code != c.want || got.Version != 3 {
				t.Fatalf("cart %v, want code %q at version 3", got, c.want)
			}
			if (res.Cart.DiscountCode == nil) != (c.want == "") {
				t.Fatalf("returned cart's code %v, want %q", res.Cart.DiscountCode, c.want)
			}
		})
	}
	// Applying a code does not use it: only checkout counts uses.
	for _, d := range s.c.DiscountCode.Query().AllX(s.sys) {
		if want := map[string]int{"GONE": 2}[d.Code]; d.UsedCount != want {
			t.Fatalf("code %s used %d times, want %d", d.Code, d.UsedCount, want)
		}
	}
}

// testDiscountCodeAttempts: every code tried on a cart, valid or not,
// spends the cart's budget of attempts; once spent, even a valid code is
// RATE_LIMITED and the cart is unchanged; removing the code is not an
// attempt.
func testDiscountCodeAttempts(t *testing.T, s *shop) {
	s.code("ATTEMPT", discountcode.KindPERCENTAGE, 1000)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	limits := budget.New(budget.Config{
		DiscountsPerCart:   ratelimit.Rate{Burst: 3, Every: time.Hour},
		DiscountsPerClient: ratelimit.Rate{Burst: 100, Every: time.Hour},
		Now:                func() time.Time { return now },
	})
	svc := s.service(pricing.Rules{}).WithBudget(limits)
	ctx := guest(t)
	id := newCart(t, svc, ctx, cart.LineInput{VariantID: s.large, Quantity: 1})
	other := newCart(t, svc, ctx, cart.LineInput{VariantID: s.large, Quantity: 1})
	_, err := svc.ApplyDiscountCode(ctx, id, "WRONG1", nil)
	wantError(t, err, commerce.Invalid, []string{"code"}, "unknown discount code")
	if _, err := svc.ApplyDiscountCode(ctx, id, "ATTEMPT", nil); err != nil {
		t.Fatal(err)
	}
	_, err = svc.ApplyDiscountCode(ctx, id, "WRONG2", nil)
	wantError(t, err, commerce.Invalid, []string{"code"}, "unknown discount code")
	before := s.state(id)
	_, err = svc.ApplyDiscountCode(ctx, id, "ATTEMPT", nil)
	wantError(t, err, commerce.RateLimited, nil, "too many discount code attempts on this cart")
	if got := s.state(id); !got.equal(before) {
		t.Fatalf("a rate-limited attempt changed the cart: %v, was %v", got, before)
	}
	if _, err := svc.ApplyDiscountCode(ctx, id, "", nil); err != nil {
		t.Fatalf("removing the code after the budget is spent: %v", err)
	}
	if got := s.state(id); got.Code != "" || got.Version != before.Version+1 {
		t.Fatalf("after removing: %v", got)
	}
	// The budget is the cart's: another cart of the same shopper still
	// takes the code.
	if _, err := svc.ApplyDiscountCode(ctx, other, "ATTEMPT", nil); err != nil {
		t.Fatalf("another cart: %v", err)
	}
}

// customerOf is the customer of a test context (0 for a guest).
func customerOf(ctx context.Context) int {
	return viewer.FromContext(ctx).CustomerID
}
