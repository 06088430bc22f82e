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
	"errors"
	"sync"
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
	PricedCart *PricedCarts
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
		PricedCart:  &PricedCarts{carts: carts},
		OrderLines:  dataloadgen.NewLoader(byKey(client, OrderLinesOf), dataloadgen.WithWait(wait)),
		OrderEvents: dataloadgen.NewLoader(byKey(client, OrderEventsOf), dataloadgen.WithWait(wait)),
		Variant:     dataloadgen.NewLoader(byKey(client, VariantsByID), dataloadgen.WithWait(wait)),
	}
}

// OrderLinesOf loads the lines of orders in one statement, in line order,
// without their allocations (lineColumns).
func OrderLinesOf(ctx context.Context, client *ent.Client, orderIDs []int) (map[int][]*ent.OrderLine, error) {
	lines, err := client.OrderLine.Query().Where(orderline.OrderIDIn(orderIDs...)).Order(orderline.ByID()).
		Select(lineColumns...).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int][]*ent.OrderLine, len(orderIDs))
	for _, l := range lines {
		out[l.OrderID] = append(out[l.OrderID], l)
	}
	return out, nil
}

// lineColumns are the order line columns but allocations: where the
// units came from, which no field of the API shows (the orders service
// reads them itself to return stock), is JSON decoded per line.
var lineColumns = func() []string {
	var cols []string
	for _, c := range orderline.Columns {
		if c != orderline.FieldAllocations {
			cols = append(cols, c)
		}
	}
	return cols
}()

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
	return Variants(ctx, client, ids, true)
}

// Variants loads variants in one statement, and their products in a second
// one when withProduct is set (a variant's product is otherwise read when
// asked for, see ProductVariant.product).
func Variants(ctx context.Context, client *ent.Client, ids []int, withProduct bool) (map[int]*ent.ProductVariant, error) {
	q := client.ProductVariant.Query().Where(productvariant.IDIn(ids...))
	if withProduct {
		q.WithProduct()
	}
	vs, err := q.All(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[int]*ent.ProductVariant, len(vs))
	for _, v := range vs {
		out[v.ID] = v
	}
	return out, nil
}

// PricedCarts prices each cart once per operation, for its lines, cost,
// discount code and quantity: the first field that asks prices the cart
// it was given (the cart is not read again), the others wait for that
// pricing. An operation shows one or two carts: there is nothing to batch.
type PricedCarts struct {
	carts *cart.Service
	mu    sync.Mutex
	m     map[int]*pricedCall
}

type pricedCall struct {
	done chan struct{}
	p    *cart.Priced
	err  error
}

// Price returns c priced, pricing it on the first call of the operation.
func (pc *PricedCarts) Price(ctx context.Context, c *ent.Cart) (*cart.Priced, error) {
	pc.mu.Lock()
	if call, ok := pc.m[c.ID]; ok {
		pc.mu.Unlock()
		select {
		case <-call.done:
			return call.p, call.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	call := &pricedCall{done: make(chan struct{})}
	if pc.m == nil {
		pc.m = map[int]*pricedCall{}
	}
	pc.m[c.ID] = call
	pc.mu.Unlock()
	defer close(call.done) // also when pricing panics: waiters get errPricingFailed
	call.err = errPricingFailed
	call.p, call.err = pc.carts.Price(ctx, c)
	return call.p, call.err
}

var errPricingFailed = errors.New("loader: pricing the cart failed")

// Prime records p as cart id's pricing for the operation.
func (pc *PricedCarts) Prime(id int, p *cart.Priced) {
	call := &pricedCall{done: make(chan struct{}), p: p}
	close(call.done)
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.m == nil {
		pc.m = map[int]*pricedCall{}
	}
	pc.m[id] = call
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
