package graph_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"storefront/database"
	"storefront/database/dbtest"
	"storefront/internal/apitest"
)

// TestTransportErrorsAreCoded sends /graphql every kind of request the
// transports refuse: each gets a GraphQL JSON response whose errors all
// carry an extensions.code, with a status that names the fault.
func TestTransportErrorsAreCoded(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api := apitest.New(t, db)
		get := func(params url.Values) *http.Request {
			return httptest.NewRequest(http.MethodGet, "/graphql?"+params.Encode(), nil)
		}
		post := func(contentType, body string) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
			if contentType != "" {
				r.Header.Set("Content-Type", contentType)
			}
			return r
		}
		withHeader := func(r *http.Request, k, v string) *http.Request {
			r.Header.Set(k, v)
			return r
		}
		for _, tc := range []struct {
			name   string
			req    *http.Request
			status int
			code   string
			allow  string
		}{
			{"mutation over GET", get(url.Values{"query": {`mutation { customerSignOut(refreshToken: "x") { userErrors { message } } }`}}),
				http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "POST"},
			{"subscription over GET", get(url.Values{"query": {`subscription { cartChanged(cartId: "x") { id } }`}}),
				http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "POST"},
			{"mutation over GET asking graphql-response+json", withHeader(get(url.Values{"query": {`mutation { __typename }`}}), "Accept", "application/graphql-response+json"),
				http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "POST"},
			{"GET without a query", get(url.Values{}), http.StatusUnprocessableEntity, "GRAPHQL_VALIDATION_FAILED", ""},
			{"GET with undecodable variables", get(url.Values{"query": {`{ __typename }`}, "variables": {`{"a":`}}),
				http.StatusBadRequest, "BAD_REQUEST", ""},
			{"GET with undecodable extensions", get(url.Values{"query": {`{ __typename }`}, "extensions": {`[1`}}),
				http.StatusBadRequest, "BAD_REQUEST", ""},
			{"GET with a broken URL query", httptest.NewRequest(http.MethodGet, "/graphql?query=%zz", nil),
				http.StatusBadRequest, "BAD_REQUEST", ""},
			{"GET parse failure", get(url.Values{"query": {`{`}}), http.StatusUnprocessableEntity, "GRAPHQL_PARSE_FAILED", ""},
			{"PUT", httptest.NewRequest(http.MethodPut, "/graphql", strings.NewReader(`{"query":"{ __typename }"}`)),
				http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "GET, POST, OPTIONS"},
			{"DELETE", httptest.NewRequest(http.MethodDelete, "/graphql", nil),
				http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "GET, POST, OPTIONS"},
			{"POST text/plain", post("text/plain", `{"query":"{ __typename }"}`),
				http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", ""},
			{"POST without a Content-Type", post("", `{"query":"{ __typename }"}`),
				http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", ""},
			{"POST form", post("application/x-www-form-urlencoded", `query=%7B__typename%7D`),
				http.StatusUnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE", ""},
			{"POST undecodable JSON", post("application/json", `{"query":`), http.StatusBadRequest, "BAD_REQUEST", ""},
			{"POST JSON array", post("application/json", `[1,2]`), http.StatusBadRequest, "BAD_REQUEST", ""},
			{"POST with an unknown upgrade", withHeader(post("application/json", `{"query":"{ __typename }"}`), "Upgrade", "h2c"),
				http.StatusBadRequest, "BAD_REQUEST", ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				w := httptest.NewRecorder()
				api.Handler.ServeHTTP(w, tc.req)
				if w.Code != tc.status {
					t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
				}
				if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") && !strings.HasPrefix(ct, "application/graphql-response+json") {
					t.Fatalf("Content-Type %q", ct)
				}
				if got := w.Header().Get("Allow"); got != tc.allow {
					t.Fatalf("Allow %q, want %q", got, tc.allow)
				}
				var resp struct{ Errors []apitest.Error }
				mustJSON(t, w.Body.Bytes(), &resp)
				if len(resp.Errors) == 0 {
					t.Fatalf("no errors: %s", w.Body)
				}
				for _, e := range resp.Errors {
					if e.Code() != tc.code || e.Message == "" {
						t.Fatalf("error %q with code %q, want %s", e.Message, e.Code(), tc.code)
					}
				}
			})
		}

		// What the transports accept still works: a query over GET, OPTIONS.
		w := httptest.NewRecorder()
		api.Handler.ServeHTTP(w, get(url.Values{"query": {`query($n: Int) { products(first: $n) { totalCount } }`}, "variables": {`{"n":1}`}}))
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"totalCount":0`) {
			t.Fatalf("query over GET: %d %s", w.Code, w.Body)
		}
		w = httptest.NewRecorder()
		api.Handler.ServeHTTP(w, httptest.NewRequest(http.MethodOptions, "/graphql", nil))
		if w.Code != http.StatusOK || w.Header().Get("Allow") != "GET, POST, OPTIONS" {
			t.Fatalf("OPTIONS: %d %v", w.Code, w.Header())
		}
	})
}

// TestHugeChunkedBody sends the real handler, on a real listener, a 20 MB
// chunked body: 413 PAYLOAD_TOO_LARGE, not a 200 with an error. The body
// is written on a bare connection while the response is read, since the
// server answers before the body is over.
func TestHugeChunkedBody(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		srv := httptest.NewServer(apitest.New(t, db).Handler)
		t.Cleanup(srv.Close)
		conn, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		go func() {
			if _, err := io.WriteString(conn, "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"); err != nil {
				return
			}
			body := io.MultiReader(strings.NewReader(`{"query":"{ __typename }","variables":{"x":"`), io.LimitReader(letters{}, 20<<20), strings.NewReader(`"}}`))
			_, _ = io.Copy(httputil.NewChunkedWriter(conn), body)
		}()
		_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d: %.300s", resp.StatusCode, out)
		}
		var r struct{ Errors []apitest.Error }
		mustJSON(t, out, &r)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "PAYLOAD_TOO_LARGE" {
			t.Fatalf("errors %+v", r.Errors)
		}
	})
}

type letters struct{}

func (letters) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// TestTokenCheckOutage: when a bearer token cannot be checked (the
// database is gone), the answer is 503 with a coded GraphQL JSON error,
// served as JSON.
func TestTokenCheckOutage(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api := apitest.New(t, db)
		acc := api.SignUp(t, "outage@example.com", "correct horse battery")
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(`{"query":"{ __typename }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+acc.AccessToken)
		w := httptest.NewRecorder()
		api.Handler.ServeHTTP(w, req)
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("status %d, Content-Type %q: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
		}
		var resp struct{ Errors []apitest.Error }
		mustJSON(t, w.Body.Bytes(), &resp)
		if len(resp.Errors) != 1 || resp.Errors[0].Code() != "INTERNAL" {
			t.Fatalf("errors %+v", resp.Errors)
		}
	})
}
