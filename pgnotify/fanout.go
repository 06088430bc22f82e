// Package pgnotify carries live events and catalogue changes between
// server replicas through PostgreSQL's LISTEN/NOTIFY.
package pgnotify

import (
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/lib/pq"

	"storefront/commerce/inventory"
	"storefront/commerce/live"
)

// Channel is the PostgreSQL NOTIFY channel of live events.
const Channel = "storefront_live"

// maxPayload keeps a NOTIFY payload under PostgreSQL's 8000-byte limit.
const maxPayload = 7000

// Fanout carries events between replicas through PostgreSQL: Publish and
// PublishCart send a NOTIFY, and every replica (this one too) delivers what
// its LISTEN connection receives to its own Broker. After the listening
// connection is re-established (the database restarted, the network
// blinked) events may have been missed, so OnReconnect runs: the live
// service re-reads the current state for every subscriber.
type Fanout struct {
	db       *sql.DB
	broker   *live.Broker
	listener *pq.Listener
	queue    chan []byte
	logger   *slog.Logger
	hooks    Hooks
	// catalogPending is set while a catalogue-change notice waits in the
	// queue: one notice stands for any number of changes.
	catalogPending atomic.Bool
}

// Hooks are called by a Fanout; each may be nil.
type Hooks struct {
	// Resync runs after the listening connection comes back: events may
	// have been missed.
	Resync func(context.Context)
	// CatalogChanged runs when any replica (this one too) announced a
	// catalogue change with PublishCatalogChange.
	CatalogChanged func()
	// Disconnected runs when the listening connection is lost, and
	// Reconnected when it is back: in between, nothing is heard.
	Disconnected, Reconnected func()
}

// wire is the NOTIFY payload: stock events as [variant, product, quantity,
// version], changed cart IDs, or a catalogue change.
type wire struct {
	Stock   [][4]int64 `json:"s,omitempty"`
	Carts   []int      `json:"c,omitempty"`
	Catalog bool       `json:"k,omitempty"`
}

// Start listens on Channel through its own connection to dsn and
// sends through db, until ctx ends.
func Start(ctx context.Context, dsn string, db *sql.DB, broker *live.Broker, logger *slog.Logger, hooks Hooks) (*Fanout, error) {
	f := &Fanout{db: db, broker: broker, queue: make(chan []byte, 10000), logger: logger, hooks: hooks}
	f.listener = pq.NewListener(dsn, 100*time.Millisecond, 5*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventDisconnected:
			logger.Warn("live: lost the LISTEN connection; reconnecting", "err", err)
			if hooks.Disconnected != nil {
				hooks.Disconnected()
			}
		case pq.ListenerEventReconnected:
			logger.Info("live: LISTEN connection back; resyncing subscribers")
			if hooks.Reconnected != nil {
				hooks.Reconnected()
			}
		case pq.ListenerEventConnectionAttemptFailed:
			logger.Warn("live: reconnecting failed; retrying", "err", err)
		}
	})
	if err := f.listener.Listen(Channel); err != nil {
		_ = f.listener.Close()
		return nil, err
	}
	go f.receive(ctx)
	go f.send(ctx)
	return f, nil
}

func (f *Fanout) receive(ctx context.Context) {
	defer f.listener.Close()
	ping := time.NewTicker(30 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ping.C:
			go func() { _ = f.listener.Ping() }()
		case n := <-f.listener.Notify:
			if n == nil { // reconnected: notifications may have been lost
				if f.hooks.Resync != nil {
					go f.hooks.Resync(ctx)
				}
				continue
			}
			var w wire
			if err := json.Unmarshal([]byte(n.Extra), &w); err != nil {
				f.logger.Warn("live: undecodable notification", "err", err)
				continue
			}
			if len(w.Stock) > 0 {
				events := make([]inventory.Event, len(w.Stock))
				for i, s := range w.Stock {
					events[i] = inventory.Event{VariantID: int(s[0]), ProductID: int(s[1]), QuantityAvailable: int(s[2]), Version: s[3]}
				}
				f.broker.Publish(events)
			}
			for _, id := range w.Carts {
				f.broker.PublishCart(id)
			}
			if w.Catalog && f.hooks.CatalogChanged != nil {
				f.hooks.CatalogChanged()
			}
		}
	}
}

func (f *Fanout) send(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case p := <-f.queue:
			if string(p) == catalogNotice {
				f.catalogPending.Store(false)
			}
			sendCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := f.db.ExecContext(sendCtx, "SELECT pg_notify($1, $2)", Channel, string(p))
			cancel()
			if err != nil {
				// Subscribers converge at the next change or resync.
				f.logger.Warn("live: NOTIFY failed", "err", err)
			}
		}
	}
}

func (f *Fanout) enqueue(w wire) {
	b, err := json.Marshal(w)
	if err != nil {
		return
	}
	select {
	case f.queue <- b:
	default:
		f.logger.Warn("live: event queue full; dropping an event (subscribers converge at the next change)")
	}
}

// Publish sends stock events to every replica. It never blocks.
func (f *Fanout) Publish(events []inventory.Event) {
	var w wire
	size := 0
	for _, e := range events {
		w.Stock = append(w.Stock, [4]int64{int64(e.VariantID), int64(e.ProductID), int64(e.QuantityAvailable), e.Version})
		if size += 60; size > maxPayload {
			f.enqueue(w)
			w, size = wire{}, 0
		}
	}
	if len(w.Stock) > 0 {
		f.enqueue(w)
	}
}

const catalogNotice = `{"k":true}`

// PublishCatalogChange tells every replica that the catalogue or stock
// changed (their response caches empty). Notices not yet sent are merged.
// It never blocks.
func (f *Fanout) PublishCatalogChange() {
	if f.catalogPending.Swap(true) {
		return
	}
	select {
	case f.queue <- []byte(catalogNotice):
	default:
		f.catalogPending.Store(false)
		f.logger.Warn("live: event queue full; dropping a catalogue-change notice")
	}
}

// PublishCart tells every replica that a cart changed. It never blocks.
func (f *Fanout) PublishCart(cartID int) {
	f.enqueue(wire{Carts: []int{cartID}})
}
