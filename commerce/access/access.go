// Package access is the one place that decides who may read and write
// what. Its rules are ent privacy policies, so they hold on every path to
// the data: list fields, single lookups, node(id), and every edge loaded
// through field collection or a loader.
//
//   - Anonymous shoppers and customers read the public catalogue: categories,
//     ACTIVE products and their variants, and stock totals.
//   - A customer reads and changes only their own account and addresses.
//   - Staff read and change everything except sessions and tokens.
//   - Sessions and refresh tokens are touched only by the identity service,
//     in a System context.
//
// A query rule that hides rows filters them (the row looks missing), so a
// forbidden node(id) answers null; a forbidden mutation fails with
// privacy.Deny that also carries the domain error a client is shown
// (UNAUTHENTICATED or FORBIDDEN, decided here, as RequireStaff decides it),
// which the GraphQL layer reports as it is.
package access

import (
	"context"
	"errors"

	"entgo.io/ent/dialect/sql"

	"storefront/commerce"
	"storefront/commerce/viewer"
	"storefront/ent"
	"storefront/ent/address"
	"storefront/ent/customer"
	"storefront/ent/predicate"
	"storefront/ent/privacy"
	"storefront/ent/product"
	"storefront/ent/productvariant"
)

// System returns a context in which every rule allows: for the domain's own
// bookkeeping, after it has checked what the viewer may do.
func System(ctx context.Context) context.Context {
	return privacy.DecisionContext(ctx, privacy.Allow)
}

// refusal is the error that tells the viewer of ctx why they are refused:
// the error of the token they presented, Unauthenticated (anonymous) when
// they are not signed in, Forbidden (signedIn) otherwise.
func refusal(ctx context.Context, anonymous, signedIn string) error {
	v := viewer.FromContext(ctx)
	switch {
	case v.TokenError != nil:
		if _, ok := errors.AsType[*commerce.Error](v.TokenError); ok {
			return v.TokenError
		}
		return commerce.Errorf(commerce.Unauthenticated, "%s", v.TokenError)
	case !v.SignedIn():
		return commerce.Errorf(commerce.Unauthenticated, "%s", anonymous)
	}
	return commerce.Errorf(commerce.Forbidden, "%s", signedIn)
}

// denial is a rule's refusal: privacy.Deny for ent (errors.Is holds) that
// carries the domain error shown to the client (errors.As finds it), so
// that the GraphQL layer reports the code decided here. The rule's reason
// is in the error's text, for logs and tests only.
type denial struct {
	reason string
	shown  error
}

func (d *denial) Error() string   { return d.reason + ": " + privacy.Deny.Error() }
func (d *denial) Unwrap() []error { return []error{privacy.Deny, d.shown} }

// deny refuses an operation for reason.
func deny(ctx context.Context, reason string) error {
	return &denial{reason: reason, shown: refusal(ctx, "sign in to do this", "you are not allowed to do this")}
}

// staffOnlyMutations allows staff and denies everyone else.
func staffOnlyMutations() privacy.MutationPolicy {
	return privacy.MutationPolicy{
		privacy.MutationRuleFunc(func(ctx context.Context, _ ent.Mutation) error {
			if viewer.FromContext(ctx).IsStaff() {
				return privacy.Allow
			}
			return deny(ctx, "staff only")
		}),
	}
}

// allowStaffQueries allows every query by staff and skips otherwise.
func allowStaffQueries() privacy.QueryRule {
	return privacy.QueryRuleFunc(func(ctx context.Context, _ ent.Query) error {
		if viewer.FromContext(ctx).IsStaff() {
			return privacy.Allow
		}
		return privacy.Skip
	})
}

func none(s *sql.Selector) { s.Where(sql.False()) }

// RequireStaff answers the question for domain operations that must refuse
// non-staff before they look anything up (a lookup through the rules would
// only say "not found"): nil for staff, else Unauthenticated or Forbidden.
func RequireStaff(ctx context.Context) error {
	v := viewer.FromContext(ctx)
	if d, ok := privacy.DecisionFromContext(ctx); ok && d == nil {
		return nil // a System context (ent reports Allow as a nil decision)
	}
	if v.IsStaff() {
		return nil
	}
	return refusal(ctx, "sign in as staff to do this", "staff only")
}

// CatalogPolicy guards public catalogue data (categories): anyone reads,
// staff write.
func CatalogPolicy() ent.Policy {
	return privacy.Policy{Mutation: staffOnlyMutations()}
}

// ProductPolicy shows shoppers ACTIVE products only; staff see all.
func ProductPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			allowStaffQueries(),
			privacy.ProductQueryRuleFunc(func(_ context.Context, q *ent.ProductQuery) error {
				q.Where(product.StatusEQ(product.StatusACTIVE))
				return privacy.Skip
			}),
		},
		Mutation: staffOnlyMutations(),
	}
}

// ProductVariantPolicy shows shoppers the variants of ACTIVE products only.
func ProductVariantPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			allowStaffQueries(),
			privacy.ProductVariantQueryRuleFunc(func(_ context.Context, q *ent.ProductVariantQuery) error {
				q.Where(productvariant.HasProductWith(product.StatusEQ(product.StatusACTIVE)))
				return privacy.Skip
			}),
		},
		Mutation: staffOnlyMutations(),
	}
}

// WarehousePolicy: warehouses are staff data.
func WarehousePolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			allowStaffQueries(),
			privacy.WarehouseQueryRuleFunc(func(_ context.Context, q *ent.WarehouseQuery) error {
				q.Where(predicate.Warehouse(none))
				return privacy.Skip
			}),
		},
		Mutation: staffOnlyMutations(),
	}
}

// StockLevelPolicy: stock per warehouse is staff data. Shoppers see only
// totals, which the inventory package computes in a System context; only
// staff, or the inventory service in a System context, change stock.
func StockLevelPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			allowStaffQueries(),
			privacy.StockLevelQueryRuleFunc(func(_ context.Context, q *ent.StockLevelQuery) error {
				q.Where(predicate.StockLevel(none))
				return privacy.Skip
			}),
		},
		Mutation: staffOnlyMutations(),
	}
}

// CustomerPolicy: a customer sees and updates only their own account;
// staff see and change all; anonymous viewers see none.
func CustomerPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			allowStaffQueries(),
			privacy.CustomerQueryRuleFunc(func(ctx context.Context, q *ent.CustomerQuery) error {
				if v := viewer.FromContext(ctx); v.SignedIn() {
					q.Where(customer.ID(v.CustomerID))
				} else {
					q.Where(predicate.Customer(none))
				}
				return privacy.Skip
			}),
		},
		Mutation: privacy.MutationPolicy{
			privacy.CustomerMutationRuleFunc(func(ctx context.Context, m *ent.CustomerMutation) error {
				v := viewer.FromContext(ctx)
				switch {
				case v.IsStaff():
					return privacy.Allow
				case v.SignedIn() && m.Op().Is(ent.OpUpdateOne):
					if id, ok := m.ID(); ok && id == v.CustomerID {
						if _, changesRole := m.Role(); changesRole {
							return deny(ctx, "a customer cannot change their role")
						}
						if aid, ok := m.DefaultAddressID(); ok {
							mine, err := m.Client().Address.Query().
								Where(address.ID(aid), address.CustomerID(v.CustomerID)).Exist(ctx)
							if err != nil {
								return err
							}
							if !mine {
								return deny(ctx, "the default address must be one of the customer's own")
							}
						}
						return privacy.Allow
					}
				}
				return deny(ctx, "not your account")
			}),
		},
	}
}

// AddressPolicy: a customer's address book is theirs alone (and staff's).
func AddressPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{
			allowStaffQueries(),
			privacy.AddressQueryRuleFunc(func(ctx context.Context, q *ent.AddressQuery) error {
				if v := viewer.FromContext(ctx); v.SignedIn() {
					q.Where(address.CustomerID(v.CustomerID))
				} else {
					q.Where(predicate.Address(none))
				}
				return privacy.Skip
			}),
		},
		Mutation: privacy.MutationPolicy{
			privacy.AddressMutationRuleFunc(func(ctx context.Context, m *ent.AddressMutation) error {
				v := viewer.FromContext(ctx)
				switch {
				case v.IsStaff():
					return privacy.Allow
				case !v.SignedIn():
					return deny(ctx, "sign in to change addresses")
				case m.Op().Is(ent.OpCreate):
					if owner, ok := m.CustomerID(); ok && owner == v.CustomerID {
						return privacy.Allow
					}
					return deny(ctx, "not your address book")
				default:
					// Updates and deletes reach the viewer's own rows only.
					m.Where(address.CustomerID(v.CustomerID))
					return privacy.Allow
				}
			}),
		},
	}
}

// SystemOnly denies every query and mutation outside a System context.
func SystemOnly() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{privacy.QueryRuleFunc(func(ctx context.Context, _ ent.Query) error {
			return deny(ctx, "system only")
		})},
		Mutation: privacy.MutationPolicy{privacy.MutationRuleFunc(func(ctx context.Context, _ ent.Mutation) error {
			return deny(ctx, "system only")
		})},
	}
}
