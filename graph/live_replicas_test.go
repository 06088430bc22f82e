//go:build linux

// Linux only: the replicas are child processes that the kernel stops
// (Pdeathsig) should the test binary die before it stops them.

package graph_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent"
	"storefront/ent/product"
	"storefront/ent/productvariant"
)

// TestLiveReplicas runs two server processes on one PostgreSQL database:
// a stock change and a checkout on replica B reach a subscriber on replica
// A (LISTEN/NOTIFY), and after A's listening connection is killed, while it
// cannot reconnect, changes on B that A never hears of still reach A's
// subscriber once it is back (resync).
func TestLiveReplicas(t *testing.T) {
	start := time.Now()
	dbURL := dbtest.URL(t, "postgres")
	rp := startReplicaPair(t, dbURL, "replica")
	a, b, v, w, token := rp.a, rp.b, rp.v, rp.w, rp.token
	t.Logf("replicas ready after %s", time.Since(start).Round(time.Millisecond))

	setOnB := func(onHand int) int {
		t.Helper()
		var r struct {
			StockLevelSet struct {
				ProductVariant *struct{ QuantityAvailable int }
				UserErrors     []struct{ Code, Message string }
			}
		}
		b.query(t, token, setStockLevel, map[string]any{"v": v.GlobalID().String(), "w": w.GlobalID().String(), "n": onHand}, &r)
		if r.StockLevelSet.ProductVariant == nil {
			t.Fatalf("stockLevelSet on B: %+v", r.StockLevelSet)
		}
		return r.StockLevelSet.ProductVariant.QuantityAvailable
	}

	// A subscriber on A, signed in with the token B issued (the replicas
	// share JWT_KEYS); its events are read in the background.
	ws := dialWSAt(t, a.base, transportWS)
	ws.init(map[string]any{"Authorization": "Bearer " + token})
	ws.subscribe("1", watchStock, stockVars(v))
	state := ws.nextStock("1")
	events := stockEvents(ws)
	// waitState reads A's events until the newest is at least version,
	// with quantity available.
	waitState := func(what string, quantity, version int, within time.Duration) {
		t.Helper()
		deadline := time.After(within)
		for state.Version < version || state.QuantityAvailable != quantity {
			select {
			case e, ok := <-events:
				if !ok {
					t.Fatalf("%s: A closed the subscriber's connection", what)
				}
				if e.Version > state.Version {
					state = e
				}
			case <-deadline:
				t.Fatalf("%s: A's subscriber is at %+v, want %d available at version %d or later within %s", what, state, quantity, version, within)
			}
		}
	}

	// A's response cache holds the product page; B's change empties it
	// through the fan-out, and A's next answer is computed afresh.
	p := rp.p
	pageOnA := func() (int, string) {
		t.Helper()
		var r struct {
			Product struct {
				Variants []struct {
					ID                string
					QuantityAvailable int
				}
			}
		}
		x := a.anonymous(t, `query($s: String) { product(slug: $s) { variants { id quantityAvailable } } }`, map[string]any{"s": p.Slug}, &r)
		for _, pv := range r.Product.Variants {
			if pv.ID == v.GlobalID().String() {
				return pv.QuantityAvailable, x
			}
		}
		t.Fatalf("variant %s not on its product page", v.GlobalID())
		return 0, ""
	}
	// waitPage polls A's product page until it shows quantity.
	waitPage := func(what string, quantity int, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			got, x := pageOnA()
			if got == quantity {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: A's product page shows %d (X-Cache %s), want %d within %s", what, got, x, quantity, within)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	pageOnA()
	if _, x := pageOnA(); x != "HIT" {
		t.Fatalf("A's product page, asked twice: X-Cache %q, want HIT", x)
	}

	// A stock change on B.
	q := setOnB(40)
	waitState("stockLevelSet on B", q, state.Version+1, wsWait)
	waitPage("stockLevelSet on B", q, 2*time.Second)

	// A guest checkout on B.
	var created struct{ CartCreate cartPayload }
	b.query(t, "", `mutation($v: ID!) { cartCreate(input: {lines: [{variantId: $v, quantity: 1}]}) { `+cartFields+` } }`,
		map[string]any{"v": v.GlobalID().String()}, &created)
	if created.CartCreate.Cart == nil {
		t.Fatalf("cartCreate on B: %+v", created.CartCreate)
	}
	var done struct {
		CheckoutComplete struct {
			Order      *orderResp
			UserErrors []struct{ Code, Message string }
		}
	}
	b.query(t, "", checkoutMutation, map[string]any{"in": checkoutInput(created.CartCreate.Cart.ID, "replicas-checkout-1")}, &done)
	if o := done.CheckoutComplete.Order; o == nil || o.Status != "PAID" {
		t.Fatalf("guest checkout on B: %+v", done.CheckoutComplete)
	}
	waitState("checkout on B", q-1, state.Version+1, wsWait)

	// A's listening connection dies and cannot come back for a while (no
	// new connection to the database is allowed); the replicas' pools keep
	// the connections they have. B changes the stock meanwhile: A hears
	// nothing of it, until its listener is back and resyncs.
	b.warmPool(t, 8)
	// The test's own connection, to the server's maintenance database (a
	// database cannot refuse connections from a session connected to it).
	adminURL := os.Getenv("TEST_POSTGRES_URL")
	if adminURL == "" {
		adminURL = dbtest.DefaultPostgresURL
	}
	adminDB, err := sql.Open("postgres", adminURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = adminDB.Close() })
	admin, err := adminDB.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	ctx := context.Background()
	name := strings.TrimPrefix(mustParseURL(t, dbURL).Path, "/")
	allow := func(on bool) {
		t.Helper()
		if _, err := admin.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %q WITH ALLOW_CONNECTIONS %t`, name, on)); err != nil {
			t.Fatalf("allow connections %t: %v", on, err)
		}
	}
	allow(false)
	t.Cleanup(func() {
		_, _ = admin.ExecContext(ctx, fmt.Sprintf(`ALTER DATABASE %q WITH ALLOW_CONNECTIONS true`, name))
	})
	var pid int
	// The listener's last statement is its LISTEN, or the empty query of
	// its keep-alive ping; the pools' are others.
	if err := admin.QueryRowContext(ctx, `SELECT pid FROM pg_stat_activity
		WHERE datname = $1 AND application_name = 'storefront-replica-a' AND (query ILIKE 'LISTEN%' OR query = '')`, name).Scan(&pid); err != nil {
		t.Fatalf("A's LISTEN connection: %v", err)
	}
	var killed bool
	if err := admin.QueryRowContext(ctx, `SELECT pg_terminate_backend($1)`, pid).Scan(&killed); err != nil || !killed {
		t.Fatalf("terminating A's LISTEN connection (pid %d): %v", pid, err)
	}
	for gone, deadline := false, time.Now().Add(wsWait); !gone; time.Sleep(5 * time.Millisecond) {
		if err := admin.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)`, pid).Scan(&gone); err != nil {
			t.Fatal(err)
		}
		if !gone && time.Now().After(deadline) {
			t.Fatalf("A's LISTEN connection (pid %d) still there %s after pg_terminate_backend", pid, wsWait)
		}
	}
	// Deaf to B, A's response cache is suspended: asked twice, the page
	// is computed twice (the suspension follows the lost connection within
	// moments).
	for misses, deadline := 0, time.Now().Add(2*time.Second); misses < 2; {
		if _, x := pageOnA(); x == "MISS" {
			misses++
		} else {
			misses = 0
		}
		if misses < 2 && time.Now().After(deadline) {
			t.Fatal("A kept serving its product page from the cache while deaf to the other replicas")
		}
	}
	before := state
	setOnB(30)
	setOnB(31)
	final := setOnB(32)
	// Nothing reaches A while its listener is down.
	select {
	case e := <-events:
		t.Fatalf("A's subscriber got %+v while A's listener was down", e)
	case <-time.After(500 * time.Millisecond):
	}
	// So its page is current (the cache's TTL is far longer than this).
	waitPage("while A's listener is down", final, 2*time.Second)
	allow(true)
	// Back: A resyncs its subscribers with the current state.
	back := time.Now()
	waitState("after A's listener is back", final, before.Version+3, 15*time.Second)
	t.Logf("A's subscriber converged %s after connections were allowed again", time.Since(back).Round(time.Millisecond))
	if !strings.Contains(a.logs.String(), "LISTEN connection back; resyncing subscribers") {
		t.Fatalf("A converged without reporting its LISTEN connection back; its log:\n%s", a.logs.String())
	}
	_ = ws.conn.CloseNow()
}

// replicaPair is two server processes on one PostgreSQL database (A seeded
// the demo catalogue), with what the tests change: the first ACTIVE
// variant of the demo catalogue, its product, the first warehouse, and the
// demo staff account's token, issued by B (the replicas share JWT_KEYS, so
// it works on A too).
type replicaPair struct {
	a, b  *replica
	v     *ent.ProductVariant
	p     *ent.Product
	w     *ent.Warehouse
	token string
}

// startReplicaPair starts the pair on dbURL; their PostgreSQL sessions are
// named storefront-<name>-a and storefront-<name>-b.
func startReplicaPair(t *testing.T, dbURL, name string) *replicaPair {
	t.Helper()
	bin := buildStorefront(t)
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	keys := name + ":" + hex.EncodeToString(secret)
	rp := &replicaPair{
		a: startReplica(t, bin, "a", withAppName(dbURL, "storefront-"+name+"-a"), keys, true),
		b: startReplica(t, bin, "b", withAppName(dbURL, "storefront-"+name+"-b"), keys, false),
	}
	db, err := database.Open(context.Background(), dbURL, database.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if rp.v, err = db.Client.ProductVariant.Query().
		Where(productvariant.HasProductWith(product.StatusEQ(product.StatusACTIVE))).
		Order(ent.Asc(productvariant.FieldID)).First(sysCtx()); err != nil {
		t.Fatalf("a variant of the demo catalogue: %v", err)
	}
	if rp.p, err = rp.v.QueryProduct().Only(sysCtx()); err != nil {
		t.Fatal(err)
	}
	if rp.w, err = db.Client.Warehouse.Query().Order(ent.Asc("id")).First(sysCtx()); err != nil {
		t.Fatalf("a warehouse of the demo catalogue: %v", err)
	}
	var in struct {
		CustomerSignIn struct{ AccessToken *string }
	}
	rp.b.query(t, "", `mutation { customerSignIn(input: {email: "staff@example.com", password: "demo-staff-2026"}) { accessToken } }`, nil, &in)
	if in.CustomerSignIn.AccessToken == nil {
		t.Fatal("the demo staff account (SEED_DEMO) cannot sign in")
	}
	rp.token = *in.CustomerSignIn.AccessToken
	return rp
}

// buildStorefront builds the server binary (with -race when this test
// binary has it: the packages are then already compiled).
func buildStorefront(t *testing.T) string {
	t.Helper()
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	out, err := exec.Command(goTool, "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		t.Fatal("go env GOMOD: not in a module")
	}
	bin := filepath.Join(t.TempDir(), "storefront")
	args := []string{"build", "-o", bin}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" && s.Value == "true" {
				args = append(args, "-race")
			}
		}
	}
	cmd := exec.Command(goTool, append(args, ".")...)
	cmd.Dir = filepath.Dir(gomod)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	return bin
}

func withAppName(dbURL, name string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		panic(err)
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String()
}

func mustParseURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// replica is a server process.
type replica struct {
	name string
	base string // http://127.0.0.1:port
	cmd  *exec.Cmd
	logs *logBuffer
	done chan struct{}
	err  error // of Wait, once done is closed
}

// startReplica starts the server binary on a free loopback port and waits
// until it is ready; it is stopped (SIGTERM) when the test ends, and must
// then exit cleanly (under -race: without a data race).
func startReplica(t *testing.T, bin, name, dbURL, keys string, seed bool) *replica {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	r := &replica{name: name, base: "http://" + addr, logs: &logBuffer{}, done: make(chan struct{})}
	r.cmd = exec.Command(bin)
	r.cmd.Env = append(os.Environ(),
		"ADDR="+addr,
		"DATABASE_URL="+dbURL,
		"JWT_KEYS="+keys,
		fmt.Sprintf("SEED_DEMO=%t", seed),
		"DEMO_PRODUCTS=50",
		"LOG_LEVEL=info",
		"LOG_FORMAT=text",
		"PLAYGROUND=false",
		"STAFF_EMAIL=", "STAFF_PASSWORD=",
		"SHUTDOWN_TIMEOUT=5s",
		"GORACE=atexit_sleep_ms=0", // under -race: exit at once
	)
	r.cmd.Stdout, r.cmd.Stderr = r.logs, r.logs
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start replica %s: %v", name, err)
	}
	go func() {
		r.err = r.cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() { r.stop(t) })

	deadline := time.Now().Add(2 * time.Minute)
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		if resp, err := c.Get(r.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return r
			}
		}
		select {
		case <-r.done:
			t.Fatalf("replica %s exited before it was ready (%v):\n%s", name, r.err, r.logs.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica %s not ready within 2 minutes:\n%s", name, r.logs.String())
		}
	}
}

func (r *replica) stop(t *testing.T) {
	select {
	case <-r.done:
		t.Errorf("replica %s had exited (%v):\n%s", r.name, r.err, r.logs.String())
		return
	default:
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(20 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
		t.Errorf("replica %s did not stop within 20 s of SIGTERM:\n%s", r.name, r.logs.String())
		return
	}
	logs := r.logs.String()
	if r.err != nil || strings.Contains(logs, "DATA RACE") {
		t.Errorf("replica %s exited with %v:\n%s", r.name, r.err, logs)
	} else if t.Failed() {
		t.Logf("replica %s log:\n%s", r.name, logs)
	}
}

// query runs a GraphQL operation on the replica that must succeed.
func (r *replica) query(t *testing.T, token, query string, vars map[string]any, out any) {
	t.Helper()
	if _, err := post(r, token, query, vars, out); err != nil {
		t.Fatalf("replica %s: %v", r.name, err)
	}
}

// anonymous runs a query without credentials and returns its X-Cache
// header.
func (r *replica) anonymous(t *testing.T, query string, vars map[string]any, out any) string {
	t.Helper()
	x, err := post(r, "", query, vars, out)
	if err != nil {
		t.Fatalf("replica %s: %v", r.name, err)
	}
	return x
}

// post sends an operation to the replica (with a bearer token unless
// empty), decodes its data into out and returns the X-Cache header; a
// GraphQL error is an error.
func post(r *replica, token, query string, vars map[string]any, out any) (string, error) {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequest(http.MethodPost, r.base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var res struct {
		Data   json.RawMessage
		Errors []apiError
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		return "", fmt.Errorf("status %d: %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK || len(res.Errors) > 0 {
		return "", fmt.Errorf("status %d, errors %+v", resp.StatusCode, res.Errors)
	}
	return resp.Header.Get("X-Cache"), json.Unmarshal(res.Data, out)
}

// stockEvents reads a websocket's inventoryChanged events in the
// background until it closes.
func stockEvents(ws *rawWS) <-chan stockEvent {
	events := make(chan stockEvent, 256)
	go func() {
		defer close(events)
		for {
			_, b, err := ws.conn.Read(context.Background())
			if err != nil {
				return
			}
			var m wsMessage
			var p stockPayload
			if json.Unmarshal(b, &m) == nil && m.Type == "next" && json.Unmarshal(m.Payload, &p) == nil && p.Data != nil {
				events <- p.Data.InventoryChanged
			}
		}
	}()
	return events
}

type apiError struct {
	Message    string
	Extensions map[string]any
}

// warmPool makes the replica open n database connections at once, which
// its pool then keeps.
func (r *replica) warmPool(t *testing.T, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := `{"query":"{ products(first: 50) { edges { node { id variants { id quantityAvailable } } } } }"}`
			resp, err := http.Post(r.base+"/graphql", "application/json", strings.NewReader(body))
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// logBuffer collects a process's output.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
