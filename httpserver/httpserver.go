// Package httpserver assembles the HTTP surface of the API: the GraphQL
// endpoint, the playground, health and readiness probes and metrics, behind
// request ids, access logs, panic recovery, CORS and body limits.
package httpserver

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"storefront/httpserver/origin"
	"storefront/internal/requestid"
)

// Config holds what the HTTP surface needs.
type Config struct {
	Logger *slog.Logger
	// GraphQL serves POST and GET /graphql.
	GraphQL http.Handler
	// Ready reports whether the service can serve (the database answers).
	Ready func(context.Context) error
	// Playground serves GraphiQL at / when true.
	Playground bool
	// AllowedOrigins lists the browser origins allowed by CORS; "*" allows
	// any. Tokens travel in headers, not cookies, so credentials are off.
	AllowedOrigins []string
	// TrustProxy takes the client address from X-Forwarded-For: the
	// right-most address that is not a trusted proxy (see forwardedFor).
	TrustProxy bool
	// TrustedProxies are the proxy ranges whose X-Forwarded-For entries are
	// believed; empty, the direct peer is the one trusted proxy. Setting it
	// implies TrustProxy.
	TrustedProxies []netip.Prefix
	// MaxBodyBytes bounds a request body (default 1 MiB).
	MaxBodyBytes int64
	// BodyReadTimeout bounds the time a client has to send the body of a
	// /graphql request (default 10 s).
	BodyReadTimeout time.Duration
	// Collectors are more metrics to serve (e.g. SQL statement counts).
	Collectors []prometheus.Collector
	// Registry receives the HTTP metrics (default: a new registry with the
	// Go and process collectors).
	Registry *prometheus.Registry
}

// New returns the root HTTP handler.
func New(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.BodyReadTimeout == 0 {
		cfg.BodyReadTimeout = 10 * time.Second
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
		cfg.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	m := newMetrics(cfg.Registry)
	for _, c := range cfg.Collectors {
		if err := cfg.Registry.Register(c); err != nil {
			if _, dup := err.(prometheus.AlreadyRegisteredError); !dup {
				panic(err)
			}
		}
	}

	mux := http.NewServeMux()
	mux.Handle("/graphql", cors(cfg.AllowedOrigins, readBody(cfg.Logger, cfg.MaxBodyBytes, cfg.BodyReadTimeout, cfg.GraphQL)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := cfg.Ready(ctx); err != nil {
			cfg.Logger.WarnContext(ctx, "not ready", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": "database not reachable"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{}))
	if cfg.Playground {
		mux.Handle("GET /{$}", playgroundPolicy(playground.Handler("Storefront GraphQL", "/graphql")))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found", "graphql": "/graphql"})
	})
	var h http.Handler = mux
	if cfg.TrustProxy || len(cfg.TrustedProxies) > 0 {
		h = forwardedFor(cfg.TrustedProxies, h)
	}
	return securityHeaders(withRequestID(recoverer(cfg.Logger, accessLog(cfg.Logger, m, h))))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// withRequestID takes a well-formed X-Request-ID from the client or makes
// one, and echoes it in the response.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !validRequestID.MatchString(id) {
			id = requestid.New()
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(requestid.With(r.Context(), id)))
	})
}

// recoverer answers 500 instead of dropping the connection when a handler
// panics outside of GraphQL execution (gqlgen recovers resolver panics).
func recoverer(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logger.ErrorContext(r.Context(), "http: panic", "request_id", requestid.From(r.Context()), "panic", p)
				writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal server error", "requestId": requestid.From(r.Context())})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (flush,
// hijack for websockets).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush forwards to the underlying writer, for streaming transports.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "storefront_http_requests_total", Help: "HTTP requests by route and status.",
		}, []string{"route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "storefront_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func route(path string) string {
	switch path {
	case "/graphql", "/healthz", "/readyz", "/metrics", "/":
		return path
	}
	return "other"
}

func accessLog(logger *slog.Logger, m *metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		rt := route(r.URL.Path)
		elapsed := time.Since(start)
		m.requests.WithLabelValues(rt, strconv.Itoa(sw.status)).Inc()
		m.duration.WithLabelValues(rt).Observe(elapsed.Seconds())
		if rt == "/healthz" || rt == "/readyz" || rt == "/metrics" {
			return
		}
		logger.LogAttrs(r.Context(), slog.LevelInfo, "http request",
			slog.String("request_id", requestid.From(r.Context())),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Int("bytes", sw.bytes),
			slog.Duration("duration", elapsed),
		)
	})
}

// cors answers preflight requests and sets the CORS headers for allowed
// origins. Requests without an Origin (native apps, curl) pass unchanged.
func cors(allowed []string, next http.Handler) http.Handler {
	m := origin.New(allowed)
	any := m.Any()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if m.Allowed(origin) {
			h := w.Header()
			if any {
				h.Set("Access-Control-Allow-Origin", "*")
			} else {
				h.Set("Access-Control-Allow-Origin", origin)
				h.Add("Vary", "Origin")
			}
			h.Set("Access-Control-Expose-Headers", "X-Request-ID")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, X-Request-ID, Apollo-Require-Preflight")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
