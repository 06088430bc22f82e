// Package app assembles the storefront: it builds every service once,
// over one database, and the HTTP surface that serves them. The server
// (server.go, through Serve) and the API tests (internal/apitest, through
// Build) use the same assembly.
package app

import (
	"log/slog"
	"net/http"

	"storefront/commerce/budget"
	"storefront/commerce/cart"
	"storefront/commerce/catalog"
	"storefront/commerce/checkout"
	"storefront/commerce/identity"
	"storefront/commerce/inventory"
	"storefront/commerce/live"
	"storefront/commerce/money"
	"storefront/commerce/orders"
	"storefront/commerce/payment"
	"storefront/commerce/pricing"
	"storefront/database"
	"storefront/graph"
	"storefront/graph/respcache"
	"storefront/httpserver"
	"storefront/relay/lookup"
)

// Parts are what Build assembles. Zero values take defaults: the shop
// currency USD, the simulated payment provider, a new live broker that is
// also the publisher, budget.Defaults, no response cache.
type Parts struct {
	Logger   *slog.Logger
	Currency string
	// Identity configures accounts and tokens (Keys is required).
	Identity identity.Config
	// Pricing are the shipping and tax rules of carts.
	Pricing pricing.Rules
	// Payments takes payments.
	Payments payment.Provider
	// Budget are the per-client limits on carts, discount code attempts
	// and checkouts.
	Budget budget.Config
	// Broker delivers live events to this process's subscribers.
	// Publisher is where stock and cart changes are announced: the broker,
	// or a fan-out in front of it across replicas (commerce/live).
	Broker    *live.Broker
	Publisher live.Publisher
	// ResponseCache keeps anonymous catalogue answers; Build installs its
	// invalidation on the database's client.
	ResponseCache *respcache.Cache
	// CatalogChanged, when set, is called instead of ResponseCache's
	// Invalidate after every committed catalogue or stock write (across
	// replicas it also tells the others).
	CatalogChanged func()
	// GraphQL are the API's limits and switches (its services are Build's).
	GraphQL graph.Options
	// HTTP is the HTTP surface (Build sets its logger, GraphQL handler,
	// readiness check and metrics).
	HTTP httpserver.Config
}

// App is the storefront assembled over one database.
type App struct {
	DB       *database.DB
	Services graph.Services
	// GraphQL is the API handler (its GoingAway closes the websockets).
	GraphQL *graph.Handler
	// Handler is the whole HTTP surface: GraphQL, playground, health,
	// metrics.
	Handler http.Handler
}

// Build makes every service once, over db, and the handlers that serve
// them.
func Build(db *database.DB, p Parts) *App {
	if p.Logger == nil {
		p.Logger = slog.Default()
	}
	if p.Currency == "" {
		p.Currency = money.DefaultCurrency
	}
	// Cart amounts are in the shop's currency.
	p.Pricing.Currency = p.Currency
	if p.Payments == nil {
		p.Payments = payment.NewSimulated()
	}
	if p.Broker == nil {
		p.Broker = live.NewBroker()
	}
	if p.Publisher == nil {
		p.Publisher = p.Broker
	}
	if p.ResponseCache != nil {
		changed := p.CatalogChanged
		if changed == nil {
			changed = p.ResponseCache.Invalidate
		}
		// Every committed catalogue or stock write empties the cache.
		db.Client.Use(respcache.Hook(changed))
	}
	c := db.Client
	inv := inventory.New(c, p.Publisher)
	spend := budget.New(p.Budget)
	carts := cart.New(c, p.Pricing, p.Publisher).WithBudget(spend)
	ords := orders.New(c, inv, p.Payments, p.Logger)
	svc := graph.Services{
		Catalog:      catalog.New(c, p.Currency),
		Lookup:       lookup.New(c),
		Identity:     identity.New(c, p.Identity),
		Inventory:    inv,
		Carts:        carts,
		OrderService: ords,
		Checkout:     checkout.New(c, carts, inv, ords).WithBudget(spend),
		Live:         live.NewService(c, p.Broker, carts),
	}
	opts := p.GraphQL
	opts.Logger = p.Logger
	opts.ResponseCache = p.ResponseCache
	gql := graph.NewHandler(c, svc, opts)
	h := p.HTTP
	h.Logger, h.GraphQL, h.Ready = p.Logger, gql, db.Ping
	h.Collectors = append(h.Collectors, database.Statements, respcache.Requests)
	return &App{DB: db, Services: svc, GraphQL: gql, Handler: httpserver.New(h)}
}
