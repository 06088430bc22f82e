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
	"net/http/httputil"
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
	// Closed: EOF, or a reset since the trickled bytes were never read.
	var ne net.Error
	if _, err := br.ReadByte(); err == nil || (errors.As(err, &ne) && ne.Timeout()) {
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

// rawPost sends a POST to /graphql over a bare connection, the body
// chunked when size is -1, and reads the response while the body is still
// being written: a server that answers early (413) and closes is seen as it
// is, which net/http's client does not promise.
func rawPost(t *testing.T, addr string, size int64, body io.Reader) (int, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
	if size < 0 {
		head += "Transfer-Encoding: chunked\r\n\r\n"
	} else {
		head += fmt.Sprintf("Content-Length: %d\r\n\r\n", size)
	}
	go func() {
		if _, err := io.WriteString(conn, head); err != nil {
			return
		}
		if size >= 0 {
			_, _ = io.Copy(conn, body)
			return
		}
		cw := httputil.NewChunkedWriter(conn)
		if _, err := io.Copy(cw, body); err == nil && cw.Close() == nil {
			_, _ = io.WriteString(conn, "\r\n")
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the response: %v", err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the response body: %v", err)
	}
	return resp.StatusCode, out
}

// TestOversizedBodies: a body over MaxBodyBytes is 413 PAYLOAD_TOO_LARGE
// whether it announces its length or comes chunked; one of exactly the
// limit reaches the handler whole.
func TestOversizedBodies(t *testing.T) {
	srv := serve(t, httpserver.Config{})
	addr := srv.Listener.Addr().String()
	const limit = 1 << 20
	for _, tc := range []struct {
		name   string
		size   int64 // -1: chunked
		body   int64
		status int
	}{
		{"content-length over the limit", 2 << 20, 2 << 20, http.StatusRequestEntityTooLarge},
		{"chunked 20 MB", -1, 20 << 20, http.StatusRequestEntityTooLarge},
		{"chunked one byte over", -1, limit + 1, http.StatusRequestEntityTooLarge},
		{"chunked at the limit", -1, limit, http.StatusOK},
		{"content-length at the limit", limit, limit, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := rawPost(t, addr, tc.size, io.LimitReader(zeros{}, tc.body))
			if status != tc.status {
				t.Fatalf("status %d, want %d: %.200s", status, tc.status, body)
			}
			if tc.status == http.StatusOK {
				if want := fmt.Sprintf(`{"data":{"bytes":%d}}`, tc.body); string(body) != want {
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

// TestBrokenBody: a body that breaks off (bad chunk framing) is 400
// BAD_REQUEST, coded like the other refusals.
func TestBrokenBody(t *testing.T) {
	srv := serve(t, httpserver.Config{BodyReadTimeout: 5 * time.Second})
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\nzz\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if code := codeOf(t, body); code != "BAD_REQUEST" {
		t.Fatalf("code %q", code)
	}
}
