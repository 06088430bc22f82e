package httpserver_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"storefront/httpserver"
)

// echoLength is a stand-in GraphQL handler: it answers with the size of the
// body it was given.
var echoLength = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"data":{"bytes":%d}}`, len(b))
})

// serve starts the HTTP surface on a real listener.
func serve(t *testing.T, cfg httpserver.Config) *httptest.Server {
	t.Helper()
	if cfg.GraphQL == nil {
		cfg.GraphQL = echoLength
	}
	if cfg.Ready == nil {
		cfg.Ready = func(context.Context) error { return nil }
	}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(httpserver.New(cfg))
	t.Cleanup(srv.Close)
	return srv
}

type gqlError struct {
	Message    string            `json:"message"`
	Extensions map[string]string `json:"extensions"`
}

// codeOf decodes a GraphQL error response and returns its only code.
func codeOf(t *testing.T, body []byte) string {
	t.Helper()
	var resp struct{ Errors []gqlError }
	if err := json.Unmarshal(body, &resp); err != nil || len(resp.Errors) != 1 {
		t.Fatalf("not a GraphQL response with one error: %q (%v)", body, err)
	}
	if resp.Errors[0].Message == "" {
		t.Fatalf("error without a message: %s", body)
	}
	return resp.Errors[0].Extensions["code"]
}

// TestSlowBodyTimesOut trickles a body a byte at a time: the request is
// answered 408 REQUEST_TIMEOUT once BodyReadTimeout has passed, and the
// connection is closed.
func TestSlowBodyTimesOut(t *testing.T) {
	srv := serve(t, httpserver.Config{BodyReadTimeout: time.Second})
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if _, err := io.WriteString(conn, " "); err != nil {
					return
				}
			}
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response to a trickled body: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	elapsed := time.Since(start)
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("status %d, want 408: %s", resp.StatusCode, body)
	}
	if code := codeOf(t, body); code != "REQUEST_TIMEOUT" {
		t.Fatalf("code %q, want REQUEST_TIMEOUT", code)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q", ct)
	}
	if elapsed < 900*time.Millisecond || elapsed > 5*time.Second {
		t.Fatalf("answered after %v, want about the 1 s timeout", elapsed)
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("connection still open after the timeout: %v", err)
	}
}

// TestBodyDeadlineIsCleared: once the body is in, the read deadline is
// lifted, so a response may take longer than BodyReadTimeout (SSE) without
// its request being cancelled.
func TestBodyDeadlineIsCleared(t *testing.T) {
	srv := serve(t, httpserver.Config{
		BodyReadTimeout: 300 * time.Millisecond,
		GraphQL: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
				http.Error(w, "cancelled", http.StatusInternalServerError)
			case <-time.After(time.Second):
				_, _ = io.WriteString(w, `{"data":{"ok":true}}`)
			}
		}),
	})
	resp, err := http.Post(srv.URL+"/graphql", "application/json", strings.NewReader(`{"query":"{ __typename }"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != `{"data":{"ok":true}}` {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
}

// unsized hides the length of a body, so that the client sends it chunked.
type unsized struct{ io.Reader }

// TestOversizedBodies: a body over MaxBodyBytes is 413 PAYLOAD_TOO_LARGE
// whether it announces its length or comes chunked; one of exactly the
// limit reaches the handler whole.
func TestOversizedBodies(t *testing.T) {
	srv := serve(t, httpserver.Config{})
	const limit = 1 << 20
	for _, tc := range []struct {
		name   string
		body   io.Reader
		status int
		bytes  int
	}{
		{"content-length over the limit", strings.NewReader(strings.Repeat("a", 2<<20)), http.StatusRequestEntityTooLarge, 0},
		{"chunked 20 MB", unsized{io.LimitReader(zeros{}, 20<<20)}, http.StatusRequestEntityTooLarge, 0},
		{"chunked one byte over", unsized{io.LimitReader(zeros{}, limit+1)}, http.StatusRequestEntityTooLarge, 0},
		{"chunked at the limit", unsized{io.LimitReader(zeros{}, limit)}, http.StatusOK, limit},
		{"content-length at the limit", strings.NewReader(strings.Repeat("a", limit)), http.StatusOK, limit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/graphql", tc.body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %.200s", resp.StatusCode, tc.status, body)
			}
			if tc.status == http.StatusOK {
				if want := fmt.Sprintf(`{"data":{"bytes":%d}}`, tc.bytes); string(body) != want {
					t.Fatalf("handler saw %s, want %s", body, want)
				}
				return
			}
			if code := codeOf(t, body); code != "PAYLOAD_TOO_LARGE" {
				t.Fatalf("code %q, want PAYLOAD_TOO_LARGE", code)
			}
		})
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
