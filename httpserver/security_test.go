package httpserver_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"storefront/httpserver"
)

// TestSecurityHeaders: every response of the HTTP surface carries the
// hardening headers; HSTS only over TLS; the playground keeps its CDN
// scripts but may not be framed either.
func TestSecurityHeaders(t *testing.T) {
	h := httpserver.New(httpserver.Config{
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		GraphQL:    echoLength,
		Ready:      func(context.Context) error { return nil },
		Playground: true,
	})
	plain := httptest.NewServer(h)
	t.Cleanup(plain.Close)
	secure := httptest.NewTLSServer(h)
	t.Cleanup(secure.Close)

	for _, srv := range []*httptest.Server{plain, secure} {
		overTLS := srv == secure
		for _, tc := range []struct {
			method, path string
			status       int
			csp          string
		}{
			{http.MethodPost, "/graphql", http.StatusOK, "default-src 'none'; frame-ancestors 'none'"},
			{http.MethodGet, "/", http.StatusOK, "frame-ancestors 'none'; object-src 'none'; base-uri 'none'"},
			{http.MethodGet, "/healthz", http.StatusOK, "default-src 'none'; frame-ancestors 'none'"},
			{http.MethodGet, "/metrics", http.StatusOK, "default-src 'none'; frame-ancestors 'none'"},
			{http.MethodGet, "/nope", http.StatusNotFound, "default-src 'none'; frame-ancestors 'none'"},
		} {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(`{}`))
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			name := tc.method + " " + tc.path
			if overTLS {
				name += " over TLS"
			}
			if resp.StatusCode != tc.status {
				t.Errorf("%s: status %d", name, resp.StatusCode)
			}
			for k, want := range map[string]string{
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "no-referrer",
				"X-Frame-Options":         "DENY",
				"Content-Security-Policy": tc.csp,
			} {
				if got := resp.Header.Get(k); got != want {
					t.Errorf("%s: %s %q, want %q", name, k, got, want)
				}
			}
			hsts := resp.Header.Get("Strict-Transport-Security")
			if overTLS && !strings.HasPrefix(hsts, "max-age=") {
				t.Errorf("%s: Strict-Transport-Security %q", name, hsts)
			}
			if !overTLS && hsts != "" {
				t.Errorf("%s: Strict-Transport-Security %q over plain HTTP", name, hsts)
			}
			if tc.path == "/" && !strings.Contains(string(body), "<script") {
				t.Errorf("playground page without its scripts: %.200s", body)
			}
		}
	}
	// Refusals before the GraphQL handler carry them too.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(strings.Repeat("a", 2<<20))))
	if w.Code != http.StatusRequestEntityTooLarge || w.Header().Get("X-Frame-Options") != "DENY" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("413: %d %v", w.Code, w.Header())
	}
}
