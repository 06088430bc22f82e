package httpserver

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"storefront/commerce"
	"storefront/internal/requestid"
)

// readBody reads the whole request body before the GraphQL handler runs,
// so that neither a slow nor a huge body can hold a request open: the body
// must arrive within timeout (a read deadline on the connection, cleared
// afterwards so that SSE responses may last) and be at most limit bytes,
// however it is sent (Content-Length or chunked). Websocket upgrades carry
// no body and pass untouched, without a deadline.
func readBody(logger *slog.Logger, limit int64, timeout time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" || r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > limit {
			tooLarge(w, limit)
			return
		}
		rc := http.NewResponseController(w)
		deadline := rc.SetReadDeadline(time.Now().Add(timeout)) == nil
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			if deadline {
				// Whatever is left of the body is not read: net/http would
				// otherwise drain it once the handler returns.
				_ = rc.SetReadDeadline(time.Now())
			}
			var big *http.MaxBytesError
			switch {
			case errors.As(err, &big):
				tooLarge(w, limit)
			case isTimeout(err):
				w.Header().Set("Connection", "close")
				writeGraphQLError(w, http.StatusRequestTimeout, commerce.RequestTimeout,
					"the request body did not arrive within "+timeout.String())
			default:
				logger.DebugContext(r.Context(), "http: reading a request body failed", "request_id", requestid.From(r.Context()), "err", err)
				w.Header().Set("Connection", "close")
				writeGraphQLError(w, http.StatusBadRequest, commerce.BadRequest, "the request body could not be read")
			}
			return
		}
		if deadline {
			_ = rc.SetReadDeadline(time.Time{})
		}
		_ = r.Body.Close()
		r.Body = wholeBody{bytes.NewBuffer(body)}
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}

// wholeBody is a request body read whole. Its Bytes method gives a later
// handler what is left of it without reading it (the response cache keys
// stored answers by it); they must not be changed.
type wholeBody struct{ *bytes.Buffer }

func (wholeBody) Close() error { return nil }

func tooLarge(w http.ResponseWriter, limit int64) {
	w.Header().Set("Connection", "close")
	writeGraphQLError(w, http.StatusRequestEntityTooLarge, commerce.PayloadTooLarge,
		"the request body is larger than "+byteSize(limit))
}

func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// writeGraphQLError answers with a GraphQL response holding one coded
// error, for requests refused before GraphQL sees them.
func writeGraphQLError(w http.ResponseWriter, status int, code commerce.Code, message string) {
	writeJSON(w, status, map[string]any{
		"errors": []map[string]any{{"message": message, "extensions": map[string]string{"code": string(code)}}},
	})
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return itoa(n>>20) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return itoa(n>>10) + " KiB"
	}
	return itoa(n) + " bytes"
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
