package live

import (
	"context"
	"fmt"
	"sync/atomic"

	"storefront/commerce"
	"storefront/commerce/access"
	"storefront/commerce/cart"
	"storefront/commerce/inventory"
	"storefront/ent"
	"storefront/ent/product"
	"storefront/ent/productvariant"
)

// MaxWatched bounds the variant and product IDs of one subscription.
const MaxWatched = 100

// Service streams live changes to one subscriber at a time.
type Service struct {
	client *ent.Client
	broker *Broker
	carts  *cart.Service
}

// NewService returns a live service over broker.
func NewService(client *ent.Client, broker *Broker, carts *cart.Service) *Service {
	return &Service{client: client, broker: broker, carts: carts}
}

// WatchStock streams the stock of the given variants and of the variants
// of the given products: first their current state, then every change,
// until ctx ends. Events of one variant carry increasing versions; a
// subscriber that falls behind gets the newest. Errors: Invalid (no IDs or
// more than MaxWatched), NotFound (a variant or product the viewer cannot
// see).
func (s *Service) WatchStock(ctx context.Context, variantIDs, productIDs []int) (<-chan *inventory.Event, error) {
	if len(variantIDs)+len(productIDs) == 0 || len(variantIDs)+len(productIDs) > MaxWatched {
		return nil, commerce.Errorf(commerce.Invalid, "watch 1 to %d variants and products", MaxWatched)
	}
	// Only what the viewer may see (the privacy rules filter these queries).
	vs, err := s.client.ProductVariant.Query().
		Where(productvariant.Or(productvariant.IDIn(variantIDs...), productvariant.ProductIDIn(productIDs...))).
		Select(productvariant.FieldID, productvariant.FieldProductID).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("live: variants: %w", err)
	}
	seen := map[int]bool{}
	for _, v := range vs {
		seen[v.ID] = true
	}
	for _, id := range variantIDs {
		if !seen[id] {
			return nil, &commerce.Error{Code: commerce.NotFound, Message: "no such variant", Field: []string{"variantIds"}}
		}
	}
	if n, err := s.client.Product.Query().Where(product.IDIn(productIDs...)).Count(ctx); err != nil || n != len(dedupe(productIDs)) {
		if err != nil {
			return nil, err
		}
		return nil, &commerce.Error{Code: commerce.NotFound, Message: "no such product", Field: []string{"productIds"}}
	}
	// Subscribe before reading the current state, so that nothing between
	// the two is missed; the stream starts with the newer of the two.
	wake := wakeOf(ctx)
	stream, out := s.broker.SubscribeStock(Filter{VariantIDs: variantIDs, ProductIDs: productIDs}, streamBuffer, wake.call)
	ids := make([]int, 0, len(vs))
	for _, v := range vs {
		ids = append(ids, v.ID)
	}
	initial, err := inventory.Snapshot(access.System(ctx), s.client, ids)
	if err != nil {
		stream.Close()
		return nil, err
	}
	wake.take() // the stream is on: it will wake the transport
	stream.Start(initial)
	// No goroutine per subscriber: the broker sends into the channel, and
	// it is closed when ctx ends.
	context.AfterFunc(ctx, stream.Close)
	return out, nil
}

// streamBuffer is how many events a stock stream holds before the broker
// keeps them pending (newest per variant).
const streamBuffer = 16

// WatchCart streams a cart the viewer may see: first as it is, then again
// whenever it changes (on any device) or the stock of one of its lines
// changes, until ctx ends. Errors: NotFound.
func (s *Service) WatchCart(ctx context.Context, cartID int) (<-chan *ent.Cart, error) {
	c, err := s.carts.Get(ctx, cartID)
	if err != nil {
		return nil, err
	}
	subscribe := func() (*Subscription, error) {
		variants, err := s.carts.VariantIDs(ctx, cartID)
		if err != nil {
			return nil, err
		}
		return s.broker.Subscribe(Filter{CartIDs: []int{cartID}, VariantIDs: variants}), nil
	}
	sub, err := subscribe()
	if err != nil {
		return nil, err
	}
	out := make(chan *ent.Cart, 1)
	wake := wakeOf(ctx)
	wake.take()
	go func() {
		defer func() {
			close(out)
			wake.call()
		}()
		defer func() {
			if sub != nil {
				sub.Close()
			}
		}()
		next := c
		for {
			if next != nil {
				select {
				case out <- next:
					wake.call()
				case <-ctx.Done():
					return
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-sub.Ready():
			}
			_, changed := sub.Take()
			if len(changed) > 0 {
				// Lines may have changed: watch the stock of the new ones.
				sub.Close()
				if sub, err = subscribe(); err != nil {
					return
				}
			}
			if next, err = s.carts.Get(ctx, cartID); err != nil {
				return // gone or no longer visible: end the stream
			}
		}
	}()
	return out, nil
}

func dedupe(ids []int) map[int]bool {
	m := make(map[int]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// Resync sends every live subscription of broker the current state of what
// it watches, for when events may have been missed (a replica's LISTEN
// connection came back). Versions let clients drop anything older.
func Resync(ctx context.Context, client *ent.Client, broker *Broker) error {
	subs := broker.Subscriptions()
	variants, products, carts := map[int]bool{}, map[int]bool{}, map[int]bool{}
	for _, sub := range subs {
		f := sub.Filter()
		for _, id := range f.VariantIDs {
			variants[id] = true
		}
		for _, id := range f.ProductIDs {
			products[id] = true
		}
		for _, id := range f.CartIDs {
			carts[id] = true
		}
	}
	sys := access.System(ctx)
	if len(variants)+len(products) > 0 {
		ids, err := client.ProductVariant.Query().
			Where(productvariant.Or(productvariant.IDIn(keys(variants)...), productvariant.ProductIDIn(keys(products)...))).
			IDs(sys)
		if err != nil {
			return err
		}
		events, err := inventory.Snapshot(sys, client, ids)
		if err != nil {
			return err
		}
		broker.Publish(events)
	}
	for id := range carts {
		broker.PublishCart(id)
	}
	return nil
}

func keys(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Wake tells a transport when a stream's channel holds something to read:
// the streams of this package call it after each value they send, and
// after closing the channel. A transport that reads a stream only then
// needs no goroutine waiting on each subscription.
type Wake struct {
	fn   func()
	used atomic.Bool
}

// NewWake returns a Wake calling fn, which must not block.
func NewWake(fn func()) *Wake { return &Wake{fn: fn} }

// Used reports whether a stream took the Wake: if not, the transport must
// read the channel the ordinary way.
func (w *Wake) Used() bool { return w.used.Load() }

type wakeKey struct{}

// WithWake returns ctx carrying w for the stream a resolver opens under it.
func WithWake(ctx context.Context, w *Wake) context.Context {
	return context.WithValue(ctx, wakeKey{}, w)
}

// wakeOf returns the Wake of ctx, or nil.
func wakeOf(ctx context.Context) *Wake {
	w, _ := ctx.Value(wakeKey{}).(*Wake)
	return w
}

// take marks the Wake as used: a stream is running and will call it.
// Only a stream that started takes it, so that a resolver that fails after
// subscribing leaves its result to be read the ordinary way.
func (w *Wake) take() {
	if w != nil {
		w.used.Store(true)
	}
}

// call wakes the transport (nothing without a Wake).
func (w *Wake) call() {
	if w != nil {
		w.fn()
	}
}
