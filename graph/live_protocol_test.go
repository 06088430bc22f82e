package graph_test

// Live updates at the wire level: a raw websocket client speaking
// graphql-transport-ws (and the legacy graphql-ws) against a real socket,
// the close codes of protocol violations, the subscription cap, SSE, a
// consumer that never reads, and the 1001 of a shutting-down server.
//
// The close codes asserted here are what gqlgen v0.17.98 sends, which is
// not always what the graphql-transport-ws protocol specifies
// (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md); each
// deviation is spelled out where it is asserted.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"storefront/app"
	"storefront/auth/authtoken"
	"storefront/commerce/cart"
	"storefront/commerce/identity"
	"storefront/commerce/live"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent"
	"storefront/graph"
	"storefront/httpserver"
	"storefront/internal/apitest"
)

const (
	transportWS = "graphql-transport-ws"
	legacyWS    = "graphql-ws"
	// wsWait bounds every wait for one message.
	wsWait = 10 * time.Second
)

// wsMessage is a message of either websocket subprotocol.
type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// rawWS is a bare websocket client: every frame is visible to the test.
type rawWS struct {
	t    testing.TB
	conn *websocket.Conn
}

// dialWS opens a websocket to srv's /graphql with one subprotocol.
func dialWS(t testing.TB, srv *httptest.Server, subprotocol string) *rawWS {
	t.Helper()
	return dialWSAt(t, srv.URL, subprotocol)
}

// dialWSAt opens a websocket to base (http://host:port) + /graphql.
func dialWSAt(t testing.TB, base, subprotocol string) *rawWS {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wsWait)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{subprotocol}})
	if err != nil {
		t.Fatalf("dial %s: %v", subprotocol, err)
	}
	if got := conn.Subprotocol(); got != subprotocol {
		t.Fatalf("negotiated subprotocol %q, want %q", got, subprotocol)
	}
	conn.SetReadLimit(1 << 20)
	t.Cleanup(func() { _ = conn.CloseNow() })
	return &rawWS{t: t, conn: conn}
}

func (w *rawWS) send(m any) {
	w.t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		w.t.Fatal(err)
	}
	w.sendRaw(b)
}

func (w *rawWS) sendRaw(b []byte) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wsWait)
	defer cancel()
	if err := w.conn.Write(ctx, websocket.MessageText, b); err != nil {
		w.t.Fatalf("write: %v", err)
	}
}

// read returns the next message, or the error that ended the connection.
// Keep-alives ("ka") and pings are answered or skipped.
func (w *rawWS) read() (wsMessage, error) {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), wsWait)
		_, b, err := w.conn.Read(ctx)
		cancel()
		if err != nil {
			return wsMessage{}, err
		}
		var m wsMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return wsMessage{}, err
		}
		switch m.Type {
		case "ka":
			continue
		case "ping":
			w.send(wsMessage{Type: "pong"})
			continue
		}
		return m, nil
	}
}

// expect reads the next message and checks its type (and id when set).
func (w *rawWS) expect(typ, id string) wsMessage {
	w.t.Helper()
	m, err := w.read()
	if err != nil {
		w.t.Fatalf("waiting for %s %s: %v", typ, id, err)
	}
	if m.Type != typ || m.ID != id {
		w.t.Fatalf("got %s (id %q) %s, want %s (id %q)", m.Type, m.ID, m.Payload, typ, id)
	}
	return m
}

// init sends connection_init with payload and expects connection_ack.
func (w *rawWS) init(payload map[string]any) {
	w.t.Helper()
	if payload == nil {
		payload = map[string]any{}
	}
	w.send(wsMessage{Type: "connection_init", Payload: wsJSON(w.t, payload)})
	w.expect("connection_ack", "")
}

// subscribe starts an operation: "subscribe" in graphql-transport-ws,
// "start" in graphql-ws.
func (w *rawWS) subscribe(id, query string, vars map[string]any) {
	w.t.Helper()
	typ := "subscribe"
	if w.conn.Subprotocol() == legacyWS {
		typ = "start"
	}
	w.send(wsMessage{ID: id, Type: typ, Payload: wsJSON(w.t, map[string]any{"query": query, "variables": vars})})
}

// expectClose expects the server to close the connection, with no other
// message first, and checks the close code and reason (reason "" is not
// checked).
func (w *rawWS) expectClose(code websocket.StatusCode, reason string) {
	w.t.Helper()
	for {
		m, err := w.read()
		if err == nil {
			w.t.Fatalf("want close %d %q, got %s (id %q) %s", code, reason, m.Type, m.ID, m.Payload)
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) {
			w.t.Fatalf("want close %d %q, got %v", code, reason, err)
		}
		if ce.Code != code || (reason != "" && ce.Reason != reason) {
			w.t.Fatalf("closed with %d %q, want %d %q", ce.Code, ce.Reason, code, reason)
		}
		return
	}
}

func wsJSON(t testing.TB, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// stockPayload is the payload of a next (or data) message of watchStock.
type stockPayload struct {
	Data   *inventoryEvent
	Errors []apitest.Error
}

func (w *rawWS) nextStock(id string) stockEvent {
	w.t.Helper()
	typ := "next"
	if w.conn.Subprotocol() == legacyWS {
		typ = "data"
	}
	m := w.expect(typ, id)
	var p stockPayload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		w.t.Fatalf("payload %s: %v", m.Payload, err)
	}
	if len(p.Errors) > 0 || p.Data == nil {
		w.t.Fatalf("errors in %s", m.Payload)
	}
	return p.Data.InventoryChanged
}

// anyStock reads the next stock event of any subscription.
func (w *rawWS) anyStock() (string, stockEvent) {
	w.t.Helper()
	m, err := w.read()
	if err != nil {
		w.t.Fatalf("waiting for a stock event: %v", err)
	}
	var p stockPayload
	if m.Type != "next" || json.Unmarshal(m.Payload, &p) != nil || p.Data == nil || len(p.Errors) > 0 {
		w.t.Fatalf("got %s (id %q) %s, want a stock event", m.Type, m.ID, m.Payload)
	}
	return m.ID, p.Data.InventoryChanged
}

type stockEvent = struct {
	VariantID, ProductID string
	QuantityAvailable    int
	AvailableForSale     bool
	Version              int
}

const setStockLevel = `mutation($v: ID!, $w: ID!, $n: Int!) { stockLevelSet(input: {variantId: $v, warehouseId: $w, onHand: $n}) {
  productVariant { quantityAvailable } userErrors { code message } } }`

// setStock sets the stock of variant v in warehouse w through the API (as
// staff) and returns the variant's new available quantity.
func setStock(t testing.TB, boss *apitest.API, v *ent.ProductVariant, w *ent.Warehouse, onHand int) int {
	t.Helper()
	var r struct {
		StockLevelSet struct {
			ProductVariant *struct{ QuantityAvailable int }
			UserErrors     []struct{ Code, Message string }
		}
	}
	boss.Query(t, setStockLevel, apitest.Vars{"v": v.GlobalID().String(), "w": w.GlobalID().String(), "n": onHand}, &r)
	if len(r.StockLevelSet.UserErrors) > 0 || r.StockLevelSet.ProductVariant == nil {
		t.Fatalf("stockLevelSet: %+v", r.StockLevelSet)
	}
	return r.StockLevelSet.ProductVariant.QuantityAvailable
}

func stockVars(v *ent.ProductVariant) map[string]any {
	return map[string]any{"v": []string{v.GlobalID().String()}}
}

// liveServer is the full handler on a real socket, with a staff client, the
// fixture catalogue and its first warehouse.
type liveServer struct {
	api  *apitest.API
	boss *apitest.API
	srv  *httptest.Server
	cat  *catalogue
	w    *ent.Warehouse
	v    *ent.ProductVariant // 4 available: 3+2 on hand, 1 reserved
}

func newLiveServer(t *testing.T, db *database.DB, opts ...apitest.Option) *liveServer {
	t.Helper()
	api := apitest.New(t, db, opts...)
	cat := seedCatalogue(t, db.Client)
	srv := httptest.NewServer(api.Handler)
	t.Cleanup(srv.Close)
	return &liveServer{api: api, boss: staff(t, api), srv: srv, cat: cat,
		w: db.Client.Warehouse.Query().FirstX(sysCtx()), v: cat.variants[cat.active[0].ID][0]}
}

func TestLiveProtocolHappyPath(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		s := newLiveServer(t, db)
		ws := dialWS(t, s.srv, transportWS)
		ws.init(nil)

		ws.subscribe("1", watchStock, stockVars(s.v))
		first := ws.nextStock("1")
		if first.VariantID != s.v.GlobalID().String() || first.QuantityAvailable != 4 || !first.AvailableForSale {
			t.Fatalf("current state first: %+v", first)
		}
		if q := setStock(t, s.boss, s.v, s.w, 1); q != 2 {
			t.Fatalf("after setting 1 on hand (1 reserved): %d available", q)
		}
		change := ws.nextStock("1")
		if change.QuantityAvailable != 2 || change.Version <= first.Version {
			t.Fatalf("change: %+v (first %+v)", change, first)
		}

		// The client completes: the subscription stops, and, as the
		// protocol has it, no complete comes back.
		ws.send(wsMessage{ID: "1", Type: "complete"})
		// Nothing more for "1": a second subscription sees the next change
		// and "1" stays silent.
		ws.subscribe("2", watchStock, stockVars(s.v))
		if e := ws.nextStock("2"); e.Version != change.Version {
			t.Fatalf("current state of 2: %+v, want version %d", e, change.Version)
		}
		setStock(t, s.boss, s.v, s.w, 5)
		if e := ws.nextStock("2"); e.QuantityAvailable != 6 || e.Version <= change.Version {
			t.Fatalf("after 5 on hand: %+v", e)
		}
		// ping/pong works once acknowledged.
		ws.send(wsMessage{Type: "ping"})
		ws.expect("pong", "")
	})
}

// TestLiveProtocolViolations: each violation closes the connection with the
// graphql-transport-ws protocol's code.
func TestLiveProtocolViolations(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		s := newLiveServer(t, db)

		t.Run("subscribe before connection_init", func(t *testing.T) {
			ws := dialWS(t, s.srv, transportWS)
			ws.subscribe("1", watchStock, stockVars(s.v))
			ws.expectClose(4401, "Unauthorized")
		})
		t.Run("second connection_init", func(t *testing.T) {
			ws := dialWS(t, s.srv, transportWS)
			ws.init(nil)
			ws.send(wsMessage{Type: "connection_init", Payload: json.RawMessage(`{}`)})
			ws.expectClose(4429, "Too many initialisation requests")
		})
		t.Run("duplicate subscription id", func(t *testing.T) {
			ws := dialWS(t, s.srv, transportWS)
			ws.init(nil)
			ws.subscribe("1", watchStock, stockVars(s.v))
			ws.nextStock("1")
			ws.subscribe("1", watchStock, stockVars(s.v))
			ws.expectClose(4409, "Subscriber for 1 already exists")
		})
		t.Run("an id is free again once its operation ended", func(t *testing.T) {
			ws := dialWS(t, s.srv, transportWS)
			ws.init(nil)
			ws.subscribe("1", watchStock, stockVars(s.v))
			ws.nextStock("1")
			ws.send(wsMessage{ID: "1", Type: "complete"}) // ended by the client: no complete back
			ws.send(wsMessage{Type: "ping"})
			ws.expect("pong", "")
			ws.subscribe("1", `{ __typename }`, nil) // a query: next, then complete by the server
			ws.expect("next", "1")
			ws.expect("complete", "1")
			ws.subscribe("1", watchStock, stockVars(s.v))
			if e := ws.nextStock("1"); e.VariantID != s.v.GlobalID().String() {
				t.Fatalf("id 1, third use: %+v", e)
			}
		})
		t.Run("oversized frame", func(t *testing.T) {
			// 1009 Message Too Big, as RFC 6455 has it (64 KiB read limit).
			ws := dialWS(t, s.srv, transportWS)
			ws.init(nil)
			big := `{"type":"subscribe","id":"1","payload":{"query":"` + strings.Repeat(" ", 65<<10) + `{ __typename }"}}`
			ws.sendRaw([]byte(big))
			ws.expectClose(websocket.StatusMessageTooBig, "")
		})
		t.Run("refused token", func(t *testing.T) {
			// Protocol: 4403 Forbidden, with the reason; no connection_ack.
			ws := dialWS(t, s.srv, transportWS)
			ws.send(wsMessage{Type: "connection_init", Payload: wsJSON(t, map[string]any{"Authorization": "Bearer not-a-token"})})
			ws.expectClose(4403, "invalid access token")
		})
		t.Run("init payload not an object", func(t *testing.T) {
			ws := dialWS(t, s.srv, transportWS)
			ws.send(wsMessage{Type: "connection_init", Payload: json.RawMessage(`"token"`)})
			ws.expectClose(4400, "connection_init payload must be an object")
		})
	})
}

// TestLiveProtocolInitTimeout waits out the handler's 10 s init timeout
// (graph.Options does not make it shorter), in parallel with the other
// parallel tests, on SQLite only: the database plays no part.
func TestLiveProtocolInitTimeout(t *testing.T) {
	t.Parallel()
	api := apitest.New(t, dbtest.Open(t, "sqlite"))
	srv := httptest.NewServer(api.Handler)
	t.Cleanup(srv.Close)
	ws := dialWS(t, srv, transportWS)
	start := time.Now()
	// Protocol: 4408 Connection initialisation timeout.
	for {
		_, _, err := ws.conn.Read(context.Background()) // no deadline: the server's is the one tested
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != 4408 || ce.Reason != "Connection initialisation timeout" {
			t.Fatalf("closed with %v, want 4408 Connection initialisation timeout", err)
		}
		break
	}
	if d := time.Since(start); d < 9*time.Second || d > 15*time.Second {
		t.Fatalf("closed after %s, want about 10 s", d)
	}
}

// TestLiveProtocolSubscriptionCap: past MaxSubscriptionsPerConnection a
// subscription is refused with RATE_LIMITED, and the others go on. gqlgen
// reports a resolver's error as an execution result (a next message with
// the errors and null data, then complete), which is how the protocol
// carries errors of execution; its error message is for operations that do
// not even validate.
func TestLiveProtocolSubscriptionCap(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		s := newLiveServer(t, db, func(c *apitest.Config) { c.Graph.MaxSubscriptionsPerConnection = 2 })
		ws := dialWS(t, s.srv, transportWS)
		ws.init(nil)
		ws.subscribe("1", watchStock, stockVars(s.v))
		first := ws.nextStock("1")
		ws.subscribe("2", watchStock, stockVars(s.v))
		ws.nextStock("2")

		ws.subscribe("3", watchStock, stockVars(s.v))
		m := ws.expect("next", "3")
		var refused stockPayload
		if err := json.Unmarshal(m.Payload, &refused); err != nil || refused.Data != nil || len(refused.Errors) != 1 || refused.Errors[0].Code() != "RATE_LIMITED" {
			t.Fatalf("third subscription: %s", m.Payload)
		}
		ws.expect("complete", "3")

		// The first two keep working.
		q := setStock(t, s.boss, s.v, s.w, 9)
		seen := map[string]stockEvent{}
		for range 2 {
			id, e := ws.anyStock()
			seen[id] = e
		}
		for _, id := range []string{"1", "2"} {
			if e, ok := seen[id]; !ok || e.QuantityAvailable != q || e.Version <= first.Version {
				t.Fatalf("after the refusal, subscription %s: %+v (all: %+v)", id, e, seen)
			}
		}
		// A completed subscription gives its place back: with 1 completed,
		// a new one fits. The place is freed when the operation's context
		// ends, a moment after the complete; until then the answer is the
		// same refusal.
		ws.send(wsMessage{ID: "1", Type: "complete"})
		for i := 0; ; i++ {
			id := fmt.Sprintf("4-%d", i)
			ws.subscribe(id, watchStock, stockVars(s.v))
			m := ws.expect("next", id)
			var p stockPayload
			if err := json.Unmarshal(m.Payload, &p); err != nil {
				t.Fatal(err)
			}
			if p.Data != nil {
				if e := p.Data.InventoryChanged; e.QuantityAvailable != q {
					t.Fatalf("subscription %s after completing 1: %+v", id, e)
				}
				break
			}
			if len(p.Errors) != 1 || p.Errors[0].Code() != "RATE_LIMITED" || i == 50 {
				t.Fatalf("subscription %s after completing 1: %s", id, m.Payload)
			}
			ws.expect("complete", id)
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// TestLiveLegacyGraphQLWS: the legacy graphql-ws subprotocol
// (subscriptions-transport-ws: connection_init, start, data, stop).
func TestLiveLegacyGraphQLWS(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		s := newLiveServer(t, db)
		ws := dialWS(t, s.srv, legacyWS)
		ws.init(nil)
		ws.subscribe("a", watchStock, stockVars(s.v))
		first := ws.nextStock("a")
		if first.QuantityAvailable != 4 {
			t.Fatalf("current state first: %+v", first)
		}
		setStock(t, s.boss, s.v, s.w, 10)
		if e := ws.nextStock("a"); e.QuantityAvailable != 11 || e.Version <= first.Version {
			t.Fatalf("after 10 on hand: %+v", e)
		}
		ws.send(wsMessage{ID: "a", Type: "stop"})
		ws.expect("complete", "a")
		// A refused token: connection_error, then the close.
		bad := dialWS(t, s.srv, legacyWS)
		bad.send(wsMessage{Type: "connection_init", Payload: json.RawMessage(`{"Authorization": "Bearer nope"}`)})
		m := bad.expect("connection_error", "")
		if !strings.Contains(string(m.Payload), "message") {
			t.Fatalf("connection_error payload: %s", m.Payload)
		}
		bad.expectClose(4403, "invalid access token")
	})
}

// TestLiveSSE: a subscription over Server-Sent Events (POST /graphql,
// Accept: text/event-stream): the current state, then a change.
func TestLiveSSE(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		s := newLiveServer(t, db)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		body := wsJSON(t, map[string]any{"query": watchStock, "variables": stockVars(s.v)})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.srv.URL+"/graphql", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "text/event-stream")
		resp, err := s.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/event-stream") {
			t.Fatalf("status %d, content type %q", resp.StatusCode, ct)
		}
		events := make(chan string, 16)
		go func() {
			defer close(events)
			r := bufio.NewReader(resp.Body)
			var event string
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					return
				}
				line = strings.TrimRight(line, "\n")
				switch {
				case strings.HasPrefix(line, "event: "):
					event = strings.TrimPrefix(line, "event: ")
				case strings.HasPrefix(line, "data: ") && event == "next":
					events <- strings.TrimPrefix(line, "data: ")
				}
			}
		}()
		nextSSE := func() stockEvent {
			t.Helper()
			select {
			case data, ok := <-events:
				if !ok {
					t.Fatal("the event stream ended")
				}
				var p stockPayload
				if err := json.Unmarshal([]byte(data), &p); err != nil || p.Data == nil || len(p.Errors) > 0 {
					t.Fatalf("event data %s: %v", data, err)
				}
				return p.Data.InventoryChanged
			case <-time.After(wsWait):
				t.Fatal("no event within 10 s")
			}
			return stockEvent{}
		}
		first := nextSSE()
		if first.VariantID != s.v.GlobalID().String() || first.QuantityAvailable != 4 {
			t.Fatalf("current state first: %+v", first)
		}
		setStock(t, s.boss, s.v, s.w, 1)
		if e := nextSSE(); e.QuantityAvailable != 2 || e.Version <= first.Version {
			t.Fatalf("after 1 on hand in one warehouse: %+v", e)
		}
	})
}

// TestLiveSlowConsumer: a subscriber that never reads blocks neither the
// stock changes nor the other subscribers; both converge to the last state
// (events of one variant coalesce), and nothing is left running after.
func TestLiveSlowConsumer(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		goroutines := runtime.NumGoroutine()
		broker := live.NewBroker()
		s := newLiveServer(t, db, func(c *apitest.Config) {
			c.Broker = broker
			c.Graph.OperationLimits = manyAliases // the padding is 200 aliases
		})

		// 20 subscriptions to the variant on a socket that is not read, with
		// events padded to about 5 KB: 20 MB if every change were sent, far
		// more than the socket buffers of a connection that is not read hold
		// (on Linux the sender's grows to 4 MB at most, the receiver's
		// stays small), so the server's writes to it block.
		const slowSubs = 20
		slow := dialWS(t, s.srv, transportWS)
		slow.init(nil)
		for i := range slowSubs {
			slow.subscribe(strconv.Itoa(i), paddedWatchStock, stockVars(s.v))
		}
		ws := dialWS(t, s.srv, transportWS)
		ws.init(nil)
		ws.subscribe("1", watchStock, stockVars(s.v))
		first := ws.nextStock("1")
		waitFor(t, "21 subscriptions", func() bool { return broker.Count() == slowSubs+1 })
		events := make(chan stockEvent, 1024)
		readerDone := make(chan struct{})
		go func() {
			defer close(readerDone)
			defer close(events)
			for {
				_, b, err := ws.conn.Read(context.Background())
				if err != nil {
					return
				}
				var m wsMessage
				var p stockPayload
				if json.Unmarshal(b, &m) != nil || m.Type != "next" || json.Unmarshal(m.Payload, &p) != nil || p.Data == nil {
					continue
				}
				events <- p.Data.InventoryChanged
			}
		}()

		const changes = 200
		start := time.Now()
		var slowest time.Duration
		final := 0
		for i := 1; i <= changes; i++ {
			t0 := time.Now()
			final = setStock(t, s.boss, s.v, s.w, 100+i)
			slowest = max(slowest, time.Since(t0))
			if time.Since(start) > 30*time.Second {
				t.Fatalf("only %d of %d stock changes within 30 s", i, changes)
			}
		}
		t.Logf("%d stock changes in %s (slowest %s) with a subscriber that never reads", changes, time.Since(start).Round(time.Millisecond), slowest.Round(time.Millisecond))
		if want := 100 + changes + 2 - 1; final != want {
			t.Fatalf("final quantity %d, want %d", final, want)
		}

		// The reading subscriber ends with the last change (it may skip some).
		wantVersion := first.Version + changes
		var last stockEvent
		received := 0
		deadline := time.After(wsWait)
		for last.Version < wantVersion {
			select {
			case e, ok := <-events:
				if !ok {
					t.Fatal("the subscriber's connection ended")
				}
				// Right after the current state, an event of a change
				// committed before it may still come: clients keep the newest.
				if e.Version > last.Version {
					last = e
				}
				received++
			case <-deadline:
				t.Fatalf("the reading subscriber is at %+v, want version %d", last, wantVersion)
			}
		}
		if last.QuantityAvailable != final || last.Version != wantVersion {
			t.Fatalf("last event %+v, want %d available at version %d", last, final, wantVersion)
		}
		t.Logf("the reading subscriber got %d events for %d changes", received, changes)

		// The slow one, read at last, converges too: every subscription ends
		// with the final state, having skipped what it could not take.
		lastOf := map[string]stockEvent{}
		slowReceived := 0
		for len(lastOf) < slowSubs || !allAt(lastOf, wantVersion) {
			id, e := slow.anyStock()
			if prev, ok := lastOf[id]; !ok || e.Version > prev.Version {
				lastOf[id] = e
			}
			slowReceived++
		}
		for id, e := range lastOf {
			if e.QuantityAvailable != final {
				t.Fatalf("slow subscription %s ends at %+v, want %d available", id, e, final)
			}
		}
		t.Logf("the slow subscriber got %d events on %d subscriptions for %d changes (%d without coalescing)",
			slowReceived, slowSubs, changes, slowSubs*(changes+1))
		if slowReceived >= slowSubs*(changes+1) {
			t.Fatal("the slow subscriber got every event: it was never blocked, so this test proved nothing")
		}

		_ = slow.conn.CloseNow()
		_ = ws.conn.CloseNow()
		<-readerDone
		s.srv.Close()
		waitGoroutines(t, goroutines+20)
	})
}

// paddedWatchStock is watchStock with about 5 KB of repeated fields.
var paddedWatchStock = func() string {
	var b strings.Builder
	for i := range 200 {
		fmt.Fprintf(&b, " p%d: productId", i)
	}
	return strings.Replace(watchStock, "version }", "version"+b.String()+" }", 1)
}()

func allAt(m map[string]stockEvent, version int) bool {
	for _, e := range m {
		if e.Version != version {
			return false
		}
	}
	return true
}

// TestLiveGoingAway: a server that shuts down closes every websocket with
// 1001 Going Away (graphql-ws clients then reconnect elsewhere).
func TestLiveGoingAway(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		cat := seedCatalogue(t, db.Client)
		v := cat.variants[cat.active[0].ID][0]
		keys, err := authtoken.ParseKeyring(apitest.TestKeys)
		if err != nil {
			t.Fatal(err)
		}
		a := app.Build(db, app.Parts{
			Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
			Identity: identity.Config{Keys: keys, Password: apitest.FastPasswords},
			GraphQL:  graph.Options{AllowedOrigins: []string{"*"}},
			HTTP:     httpserver.Config{AllowedOrigins: []string{"*"}},
		})
		h := a.GraphQL
		srv := httptest.NewServer(a.Handler)
		t.Cleanup(srv.Close)

		ws := dialWS(t, srv, transportWS)
		ws.init(nil)
		ws.subscribe("1", watchStock, stockVars(v))
		ws.nextStock("1")
		legacy := dialWS(t, srv, legacyWS)
		legacy.init(nil)
		// A connection that gqlgen gives up on without closing (an init
		// payload that is not an object, on the legacy protocol: on
		// graphql-transport-ws the protocol guard closes it with 4400) is
		// closed and forgotten too.
		bad := dialWS(t, srv, legacyWS)
		bad.send(wsMessage{Type: "connection_init", Payload: json.RawMessage(`[]`)})
		bad.expectClose(websocket.StatusProtocolError, "")
		waitFor(t, "2 open websockets", func() bool { return h.OpenWebsockets() == 2 })

		h.GoingAway()
		ws.expectClose(websocket.StatusGoingAway, "server shutting down; reconnect")
		legacy.expectClose(websocket.StatusGoingAway, "server shutting down; reconnect")
		waitFor(t, "no open websocket", func() bool { return h.OpenWebsockets() == 0 })
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wsWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still not %s after %s", what, wsWait)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLiveCartStreamResubscribeFails: when a cart changes, its stream
// re-subscribes to the stock of the cart's lines; when that fails (here the
// database is gone) the stream ends. It used to close a nil subscription on
// the way out, a panic in a goroutine that took the whole server down.
func TestLiveCartStreamResubscribeFails(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	api, cat := setup(t, db)
	v := cat.variants[cat.active[0].ID][0]
	var created struct{ CartCreate cartPayload }
	api.Query(t, `mutation($v: ID!) { cartCreate(input: {lines: [{variantId: $v, quantity: 1}]}) { `+cartFields+` } }`,
		apitest.Vars{"v": v.GlobalID().String()}, &created)
	var cartID int
	for _, c := range db.Client.Cart.Query().AllX(sysCtx()) {
		if c.GlobalID().String() == created.CartCreate.Cart.ID {
			cartID = c.ID
		}
	}
	broker := live.NewBroker()
	svc := live.NewService(db.Client, broker, cart.New(db.Client, apitest.TestPricing, broker))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	carts, err := svc.WatchCart(ctx, cartID)
	if err != nil {
		t.Fatal(err)
	}
	if c := <-carts; c == nil || c.ID != cartID {
		t.Fatalf("current cart first: %+v", c)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	broker.PublishCart(cartID)
	select {
	case c, ok := <-carts:
		if ok {
			t.Fatalf("a cart without a database: %+v", c)
		}
	case <-time.After(wsWait):
		t.Fatal("the cart stream neither ended nor sent anything")
	}
}

// TestLiveSubscriptionsWaitWithoutGoroutines: on graphql-transport-ws a
// connection costs one goroutine (its read loop) however many
// subscriptions it holds; a waiting subscription costs none (its stream
// wakes the transport when an event is ready). That is what keeps a
// subscriber near 30 KiB (make bench-subscriptions).
func TestLiveSubscriptionsWaitWithoutGoroutines(t *testing.T) {
	s := newLiveServer(t, dbtest.Open(t, "sqlite"))
	waitGoroutines(t, runtime.NumGoroutine()) // settle
	before := runtime.NumGoroutine()
	ws := dialWS(t, s.srv, transportWS)
	ws.init(nil)
	const subs = 30
	for i := range subs {
		ws.subscribe(strconv.Itoa(i), watchStock, stockVars(s.v))
	}
	for range subs {
		ws.anyStock()
	}
	var n int
	for i := 0; i < 100; i++ { // the short-lived senders finish
		if n = runtime.NumGoroutine(); n-before <= 2 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n-before > 2 {
		t.Fatalf("%d goroutines for one connection with %d waiting subscriptions (before: %d), want at most 2 more", n, subs, before)
	}
	// And they still deliver.
	q := setStock(t, s.boss, s.v, s.w, 3)
	seen := map[string]bool{}
	for len(seen) < subs {
		id, e := ws.anyStock()
		if e.QuantityAvailable == q {
			seen[id] = true
		}
	}
}

// TestLiveWebsocketOrigins: browsers may open websockets from the allowed
// origins only; native clients (no Origin header) always may.
func TestLiveWebsocketOrigins(t *testing.T) {
	api := apitest.New(t, dbtest.Open(t, "sqlite"), func(c *apitest.Config) {
		c.Graph.AllowedOrigins = []string{"https://shop.example"}
	})
	srv := httptest.NewServer(api.Handler)
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		origin   string
		protocol string
		ok       bool
	}{
		{"", transportWS, true},
		{"https://shop.example", transportWS, true},
		{"https://evil.example", transportWS, false},
		{"", legacyWS, true},
		{"https://shop.example", legacyWS, true},
		{"https://evil.example", legacyWS, false},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), wsWait)
		h := http.Header{}
		if tc.origin != "" {
			h.Set("Origin", tc.origin)
		}
		conn, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/graphql",
			&websocket.DialOptions{Subprotocols: []string{tc.protocol}, HTTPHeader: h})
		cancel()
		if tc.ok != (err == nil) {
			t.Fatalf("%s from origin %q: err %v, want accepted %v", tc.protocol, tc.origin, err, tc.ok)
		}
		if err == nil {
			_ = conn.CloseNow()
		} else if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s from origin %q: refused with %v, want 403", tc.protocol, tc.origin, resp)
		}
	}
}
