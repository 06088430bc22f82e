// Package apitest drives the real HTTP handler (the one server.go serves)
// with gqlgen's client, for API tests on SQLite and PostgreSQL.
package apitest

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/client"

	"storefront/app"
	"storefront/auth/authtoken"
	"storefront/auth/password"
	"storefront/auth/ratelimit"
	"storefront/commerce/budget"
	"storefront/commerce/identity"
	"storefront/commerce/live"
	"storefront/commerce/payment"
	"storefront/commerce/pricing"
	"storefront/database"
	"storefront/graph"
	"storefront/graph/respcache"
	"storefront/httpserver"
)

// API is a test client bound to one database.
type API struct {
	DB       *database.DB
	Handler  http.Handler
	Identity *identity.Service
	client   *client.Client
	// token is sent as a bearer token when set (see As).
	token string
	// remoteAddr is the client address of requests when set (see From).
	remoteAddr string
}

// From returns a view of the API whose requests come from the client
// address addr (an IP), as the limits per client address see it; requests
// come from httptest's 192.0.2.1 otherwise.
func (a *API) From(addr string) *API {
	c := *a
	c.remoteAddr = net.JoinHostPort(addr, "1234")
	return &c
}

// As returns a view of the API whose requests carry the access token.
func (a *API) As(token string) *API {
	c := *a
	c.token = token
	return &c
}

// TestKeys is the token keyring of test servers.
const TestKeys = "test:0123456789abcdef0123456789abcdef"

// FastPasswords are argon2id parameters that keep tests quick under -race;
// production uses password.DefaultParams.
var FastPasswords = password.Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// GenerousBudgets are the per-client budgets of test servers: tests check
// out and create carts by the hundred from one address. Tests of the
// budgets set Graph.Budget themselves (its zero value: budget.Defaults).
var GenerousBudgets = budget.Config{
	CartsPerClient:     ratelimit.Rate{Burst: 100_000, Every: time.Millisecond},
	DiscountsPerCart:   ratelimit.Rate{Burst: 100_000, Every: time.Millisecond},
	DiscountsPerClient: ratelimit.Rate{Burst: 100_000, Every: time.Millisecond},
	CheckoutsPerClient: ratelimit.Rate{Burst: 100_000, Every: time.Millisecond},
}

// Config is what a test server is built from; Options adjust it.
type Config struct {
	Identity identity.Config
	Graph    graph.Options
	// Currency, Pricing, Payments, Budget and Broker are the app's
	// (app.Parts; the currency defaults to money.DefaultCurrency).
	Currency string
	Pricing  pricing.Rules
	Payments payment.Provider
	Budget   budget.Config
	Broker   *live.Broker
	// NoResponseCache leaves the response cache out (it is on by default,
	// as in the server).
	NoResponseCache bool
	// BodyReadTimeout is the HTTP surface's (default that of httpserver).
	BodyReadTimeout time.Duration
}

// Option adjusts the configuration of a test server.
type Option func(*Config)

// TestPricing are the cart rules of test servers: 4.99 shipping, free from
// 50.00, no tax.
var TestPricing = pricing.Rules{ShippingFlat: 499, FreeShippingOver: 5000}

// New builds the full HTTP handler over db.
func New(t testing.TB, db *database.DB, opts ...Option) *API {
	t.Helper()
	keys, err := authtoken.ParseKeyring(TestKeys)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Identity: identity.Config{Keys: keys, Password: FastPasswords},
		Graph: graph.Options{Introspection: true, AllowedOrigins: []string{"*"},
			// Tests make many requests from one address; TestClientCostBudget
			// and the noisy neighbour set the budget themselves.
			ClientCostPerMinute: -1},
		Pricing: TestPricing,
		Budget:  GenerousBudgets,
	}
	for _, o := range opts {
		o(&cfg)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(&testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	parts := app.Parts{
		Logger:   logger,
		Currency: cfg.Currency,
		Identity: cfg.Identity,
		Pricing:  cfg.Pricing,
		Payments: cfg.Payments,
		Budget:   cfg.Budget,
		Broker:   cfg.Broker,
		GraphQL:  cfg.Graph,
		HTTP:     httpserver.Config{Playground: true, AllowedOrigins: []string{"*"}, BodyReadTimeout: cfg.BodyReadTimeout},
	}
	if !cfg.NoResponseCache {
		// As in production: the cache, emptied by every committed
		// catalogue write made through this client.
		parts.ResponseCache = respcache.New(respcache.Options{})
	}
	a := app.Build(db, parts)
	h := a.Handler
	c := client.New(h)
	c.SetCustomTarget("/graphql")
	return &API{DB: db, Handler: h, Identity: a.Services.Identity, client: c}
}

type testWriter struct{ t testing.TB }

func (w *testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// Vars are the variables of an operation.
type Vars map[string]any

func (a *API) options(vars Vars) []client.Option {
	var opts []client.Option
	if a.token != "" {
		opts = append(opts, client.AddHeader("Authorization", "Bearer "+a.token))
	}
	if a.remoteAddr != "" {
		addr := a.remoteAddr
		opts = append(opts, func(r *client.Request) { r.HTTP.RemoteAddr = addr })
	}
	for k, v := range vars {
		opts = append(opts, client.Var(k, v))
	}
	return opts
}

// Query runs an operation that must succeed and decodes its data into out
// (by JSON, so that struct tags apply).
func (a *API) Query(t testing.TB, query string, vars Vars, out any) {
	t.Helper()
	resp, err := a.client.RawPost(query, a.options(vars)...)
	if err != nil {
		t.Fatalf("query failed: %v", err)
	}
	if len(resp.Errors) > 0 && string(resp.Errors) != "null" {
		t.Fatalf("unexpected errors: %s", resp.Errors)
	}
	b, err := json.Marshal(resp.Data)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
}

// Error is one GraphQL error of a response.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns extensions.code.
func (e Error) Code() string {
	s, _ := e.Extensions["code"].(string)
	return s
}

// Field returns extensions.field, the path of the argument at fault.
func (e Error) Field() []string {
	raw, _ := e.Extensions["field"].([]any)
	out := make([]string, 0, len(raw))
	for _, f := range raw {
		s, _ := f.(string)
		out = append(out, s)
	}
	return out
}

// Errors runs an operation that must fail and returns its errors and data.
func (a *API) Errors(t testing.TB, query string, vars Vars) ([]Error, json.RawMessage) {
	t.Helper()
	status, body := a.Post(t, map[string]any{"query": query, "variables": vars}, nil)
	var resp struct {
		Data   json.RawMessage `json:"data"`
		Errors []Error         `json:"errors"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatalf("status %d, undecodable body %q: %v", status, body, err)
	}
	if len(resp.Errors) == 0 {
		t.Fatalf("expected errors, got status %d body %s", status, body)
	}
	if status >= 500 {
		t.Fatalf("status %d for a client error: %s", status, body)
	}
	return resp.Errors, resp.Data
}

// ExpectCode runs an operation that must fail with one error of code.
func (a *API) ExpectCode(t testing.TB, code, query string, vars Vars) Error {
	t.Helper()
	errs, _ := a.Errors(t, query, vars)
	for _, e := range errs {
		if e.Code() != code {
			t.Fatalf("want code %s, got %s (%q)", code, e.Code(), e.Message)
		}
	}
	return errs[0]
}

// Post sends a raw GraphQL-over-HTTP POST and returns status and body.
func (a *API) Post(t testing.TB, body any, header http.Header) (int, []byte) {
	t.Helper()
	w := a.Send(t, body, header)
	return w.Code, w.Body.Bytes()
}

// Send sends a raw GraphQL-over-HTTP POST and returns the whole response,
// headers included.
func (a *API) Send(t testing.TB, body any, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if a.remoteAddr != "" {
		req.RemoteAddr = a.remoteAddr
	}
	w := httptest.NewRecorder()
	a.Handler.ServeHTTP(w, req)
	return w
}

// Do serves a request through the handler.
func (a *API) Do(req *http.Request) (int, []byte) {
	w := httptest.NewRecorder()
	a.Handler.ServeHTTP(w, req)
	return w.Code, w.Body.Bytes()
}

// Account is a customer signed in for a test.
type Account struct {
	ID, Email, Password       string
	AccessToken, RefreshToken string
}

// SignUp creates a customer account through the API and signs it in.
func (a *API) SignUp(t testing.TB, email, password string) Account {
	t.Helper()
	var created struct {
		CustomerCreate struct {
			Customer   *struct{ ID string }
			UserErrors []struct{ Message string }
		}
	}
	a.Query(t, `mutation($e: String!, $p: String!) { customerCreate(input: {email: $e, password: $p, name: "Test"}) { customer { id } userErrors { message } } }`,
		Vars{"e": email, "p": password}, &created)
	if created.CustomerCreate.Customer == nil {
		t.Fatalf("sign-up of %s failed: %+v", email, created.CustomerCreate.UserErrors)
	}
	acc := a.SignIn(t, email, password)
	acc.ID = created.CustomerCreate.Customer.ID
	return acc
}

// SignIn signs an existing account in through the API.
func (a *API) SignIn(t testing.TB, email, password string) Account {
	t.Helper()
	var r struct {
		CustomerSignIn struct {
			AccessToken, RefreshToken *string
			Customer                  *struct{ ID string }
			UserErrors                []struct{ Message string }
		}
	}
	a.Query(t, `mutation($e: String!, $p: String!) { customerSignIn(input: {email: $e, password: $p}) { accessToken refreshToken customer { id } userErrors { message } } }`,
		Vars{"e": email, "p": password}, &r)
	if r.CustomerSignIn.AccessToken == nil {
		t.Fatalf("sign-in of %s failed: %+v", email, r.CustomerSignIn.UserErrors)
	}
	return Account{ID: r.CustomerSignIn.Customer.ID, Email: email, Password: password,
		AccessToken: *r.CustomerSignIn.AccessToken, RefreshToken: *r.CustomerSignIn.RefreshToken}
}

// Websocket runs query over a real websocket (gqlgen's client, legacy
// graphql-ws protocol), with initPayload as the connection_init payload.
func (a *API) Websocket(query string, initPayload map[string]any, vars Vars) *client.Subscription {
	return a.client.WebsocketWithPayload(query, initPayload, a.options(vars)...)
}

// Statements runs an operation that must succeed and returns how many SQL
// statements computing its answer took: it bypasses the response cache.
func (a *API) Statements(t testing.TB, query string, vars Vars) int64 {
	t.Helper()
	b, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	ctx, n := database.CountStatements(context.Background())
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cache-Control", "no-cache")
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	status, body := a.Do(req)
	if status != http.StatusOK || strings.Contains(string(body), `"errors"`) {
		t.Fatalf("status %d: %.500s", status, body)
	}
	return n.Load()
}
