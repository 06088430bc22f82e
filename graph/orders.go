package graph

import (
	"context"

	"storefront/ent"
	"storefront/ent/order"
	"storefront/graph/model"
	"storefront/relay/gid"
)

// Helpers of the order resolvers: a status move as a payload, and the
// currency of an order line.

// move runs a staff status change of an order.
func (r *mutationResolver) move(ctx context.Context, id gid.ID, to order.Status, note string) (*model.OrderPayload, error) {
	oid, err := idOf(&id, gid.TypeOrder, "id")
	if err != nil {
		return orderPayload(nil, err)
	}
	return orderPayload(r.OrderService.Move(ctx, *oid, to, note))
}

// orderCurrency is the currency of a line's order (lines do not repeat it).
func (r *orderLineResolver) orderCurrency(ctx context.Context, l *ent.OrderLine) string {
	if o := l.Edges.Order; o != nil {
		return o.CurrencyCode
	}
	if c, err := l.QueryOrder().Select(order.FieldCurrencyCode).String(ctx); err == nil {
		return c
	}
	return r.Catalog.Currency // the shop's
}
