package graph

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
)

// A retryHint collects, for one HTTP request, the longest wait that a
// RATE_LIMITED error of its response asked for, so that the response also
// carries an HTTP Retry-After header.
type retryHint struct{ secs atomic.Int64 }

type retryHintKey struct{}

// retryAfter records that the response asks the client to wait secs.
func retryAfter(ctx context.Context, secs int) {
	h, _ := ctx.Value(retryHintKey{}).(*retryHint)
	if h == nil {
		return
	}
	for {
		old := h.secs.Load()
		if int64(secs) <= old || h.secs.CompareAndSwap(old, int64(secs)) {
			return
		}
	}
}

// withRetryAfter sets Retry-After on responses whose errors asked for a
// wait. Errors are presented before gqlgen writes the response, so the
// header is known by the time the status line goes out.
func withRetryAfter(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r) // websockets: errors travel in frames
			return
		}
		h := &retryHint{}
		next.ServeHTTP(&retryWriter{ResponseWriter: w, hint: h}, r.WithContext(context.WithValue(r.Context(), retryHintKey{}, h)))
	})
}

type retryWriter struct {
	http.ResponseWriter
	hint  *retryHint
	wrote bool
}

func (w *retryWriter) WriteHeader(status int) {
	if !w.wrote {
		w.wrote = true
		if secs := w.hint.secs.Load(); secs > 0 {
			w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *retryWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushes for
// SSE, hijacking for websockets).
func (w *retryWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush forwards to the underlying writer, for SSE.
func (w *retryWriter) Flush() {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
