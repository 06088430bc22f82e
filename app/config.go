package app

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"storefront/auth/authtoken"
	"storefront/commerce/money"
	"storefront/commerce/pricing"
	"storefront/database"
	"storefront/httpserver"
)

// Config is the server's configuration: every setting is a flag whose
// default comes from an environment variable (README.md lists them).
type Config struct {
	addr            string
	databaseURL     string
	seedDemo        bool
	demoProducts    int
	playground      bool
	currency        string
	corsOrigins     string
	complexityLimit int
	opTimeout       time.Duration
	maxResponseMB   int
	clientCost      int
	trustedDocs     string
	memoryLimitMB   int
	gcPercent       int
	dbMaxConns      int
	jwtKeys         string
	accessTTL       time.Duration
	sessionTTL      time.Duration
	staffEmail      string
	staffPassword   string
	trustProxy      bool
	shippingFlat    string
	freeShipping    string
	taxRate         int
	unpaidTTL       time.Duration
	declinePayments bool
	logLevel        string
	logFormat       string
	shutdownTimeout time.Duration
	cacheMB         int
	cacheTTL        time.Duration
	production      bool
	introspection   bool
	bodyReadTimeout time.Duration
	tlsCertFile     string
	tlsKeyFile      string
	trustedProxies  []netip.Prefix
	// settings are every setting's effective value, secrets masked, for
	// the log (Serve logs them at debug level).
	settings []any
}

// LoadConfig reads the configuration from the flags in args and the
// environment. A value that cannot be read (DB_MAX_CONNS=abc) is an error
// naming its variable, never a silent default.
func LoadConfig(args []string) (Config, error) {
	var c Config
	var e envReader // a value it cannot read is an error, not its default
	fs := flag.NewFlagSet("storefront", flag.ContinueOnError)
	fs.StringVar(&c.addr, "addr", env("ADDR", ":8080"), "listen address (ADDR)")
	fs.StringVar(&c.databaseURL, "database-url", env("DATABASE_URL", "sqlite://storefront.db"), "sqlite://FILE or postgres://... (DATABASE_URL)")
	fs.BoolVar(&c.seedDemo, "seed-demo", e.boolean("SEED_DEMO", false), "fill an empty database with the demo catalogue (SEED_DEMO)")
	fs.IntVar(&c.demoProducts, "demo-products", e.integer("DEMO_PRODUCTS", 2000), "products in the demo catalogue (DEMO_PRODUCTS)")
	fs.BoolVar(&c.production, "production", e.boolean("PRODUCTION", false), "production mode: no playground, introspection or \"Did you mean\" hints unless PLAYGROUND/INTROSPECTION say otherwise (PRODUCTION)")
	fs.BoolVar(&c.playground, "playground", e.boolean("PLAYGROUND", true), "serve the GraphiQL playground at /; default false in production (PLAYGROUND)")
	fs.BoolVar(&c.introspection, "introspection", e.boolean("INTROSPECTION", true), "allow schema introspection; default false in production (INTROSPECTION)")
	fs.StringVar(&c.currency, "currency", env("SHOP_CURRENCY", money.DefaultCurrency), "the shop's ISO 4217 currency (SHOP_CURRENCY)")
	fs.StringVar(&c.corsOrigins, "cors-origins", env("CORS_ALLOWED_ORIGINS", "*"), "comma-separated browser origins allowed by CORS, * for any (CORS_ALLOWED_ORIGINS)")
	fs.IntVar(&c.complexityLimit, "complexity-limit", e.integer("COMPLEXITY_LIMIT", 20000), "maximum complexity of one operation (COMPLEXITY_LIMIT)")
	fs.DurationVar(&c.opTimeout, "operation-timeout", e.duration("OPERATION_TIMEOUT", 5*time.Second), "longest a query or mutation may run; its database work is cancelled then (OPERATION_TIMEOUT)")
	fs.IntVar(&c.maxResponseMB, "max-response-mb", e.integer("MAX_RESPONSE_MB", 8), "largest answer of one operation, in MiB (MAX_RESPONSE_MB)")
	fs.IntVar(&c.clientCost, "client-cost-per-minute", e.integer("CLIENT_COST_PER_MINUTE", 300000), "operation cost one client (customer, else address) may spend per minute, 0 for no budget (CLIENT_COST_PER_MINUTE)")
	fs.IntVar(&c.gcPercent, "gc-percent", e.integer("GC_PERCENT", 400), "heap growth between collections, as GOGC (GOGC, when set, wins): the server's live heap is small, so the default 100 collects every few requests; the memory limit still bounds the heap (GC_PERCENT)")
	fs.IntVar(&c.memoryLimitMB, "memory-limit-mb", e.integer("MEMORY_LIMIT_MB", 256), "soft limit of the Go heap in MiB: the collector works harder near it (0: none; GOMEMLIMIT, when set, wins) (MEMORY_LIMIT_MB)")
	fs.StringVar(&c.trustedDocs, "trusted-documents", env("TRUSTED_DOCUMENTS", ""), "run only the operations of this persisted query manifest (TRUSTED_DOCUMENTS)")
	fs.IntVar(&c.dbMaxConns, "db-max-conns", e.integer("DB_MAX_CONNS", 0), "database pool size, 0 for the per-database default (DB_MAX_CONNS)")
	fs.StringVar(&c.jwtKeys, "jwt-keys", env("JWT_KEYS", ""), "access-token signing keys, kid:secret[,kid:secret...], the first signs; secrets of 32+ bytes; empty: a random key per start (JWT_KEYS)")
	fs.DurationVar(&c.accessTTL, "access-token-ttl", e.duration("ACCESS_TOKEN_TTL", 15*time.Minute), "life of an access token (ACCESS_TOKEN_TTL)")
	fs.DurationVar(&c.sessionTTL, "session-ttl", e.duration("SESSION_TTL", 30*24*time.Hour), "absolute life of a sign-in session (SESSION_TTL)")
	fs.StringVar(&c.staffEmail, "staff-email", env("STAFF_EMAIL", ""), "create or update this staff account on start (STAFF_EMAIL)")
	fs.StringVar(&c.staffPassword, "staff-password", env("STAFF_PASSWORD", ""), "password of the STAFF_EMAIL account (STAFF_PASSWORD)")
	fs.BoolVar(&c.trustProxy, "trust-proxy", e.boolean("TRUST_PROXY", false), "take the client address from X-Forwarded-For, behind a trusted proxy (TRUST_PROXY)")
	trusted := fs.String("trusted-proxies", env("TRUSTED_PROXIES", ""), "comma-separated CIDRs or addresses of the proxies whose X-Forwarded-For entries are believed; implies -trust-proxy; empty: the direct peer only (TRUSTED_PROXIES)")
	fs.DurationVar(&c.bodyReadTimeout, "body-read-timeout", e.duration("BODY_READ_TIMEOUT", 10*time.Second), "how long a client has to send a request body (BODY_READ_TIMEOUT)")
	fs.StringVar(&c.tlsCertFile, "tls-cert-file", env("TLS_CERT_FILE", ""), "PEM certificate (chain) to serve HTTPS with, together with -tls-key-file (TLS_CERT_FILE)")
	fs.StringVar(&c.tlsKeyFile, "tls-key-file", env("TLS_KEY_FILE", ""), "PEM private key of -tls-cert-file (TLS_KEY_FILE)")
	fs.StringVar(&c.shippingFlat, "shipping-flat", env("SHIPPING_FLAT", "4.99"), "flat shipping charge of a cart, in the shop currency (SHIPPING_FLAT)")
	fs.StringVar(&c.freeShipping, "free-shipping-over", env("FREE_SHIPPING_OVER", "50.00"), "subtotal from which shipping is free, 0 for never (FREE_SHIPPING_OVER)")
	fs.IntVar(&c.taxRate, "tax-rate-bp", e.integer("TAX_RATE_BP", 0), "tax rate in basis points, 2300 = 23% (TAX_RATE_BP)")
	fs.DurationVar(&c.unpaidTTL, "unpaid-order-ttl", e.duration("UNPAID_ORDER_TTL", 30*time.Minute), "cancel orders still unpaid after this long, returning their stock (UNPAID_ORDER_TTL)")
	fs.BoolVar(&c.declinePayments, "decline-payments", e.boolean("DECLINE_PAYMENTS", false), "make the simulated payment provider decline every payment (DECLINE_PAYMENTS)")
	fs.StringVar(&c.logLevel, "log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error (LOG_LEVEL)")
	fs.StringVar(&c.logFormat, "log-format", env("LOG_FORMAT", "text"), "text or json (LOG_FORMAT)")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", e.duration("SHUTDOWN_TIMEOUT", 15*time.Second), "how long to drain requests on SIGTERM (SHUTDOWN_TIMEOUT)")
	fs.IntVar(&c.cacheMB, "response-cache-mb", e.integer("RESPONSE_CACHE_MB", 64), "memory for cached anonymous catalogue responses, 0 to turn the cache off (RESPONSE_CACHE_MB)")
	fs.DurationVar(&c.cacheTTL, "response-cache-ttl", e.duration("RESPONSE_CACHE_TTL", 10*time.Second), "longest life of a cached response; writes through the API empty the cache at once (RESPONSE_CACHE_TTL)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if err := errors.Join(e.errs...); err != nil {
		return c, err
	}
	if c.production {
		// Off in production unless asked for explicitly.
		if !explicit(fs, "playground", "PLAYGROUND") {
			c.playground = false
		}
		if !explicit(fs, "introspection", "INTROSPECTION") {
			c.introspection = false
		}
	}
	if (c.tlsCertFile == "") != (c.tlsKeyFile == "") {
		return c, errors.New("set TLS_CERT_FILE and TLS_KEY_FILE together")
	}
	if c.bodyReadTimeout <= 0 {
		return c, fmt.Errorf("BODY_READ_TIMEOUT must be positive, got %v", c.bodyReadTimeout)
	}
	var err error
	if c.trustedProxies, err = httpserver.ParseTrustedProxies(*trusted); err != nil {
		return c, fmt.Errorf("TRUSTED_PROXIES: %w", err)
	}
	if (c.staffEmail == "") != (c.staffPassword == "") {
		return c, errors.New("set STAFF_EMAIL and STAFF_PASSWORD together")
	}
	if !money.ValidCurrency(c.currency) {
		return c, fmt.Errorf("SHOP_CURRENCY %q is not an active ISO 4217 currency code such as USD (upper case)", c.currency)
	}
	c.settings = effective(fs)
	return c, nil
}

// explicit reports whether a setting was given, as a flag or in the
// environment, rather than left to its default.
func explicit(fs *flag.FlagSet, flagName, envName string) bool {
	if env(envName, "") != "" {
		return true
	}
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == flagName })
	return set
}

func pricingRules(cfg Config) (pricing.Rules, error) {
	flat, err := money.Parse(cfg.shippingFlat, cfg.currency)
	if err != nil {
		return pricing.Rules{}, fmt.Errorf("SHIPPING_FLAT: %w", err)
	}
	free, err := money.Parse(cfg.freeShipping, cfg.currency)
	if err != nil {
		return pricing.Rules{}, fmt.Errorf("FREE_SHIPPING_OVER: %w", err)
	}
	if cfg.taxRate < 0 || cfg.taxRate > 10000 {
		return pricing.Rules{}, fmt.Errorf("TAX_RATE_BP must be 0 to 10000, got %d", cfg.taxRate)
	}
	return pricing.Rules{ShippingFlat: flat, FreeShippingOver: free, TaxRateBasisPoints: int64(cfg.taxRate)}, nil
}

// signingKeys parses JWT_KEYS, or makes a random key for development: its
// tokens die with the process and are not shared between replicas.
func signingKeys(spec string, logger *slog.Logger) (*authtoken.Keyring, error) {
	if spec == "" {
		logger.Warn("JWT_KEYS is not set: using a random signing key; tokens will not survive a restart or work across replicas")
		return authtoken.RandomKeyring(), nil
	}
	keys, err := authtoken.ParseKeyring(spec)
	if err != nil {
		return nil, fmt.Errorf("JWT_KEYS: %w", err)
	}
	return keys, nil
}

// NewLogger is the server's structured logger, at LOG_LEVEL in LOG_FORMAT.
func NewLogger(cfg Config) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.logLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.logFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

func env(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

// envReader reads typed settings from the environment; a variable that
// is set but cannot be read as its type is an error that names it (the
// server refuses to start) instead of a silent fallback to the default.
type envReader struct{ errs []error }

func (e *envReader) fail(key, v, want string) {
	e.errs = append(e.errs, fmt.Errorf("%s=%q: want %s", key, v, want))
}

func (e *envReader) boolean(key string, def bool) bool {
	v := env(key, "")
	switch strings.ToLower(v) {
	case "":
		return def
	case "1", "true", "yes", "on":
		return true
	case "0", "false", "no", "off":
		return false
	}
	e.fail(key, v, "true or false (also 1/0, yes/no, on/off)")
	return def
}

func (e *envReader) integer(key string, def int) int {
	v := env(key, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		e.fail(key, v, "a whole number")
		return def
	}
	return n
}

func (e *envReader) duration(key string, def time.Duration) time.Duration {
	v := env(key, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		e.fail(key, v, "a duration with a unit, such as 15m, 30s or 2h")
		return def
	}
	return d
}

// secretSettings are the flags whose values the log never shows.
var secretSettings = map[string]bool{"jwt-keys": true, "staff-password": true}

// effective lists every setting's value after parsing (flag name, value),
// with secrets masked and the database URL's password redacted.
func effective(fs *flag.FlagSet) []any {
	var out []any
	fs.VisitAll(func(f *flag.Flag) {
		v := f.Value.String()
		switch {
		case secretSettings[f.Name] && v != "":
			v = "(set, not shown)"
		case f.Name == "database-url":
			v = database.Redact(v)
		}
		out = append(out, slog.String(f.Name, v))
	})
	return out
}
