package graph

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/coder/websocket"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"storefront/commerce/access"
	"storefront/ent"
	"storefront/graph/generated"
	"storefront/graph/loader"
	"storefront/graph/oplimit"
	"storefront/graph/respcache"
	"storefront/graph/wstransport"
	"storefront/httpserver/origin"
	"storefront/internal/fastexec"
)

// Options configure the GraphQL handler.
type Options struct {
	Logger *slog.Logger
	// ComplexityLimit bounds the cost of one operation (graph/oplimit: each
	// field costs 1, a list multiplies its children by its bound).
	ComplexityLimit int
	// OperationTimeout bounds the execution of one query or mutation
	// (default 5 s); MaxResponseBytes the size of its answer (8 MiB).
	OperationTimeout time.Duration
	MaxResponseBytes int
	// OperationLimits override the other operation limits (depth,
	// selections, aliases, ...; zero fields keep the defaults).
	OperationLimits oplimit.Limits
	// ClientCostPerMinute is the operation cost one client (a customer, or
	// else a client address) may spend per minute, with a full minute's
	// worth at once (default 300,000; negative: no budget).
	ClientCostPerMinute int
	// TrustedDocuments, when set, are the only operations the server runs
	// (automatic persisted queries are off then); see oplimit.NewTrusted.
	TrustedDocuments *oplimit.Trusted
	// QueryCacheSize is how many parsed and validated documents are kept.
	QueryCacheSize int
	// Introspection allows schema introspection (the playground needs it).
	Introspection bool
	// DisableSuggestions leaves "Did you mean" hints out of validation
	// errors (they reveal the schema when introspection is off).
	DisableSuggestions bool
	// MaxSubscriptionsPerConnection and MaxConnectionsPerClient bound
	// websocket use (defaults 100 and 200).
	MaxSubscriptionsPerConnection int
	MaxConnectionsPerClient       int
	// AllowedOrigins are the browser origins allowed to open websockets
	// ("*" for any); requests without an Origin (native apps) are accepted.
	AllowedOrigins []string
	// ResponseCache keeps anonymous catalogue answers (nil: no cache). Its
	// invalidation hook must be installed on the writing client.
	ResponseCache *respcache.Cache
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.ComplexityLimit == 0 {
		o.ComplexityLimit = 20000
	}
	if o.MaxSubscriptionsPerConnection == 0 {
		o.MaxSubscriptionsPerConnection = 100
	}
	if o.MaxConnectionsPerClient == 0 {
		o.MaxConnectionsPerClient = 200
	}
	if o.ClientCostPerMinute == 0 {
		o.ClientCostPerMinute = 300000
	}
	if o.QueryCacheSize == 0 {
		o.QueryCacheSize = 1000
	}
}

// Handler serves GraphQL over HTTP, websockets and SSE.
type Handler struct {
	http.Handler
	ws *wstransport.Tracker
}

// GoingAway closes every websocket with 1001 Going Away, so that clients
// reconnect elsewhere; call it when the server starts shutting down.
func (h *Handler) GoingAway() { h.ws.GoingAway() }

// OpenWebsockets is the number of open websocket connections.
func (h *Handler) OpenWebsockets() int { return h.ws.Open() }

// NewHandler returns the GraphQL handler over client and the services, with its transports,
// limits, authentication and error handling set explicitly.
func NewHandler(client *ent.Client, svc Services, opts Options) *Handler {
	opts.defaults()
	ids, carts := svc.Identity, svc.Carts
	res := &Resolver{Client: client, Services: svc}
	srv := handler.New(generated.NewExecutableSchema(generated.Config{Resolvers: res}))

	origins := origin.New(opts.AllowedOrigins)
	// The tracker checks the origin (origins) before the library accepts.
	ws := wstransport.NewTracker(origins, transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{
		InsecureSkipVerify: true,
	}})
	limits := wstransport.NewLimits(opts.MaxConnectionsPerClient, opts.MaxSubscriptionsPerConnection)
	auth := websocketInit(ids)
	readLimit := int64(64 << 10)
	// graphql-transport-ws is served by wstransport.Server; the legacy
	// graphql-ws protocol by gqlgen's transport.
	srv.AddTransport(&wstransport.Server{
		Logger:  opts.Logger,
		Tracker: ws,
		Origins: origins,
		Init: func(ctx context.Context, p map[string]any) (context.Context, error) {
			ctx, _, err := auth(ctx, p)
			if err != nil {
				return ctx, err
			}
			return limits.Open(ctx)
		},
		Closed:      limits.Close,
		InitTimeout: 10 * time.Second,
		Ping:        20 * time.Second, // and close after 40 s without a pong
		ReadLimit:   readLimit,
	})
	srv.AddTransport(websocketOnly{transport.Websocket{
		Implementation: ws,
		InitFunc: func(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
			ctx, ack, err := auth(ctx, p)
			if err != nil {
				return ctx, nil, err
			}
			ctx, err = limits.Open(ctx)
			if err != nil {
				return wstransport.Refuse(ctx, err.Error()), nil, err
			}
			return ctx, ack, nil
		},
		CloseFunc:             func(ctx context.Context, _ int) { limits.Close(ctx) },
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: 15 * time.Second, // legacy graphql-ws: ka messages
		PayloadReadLimit:      &readLimit,
	}})
	srv.AddTransport(transport.SSE{})
	srv.AddTransport(optionsTransport{})
	srv.AddTransport(getTransport{})
	srv.AddTransport(postTransport{})
	srv.AddTransport(unsupported{}) // last: coded errors for the rest (httptransport.go)

	docs := lru.New[*ast.QueryDocument](opts.QueryCacheSize)
	srv.SetQueryCache(docs)
	oplimits := operationLimits(opts, func(ctx context.Context, q string) bool {
		_, ok := docs.Get(ctx, q)
		return ok
	})
	// No extension may intercept fields: the generated executor marshals
	// scalar fields read from the model without the resolver middleware
	// (internal/gqlpost), so a field interceptor would not see them.
	use := func(ext graphql.HandlerExtension) {
		if _, ok := ext.(graphql.FieldInterceptor); ok {
			panic(fmt.Sprintf("graph: %T intercepts fields, which the generated executor does not run for every field (see internal/gqlpost)", ext))
		}
		srv.Use(ext)
	}
	srv.SetParserTokenLimit(oplimits.Limits().TokenLimit)
	srv.SetDisableSuggestion(opts.DisableSuggestions)
	if opts.Introspection {
		use(extension.Introspection{})
	} else {
		use(noIntrospection{})
	}
	if opts.TrustedDocuments != nil {
		use(opts.TrustedDocuments)
	} else {
		use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	}
	// After the persisted queries: the limits see the query they stand for.
	use(oplimits)
	if opts.ResponseCache != nil {
		use(opts.ResponseCache)
	}

	srv.SetErrorPresenter(presentError(opts.Logger))
	srv.SetRecoverFunc(recoverPanic(opts.Logger))
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		// The IDs an operation named (guest carts and orders) count for the
		// whole operation, every event of a subscription included.
		return next(access.WithKnownIDs(ctx))
	})
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		// Fresh loaders per response: cached rows never cross requests, nor
		// the events of one subscription.
		return next(fastexec.WithReadyFields(loader.With(ctx, loader.New(client, carts))))
	})
	var h http.Handler = withRetryAfter(authenticate(ids, opts.Logger, srv))
	if opts.ResponseCache != nil {
		h = opts.ResponseCache.Middleware(h)
	}
	return &Handler{Handler: h, ws: ws}
}

func stack() string { return string(debug.Stack()) }
