// Package loader batches the database reads that a list would otherwise
// repeat per row. Loaders are made per GraphQL operation (never shared
// between users or requests) and reached through For(ctx).
//
// Edges that entgql field collection eager-loads (product -> category,
// product -> variants, category -> children) need no loader: collection
// turns them into one IN query per edge for the whole page. Loaders cover
// the computed fields that collection cannot see.
package loader

import (
	"context"
	"time"

	"github.com/vikstrous/dataloadgen"

	"storefront/commerce/cart"
	"storefront/ent"
	"storefront/ent/orderevent"
	"storefront/ent/orderline"
	"storefront/ent/productvariant"
)

// Loaders holds the batch loaders of one operation.
type Loaders struct {
	// PricedCart prices a cart once per operation, for its lines and cost.
	PricedCart *dataloadgen.Loader[int, *cart.Priced]
	// OrderLines loads the lines of orders, by order ID.
	OrderLines *dataloadgen.Loader[int, []*ent.OrderLine]
	// OrderEvents loads the status history of orders, by order ID.
	OrderEvents *dataloadgen.Loader[int, []*ent.OrderEvent]
	// Variant loads variants (with their product) by ID; nil when hidden
	// or gone.
	Variant *dataloadgen.Loader[int, *ent.ProductVariant]
}

// wait is how long a loader collects keys before it runs its batch. gqlgen
// resolves the fields of a list concurrently, so a short wait collects the
// whole page.
const wait = 500 * time.Microsecond

// New returns fresh loaders that read through client.
func New(client *ent.Client, carts *cart.Service) *Loaders {
	return &Loaders{
		PricedCart:  dataloadgen.NewLoader(priceCarts(carts), dataloadgen.WithWait(wait)),
		OrderLines:  dataloadgen.NewLoader(byKey(client, OrderLinesOf), dataloadgen.WithWait(wait)),
		OrderEvents: dataloadgen.NewLoader(byKey(client, OrderEventsOf), dataloadgen.WithWait(wait)),
		Variant:     dataloadgen.NewLoader(byKey(client, VariantsByID), dataloadgen.WithWait(wait)),
	}
}

// OrderLinesOf loads the lines of orders in one statement, in line order.
func OrderLinesOf(ctx context.Context, client *ent.Client, orderIDs []int) (map[int][]*ent.OrderLine, error) {
	lines, err := client.OrderLine.Query().Where(orderline.OrderIDIn(orderIDs...)).Order(orderline.ByID()).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int][]*ent.OrderLine, len(orderIDs))
	for _, l := range lines {
		out[l.OrderID] = append(out[l.OrderID], l)
	}
	return out, nil
}

// OrderEventsOf loads the status history of orders in one statement,
// oldest first.
func OrderEventsOf(ctx context.Context, client *ent.Client, orderIDs []int) (map[int][]*ent.OrderEvent, error) {
	events, err := client.OrderEvent.Query().Where(orderevent.OrderIDIn(orderIDs...)).
		Order(orderevent.ByCreatedAt(), orderevent.ByID()).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int][]*ent.OrderEvent, len(orderIDs))
	for _, e := range events {
		out[e.OrderID] = append(out[e.OrderID], e)
	}
	return out, nil
}

// VariantsByID loads variants with their products in two statements.
func VariantsByID(ctx context.Context, client *ent.Client, ids []int) (map[int]*ent.ProductVariant, error) {
	vs, err := client.ProductVariant.Query().Where(productvariant.IDIn(ids...)).WithProduct().All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int]*ent.ProductVariant, len(vs))
	for _, v := range vs {
		out[v.ID] = v
	}
	return out, nil
}

// priceCarts prices each cart of the batch (an operation rarely shows more
// than one cart; the loader's point is that lines and cost share one
// pricing).
func priceCarts(carts *cart.Service) func(context.Context, []int) ([]*cart.Priced, []error) {
	return func(ctx context.Context, ids []int) ([]*cart.Priced, []error) {
		out := make([]*cart.Priced, len(ids))
		errs := make([]error, len(ids))
		for i, id := range ids {
			c, err := carts.Get(ctx, id)
			if err == nil {
				out[i], err = carts.Price(ctx, c)
			}
			errs[i] = err
		}
		return out, errs
	}
}

// byKey adapts a batch query that returns a map into a loader fetch that
// returns values in key order; a key missing from the map gets the zero
// value (no stock). An error fails every key of the batch.
func byKey[V any](client *ent.Client, query func(context.Context, *ent.Client, []int) (map[int]V, error)) func(context.Context, []int) ([]V, []error) {
	return func(ctx context.Context, keys []int) ([]V, []error) {
		m, err := query(ctx, client, keys)
		out := make([]V, len(keys))
		if err != nil {
			errs := make([]error, len(keys))
			for i := range errs {
				errs[i] = err
			}
			return out, errs
		}
		for i, k := range keys {
			out[i] = m[k]
		}
		return out, nil
	}
}

type ctxKey struct{}

// With returns a context that carries loaders.
func With(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// For returns the operation's loaders. It panics when the handler did not
// install them, which is a wiring bug, not a request error.
func For(ctx context.Context) *Loaders {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	if !ok {
		panic("loader: no loaders in context; install graph.NewHandler's operation middleware")
	}
	return l
}
