package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"storefront/commerce"
)

// The HTTP transports around gqlgen's: every request they refuse gets a
// GraphQL response whose error has an extensions.code, and a status that
// says what is wrong (gqlgen's own answer a bare "transport not supported"
// and refuse mutations over GET with 406).

// allowedMethods are the methods of /graphql, for Allow headers.
const allowedMethods = "GET, POST, OPTIONS"

// getTransport serves queries over GET (the query, operationName,
// variables and extensions URL parameters). Other operations are 405 with
// Allow: POST, since GET must not change anything.
type getTransport struct{}

func (getTransport) Supports(r *http.Request) bool {
	return r.Header.Get("Upgrade") == "" && r.Method == http.MethodGet
}

func (getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	contentType := responseContentType(r)
	w.Header().Set("Content-Type", contentType)
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		sendError(w, r, exec, http.StatusBadRequest, commerce.BadRequest, "the URL query string could not be parsed")
		return
	}
	raw := &graphql.RawParams{
		Query:         query.Get("query"),
		OperationName: query.Get("operationName"),
		Headers:       r.Header,
	}
	raw.ReadTime.Start = graphql.Now()
	if v := query.Get("variables"); v != "" {
		if err := decodeJSON(v, &raw.Variables); err != nil {
			sendError(w, r, exec, http.StatusBadRequest, commerce.BadRequest, "the variables parameter is not a JSON object")
			return
		}
	}
	if v := query.Get("extensions"); v != "" {
		if err := decodeJSON(v, &raw.Extensions); err != nil {
			sendError(w, r, exec, http.StatusBadRequest, commerce.BadRequest, "the extensions parameter is not a JSON object")
			return
		}
	}
	raw.ReadTime.End = graphql.Now()

	ctx := r.Context()
	opCtx, ok := createOperation(ctx, w, exec, raw, contentType)
	if !ok {
		return
	}
	if opCtx.Operation.Operation != ast.Query {
		w.Header().Set("Allow", http.MethodPost)
		sendError(w, r, exec, http.StatusMethodNotAllowed, commerce.MethodNotAllowed,
			"GET requests only allow queries: send a "+string(opCtx.Operation.Operation)+" with POST")
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	writeResponse(w, http.StatusOK, responses(ctx))
}

// postTransport serves POST requests with a JSON body, as gqlgen's
// transport.POST does (same statuses and messages), and writes the answer
// with writeResponse, which does not re-encode the data gqlgen already
// wrote as JSON.
type postTransport struct{}

func (postTransport) Supports(r *http.Request) bool {
	if r.Header.Get("Upgrade") != "" || r.Method != http.MethodPost {
		return false
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mediaType == "application/json"
}

func (postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	contentType := responseContentType(r)
	w.Header().Set("Content-Type", contentType)
	start := graphql.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writeResponse(w, http.StatusOK, exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf("could not read request body: %+v", err)}))
		return
	}
	raw := &graphql.RawParams{Headers: r.Header}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(raw); err != nil {
		writeResponse(w, http.StatusBadRequest, exec.DispatchError(ctx, gqlerror.List{
			gqlerror.Errorf("json request body could not be decoded: %+v body:%s", err, string(body))}))
		return
	}
	raw.Headers = r.Header
	raw.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	opCtx, ok := createOperation(ctx, w, exec, raw, contentType)
	if !ok {
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	writeResponse(w, http.StatusOK, responses(ctx))
}

// createOperation parses and validates the request's operation; when it
// fails, it answers with the errors, with gqlgen's statuses: 400 for
// graphql-response+json and 422 for plain JSON when the request is
// malformed, 200 otherwise.
func createOperation(ctx context.Context, w http.ResponseWriter, exec graphql.GraphExecutor, raw *graphql.RawParams, contentType string) (*graphql.OperationContext, bool) {
	opCtx, errs := exec.CreateOperationContext(ctx, raw)
	if errs == nil {
		return opCtx, true
	}
	status := http.StatusOK
	if errcode.GetErrorKind(errs) == errcode.KindProtocol {
		status = http.StatusUnprocessableEntity
		if contentType == graphqlResponseJSON {
			status = http.StatusBadRequest
		}
	}
	writeResponse(w, status, exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs))
	return nil, false
}

// optionsTransport answers OPTIONS with the methods of the endpoint (CORS
// preflights are answered before, by httpserver).
type optionsTransport struct{}

func (optionsTransport) Supports(r *http.Request) bool { return r.Method == http.MethodOptions }

func (optionsTransport) Do(w http.ResponseWriter, _ *http.Request, _ graphql.GraphExecutor) {
	w.Header().Set("Allow", allowedMethods)
	w.WriteHeader(http.StatusOK)
}

// websocketOnly is gqlgen's websocket transport, for websocket upgrades
// only (gqlgen's takes any Upgrade header).
type websocketOnly struct{ transport.Websocket }

func (t websocketOnly) Supports(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// unsupported is added last: it answers every request no other transport
// took, with a coded error.
type unsupported struct{}

func (unsupported) Supports(*http.Request) bool { return true }

func (unsupported) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	w.Header().Set("Content-Type", responseContentType(r))
	switch {
	case r.Header.Get("Upgrade") != "":
		sendError(w, r, exec, http.StatusBadRequest, commerce.BadRequest,
			"unsupported upgrade: websockets take the graphql-transport-ws or graphql-ws subprotocol")
	case r.Method == http.MethodPost:
		mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		msg := "send the request body as application/json"
		if mediaType != "" {
			msg = "unsupported Content-Type " + mediaType + ": " + msg
		}
		w.Header().Set("Accept-Post", "application/json")
		sendError(w, r, exec, http.StatusUnsupportedMediaType, commerce.UnsupportedMediaType, msg)
	default:
		w.Header().Set("Allow", allowedMethods)
		sendError(w, r, exec, http.StatusMethodNotAllowed, commerce.MethodNotAllowed,
			"method "+r.Method+" is not allowed: use GET or POST")
	}
}

const graphqlResponseJSON = "application/graphql-response+json"

// responseContentType picks the response media type from Accept as
// gqlgen does: application/json unless only graphql-response+json is
// asked for.
func responseContentType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return "application/json"
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*", "application/json":
			return "application/json"
		case graphqlResponseJSON:
			return graphqlResponseJSON
		}
	}
	return graphqlResponseJSON
}

func decodeJSON(s string, v any) error {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	return dec.Decode(v)
}

// sendError answers with one coded error, presented like every other
// (request id, Retry-After and all).
func sendError(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, status int, code commerce.Code, message string) {
	err := &gqlerror.Error{Message: message, Extensions: map[string]any{"code": string(code)}}
	writeResponse(w, status, exec.DispatchError(r.Context(), gqlerror.List{err}))
}

// internalErrorJSON is the whole answer when a response cannot be written.
const internalErrorJSON = `{"errors":[{"message":"internal server error","extensions":{"code":"` + string(commerce.Internal) + `"}}]}`

func writeResponse(w http.ResponseWriter, status int, resp *graphql.Response) {
	bp := responseBuffers.Get().(*[]byte)
	b, err := appendResponse((*bp)[:0], resp)
	if err != nil {
		b = append(b[:0], internalErrorJSON...)
		status = http.StatusInternalServerError
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
	if cap(b) <= maxPooledResponse {
		*bp = b[:0]
		responseBuffers.Put(bp)
	}
}

// responseBuffers hold the bytes of answers being written: an answer is
// encoded into one, written, and the buffer reused by a later answer (a
// Writer may not retain what it is given), instead of a new copy of every
// answer. A buffer grown past maxPooledResponse is left to the collector.
var responseBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

const maxPooledResponse = 1 << 20

// appendResponse appends json.Marshal(resp) to b, byte for byte, without a
// second pass of encoding/json over resp.Data: the data is JSON that the executor
// wrote (valid, and compact: every scalar of the schema writes a quoted
// string, a number or a boolean), so encoding/json's pass (validate,
// compact, escape <, >, & and U+2028/U+2029 for HTML) reduces to the
// escapes, which are applied only when one of those characters occurs. A
// tab, newline or carriage return (which a JSON string holds escaped, so
// they would be white space to compact) sends it to json.Marshal.
func appendResponse(b []byte, resp *graphql.Response) ([]byte, error) {
	if resp == nil || resp.Label != "" || resp.Path != nil || resp.HasNext != nil || containsAnyByte(resp.Data, "\t\n\r") {
		m, err := json.Marshal(resp)
		return append(b, m...), err
	}
	b = append(b, '{')
	if len(resp.Errors) > 0 {
		errs, err := json.Marshal(resp.Errors)
		if err != nil {
			return nil, err
		}
		b = append(b, `"errors":`...)
		b = append(b, errs...)
		b = append(b, ',')
	}
	b = append(b, `"data":`...)
	switch {
	case resp.Data == nil:
		b = append(b, "null"...)
	case containsAnyByte(resp.Data, "<>&\xe2"): // U+2028 and U+2029 start with 0xE2
		var esc bytes.Buffer
		json.HTMLEscape(&esc, resp.Data)
		b = append(b, esc.Bytes()...)
	default:
		b = append(b, resp.Data...)
	}
	if len(resp.Extensions) > 0 {
		ext, err := json.Marshal(resp.Extensions)
		if err != nil {
			return nil, err
		}
		b = append(b, `,"extensions":`...)
		b = append(b, ext...)
	}
	return append(b, '}'), nil
}

// containsAnyByte reports whether b holds one of the bytes of set (one
// vectorised scan per byte: faster than bytes.ContainsAny's loop).
func containsAnyByte(b []byte, set string) bool {
	for i := 0; i < len(set); i++ {
		if bytes.IndexByte(b, set[i]) >= 0 {
			return true
		}
	}
	return false
}
