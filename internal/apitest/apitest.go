// Package apitest drives the real HTTP handler (the one server.go serves)
// with gqlgen's client, for API tests on SQLite and PostgreSQL.
package apitest

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/client"

	"storefront/database"
	"storefront/graph"
	"storefront/httpserver"
)

// API is a test client bound to one database.
type API struct {
	DB      *database.DB
	Handler http.Handler
	client  *client.Client
}

// New builds the full HTTP handler over db.
func New(t testing.TB, db *database.DB) *API {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(&testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	h := httpserver.New(httpserver.Config{
		Logger:         logger,
		GraphQL:        graph.NewHandler(db.Client, graph.Options{Logger: logger, Introspection: true}),
		Ready:          db.Ping,
		Playground:     true,
		AllowedOrigins: []string{"*"},
	})
	c := client.New(h)
	c.SetCustomTarget("/graphql")
	return &API{DB: db, Handler: h, client: c}
}

type testWriter struct{ t testing.TB }

func (w *testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// Vars are the variables of an operation.
type Vars map[string]any

func options(vars Vars) []client.Option {
	var opts []client.Option
	for k, v := range vars {
		opts = append(opts, client.Var(k, v))
	}
	return opts
}

// Query runs an operation that must succeed and decodes its data into out
// (by JSON, so that struct tags apply).
func (a *API) Query(t testing.TB, query string, vars Vars, out any) {
	t.Helper()
	resp, err := a.client.RawPost(query, options(vars)...)
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
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	return a.Do(req)
}

// Do serves a request through the handler.
func (a *API) Do(req *http.Request) (int, []byte) {
	w := httptest.NewRecorder()
	a.Handler.ServeHTTP(w, req)
	return w.Code, w.Body.Bytes()
}
