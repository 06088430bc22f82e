package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"

	"storefront/commerce"
	"storefront/commerce/viewer"
)

// wsTracker remembers open websocket connections, so that a shutting-down
// server can close them with 1001 Going Away: graphql-ws clients then
// reconnect (to another replica), which they do not do after the 1000 that
// gqlgen sends when a connection's context ends.
type wsTracker struct {
	inner transport.WebsocketImplementation
	mu    sync.Mutex
	conns map[*trackedConn]struct{}
}

func newWSTracker(inner transport.WebsocketImplementation) *wsTracker {
	return &wsTracker{inner: inner, conns: map[*trackedConn]struct{}{}}
}

// Accept implements transport.WebsocketImplementation.
func (t *wsTracker) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := t.inner.Accept(w, r, o)
	if err != nil {
		return nil, err
	}

	tc := &trackedConn{WebsocketConn: c, t: t}
	if c.Subprotocol() == transportWS {
		tc.guard = &protocolGuard{active: map[string]bool{}}
	}
	t.mu.Lock()
	t.conns[tc] = struct{}{}
	t.mu.Unlock()
	// gqlgen serves the connection inside the request's handler and closes
	// it before returning, except when a connection_init payload is not a
	// JSON object: then it returns and leaves the hijacked socket open,
	// unread, with its descriptor and its place here, until the process
	// ends. The request's context ends when the handler returns: close
	// whatever is still open then (a no-op after gqlgen's own close).
	context.AfterFunc(r.Context(), func() {
		_ = tc.WriteClose(int(websocket.StatusProtocolError), "invalid message")
		_ = tc.Close()
	})
	return tc, nil
}

// GoingAway closes every open websocket with 1001.
func (t *wsTracker) GoingAway() {
	t.mu.Lock()
	conns := make([]*trackedConn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	for _, c := range conns {
		_ = c.WriteClose(int(websocket.StatusGoingAway), "server shutting down; reconnect")
		_ = c.Close()
	}
}

// Open is the number of open websockets.
func (t *wsTracker) Open() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.conns)
}

type trackedConn struct {
	transport.WebsocketConn
	t     *wsTracker
	guard *protocolGuard // graphql-transport-ws only
}

// transportWS is the graphql-transport-ws subprotocol.
const transportWS = "graphql-transport-ws"

// protocolGuard enforces the graphql-transport-ws rules whose close codes
// gqlgen's transport does not send (it closes with 1002, or, for a
// duplicate subscription id, not at all): 4400 for a connection_init
// payload that is not an object, 4401 for subscribe before connection_ack,
// 4409 for an id already in use, 4429 for a second connection_init, and
// 4408 instead of 1002 for the init timeout. It watches the messages going
// in (NextReader) and out (WriteJSON).
type protocolGuard struct {
	mu       sync.Mutex
	initSeen bool
	acked    bool
	closed   bool            // after a violation: only the close frame goes out
	active   map[string]bool // ids of operations running
}

// errViolation ends gqlgen's read loop after the guard closed the socket.
var errViolation = errors.New("graphql-transport-ws protocol violation")

// check returns the close code and reason for an incoming message, or 0.
func (g *protocolGuard) check(b []byte) (int, string) {
	var m struct {
		Type    string          `json:"type"`
		ID      string          `json:"id"`
		Payload json.RawMessage `json:"payload"`
	}
	if json.Unmarshal(b, &m) != nil {
		return 0, "" // gqlgen answers undecodable messages itself
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	code, reason := g.checkLocked(m.Type, m.ID, m.Payload)
	if code != 0 {
		g.closed = true
	}
	return code, reason
}

func (g *protocolGuard) checkLocked(typ, id string, payload json.RawMessage) (int, string) {
	switch typ {
	case "connection_init":
		if g.initSeen {
			return 4429, "Too many initialisation requests"
		}
		g.initSeen = true
		if p := bytes.TrimSpace(payload); len(p) > 0 && p[0] != '{' && string(p) != "null" {
			return 4400, "connection_init payload must be an object"
		}
	case "subscribe":
		if !g.acked {
			return 4401, "Unauthorized"
		}
		if g.active[id] {
			return 4409, "Subscriber for " + id + " already exists"
		}
		g.active[id] = true
	case "complete":
		delete(g.active, id)
	}
	return 0, ""
}

// sending notes an outgoing message (gqlgen's message struct, read by its
// exported Type and ID fields) before it is written, since the client may
// act on it at once; it reports false once a violation closed the socket.
func (g *protocolGuard) sending(v any) bool {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		rv = rv.Elem()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	if rv.Kind() != reflect.Struct {
		return true
	}
	typ, id := rv.FieldByName("Type"), rv.FieldByName("ID")
	if !typ.IsValid() || typ.Kind() != reflect.String {
		return true
	}
	switch typ.String() {
	case "connection_ack":
		g.acked = true
	case "complete", "error":
		if id.IsValid() && id.Kind() == reflect.String {
			delete(g.active, id.String())
		}
	}
	return true
}

// NextReader reads the next message, closing the socket with the
// protocol's code when it breaks a rule.
func (c *trackedConn) NextReader() (int, io.Reader, error) {
	mt, r, err := c.WebsocketConn.NextReader()
	if err != nil || c.guard == nil {
		return mt, r, err
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return mt, nil, err
	}
	if code, reason := c.guard.check(b); code != 0 {
		_ = c.WebsocketConn.WriteClose(code, reason)
		_ = c.Close()
		return mt, nil, errViolation
	}
	return mt, bytes.NewReader(b), nil
}

// WriteJSON sends a message, noting acknowledgements and ended operations.
func (c *trackedConn) WriteJSON(v any) error {
	if c.guard != nil && !c.guard.sending(v) {
		return errViolation
	}
	return c.WebsocketConn.WriteJSON(v)
}

// WriteClose sends a close frame; gqlgen's init timeout gets the
// protocol's 4408.
func (c *trackedConn) WriteClose(code int, reason string) error {
	if c.guard != nil && code == int(websocket.StatusProtocolError) && reason == "connection initialisation timeout" {
		code, reason = 4408, "Connection initialisation timeout"
	}
	return c.WebsocketConn.WriteClose(code, reason)
}

func (c *trackedConn) Close() error {
	c.t.mu.Lock()
	delete(c.t.conns, c)
	c.t.mu.Unlock()
	return c.WebsocketConn.Close()
}

// SetReadLimit keeps the message size limit working through the wrapper.
func (c *trackedConn) SetReadLimit(n int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(n)
	}
}

// SetReadDeadline keeps the ping/pong timeout working through the wrapper.
func (c *trackedConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

// connLimits caps websocket connections per client address and
// subscriptions per connection.
type connLimits struct {
	maxPerClient int
	maxSubs      int32
	mu           sync.Mutex
	perClient    map[string]int
}

type connKey struct{}

type connState struct {
	ip   string
	subs atomic.Int32
	max  int32
}

// open admits a connection from the viewer's address, or refuses it.
func (l *connLimits) open(ctx context.Context) (context.Context, error) {
	ip := viewer.FromContext(ctx).ClientIP
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perClient[ip] >= l.maxPerClient {
		return ctx, commerce.Errorf(commerce.RateLimited, "too many open connections from this address (at most %d)", l.maxPerClient)
	}
	l.perClient[ip]++
	return context.WithValue(ctx, connKey{}, &connState{ip: ip, max: l.maxSubs}), nil
}

// close releases the connection's place.
func (l *connLimits) close(ctx context.Context) {
	st, ok := ctx.Value(connKey{}).(*connState)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perClient[st.ip]--; l.perClient[st.ip] <= 0 {
		delete(l.perClient, st.ip)
	}
}

// subscriptionSlot takes one of the connection's subscription places until
// the subscription ends. Transports without connection state (SSE: one
// subscription per request) are not limited here.
func subscriptionSlot(ctx context.Context) error {
	st, ok := ctx.Value(connKey{}).(*connState)
	if !ok {
		return nil
	}
	if st.subs.Add(1) > st.max {
		st.subs.Add(-1)
		return commerce.Errorf(commerce.RateLimited, "at most %d subscriptions per connection", st.max)
	}
	context.AfterFunc(ctx, func() { st.subs.Add(-1) })
	return nil
}

// onFreshStack runs f on a goroutine of its own and waits for it. A
// subscription's goroutine lives as long as the subscription, and a Go
// stack keeps the size it grew to while it is in use: the database work of
// starting a subscription (ent, the SQL driver) would otherwise leave every
// subscriber with a stack several times larger than waiting needs.
func onFreshStack[T any](f func() (T, error)) (T, error) {
	var (
		v    T
		err  error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		defer func() {
			// gqlgen recovers panics on the caller's goroutine, not here.
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v\n%s", p, stack())
			}
		}()
		v, err = f()
	}()
	<-done
	return v, err
}
