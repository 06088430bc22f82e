//go:build linux

// Command benchsubs measures live updates at scale: how much memory one
// websocket subscriber costs the server, and how long a stock change takes
// to reach the subscribers that watch it.
//
//	go run ./cmd/benchsubs                  # make bench-subscriptions
//	go run ./cmd/benchsubs -n 2000 -duration 5s
//
// It builds the server, seeds a fresh SQLite database with a small demo
// catalogue (-products) and the demo accounts, starts the server on it on a
// free loopback port (so that its memory holds nothing of the seeding), and
// opens
// -n websocket connections (graphql-transport-ws), each subscribed to
// inventoryChanged of one variant (spread over the catalogue's variants).
// The server caps websocket connections per client address (200 by
// default; there is no setting for it), so the connections come from the
// loopback addresses 127.0.0.2 to 127.0.0.255 in turn. The file descriptor
// limit is raised to the hard limit (the server inherits it).
//
// Memory: the server's resident set (VmRSS of /proc/PID/status) before the
// subscribers connect and with all of them held, the difference divided by
// -n (the demo staff signs in, which takes 64 MiB for argon2id, only
// after); the server's goroutines, Go heap and stacks from its /metrics.
//
// Latency: then, as the demo staff account, it changes the stock of one
// variant after another at -rate changes a second for -duration
// (stockLevelSet over HTTP), and times each delivery of the change (matched
// by variant and version) from the moment the mutation's response arrived;
// deliveries that beat the response count as 0. It also gives the time from
// the request being sent, an upper bound.
//
// Everything is bounded (-timeout); the server is stopped with SIGTERM and
// the temporary folder removed at the end, on error and on Ctrl-C. Targets
// (printed with the results; -enforce makes a miss exit 1): -n 10000 held,
// p99 under 250 ms, under 40 KiB per subscriber.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"storefront/auth/authtoken"
	"storefront/commerce/access"
	"storefront/commerce/identity"
	"storefront/database"
	"storefront/demo"
	"storefront/ent"
	"storefront/ent/product"
	"storefront/ent/productvariant"
)

type options struct {
	n        int
	products int
	rate     int
	duration time.Duration
	dialers  int
	timeout  time.Duration
	settle   time.Duration
	grace    time.Duration
	enforce  bool
	keep     bool
}

// Targets.
const (
	targetP99       = 250 * time.Millisecond
	targetKiBPerSub = 40.0
)

func main() {
	var o options
	flag.IntVar(&o.n, "n", 10000, "websocket subscribers to hold")
	flag.IntVar(&o.products, "products", 200, "products in the demo catalogue")
	flag.IntVar(&o.rate, "rate", 20, "stock changes per second")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "how long to change stock")
	flag.IntVar(&o.dialers, "dialers", 32, "connections opened at once")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "bound of the whole run")
	flag.DurationVar(&o.settle, "settle", 3*time.Second, "wait after the last subscriber before measuring memory")
	flag.DurationVar(&o.grace, "grace", 10*time.Second, "wait for late deliveries after the last change")
	flag.BoolVar(&o.enforce, "enforce", false, "exit 1 when a target is missed")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary folder (database, server log)")
	flag.Parse()
	if o.n < 1 || o.rate < 1 || o.duration <= 0 || o.dialers < 1 || o.products < 1 {
		fmt.Fprintln(os.Stderr, "benchsubs: -n, -rate, -duration, -dialers and -products must be positive")
		os.Exit(2)
	}
	ok, err := run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchsubs:", err)
		os.Exit(1)
	}
	if !ok && o.enforce {
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05.000")}, args...)...)
}

func run(o options) (targetsMet bool, err error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	limit, err := raiseFileLimit()
	if err != nil {
		return false, err
	}
	if need := uint64(o.n) + 200; limit < need {
		return false, fmt.Errorf("the open file limit is %d, %d subscribers need about %d (raise the hard limit: ulimit -Hn)", limit, o.n, need)
	}

	root, err := moduleRoot(ctx)
	if err != nil {
		return false, err
	}
	tmp, err := os.MkdirTemp("", "benchsubs-")
	if err != nil {
		return false, err
	}
	if o.keep {
		logf("keeping %s", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	bin := filepath.Join(tmp, "storefront")
	logf("building the server")
	build := exec.CommandContext(ctx, goTool(), "build", "-o", bin, ".")
	build.Dir = root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return false, fmt.Errorf("go build: %w", err)
	}

	// Seeded here, so that the server's memory holds no garbage of it.
	dbURL := "sqlite://" + filepath.Join(tmp, "bench.db")
	variants, warehouse, err := seed(ctx, dbURL, o.products)
	if err != nil {
		return false, err
	}
	logf("%d products seeded, %d variants to watch", o.products, len(variants))
	srv, err := startServer(ctx, bin, dbURL, tmp)
	if err != nil {
		return false, err
	}
	defer srv.stop()
	logf("server pid %d at %s, open file limit %d", srv.cmd.Process.Pid, srv.base, limit)

	// Memory before: after one subscriber came and went, so that the
	// code paths have run once.
	if err := warmUp(ctx, srv.base, variants[0]); err != nil {
		return false, fmt.Errorf("a first subscriber: %w", err)
	}
	time.Sleep(o.settle)
	before, err := srv.sample(ctx)
	if err != nil {
		return false, err
	}

	col := newCollector()
	subs, err := connect(ctx, o, srv.base, variants, col)
	defer subs.closeAll()
	if err != nil {
		return false, err
	}
	held := subs.held()
	logf("%d of %d subscribers hold a subscription", held, o.n)
	time.Sleep(o.settle)
	with, err := srv.sample(ctx)
	if err != nil {
		return false, err
	}
	// Signing in hashes a password with argon2id (64 MiB): only after the
	// memory is measured.
	token, err := signIn(ctx, srv.base)
	if err != nil {
		return false, err
	}

	changes, err := changeStock(ctx, o, srv.base, token, variants[:min(o.n, len(variants))], warehouse, subs.version)
	if err != nil {
		return false, err
	}
	expected := 0
	for _, c := range changes {
		expected += subs.perVariant[c.variant]
	}
	deadline := time.Now().Add(o.grace)
	for col.count() < expected && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	stillHeld := subs.held()

	// Results.
	var fromResp, fromSent []time.Duration
	early := 0
	for _, c := range changes {
		for _, at := range col.at(c.variant, c.version) {
			d := at.Sub(c.resp)
			if d < 0 {
				early++
				d = 0
			}
			fromResp = append(fromResp, d)
			fromSent = append(fromSent, at.Sub(c.sent))
		}
	}
	var mutations []time.Duration
	for _, c := range changes {
		mutations = append(mutations, c.resp.Sub(c.sent))
	}
	kib := float64(int64(with.rssKiB)-int64(before.rssKiB)) / float64(max(held, 1))
	heapKiB := (float64(with.heapBytes) - float64(before.heapBytes)) / 1024 / float64(max(held, 1))
	stackKiB := (float64(with.stackBytes) - float64(before.stackBytes)) / 1024 / float64(max(held, 1))
	p99 := percentile(fromResp, 99)

	fmt.Printf("\nbenchsubs: %d subscribers wanted, SQLite, %d demo products (%d variants watched), %d CPUs\n", o.n, o.products, len(variants), numCPU())
	fmt.Printf("  connections held            %d (still %d after the changes)\n", held, stillHeld)
	fmt.Printf("  server RSS                  %.1f MiB before, %.1f MiB with %d subscribers\n", float64(before.rssKiB)/1024, float64(with.rssKiB)/1024, held)
	fmt.Printf("  RSS per subscriber          %.1f KiB\n", kib)
	fmt.Printf("  of which Go heap in use     %.1f KiB, goroutine stacks %.1f KiB\n", heapKiB, stackKiB)
	fmt.Printf("  goroutines per subscriber   %.2f (%d before, %d with)\n", float64(with.goroutines-before.goroutines)/float64(max(held, 1)), before.goroutines, with.goroutines)
	fmt.Printf("  stock changes               %d at %d/s (stockLevelSet p50 %s, p99 %s)\n", len(changes), o.rate, ms(percentile(mutations, 50)), ms(percentile(mutations, 99)))
	fmt.Printf("  deliveries                  %d of %d expected (%d before the mutation's response)\n", len(fromResp), expected, early)
	fmt.Printf("  latency from the response   p50 %s  p90 %s  p99 %s  max %s\n", ms(percentile(fromResp, 50)), ms(percentile(fromResp, 90)), ms(p99), ms(percentile(fromResp, 100)))
	fmt.Printf("  latency from the request    p50 %s  p90 %s  p99 %s  max %s\n", ms(percentile(fromSent, 50)), ms(percentile(fromSent, 90)), ms(percentile(fromSent, 99)), ms(percentile(fromSent, 100)))

	met := true
	check := func(ok bool, what string) {
		mark := "met"
		if !ok {
			mark, met = "MISSED", false
		}
		fmt.Printf("  target %-28s %s\n", what, mark)
	}
	check(held == o.n && stillHeld == o.n, fmt.Sprintf("%d subscribers held", o.n))
	check(len(fromResp) == expected && expected > 0, "every change delivered")
	check(p99 < targetP99, fmt.Sprintf("p99 under %s", targetP99))
	check(kib < targetKiBPerSub, fmt.Sprintf("under %.0f KiB per subscriber", targetKiBPerSub))
	return met, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)]
}

// raiseFileLimit sets the soft open file limit to the hard one; children
// (the server) inherit it.
func raiseFileLimit() (uint64, error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, err
	}
	l.Cur = l.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, fmt.Errorf("raise the open file limit: %w", err)
	}
	return l.Cur, nil
}

func goTool() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}

func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, goTool(), "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run benchsubs inside the storefront module")
	}
	return filepath.Dir(gomod), nil
}

func numCPU() int {
	n := 0
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		n = strings.Count(string(b), "\nprocessor")
		if strings.HasPrefix(string(b), "processor") {
			n++
		}
	}
	return n
}

// server is the storefront as a child process.
type server struct {
	cmd     *exec.Cmd
	base    string
	logPath string
	done    chan struct{}
	err     error
	once    sync.Once
}

func startServer(ctx context.Context, bin, dbURL, dir string) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	_ = l.Close()
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	logPath := filepath.Join(dir, "server.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"ADDR="+addr,
		"DATABASE_URL="+dbURL,
		"JWT_KEYS=benchsubs:"+hex.EncodeToString(secret),
		"SEED_DEMO=false",
		"LOG_LEVEL=warn",
		"PLAYGROUND=false",
		"ACCESS_TOKEN_TTL=2h",
		"SHUTDOWN_TIMEOUT=5s",
		"STAFF_EMAIL=", "STAFF_PASSWORD=",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// Its own process group (Ctrl-C reaches only benchsubs, which stops
	// it), and SIGTERM should benchsubs die first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the server: %w", err)
	}
	s := &server{cmd: cmd, base: "http://" + addr, logPath: logPath, done: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	deadline := time.Now().Add(3 * time.Minute)
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		if resp, err := c.Get(s.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("the server exited (%v); its log:\n%s", s.err, s.logTail())
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("the server was not ready within 3 minutes; its log:\n%s", s.logTail())
		}
	}
}

func (s *server) logTail() string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// stop sends SIGTERM and waits (SIGKILL after 20 s).
func (s *server) stop() {
	s.once.Do(func() {
		select {
		case <-s.done:
			return
		default:
		}
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(20 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
}

type sample struct {
	rssKiB     uint64
	goroutines int
	heapBytes  uint64
	stackBytes uint64
}

// sample reads the server's VmRSS, and its goroutines and heap in use from
// /metrics.
func (s *server) sample(ctx context.Context) (sample, error) {
	var out sample
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return out, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			out.rssKiB, _ = strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/metrics", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return out, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	sc = bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "go_goroutines "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			out.goroutines = int(f)
		}
		if v, ok := strings.CutPrefix(line, "go_memstats_heap_inuse_bytes "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			out.heapBytes = uint64(f)
		}
		if v, ok := strings.CutPrefix(line, "go_memstats_stack_inuse_bytes "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			out.stackBytes = uint64(f)
		}
	}
	return out, sc.Err()
}

// graphql runs an operation over HTTP that must succeed.
func graphql(ctx context.Context, base, token, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/graphql", strings.NewReader(string(body)))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct {
		Data   json.RawMessage
		Errors []struct{ Message string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return fmt.Errorf("status %d: %w", resp.StatusCode, err)
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("status %d: %s", resp.StatusCode, r.Errors[0].Message)
	}
	return json.Unmarshal(r.Data, out)
}

var httpClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}

func signIn(ctx context.Context, base string) (string, error) {
	var r struct {
		CustomerSignIn struct {
			AccessToken *string
			UserErrors  []struct{ Message string }
		}
	}
	err := graphql(ctx, base, "", `mutation { customerSignIn(input: {email: "staff@example.com", password: "demo-staff-2026"}) { accessToken userErrors { message } } }`, nil, &r)
	if err != nil {
		return "", fmt.Errorf("sign in as the demo staff: %w", err)
	}
	if r.CustomerSignIn.AccessToken == nil {
		return "", fmt.Errorf("sign in as the demo staff: %+v", r.CustomerSignIn.UserErrors)
	}
	return *r.CustomerSignIn.AccessToken, nil
}

// seed creates the database with the demo catalogue and accounts, and
// returns the global IDs of the active products' variants and of the first
// warehouse.
func seed(ctx context.Context, dbURL string, products int) ([]string, string, error) {
	db, err := database.Open(ctx, dbURL, database.Options{})
	if err != nil {
		return nil, "", err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return nil, "", err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, _, err := demo.SeedIfEmpty(ctx, db.Client, demo.Options{Products: products, Log: quiet}); err != nil {
		return nil, "", fmt.Errorf("seeding the demo catalogue: %w", err)
	}
	if err := demo.SeedAccounts(ctx, identity.New(db.Client, identity.Config{Keys: authtoken.RandomKeyring()})); err != nil {
		return nil, "", fmt.Errorf("seeding the demo accounts: %w", err)
	}
	sys := access.System(ctx)
	vs, err := db.Client.ProductVariant.Query().
		Where(productvariant.HasProductWith(product.StatusEQ(product.StatusACTIVE))).
		Order(ent.Asc(productvariant.FieldID)).All(sys)
	if err != nil {
		return nil, "", err
	}
	if len(vs) == 0 {
		return nil, "", errors.New("the demo catalogue has no active variant")
	}
	w, err := db.Client.Warehouse.Query().Order(ent.Asc("id")).First(sys)
	if err != nil {
		return nil, "", fmt.Errorf("a warehouse: %w", err)
	}
	ids := make([]string, len(vs))
	for i, v := range vs {
		ids[i] = v.GlobalID().String()
	}
	return ids, w.GlobalID().String(), nil
}

const watchStock = `subscription($v: [ID!]) { inventoryChanged(variantIds: $v) { variantId quantityAvailable version } }`

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

type stockEvent struct {
	VariantID string `json:"variantId"`
	Version   int    `json:"version"`
}

// subscribe opens a websocket from local address laddr (nil: any), sends
// connection_init and a subscription to variant, and returns the
// connection once the current state has arrived, with that state.
func subscribe(ctx context.Context, base string, laddr net.Addr, variant string) (*websocket.Conn, stockEvent, error) {
	dialer := &net.Dialer{LocalAddr: laddr, Timeout: 10 * time.Second}
	client := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}, HTTPClient: client})
	if err != nil {
		return nil, stockEvent{}, err
	}
	fail := func(err error) (*websocket.Conn, stockEvent, error) {
		_ = conn.CloseNow()
		return nil, stockEvent{}, err
	}
	send := func(m wsMessage) error {
		b, _ := json.Marshal(m)
		return conn.Write(ctx, websocket.MessageText, b)
	}
	if err := send(wsMessage{Type: "connection_init", Payload: json.RawMessage(`{}`)}); err != nil {
		return fail(err)
	}
	payload, _ := json.Marshal(map[string]any{"query": watchStock, "variables": map[string]any{"v": []string{variant}}})
	if err := send(wsMessage{ID: "1", Type: "subscribe", Payload: payload}); err != nil {
		return fail(err)
	}
	for {
		_, b, err := conn.Read(ctx)
		if err != nil {
			return fail(err)
		}
		m, e, ok := parseEvent(b)
		if ok {
			return conn, e, nil
		}
		if m.Type != "connection_ack" {
			return fail(fmt.Errorf("unexpected %s: %s", m.Type, m.Payload))
		}
	}
}

// parseEvent decodes a message, and its stock event if it is one.
func parseEvent(b []byte) (wsMessage, stockEvent, bool) {
	var m wsMessage
	if json.Unmarshal(b, &m) != nil || m.Type != "next" {
		return m, stockEvent{}, false
	}
	var p struct {
		Data *struct{ InventoryChanged stockEvent }
	}
	if json.Unmarshal(m.Payload, &p) != nil || p.Data == nil {
		return m, stockEvent{}, false
	}
	return m, p.Data.InventoryChanged, true
}

func warmUp(ctx context.Context, base, variant string) error {
	conn, _, err := subscribe(ctx, base, nil, variant)
	if err != nil {
		return err
	}
	return conn.Close(websocket.StatusNormalClosure, "")
}

// collector records when each event (variant, version) arrived.
type collector struct {
	mu sync.Mutex
	m  map[string]map[int][]time.Time
	n  atomic.Int64
}

func newCollector() *collector { return &collector{m: map[string]map[int][]time.Time{}} }

func (c *collector) add(e stockEvent, at time.Time) {
	c.mu.Lock()
	byVersion := c.m[e.VariantID]
	if byVersion == nil {
		byVersion = map[int][]time.Time{}
		c.m[e.VariantID] = byVersion
	}
	byVersion[e.Version] = append(byVersion[e.Version], at)
	c.mu.Unlock()
	c.n.Add(1)
}

func (c *collector) at(variant string, version int) []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[variant][version]
}

func (c *collector) count() int { return int(c.n.Load()) }

// subscribers are the open websockets.
type subscribers struct {
	mu         sync.Mutex
	conns      []*websocket.Conn
	open       atomic.Int64
	perVariant map[string]int
	version    map[string]int // of the current state each variant had
	readers    sync.WaitGroup
}

func (s *subscribers) held() int { return int(s.open.Load()) }

func (s *subscribers) closeAll() {
	s.mu.Lock()
	conns := s.conns
	s.conns = nil
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.CloseNow()
	}
	s.readers.Wait()
}

// connect opens o.n subscribers, o.dialers at a time, from the loopback
// addresses 127.0.0.2 to 127.0.0.255 in turn; each then records what it
// receives in col.
func connect(ctx context.Context, o options, base string, variants []string, col *collector) (*subscribers, error) {
	subs := &subscribers{perVariant: map[string]int{}, version: map[string]int{}}
	var next atomic.Int64
	var failed atomic.Int64
	var firstErr error
	var errOnce sync.Once
	start := time.Now()
	var wg sync.WaitGroup
	for range o.dialers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= o.n {
					return
				}
				variant := variants[i%len(variants)]
				laddr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%254))}
				conn, first, err := subscribe(ctx, base, laddr, variant)
				if err != nil {
					failed.Add(1)
					errOnce.Do(func() { firstErr = fmt.Errorf("subscriber %d from %s: %w", i, laddr.IP, err) })
					continue
				}
				conn.SetReadLimit(1 << 20)
				subs.mu.Lock()
				subs.conns = append(subs.conns, conn)
				subs.perVariant[variant]++
				if v, ok := subs.version[variant]; !ok || first.Version > v {
					subs.version[variant] = first.Version
				}
				subs.mu.Unlock()
				subs.open.Add(1)
				subs.readers.Add(1)
				go func() {
					defer subs.readers.Done()
					defer subs.open.Add(-1)
					for {
						_, b, err := conn.Read(context.Background())
						if err != nil {
							return
						}
						if _, e, ok := parseEvent(b); ok {
							col.add(e, time.Now())
						}
					}
				}()
				if n := subs.held(); n%1000 == 0 {
					logf("%d subscribers (%s)", n, time.Since(start).Round(time.Millisecond))
				}
			}
		}()
	}
	wg.Wait()
	logf("connected in %s, %d failed", time.Since(start).Round(time.Millisecond), failed.Load())
	if ctx.Err() != nil {
		return subs, ctx.Err()
	}
	if n := failed.Load(); n > 0 {
		logf("%d subscribers failed; the first: %v", n, firstErr)
	}
	return subs, nil
}

type change struct {
	variant    string
	version    int
	sent, resp time.Time
}

// changeStock changes the stock of one variant after another (those that
// have subscribers) at o.rate a second for o.duration, at most 16 at once
// and never the same variant twice at once, and returns the changes that
// succeeded with the version each produced: one more than the variant's
// previous one (initial: the versions of the current states), since only
// benchsubs changes the stock.
func changeStock(ctx context.Context, o options, base, token string, variants []string, warehouse string, initial map[string]int) ([]change, error) {
	total := o.rate * int(o.duration/time.Second)
	if total == 0 {
		total = 1
	}
	logf("%d stock changes at %d/s", total, o.rate)
	versions := maps.Clone(initial)
	var mu sync.Mutex
	var out []change
	var failed atomic.Int64
	var firstErr error
	var errOnce sync.Once
	busy := map[string]bool{}
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(o.rate))
	defer tick.Stop()
	const query = `mutation($v: ID!, $w: ID!, $n: Int!) { stockLevelSet(input: {variantId: $v, warehouseId: $w, onHand: $n}) { userErrors { message } } }`
	for k := 0; k < total; k++ {
		select {
		case <-ctx.Done():
			wg.Wait()
			return out, ctx.Err()
		case <-tick.C:
		}
		variant := variants[k%len(variants)]
		mu.Lock()
		if busy[variant] {
			mu.Unlock()
			failed.Add(1)
			continue
		}
		busy[variant] = true
		mu.Unlock()
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var r struct {
				StockLevelSet struct{ UserErrors []struct{ Message string } }
			}
			sent := time.Now()
			err := graphql(ctx, base, token, query, map[string]any{"v": variant, "w": warehouse, "n": 1000 + k}, &r)
			resp := time.Now()
			if err == nil && len(r.StockLevelSet.UserErrors) > 0 {
				err = errors.New(r.StockLevelSet.UserErrors[0].Message)
			}
			mu.Lock()
			defer mu.Unlock()
			busy[variant] = false
			if err != nil {
				failed.Add(1)
				errOnce.Do(func() { firstErr = err })
				return
			}
			versions[variant]++
			out = append(out, change{variant: variant, version: versions[variant], sent: sent, resp: resp})
		}()
	}
	wg.Wait()
	if n := failed.Load(); n > 0 {
		return out, fmt.Errorf("%d of %d stock changes failed or were skipped; the first error: %v", n, total, firstErr)
	}
	return out, nil
}
