// Package wstransport serves GraphQL subscriptions over websockets: the
// graphql-transport-ws protocol itself (Server), the tracking of every open
// websocket of both protocols for shutdown (Tracker), and the limits on
// connections per client and subscriptions per connection (Limits).
package wstransport

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"

	"storefront/commerce"
	"storefront/commerce/viewer"
	"storefront/httpserver/origin"
)

// Tracker remembers open websocket connections, so that a shutting-down
// server can close them with 1001 Going Away: graphql-ws clients then
// reconnect (to another replica), which they do not do after the 1000 that
// gqlgen sends when a connection's context ends.
type Tracker struct {
	origins origin.Matcher
	inner   transport.WebsocketImplementation
	mu      sync.Mutex
	conns   map[socket]struct{}
}

// socket is an open websocket of either transport.
type socket interface{ goAway() }

func NewTracker(origins origin.Matcher, inner transport.WebsocketImplementation) *Tracker {
	return &Tracker{origins: origins, inner: inner, conns: map[socket]struct{}{}}
}

func (t *Tracker) add(s socket) {
	t.mu.Lock()
	t.conns[s] = struct{}{}
	t.mu.Unlock()
}

func (t *Tracker) remove(s socket) {
	t.mu.Lock()
	delete(t.conns, s)
	t.mu.Unlock()
}

// Accept implements transport.WebsocketImplementation: a browser on an
// origin that is not allowed gets 403.
func (t *Tracker) Accept(w http.ResponseWriter, r *http.Request, o transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	if !t.origins.AllowedRequest(r) {
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return nil, fmt.Errorf("websocket: origin %q not allowed", r.Header.Get("Origin"))
	}
	c, err := t.inner.Accept(w, r, o)
	if err != nil {
		return nil, err
	}

	tc := &trackedConn{WebsocketConn: c, t: t}
	t.add(tc)
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
func (t *Tracker) GoingAway() {
	t.mu.Lock()
	conns := make([]socket, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	for _, c := range conns {
		c.goAway()
	}
}

// Open is the number of open websockets.
func (t *Tracker) Open() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.conns)
}

type trackedConn struct {
	transport.WebsocketConn
	t *Tracker
}

func (c *trackedConn) goAway() {
	_ = c.WriteClose(int(websocket.StatusGoingAway), "server shutting down; reconnect")
	_ = c.Close()
}

func (c *trackedConn) Close() error {
	c.t.remove(c)
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

// Limits caps websocket connections per client address and
// subscriptions per connection.
type Limits struct {
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

// Open admits a connection from the viewer's address, or refuses it.
func (l *Limits) Open(ctx context.Context) (context.Context, error) {
	ip := viewer.FromContext(ctx).ClientIP
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perClient[ip] >= l.maxPerClient {
		return ctx, commerce.Errorf(commerce.RateLimited, "too many open connections from this address (at most %d)", l.maxPerClient)
	}
	l.perClient[ip]++
	return context.WithValue(ctx, connKey{}, &connState{ip: ip, max: l.maxSubs}), nil
}

// Close releases the connection's place.
func (l *Limits) Close(ctx context.Context) {
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

// SubscriptionSlot takes one of the connection's subscription places until
// the subscription ends. Transports without connection state (SSE: one
// subscription per request) are not limited here.
func SubscriptionSlot(ctx context.Context) error {
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

// NewLimits returns limits of maxPerClient connections per client address
// and maxSubs subscriptions per connection.
func NewLimits(maxPerClient, maxSubs int) *Limits {
	return &Limits{maxPerClient: maxPerClient, maxSubs: int32(maxSubs), perClient: map[string]int{}}
}

// CloseForbidden is graphql-transport-ws's close code for a refused
// connection_init.
const CloseForbidden = 4403

// Refuse makes gqlgen's (legacy graphql-ws) transport close a refused
// connection with 4403 and the reason.
func Refuse(ctx context.Context, reason string) context.Context {
	return transport.AppendCloseReason(transport.WithWebsocketCloseCode(ctx, CloseForbidden), reason)
}
