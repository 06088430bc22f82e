package app

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"entgo.io/ent/dialect"

	"storefront/commerce/identity"
	"storefront/commerce/live"
	"storefront/commerce/orders"
	"storefront/commerce/payment"
	"storefront/database"
	"storefront/demo"
	"storefront/ent/customer"
	"storefront/graph"
	"storefront/graph/oplimit"
	"storefront/graph/respcache"
	"storefront/httpserver"
	"storefront/pgnotify"
)

// Serve runs the server of cfg until ctx ends (SIGTERM), then drains it:
// database, migrations, demo data and staff account when asked for, the
// app (Build), the unpaid-order expiry, and HTTP(S).
func Serve(ctx context.Context, cfg Config, logger *slog.Logger) error {
	if cfg.memoryLimitMB > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(cfg.memoryLimitMB) << 20)
	}
	if cfg.gcPercent > 0 && os.Getenv("GOGC") == "" {
		debug.SetGCPercent(cfg.gcPercent)
	}
	logger.Debug("configuration", cfg.settings...)
	db, err := database.Open(ctx, cfg.databaseURL, database.Options{MaxOpenConns: cfg.dbMaxConns})
	if err != nil {
		return err
	}
	defer db.Close()
	logger.Info("database open", "dialect", db.Dialect, "url", database.Redact(cfg.databaseURL))
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	if err := seedCatalogue(ctx, cfg, db, logger); err != nil {
		return err
	}
	parts, err := partsOf(ctx, cfg, db, logger)
	if err != nil {
		return err
	}
	a := Build(db, parts)
	if err := prepareAccounts(ctx, cfg, a, logger); err != nil {
		return err
	}
	go expireUnpaidOrders(ctx, a.Services.OrderService, cfg.unpaidTTL, logger)

	srv := newHTTPServer(cfg, a.Handler, logger)
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() {
		logger.Info("listening", "addr", ln.Addr().String(), "tls", cfg.tlsCertFile != "", "graphql", "/graphql",
			"playground", cfg.playground, "introspection", cfg.introspection, "production", cfg.production)
		errc <- serve(srv, ln, cfg)
	}()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", cfg.shutdownTimeout)
	// Websockets are hijacked: Shutdown does not wait for them. Close them
	// with 1001 so that clients reconnect to another replica.
	a.GraphQL.GoingAway()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// partsOf reads the parts of the app from cfg. On PostgreSQL, live events
// and catalogue changes go through LISTEN/NOTIFY across replicas.
func partsOf(ctx context.Context, cfg Config, db *database.DB, logger *slog.Logger) (Parts, error) {
	keys, err := signingKeys(cfg.jwtKeys, logger)
	if err != nil {
		return Parts{}, err
	}
	rules, err := pricingRules(cfg)
	if err != nil {
		return Parts{}, err
	}
	payments := payment.NewSimulated()
	payments.DeclineAll = cfg.declinePayments
	clientCost := cfg.clientCost
	if clientCost <= 0 {
		clientCost = -1 // no budget
	}
	origins := strings.Split(cfg.corsOrigins, ",")
	p := Parts{
		Logger:   logger,
		Currency: cfg.currency,
		Identity: identity.Config{Keys: keys, AccessTTL: cfg.accessTTL, SessionTTL: cfg.sessionTTL},
		Pricing:  rules,
		Payments: payments,
		Broker:   live.NewBroker(),
		GraphQL: graph.Options{
			ComplexityLimit:     cfg.complexityLimit,
			OperationTimeout:    cfg.opTimeout,
			MaxResponseBytes:    cfg.maxResponseMB << 20,
			ClientCostPerMinute: clientCost,
			Introspection:       cfg.introspection,
			DisableSuggestions:  cfg.production,
			AllowedOrigins:      origins,
		},
		HTTP: httpserver.Config{
			Playground:      cfg.playground,
			AllowedOrigins:  origins,
			TrustProxy:      cfg.trustProxy,
			TrustedProxies:  cfg.trustedProxies,
			BodyReadTimeout: cfg.bodyReadTimeout,
		},
	}
	if cfg.trustedDocs != "" {
		docs, err := oplimit.LoadTrustedDocuments(cfg.trustedDocs)
		if err != nil {
			return Parts{}, err
		}
		if p.GraphQL.TrustedDocuments, err = oplimit.NewTrusted(docs); err != nil {
			return Parts{}, err
		}
		logger.Info("trusted documents only", "documents", len(docs))
	}
	p.Publisher = p.Broker
	if cfg.cacheMB > 0 {
		p.ResponseCache = respcache.New(respcache.Options{MaxBytes: cfg.cacheMB << 20, TTL: cfg.cacheTTL})
	}
	if db.Dialect != dialect.Postgres {
		return p, nil
	}
	cache := p.ResponseCache
	hooks := pgnotify.Hooks{Resync: func(ctx context.Context) {
		if err := live.Resync(ctx, db.Client, p.Broker); err != nil {
			logger.Warn("live: resync failed", "err", err)
		}
	}}
	if cache != nil {
		// Deaf to other replicas' changes: no cached answers meanwhile.
		hooks.CatalogChanged, hooks.Disconnected, hooks.Reconnected = cache.Invalidate, cache.Suspend, cache.Resume
	}
	fanout, err := pgnotify.Start(ctx, cfg.databaseURL, db.SQL, p.Broker, logger, hooks)
	if err != nil {
		return Parts{}, fmt.Errorf("live events: %w", err)
	}
	p.Publisher = fanout
	if cache != nil {
		p.CatalogChanged = func() { cache.Invalidate(); fanout.PublishCatalogChange() }
	}
	return p, nil
}

// seedCatalogue fills an empty database with the demo catalogue and its
// discount codes when SEED_DEMO asks for it (before Build, whose hooks
// would announce each of its writes).
func seedCatalogue(ctx context.Context, cfg Config, db *database.DB, logger *slog.Logger) error {
	if !cfg.seedDemo {
		return nil
	}
	seeded, stats, err := demo.SeedIfEmpty(ctx, db.Client, demo.Options{Products: cfg.demoProducts, Log: logger, Currency: cfg.currency})
	if err != nil {
		return fmt.Errorf("seeding the demo catalogue: %w", err)
	}
	if seeded {
		logger.Info("demo catalogue seeded", "products", stats.Products, "variants", stats.Variants, "categories", stats.Categories)
		if err := db.Analyze(ctx); err != nil {
			return err
		}
	}
	return demo.SeedDiscountCodes(ctx, db.Client)
}

// prepareAccounts makes the demo accounts (with SEED_DEMO) and the
// STAFF_EMAIL account.
func prepareAccounts(ctx context.Context, cfg Config, a *App, logger *slog.Logger) error {
	ids := a.Services.Identity
	if cfg.seedDemo {
		if err := demo.SeedAccounts(ctx, ids); err != nil {
			return fmt.Errorf("seeding the demo accounts: %w", err)
		}
	}
	if cfg.staffEmail != "" {
		if _, err := ids.EnsureAccount(ctx, cfg.staffEmail, cfg.staffPassword, "Staff", customer.RoleSTAFF); err != nil {
			return fmt.Errorf("STAFF_EMAIL account: %w", err)
		}
		logger.Info("staff account ready", "email", cfg.staffEmail)
	}
	return nil
}

// newHTTPServer is the HTTP server with its limits: headers must arrive
// within 10 s and fit in 64 KiB, idle keep-alive connections close after
// 2 min. There is no WriteTimeout, which would cut websockets and SSE
// streams; request bodies have their own deadline (BODY_READ_TIMEOUT).
func newHTTPServer(cfg Config, h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              cfg.addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10,
		IdleTimeout:       120 * time.Second,
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// serve serves srv on ln: HTTPS when a certificate is configured, plain
// HTTP otherwise (e.g. behind a TLS-terminating proxy).
func serve(srv *http.Server, ln net.Listener, cfg Config) error {
	if cfg.tlsCertFile != "" {
		return srv.ServeTLS(ln, cfg.tlsCertFile, cfg.tlsKeyFile)
	}
	return srv.Serve(ln)
}

// expireUnpaidOrders cancels abandoned unpaid orders every minute, so that
// they do not hold stock forever. Several replicas may run it: each
// cancellation happens once.
func expireUnpaidOrders(ctx context.Context, svc *orders.Service, ttl time.Duration, logger *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := svc.ExpireUnpaid(ctx, ttl); err != nil {
				logger.Error("expiring unpaid orders", "err", err)
			} else if n > 0 {
				logger.Info("cancelled unpaid orders", "count", n)
			}
		}
	}
}
