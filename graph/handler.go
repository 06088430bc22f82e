package graph

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"storefront/commerce/access"
	"storefront/commerce/cart"
	"storefront/commerce/catalog"
	"storefront/commerce/checkout"
	"storefront/commerce/gid"
	"storefront/commerce/identity"
	"storefront/commerce/inventory"
	"storefront/commerce/lookup"
	"storefront/commerce/orders"
	"storefront/commerce/paging"
	"storefront/commerce/payment"
	"storefront/commerce/pricing"
	"storefront/ent"
	"storefront/graph/generated"
	"storefront/graph/loader"
	"storefront/graph/model"
)

// Options configure the GraphQL handler.
type Options struct {
	Logger *slog.Logger
	// Currency is the shop's currency (price filters are read in it).
	Currency string
	// ComplexityLimit bounds the cost of one operation; a connection field
	// costs its children times its page size.
	ComplexityLimit int
	// QueryCacheSize is how many parsed and validated documents are kept.
	QueryCacheSize int
	// Introspection allows schema introspection (the playground needs it).
	Introspection bool
	// Identity is the account service (required).
	Identity *identity.Service
	// Pricing are the shipping and tax rules of carts.
	Pricing pricing.Rules
	// Payments takes payments (default: the simulated provider).
	Payments payment.Provider
	// Publisher receives inventory events after each stock change (nil: none).
	Publisher inventory.Publisher
	// AllowedOrigins are the browser origins allowed to open websockets
	// ("*" for any); requests without an Origin (native apps) are accepted.
	AllowedOrigins []string
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Currency == "" {
		o.Currency = "USD"
	}
	if o.ComplexityLimit == 0 {
		o.ComplexityLimit = 20000
	}
	if o.Payments == nil {
		o.Payments = payment.NewSimulated()
	}
	if o.QueryCacheSize == 0 {
		o.QueryCacheSize = 1000
	}
}

// NewHandler returns the GraphQL HTTP handler over client, with its
// transports, limits, authentication and error handling set explicitly.
func NewHandler(client *ent.Client, opts Options) http.Handler {
	opts.defaults()
	ids := opts.Identity
	inv := inventory.New(client, opts.Publisher)
	carts := cart.New(client, opts.Pricing)
	ords := orders.New(client, inv, opts.Payments, opts.Logger)
	res := &Resolver{
		Client:       client,
		Catalog:      catalog.New(client, opts.Currency),
		Lookup:       lookup.New(client),
		Identity:     ids,
		Inventory:    inv,
		Carts:        carts,
		OrderService: ords,
		Checkout:     checkout.New(client, carts, inv, ords),
	}
	cfg := generated.Config{Resolvers: res}
	setComplexity(&cfg)
	srv := handler.New(generated.NewExecutableSchema(cfg))

	srv.AddTransport(transport.Websocket{
		Implementation: transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{
			OriginPatterns: originPatterns(opts.AllowedOrigins),
		}},
		InitFunc:              websocketInit(ids),
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: 15 * time.Second,
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})

	srv.SetQueryCache(lru.New[*ast.QueryDocument](opts.QueryCacheSize))
	srv.SetParserTokenLimit(15000)
	if opts.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(extension.FixedComplexityLimit(opts.ComplexityLimit))

	srv.SetErrorPresenter(presentError(opts.Logger))
	srv.SetRecoverFunc(recoverPanic(opts.Logger))
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		// Fresh loaders per operation: cached rows never cross requests.
		ctx = access.WithKnownIDs(ctx)
		return next(loader.With(ctx, loader.New(client, carts)))
	})
	return authenticate(ids, opts.Logger, srv)
}

// originPatterns turns the CORS origins ("https://shop.example") into the
// host patterns the websocket library matches ("shop.example").
func originPatterns(origins []string) []string {
	var out []string
	for _, o := range origins {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			o = u.Host
		}
		out = append(out, o)
	}
	return out
}

// setComplexity makes a connection cost its children's complexity times
// the page size it can return, so that nested connections are bounded.
func setComplexity(cfg *generated.Config) {
	size := func(first, last *int) int {
		switch {
		case first != nil && *first > 0:
			return min(*first, paging.MaxPageSize)
		case last != nil && *last > 0:
			return min(*last, paging.MaxPageSize)
		case first != nil || last != nil:
			return 1
		}
		return paging.DefaultPageSize
	}
	cfg.Complexity.Query.Products = func(child int, first *int, _ *ent.Cursor, last *int, _ *ent.Cursor, _ *model.ProductFilter, _ *model.ProductSortKeys, _ *bool) int {
		return 1 + child*size(first, last)
	}
	cfg.Complexity.Category.Products = func(child int, first *int, _ *ent.Cursor, last *int, _ *ent.Cursor, _ *model.ProductFilter, _ *model.ProductSortKeys, _ *bool) int {
		return 1 + child*size(first, last)
	}
	cfg.Complexity.Query.Categories = func(child int, first *int, _ *ent.Cursor, last *int, _ *ent.Cursor, _ *model.CategoryFilter) int {
		return 1 + child*size(first, last)
	}
	cfg.Complexity.Query.Nodes = func(child int, ids []*gid.ID) int {
		return 1 + child*max(len(ids), 1)
	}
}

func stack() string { return string(debug.Stack()) }
