package graph_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"storefront/database"
	"storefront/database/dbtest"
	"storefront/internal/apitest"
)

func TestMalformedRequests(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api := apitest.New(t, db)
		for name, body := range map[string]string{
			"not json":     `{"query": `,
			"no query":     `{}`,
			"query number": `{"query": 42}`,
		} {
			t.Run(name, func(t *testing.T) {
				req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				status, out := api.Do(req)
				if status < 400 || status >= 500 {
					t.Fatalf("status %d for a malformed request: %s", status, out)
				}
				var resp struct{ Errors []apitest.Error }
				if err := json.Unmarshal(out, &resp); err != nil || len(resp.Errors) == 0 {
					t.Fatalf("body %s: %v", out, err)
				}
				if code := resp.Errors[0].Code(); code == "INTERNAL" || code == "" {
					t.Fatalf("code %q for a malformed request: %s", code, out)
				}
			})
		}
		// A body over the limit is refused before it is read.
		big := `{"query":"{ __typename }","variables":{"x":"` + strings.Repeat("a", 2<<20) + `"}}`
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(big))
		req.Header.Set("Content-Type", "application/json")
		if status, _ := api.Do(req); status != http.StatusRequestEntityTooLarge {
			t.Fatalf("2 MiB body: status %d", status)
		}
	})
}

// TestInternalErrorsAreHidden breaks the database under a running handler:
// clients get INTERNAL with a request id and nothing of the driver's text,
// and readiness reports the outage.
func TestInternalErrorsAreHidden(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api := apitest.New(t, db)
		if status, _ := api.Do(httptest.NewRequest(http.MethodGet, "/readyz", nil)); status != http.StatusOK {
			t.Fatalf("readyz before: %d", status)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ products(first: 1) { totalCount } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Request-ID", "test-req-1")
		status, out := api.Do(req)
		var resp struct{ Errors []apitest.Error }
		if err := json.Unmarshal(out, &resp); err != nil || len(resp.Errors) != 1 {
			t.Fatalf("status %d body %s", status, out)
		}
		e := resp.Errors[0]
		if e.Code() != "INTERNAL" || e.Extensions["requestId"] != "test-req-1" || !strings.Contains(e.Message, "test-req-1") {
			t.Fatalf("internal error = %+v", e)
		}
		for _, leak := range []string{"sql", "ent:", "closed", "goroutine"} {
			if strings.Contains(strings.ToLower(string(out)), leak) {
				t.Fatalf("internal error leaks %q: %s", leak, out)
			}
		}
		if status, _ := api.Do(httptest.NewRequest(http.MethodGet, "/readyz", nil)); status != http.StatusServiceUnavailable {
			t.Fatalf("readyz after the database closed: %d", status)
		}
	})
}

func TestHTTPEndpoints(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api := apitest.New(t, db)
		for _, tc := range []struct {
			path     string
			status   int
			contains string
		}{
			{"/healthz", 200, `"ok"`},
			{"/readyz", 200, `"ready"`},
			{"/metrics", 200, "storefront_sql_statements_total"},
			{"/", 200, "<html"},
			{"/nope", 404, "not found"},
		} {
			// One request first so that the metrics have a sample.
			api.Do(httptest.NewRequest(http.MethodGet, "/healthz", nil))
			status, body := api.Do(httptest.NewRequest(http.MethodGet, tc.path, nil))
			if status != tc.status || !strings.Contains(string(body), tc.contains) {
				t.Errorf("GET %s: %d %.200s", tc.path, status, body)
			}
		}
		// CORS preflight from a browser on another origin.
		req := httptest.NewRequest(http.MethodOptions, "/graphql", nil)
		req.Header.Set("Origin", "https://shop.example")
		req.Header.Set("Access-Control-Request-Method", "POST")
		w := httptest.NewRecorder()
		api.Handler.ServeHTTP(w, req)
		if w.Code != http.StatusNoContent || w.Header().Get("Access-Control-Allow-Origin") == "" ||
			!strings.Contains(w.Header().Get("Access-Control-Allow-Headers"), "Authorization") {
			t.Fatalf("preflight: %d %v", w.Code, w.Header())
		}
	})
}

func mustJSON(t testing.TB, b []byte, out any) {
	t.Helper()
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("decoding %.300s: %v", b, err)
	}
}
