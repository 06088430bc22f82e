// Package live pushes changes to subscribers: stock of variants, and carts.
// A slow or dead subscriber never blocks the publisher or other
// subscribers: each subscription keeps only the latest event per variant
// (and a single "changed" mark per cart), so one that falls behind still
// converges to the true state.
//
// One process uses the Broker alone. Several replicas over PostgreSQL put a
// pgnotify.Fanout in front of it: events go through LISTEN/NOTIFY, so a
// checkout on one replica reaches subscribers on all of them.
package live

import (
	"sync"
	"time"

	"storefront/commerce/inventory"
)

// Publisher is where stock and cart changes are announced: a Broker, or a
// pgnotify.Fanout in front of one.
type Publisher interface {
	inventory.Publisher
	PublishCart(cartID int)
}

// Broker delivers events to the subscriptions of this process.
type Broker struct {
	mu        sync.RWMutex
	byVariant map[int]map[*Subscription]struct{}
	byProduct map[int]map[*Subscription]struct{}
	byCart    map[int]map[*Subscription]struct{}
	all       map[*Subscription]struct{}

	// backlog holds the stream subscriptions whose channel was full when
	// an event came: one goroutine (running only while the backlog is not
	// empty) retries them, so a subscriber costs no goroutine of its own.
	backlogMu sync.Mutex
	backlog   map[*Subscription]struct{}
	flushing  bool
}

// retryEvery is how often a full stream channel is retried.
const retryEvery = 5 * time.Millisecond

// NewBroker returns an empty broker.
func NewBroker() *Broker {
	return &Broker{
		byVariant: map[int]map[*Subscription]struct{}{},
		byProduct: map[int]map[*Subscription]struct{}{},
		byCart:    map[int]map[*Subscription]struct{}{},
		all:       map[*Subscription]struct{}{},
		backlog:   map[*Subscription]struct{}{},
	}
}

// Filter says what a subscription wants: stock of these variants, of the
// variants of these products, or changes of these carts.
type Filter struct {
	VariantIDs, ProductIDs, CartIDs []int
}

// Subscription receives events. Ready is signalled (without blocking the
// publisher) whenever something is pending; Take returns and clears it.
type Subscription struct {
	broker *Broker
	filter Filter
	ready  chan struct{}

	mu    sync.Mutex
	stock map[int]inventory.Event // latest pending event per variant
	carts map[int]bool            // carts changed since the last Take

	// out, for a stream (SubscribeStock), receives the pending events
	// directly: sent without blocking, under mu; closed by Close.
	out    chan *inventory.Event
	held   bool   // until Start
	closed bool   //
	wake   func() // called after each send into out, and after closing it
}

// Subscribe registers a subscription; Close it when done.
func (b *Broker) Subscribe(f Filter) *Subscription {
	s := &Subscription{broker: b, filter: f, ready: make(chan struct{}, 1),
		stock: map[int]inventory.Event{}, carts: map[int]bool{}}
	b.mu.Lock()
	defer b.mu.Unlock()
	add := func(m map[int]map[*Subscription]struct{}, ids []int) {
		for _, id := range ids {
			if m[id] == nil {
				m[id] = map[*Subscription]struct{}{}
			}
			m[id][s] = struct{}{}
		}
	}
	add(b.byVariant, f.VariantIDs)
	add(b.byProduct, f.ProductIDs)
	add(b.byCart, f.CartIDs)
	b.all[s] = struct{}{}
	return s
}

// SubscribeStock registers a stream of the stock events of f (wake, if not
// nil, is called after each event sent into the channel and after the
// channel is closed, without blocking: a transport can read the channel
// exactly when it holds something). Events are held until Start; then the channel receives the newest pending event of
// each variant as soon as it has room (buffer events). It is closed by
// Close. A reader that falls behind still converges: what cannot be sent
// waits, one event per variant, the newest.
func (b *Broker) SubscribeStock(f Filter, buffer int, wake func()) (*Subscription, <-chan *inventory.Event) {
	s := b.Subscribe(f)
	s.mu.Lock()
	s.wake = wake
	s.out = make(chan *inventory.Event, max(buffer, 1))
	s.held = true
	s.mu.Unlock()
	return s, s.out
}

// Start sends the current state (initial, unless events since the
// subscription are newer) and then every change, of a stream.
func (s *Subscription) Start(initial []inventory.Event) {
	s.mu.Lock()
	for _, e := range initial {
		s.mergeLocked(e)
	}
	s.held = false
	drained := s.closed || s.sendLocked()
	s.mu.Unlock()
	if !drained {
		s.broker.retry(s)
	}
}

// Close unregisters the subscription, and closes the channel of a stream.
func (s *Subscription) Close() {
	s.mu.Lock()
	if s.out != nil && !s.closed {
		s.closed = true
		close(s.out)
		if s.wake != nil {
			s.wake()
		}
	}
	clear(s.stock)
	s.mu.Unlock()
	b := s.broker
	b.backlogMu.Lock()
	delete(b.backlog, s)
	b.backlogMu.Unlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	remove := func(m map[int]map[*Subscription]struct{}, ids []int) {
		for _, id := range ids {
			delete(m[id], s)
			if len(m[id]) == 0 {
				delete(m, id)
			}
		}
	}
	remove(b.byVariant, s.filter.VariantIDs)
	remove(b.byProduct, s.filter.ProductIDs)
	remove(b.byCart, s.filter.CartIDs)
	delete(b.all, s)
}

// Ready is signalled when events are pending.
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// Filter is what the subscription asked for.
func (s *Subscription) Filter() Filter { return s.filter }

// Take returns the pending stock events (one per variant, the newest) and
// the changed carts, and clears them.
func (s *Subscription) Take() ([]inventory.Event, []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var events []inventory.Event
	for _, e := range s.stock {
		events = append(events, e)
	}
	var carts []int
	for id := range s.carts {
		carts = append(carts, id)
	}
	clear(s.stock)
	clear(s.carts)
	return events, carts
}

func (s *Subscription) offer(e inventory.Event) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.mergeLocked(e)
	if s.held {
		s.mu.Unlock()
		return
	}
	if s.out != nil {
		drained := s.sendLocked()
		s.mu.Unlock()
		if !drained {
			s.broker.retry(s)
		}
		return
	}
	s.mu.Unlock()
	s.signal()
}

func (s *Subscription) mergeLocked(e inventory.Event) {
	if cur, ok := s.stock[e.VariantID]; !ok || e.Version >= cur.Version {
		s.stock[e.VariantID] = e
	}
}

// sendLocked moves pending events into the stream's channel while it has
// room, and reports whether nothing is left pending.
func (s *Subscription) sendLocked() bool {
	for id, e := range s.stock {
		select {
		case s.out <- &e:
			delete(s.stock, id)
			if s.wake != nil {
				s.wake()
			}
		default:
			return false
		}
	}
	return true
}

// retry puts a stream with pending events in the backlog, starting the
// goroutine that drains it if it is not running.
func (b *Broker) retry(s *Subscription) {
	b.backlogMu.Lock()
	defer b.backlogMu.Unlock()
	b.backlog[s] = struct{}{}
	if !b.flushing {
		b.flushing = true
		go b.drainBacklog()
	}
}

// drainBacklog retries the streams of the backlog until none has events
// pending, then ends.
func (b *Broker) drainBacklog() {
	var subs []*Subscription
	for {
		time.Sleep(retryEvery)
		b.backlogMu.Lock()
		subs = subs[:0]
		for s := range b.backlog {
			subs = append(subs, s)
		}
		b.backlogMu.Unlock()
		for _, s := range subs {
			// Under s.mu, so that an offer cannot add events between the
			// check and the removal (offer calls retry after unlocking).
			s.mu.Lock()
			if s.closed || s.held || s.sendLocked() {
				b.backlogMu.Lock()
				delete(b.backlog, s)
				b.backlogMu.Unlock()
			}
			s.mu.Unlock()
		}
		b.backlogMu.Lock()
		if len(b.backlog) == 0 {
			b.flushing = false
			b.backlogMu.Unlock()
			return
		}
		b.backlogMu.Unlock()
	}
}

func (s *Subscription) offerCart(id int) {
	s.mu.Lock()
	s.carts[id] = true
	s.mu.Unlock()
	s.signal()
}

func (s *Subscription) signal() {
	select {
	case s.ready <- struct{}{}:
	default: // already signalled: the subscriber will Take everything
	}
}

// Publish delivers stock events to the subscriptions that want them. It
// never blocks on a subscriber. It implements inventory.Publisher.
func (b *Broker) Publish(events []inventory.Event) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for _, e := range events {
		for s := range b.byVariant[e.VariantID] {
			s.offer(e)
		}
		for s := range b.byProduct[e.ProductID] {
			s.offer(e)
		}
	}
}

// PublishCart tells the subscriptions of a cart that it changed.
func (b *Broker) PublishCart(cartID int) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.byCart[cartID] {
		s.offerCart(cartID)
	}
}

// Subscriptions returns the live subscriptions (for a resync after events
// may have been missed).
func (b *Broker) Subscriptions() []*Subscription {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]*Subscription, 0, len(b.all))
	for s := range b.all {
		out = append(out, s)
	}
	return out
}

// Count is the number of live subscriptions.
func (b *Broker) Count() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.all)
}
