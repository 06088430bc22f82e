package wstransport

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/gorilla/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"storefront/commerce/live"
	"storefront/httpserver/origin"
)

// Server serves the graphql-transport-ws protocol (the graphql-ws
// package, Apollo Client, urql) itself instead of through gqlgen's
// websocket transport, which keeps four goroutines per subscriber (the
// read loop on the HTTP server's goroutine, a close watcher, a ping loop
// and one per subscription waiting on its channel). Here a connection has
// one goroutine, its read loop, started fresh once the socket is taken
// over; pings and the init timeout are timers; and a subscription has no
// goroutine while it waits: its stream wakes it (live.Wake) when an event
// is in its channel, and a short-lived goroutine sends it. The socket is
// gorilla/websocket's, with a 1 KiB read buffer and pooled write buffers.
// Clients that speak the legacy graphql-ws protocol still go to gqlgen's
// transport.
type Server struct {
	Logger  *slog.Logger
	Tracker *Tracker
	// Origins are the allowed browser origins.
	Origins origin.Matcher
	// Init admits a connection from its connection_init payload (an
	// error closes it with 4403); Closed runs when an admitted one ends.
	Init   func(ctx context.Context, payload map[string]any) (context.Context, error)
	Closed func(ctx context.Context)
	// InitTimeout is how long a client has to send connection_init; Ping
	// how often the server pings (a connection closes after two without a
	// pong); ReadLimit the largest message read.
	InitTimeout time.Duration
	Ping        time.Duration
	ReadLimit   int64
}

var _ graphql.Transport = (*Server)(nil)

// Supports takes websocket upgrades that offer graphql-transport-ws.
func (t *Server) Supports(r *http.Request) bool {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return false
	}
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(h, ",") {
			if strings.TrimSpace(p) == transportWSProtocol {
				return true
			}
		}
	}
	return false
}

// writeBuffers lend write buffers to connections while they write.
var writeBuffers sync.Pool

// Do accepts the websocket and serves it on a goroutine of its own; the
// HTTP server's goroutine returns.
func (t *Server) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	up := websocket.Upgrader{
		Subprotocols: []string{transportWSProtocol},
		// A small read buffer of its own (messages are small; a larger one
		// is read in pieces), and write buffers from a pool: an idle
		// connection holds neither the HTTP server's 4 KiB buffers nor a
		// write buffer.
		ReadBufferSize:  1024,
		WriteBufferPool: &writeBuffers,
		CheckOrigin:     t.Origins.AllowedRequest,
	}
	conn, err := up.Upgrade(hijacker{w}, r, nil)
	if err != nil {
		return // Upgrade answered the request
	}
	if conn.Subprotocol() != transportWSProtocol {
		_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseProtocolError, "graphql-transport-ws required"), time.Now().Add(time.Second))
		_ = conn.Close()
		return
	}
	conn.SetReadLimit(t.ReadLimit)
	// The connection outlives the request: its context must not end when
	// the HTTP handler returns.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	c := &wsConn{t: t, conn: conn, exec: exec, ctx: ctx, cancel: cancel, subs: map[string]*wsOperation{}}
	t.Tracker.add(c)
	go c.run()
}

// hijacker reaches the connection through middleware that wraps the
// ResponseWriter (and says so with Unwrap).
type hijacker struct{ http.ResponseWriter }

func (h hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(h.ResponseWriter).Hijack()
}

const transportWSProtocol = "graphql-transport-ws"

// wsConn is one graphql-transport-ws connection.
type wsConn struct {
	t      *Server
	conn   *websocket.Conn
	wmu    sync.Mutex // one writer at a time
	exec   graphql.GraphExecutor
	ctx    context.Context // the connection's; carries the viewer after init
	cancel context.CancelFunc

	mu        sync.Mutex
	acked     bool
	subs      map[string]*wsOperation
	initTimer *time.Timer
	pingTimer *time.Timer
	lastPong  time.Time
	closing   bool
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func (c *wsConn) run() {
	defer c.shutdown()
	c.mu.Lock()
	c.initTimer = time.AfterFunc(c.t.InitTimeout, func() {
		c.closeWith(4408, "Connection initialisation timeout")
	})
	c.mu.Unlock()
	initSeen := false
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			if errors.Is(err, websocket.ErrReadLimit) {
				// gorilla sent 1009 on reading the frame's length; take in
				// the rest of what the client is still sending before
				// closing, or it would see a reset instead of the close.
				c.mu.Lock()
				c.closing = true
				c.mu.Unlock()
				nc := c.conn.NetConn()
				_ = nc.SetReadDeadline(time.Now().Add(2 * time.Second))
				_, _ = io.Copy(io.Discard, nc)
			}
			return // closed by the peer, by us, or over the read limit
		}
		var m wsMessage
		if err := json.Unmarshal(data, &m); err != nil || m.Type == "" {
			c.closeWith(4400, "Invalid message received")
			return
		}
		switch m.Type {
		case "connection_init":
			if initSeen {
				c.closeWith(4429, "Too many initialisation requests")
				return
			}
			initSeen = true
			c.initTimer.Stop()
			if !c.initialise(m.Payload) {
				return
			}
		case "ping":
			c.send(wsMessage{Type: "pong"})
		case "pong":
			c.mu.Lock()
			c.lastPong = time.Now()
			c.mu.Unlock()
		case "subscribe":
			c.mu.Lock()
			acked, dup := c.acked, c.subs[m.ID] != nil
			c.mu.Unlock()
			switch {
			case !acked:
				c.closeWith(4401, "Unauthorized")
				return
			case m.ID == "":
				c.closeWith(4400, "subscribe without an id")
				return
			case dup:
				c.closeWith(4409, "Subscriber for "+m.ID+" already exists")
				return
			}
			c.start(m.ID, m.Payload)
		case "complete":
			c.mu.Lock()
			op := c.subs[m.ID]
			delete(c.subs, m.ID)
			c.mu.Unlock()
			if op != nil {
				op.stopped.Store(true) // the client asked: no complete back
				op.cancel()
			}
		default:
			c.closeWith(4400, "Invalid message received")
			return
		}
	}
}

// initialise runs the connection_init payload through authentication and
// the connection limits, and acknowledges.
func (c *wsConn) initialise(raw json.RawMessage) bool {
	payload := map[string]any{}
	if p := strings.TrimSpace(string(raw)); p != "" && p != "null" {
		if p[0] != '{' || json.Unmarshal(raw, &payload) != nil {
			c.closeWith(4400, "connection_init payload must be an object")
			return false
		}
	}
	ctx, err := c.t.Init(c.ctx, payload)
	if err != nil {
		c.closeWith(CloseForbidden, err.Error())
		return false
	}
	c.mu.Lock()
	c.ctx = ctx
	c.acked = true
	c.lastPong = time.Now()
	c.pingTimer = time.AfterFunc(c.t.Ping, c.pingOrClose)
	c.mu.Unlock()
	c.send(wsMessage{Type: "connection_ack"})
	return true
}

// pingOrClose pings the client, or closes the connection when it did not
// answer the last two pings.
func (c *wsConn) pingOrClose() {
	c.mu.Lock()
	silent := time.Since(c.lastPong) > 2*c.t.Ping
	closing := c.closing
	c.mu.Unlock()
	if closing {
		return
	}
	if silent {
		c.closeWith(4408, "no pong")
		return
	}
	c.send(wsMessage{Type: "ping"})
	c.mu.Lock()
	if !c.closing {
		c.pingTimer.Reset(c.t.Ping)
	}
	c.mu.Unlock()
}

// wsOperation is one operation (a subscription, or a query or mutation
// sent over the socket).
type wsOperation struct {
	c       *wsConn
	id      string
	ctx     context.Context
	cancel  context.CancelFunc
	next    graphql.ResponseHandler
	stopped atomic.Bool // completed by the client
	// pending counts the wakes not yet served, plus one while the
	// operation is being set up (kept for good when serveAll reads it
	// instead); serve runs while it is above 0.
	pending atomic.Int64
	done    atomic.Bool
}

func (c *wsConn) start(id string, payload json.RawMessage) {
	c.mu.Lock()
	base := c.ctx
	c.mu.Unlock()
	ctx := graphql.StartOperationTrace(base)
	start := graphql.Now()
	params := &graphql.RawParams{}
	if err := json.Unmarshal(payload, params); err != nil {
		c.sendErrors(id, gqlerror.List{{Message: "invalid json"}})
		return
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	rc, errs := c.exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp := c.exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs)
		if errcode.GetErrorKind(errs) == errcode.KindProtocol {
			c.sendErrors(id, resp.Errors)
		} else {
			c.send(wsMessage{ID: id, Type: "next", Payload: mustJSON(&graphql.Response{Errors: errs})})
			c.send(wsMessage{ID: id, Type: "complete"})
		}
		return
	}
	ctx = graphql.WithOperationContext(ctx, rc)
	ctx, cancel := context.WithCancel(ctx)
	op := &wsOperation{c: c, id: id, cancel: cancel}
	op.pending.Store(1) // held until set up
	wake := live.NewWake(op.wake)
	ctx = live.WithWake(ctx, wake)
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		cancel()
		return
	}
	c.subs[id] = op
	c.mu.Unlock()

	next, ctx := c.exec.DispatchOperation(ctx, rc) // runs a subscription's resolver
	op.next, op.ctx = next, ctx
	if rc.Operation.Operation == ast.Subscription && wake.Used() {
		// The stream wakes the operation per event; release the hold.
		if op.pending.Add(-1) > 0 {
			go op.serve()
		}
		return
	}
	// A query, a mutation, or a subscription whose resolver failed or
	// does not wake: read it to its end on a goroutine.
	go op.serveAll()
}

// serveAll sends every result until the end.
func (op *wsOperation) serveAll() {
	for resp := op.respond(); resp != nil; resp = op.respond() {
		op.c.send(wsMessage{ID: op.id, Type: "next", Payload: mustJSON(resp)})
	}
	op.finish()
}

// wake is called by the stream after each event it puts in the channel,
// and after it closes it; it never blocks.
func (op *wsOperation) wake() {
	if op.pending.Add(1) == 1 {
		go op.serve()
	}
}

// serve sends results while wakes are pending: each wake is one event in
// the stream's channel (or its closing), so reading never blocks.
func (op *wsOperation) serve() {
	for !op.done.Load() {
		resp := op.respond()
		if resp == nil {
			op.finish()
			return
		}
		op.c.send(wsMessage{ID: op.id, Type: "next", Payload: mustJSON(resp)})
		if op.pending.Add(-1) == 0 {
			return
		}
	}
}

func (op *wsOperation) respond() (resp *graphql.Response) {
	defer func() {
		if p := recover(); p != nil {
			op.c.t.Logger.Error("websocket: panic while resolving", "operation", op.id, "panic", p, "stack", string(debug.Stack()))
			op.c.sendErrors(op.id, gqlerror.List{{Message: "internal server error"}})
			op.stopped.Store(true)
			resp = nil
		}
	}()
	return op.next(op.ctx)
}

// finish ends an operation whose results are all sent.
func (op *wsOperation) finish() {
	if op.done.Swap(true) {
		return
	}
	c := op.c
	c.mu.Lock()
	if c.subs[op.id] == op {
		delete(c.subs, op.id)
	}
	closing := c.closing
	c.mu.Unlock()
	op.cancel()
	if !op.stopped.Load() && !closing {
		c.send(wsMessage{ID: op.id, Type: "complete"})
	}
}

func (c *wsConn) sendErrors(id string, errs gqlerror.List) {
	c.send(wsMessage{ID: id, Type: "error", Payload: mustJSON(errs)})
}

// writeTimeout bounds one write: a client that reads nothing for this long
// is closed.
const writeTimeout = time.Minute

func (c *wsConn) send(m wsMessage) {
	b, err := json.Marshal(m)
	if err != nil {
		return
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	if err := c.conn.WriteMessage(websocket.TextMessage, b); err != nil {
		c.cancel()
		_ = c.conn.Close() // ends the read loop
	}
}

// closeWith closes the connection with a close frame.
func (c *wsConn) closeWith(code int, reason string) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.closing = true
	c.mu.Unlock()
	// WriteControl may run beside a blocked write (a client that does not
	// read); it gives up after a second.
	_ = c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	c.cancel()
	_ = c.conn.Close() // ends the read loop
}

// goAway closes the connection with 1001, for a server shutting down.
func (c *wsConn) goAway() { c.closeWith(websocket.CloseGoingAway, "server shutting down; reconnect") }

// shutdown releases everything once the read loop ends.
func (c *wsConn) shutdown() {
	c.mu.Lock()
	c.closing = true
	if c.initTimer != nil {
		c.initTimer.Stop()
	}
	if c.pingTimer != nil {
		c.pingTimer.Stop()
	}
	ops := make([]*wsOperation, 0, len(c.subs))
	for _, op := range c.subs {
		ops = append(ops, op)
	}
	clear(c.subs)
	acked, ctx := c.acked, c.ctx
	c.mu.Unlock()
	for _, op := range ops {
		op.cancel()
	}
	if acked && c.t.Closed != nil {
		c.t.Closed(ctx)
	}
	c.t.Tracker.remove(c)
	c.cancel()
	_ = c.conn.Close()
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(gqlerror.List{{Message: "internal server error"}})
	}
	return b
}
