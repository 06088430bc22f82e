package access

import (
	"context"

	"storefront/commerce/viewer"
	"storefront/ent"
	"storefront/ent/cart"
	"storefront/ent/cartline"
	"storefront/ent/order"
	"storefront/ent/orderevent"
	"storefront/ent/orderline"
	"storefront/ent/predicate"
	"storefront/ent/privacy"
)

// CartVisible is what a viewer may see of carts: their own, and guest carts
// the operation named by ID. Staff see all.
func CartVisible(ctx context.Context) predicate.Cart {
	v := viewer.FromContext(ctx)
	guest := cart.And(cart.CustomerIDIsNil(), cart.IDIn(known(ctx, cart.Table)...))
	if v.SignedIn() {
		return cart.Or(cart.CustomerID(v.CustomerID), guest)
	}
	return guest
}

// OrderVisible is what a viewer may see of orders: their own, and guest
// orders the operation named by ID. Staff see all.
func OrderVisible(ctx context.Context) predicate.Order {
	v := viewer.FromContext(ctx)
	guest := order.And(order.CustomerIDIsNil(), order.IDIn(known(ctx, order.Table)...))
	if v.SignedIn() {
		return order.Or(order.CustomerID(v.CustomerID), guest)
	}
	return guest
}

// CartPolicy: see CartVisible; a new cart belongs to its creator (or to no
// one, for a guest).
func CartPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			allowStaffQueries(),
			privacy.CartQueryRuleFunc(func(ctx context.Context, q *ent.CartQuery) error {
				q.Where(CartVisible(ctx))
				return privacy.Skip
			}),
		},
		Mutation: privacy.MutationPolicy{
			privacy.CartMutationRuleFunc(func(ctx context.Context, m *ent.CartMutation) error {
				v := viewer.FromContext(ctx)
				switch {
				case v.IsStaff():
					return privacy.Allow
				case m.Op().Is(ent.OpCreate):
					if owner, ok := m.CustomerID(); ok && owner != v.CustomerID {
						return deny(ctx, "a cart belongs to its creator")
					}
					return privacy.Allow
				default:
					// A cart changes hands only when a guest cart is merged
					// into the signed-in customer's (commerce/cart, as the
					// system).
					if _, ok := m.CustomerID(); ok || m.CustomerCleared() {
						return deny(ctx, "a cart's owner cannot be changed")
					}
					m.Where(CartVisible(ctx))
					return privacy.Allow
				}
			}),
		},
	}
}

// CartLinePolicy: the lines of the carts the viewer may see.
func CartLinePolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			allowStaffQueries(),
			privacy.CartLineQueryRuleFunc(func(ctx context.Context, q *ent.CartLineQuery) error {
				q.Where(cartline.HasCartWith(CartVisible(ctx)))
				return privacy.Skip
			}),
		},
		Mutation: privacy.MutationPolicy{
			privacy.CartLineMutationRuleFunc(func(ctx context.Context, m *ent.CartLineMutation) error {
				if viewer.FromContext(ctx).IsStaff() {
					return privacy.Allow
				}
				if m.Op().Is(ent.OpCreate) {
					id, _ := m.CartID()
					ok, err := m.Client().Cart.Query().Where(cart.ID(id), CartVisible(ctx)).Exist(ctx)
					if err != nil {
						return err
					}
					if !ok {
						return deny(ctx, "not your cart")
					}
					return privacy.Allow
				}
				m.Where(cartline.HasCartWith(CartVisible(ctx)))
				return privacy.Allow
			}),
		},
	}
}

// OrderPolicy: see OrderVisible. Orders are written by the checkout and
// order services in a System context, and by staff.
func OrderPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			allowStaffQueries(),
			privacy.OrderQueryRuleFunc(func(ctx context.Context, q *ent.OrderQuery) error {
				q.Where(OrderVisible(ctx))
				return privacy.Skip
			}),
		},
		Mutation: staffOnlyMutations(),
	}
}

// OrderLinePolicy: the lines of the orders the viewer may see. (A typed
// rule denies queries of other types, so each type has its own policy.)
func OrderLinePolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			allowStaffQueries(),
			privacy.OrderLineQueryRuleFunc(func(ctx context.Context, q *ent.OrderLineQuery) error {
				q.Where(orderline.HasOrderWith(OrderVisible(ctx)))
				return privacy.Skip
			}),
		},
		Mutation: staffOnlyMutations(),
	}
}

// OrderEventPolicy: the status history of the orders the viewer may see.
func OrderEventPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			allowStaffQueries(),
			privacy.OrderEventQueryRuleFunc(func(ctx context.Context, q *ent.OrderEventQuery) error {
				q.Where(orderevent.HasOrderWith(OrderVisible(ctx)))
				return privacy.Skip
			}),
		},
		Mutation: staffOnlyMutations(),
	}
}

// DiscountCodePolicy: discount codes are staff data; checkout reads them in
// a System context.
func DiscountCodePolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			allowStaffQueries(),
			privacy.DiscountCodeQueryRuleFunc(func(_ context.Context, q *ent.DiscountCodeQuery) error {
				q.Where(predicate.DiscountCode(none))
				return privacy.Skip
			}),
		},
		Mutation: staffOnlyMutations(),
	}
}
