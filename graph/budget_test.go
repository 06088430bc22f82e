package graph_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"storefront/database"
	"storefront/database/dbtest"
	"storefront/graph/oplimit"
	"storefront/internal/apitest"
)

const listQuery = `{ products(first: 20) { edges { node { id title slug } } } }`

// TestOperationDeadline: an operation that runs past its deadline has its
// database work cancelled and answers TIMEOUT; the server goes on.
func TestOperationDeadline(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api := apitest.New(t, db, func(c *apitest.Config) { c.Graph.OperationTimeout = time.Nanosecond })
		seedCatalogue(t, db.Client)
		e := api.ExpectCode(t, "TIMEOUT", listQuery, nil)
		if len(e.Path) == 0 {
			t.Fatalf("want the error on the field whose database work was cancelled: %+v", e)
		}
		normal := apitest.New(t, db, func(c *apitest.Config) { c.NoResponseCache = true })
		var ok struct{ Products struct{ Edges []any } }
		normal.Query(t, listQuery, nil, &ok)
		if len(ok.Products.Edges) != 20 {
			t.Fatalf("%d products after a timeout", len(ok.Products.Edges))
		}
	})
}

// TestResponseSizeCap: an answer larger than the cap is replaced by a
// RESPONSE_TOO_LARGE error.
func TestResponseSizeCap(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api := apitest.New(t, db, func(c *apitest.Config) { c.Graph.MaxResponseBytes = 1000 })
		seedCatalogue(t, db.Client)
		_, data := api.Errors(t, listQuery, nil)
		if string(data) != "null" {
			t.Fatalf("data %s, want null", data)
		}
		api.ExpectCode(t, "RESPONSE_TOO_LARGE", listQuery, nil)
		var small struct{ Products struct{ Edges []any } }
		api.Query(t, `{ products(first: 2) { edges { node { id } } } }`, nil, &small)
		if len(small.Products.Edges) != 2 {
			t.Fatalf("a small answer: %+v", small)
		}
	})
}

// TestClientCostBudget: a client that spends its operation budget is
// refused with RATE_LIMITED, extensions.retryAfterSeconds and Retry-After,
// and other clients (another address, a signed-in customer) are not.
func TestClientCostBudget(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api := apitest.New(t, db, func(c *apitest.Config) {
			c.Graph.ClientCostPerMinute = 200
			c.NoResponseCache = true
		})
		seedCatalogue(t, db.Client)
		// Each listing costs 82: the third one is over the budget.
		var ok struct{ Products struct{ Edges []any } }
		api.Query(t, listQuery, nil, &ok)
		api.Query(t, listQuery, nil, &ok)
		e := api.ExpectCode(t, "RATE_LIMITED", listQuery, nil)
		secs, _ := e.Extensions["retryAfterSeconds"].(float64)
		if secs < 1 || secs > 60 {
			t.Fatalf("retryAfterSeconds %v", e.Extensions["retryAfterSeconds"])
		}
		req, _ := http.NewRequest(http.MethodPost, "/graphql", jsonBody(t, map[string]any{"query": listQuery}))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = "192.0.2.1:1234"
		w := serve(api, req)
		if w.Header().Get("Retry-After") == "" {
			t.Fatalf("no Retry-After header: %d %s", w.Code, w.Body)
		}
		// Another address has its own budget.
		req, _ = http.NewRequest(http.MethodPost, "/graphql", jsonBody(t, map[string]any{"query": listQuery}))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = "198.51.100.7:1234"
		if w := serve(api, req); w.Code != http.StatusOK || w.Header().Get("Retry-After") != "" {
			t.Fatalf("another client: %d %s", w.Code, w.Body)
		}
		// So has a signed-in customer behind the spent address.
		acc := api.SignUp(t, "budget@example.com", "a long enough password")
		api.As(acc.AccessToken).Query(t, listQuery, nil, &ok)
	})
}

// TestTrustedDocuments: in trusted-documents mode only registered
// operations run, named by hash or sent as their exact text.
func TestTrustedDocuments(t *testing.T) {
	sum := sha256.Sum256([]byte(listQuery))
	hash := hex.EncodeToString(sum[:])
	trusted, err := oplimit.NewTrusted(map[string]string{hash: listQuery})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oplimit.NewTrusted(map[string]string{hash: listQuery + " "}); err == nil {
		t.Fatal("a manifest whose hash does not match its text was accepted")
	}
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api := apitest.New(t, db, func(c *apitest.Config) { c.Graph.TrustedDocuments = trusted })
		seedCatalogue(t, db.Client)
		byHash := func(h string) (int, []byte) {
			return api.Post(t, map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": h}}}, nil)
		}
		if status, body := byHash(hash); status != http.StatusOK || !containsAll(body, `"products"`) || containsAll(body, `"errors"`) {
			t.Fatalf("by hash: %d %s", status, body)
		}
		var ok struct{ Products struct{ Edges []any } }
		api.Query(t, listQuery, nil, &ok) // the registered text itself
		api.ExpectCode(t, "TRUSTED_DOCUMENT_REQUIRED", `{ products(first: 1) { edges { node { id } } } }`, nil)
		if _, body := byHash(hex.EncodeToString(make([]byte, 32))); !containsAll(body, "PERSISTED_QUERY_NOT_FOUND") {
			t.Fatalf("unknown hash: %s", body)
		}
		// Automatic persisted queries cannot register a new document.
		other := `{ __typename }`
		s := sha256.Sum256([]byte(other))
		status, body := api.Post(t, map[string]any{"query": other, "extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(s[:])}}}, nil)
		if !containsAll(body, "PERSISTED_QUERY_NOT_FOUND") {
			t.Fatalf("registering through APQ: %d %s", status, body)
		}
	})
}

func jsonBody(t *testing.T, v any) io.Reader {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b)
}

func serve(api *apitest.API, req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	api.Handler.ServeHTTP(w, req)
	return w
}

func containsAll(body []byte, parts ...string) bool {
	for _, p := range parts {
		if !bytes.Contains(body, []byte(p)) {
			return false
		}
	}
	return true
}
