// Command hostile attacks a real storefront server on loopback and reports
// what each attack got and what the server paid for it.
//
//	go run ./cmd/hostile                      # make hostile: SQLite, 60 s
//	go run ./cmd/hostile -postgres            # also on PostgreSQL
//	go run ./cmd/hostile -duration 10s        # a shorter mix
//
// It builds the server, starts it on a free loopback port over a fresh
// database seeded with the demo catalogue, and then:
//
//  1. sends each case of internal/hostile once, alone, and records its
//     status, code and time (the figures docs/SECURITY.md reports);
//  2. for -duration runs the hostile mix: -attackers connections cycling
//     through the cases, floods of the most expensive listing the limits
//     accept, wrong passwords against the demo account and bodies sent a
//     byte a second, from 20 loopback addresses (127.0.0.10-29), while 50
//     shoppers (127.0.1.1-50) browse product pages, one request at a time;
//  3. samples the server's resident memory (VmRSS) every 250 ms.
//
// It exits 1 when a case got another answer than the one it must get, the
// neighbour saw a failure, the server stopped answering, or the peak RSS
// passed -max-rss-mb. Every request loop is bounded by -duration and every
// request by a timeout; the server is stopped by its PID at the end.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	stdsql "database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/lib/pq"

	"storefront/commerce"
	"storefront/demo"
	"storefront/internal/hostile"
)

type options struct {
	duration    time.Duration
	attackers   int
	products    int
	postgres    bool
	postgresURL string
	maxRSSMB    int
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 60*time.Second, "length of the hostile mix")
	flag.IntVar(&o.attackers, "attackers", 8, "concurrent attacking connections")
	flag.IntVar(&o.products, "products", 2000, "products in the demo catalogue")
	flag.BoolVar(&o.postgres, "postgres", false, "also run on PostgreSQL")
	flag.StringVar(&o.postgresURL, "postgres-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server to create a scratch database on")
	flag.IntVar(&o.maxRSSMB, "max-rss-mb", 384, "fail when the server's peak resident memory passes this")
	flag.Parse()

	dir, err := os.MkdirTemp("", "storefront-hostile-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "storefront")
	build := exec.Command(goTool(), "build", "-o", bin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fail(fmt.Errorf("go build: %w", err))
	}
	ok := run(o, bin, "sqlite", "sqlite://"+filepath.Join(dir, "hostile.db"))
	if o.postgres {
		url, drop, err := scratchPostgres(o.postgresURL)
		if err != nil {
			fail(err)
		}
		ok = run(o, bin, "postgres", url) && ok
		drop()
	}
	if !ok {
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "hostile:", err)
	os.Exit(1)
}

func goTool() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}

// scratchPostgres creates a database for the run and returns its URL and
// a function that drops it.
func scratchPostgres(admin string) (string, func(), error) {
	db, err := stdsql.Open("postgres", admin)
	if err != nil {
		return "", nil, err
	}
	buf := make([]byte, 6)
	_, _ = rand.Read(buf)
	name := "storefront_hostile_" + hex.EncodeToString(buf)
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("create database: %w", err)
	}
	url := strings.Replace(admin, "/postgres?", "/"+name+"?", 1)
	return url, func() {
		_, _ = db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		db.Close()
	}, nil
}

// server is the storefront process under attack.
type server struct {
	cmd  *exec.Cmd
	base string
	done chan struct{}
}

func start(bin, dbURL string, products int) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "ADDR="+addr, "DATABASE_URL="+dbURL, "SEED_DEMO=true",
		"DEMO_PRODUCTS="+strconv.Itoa(products), "JWT_KEYS=hostile:"+hex.EncodeToString(secret),
		"LOG_LEVEL=error", "PLAYGROUND=false")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, base: "http://" + addr, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		if s.ready() {
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("the server exited during start")
		case <-time.After(200 * time.Millisecond):
		}
	}
	s.stop()
	return nil, fmt.Errorf("the server was not ready within 3 minutes")
}

func (s *server) ready() bool {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(s.base + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// rssMB reads the resident memory of pid from /proc.
func rssMB(pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// fixture finds a product and a category with children in the demo data.
func fixture(base string) (hostile.Fixture, error) {
	var out struct {
		Data struct {
			Products struct {
				Edges []struct{ Node struct{ Slug string } }
			}
			Categories struct {
				Edges []struct {
					Node struct {
						Slug     string
						Children []struct{ ID string }
					}
				}
			}
		}
	}
	q := `{ products(first: 1) { edges { node { slug } } } categories(first: 50, filter: {topLevel: true}) { edges { node { slug children { id } } } } }`
	a, err := hostile.Send(base, hostile.Case{Body: map[string]any{"query": q}}, nil, 10*time.Second)
	if err != nil {
		return hostile.Fixture{}, err
	}
	if err := json.Unmarshal(a.Body, &out); err != nil || len(out.Data.Products.Edges) == 0 {
		return hostile.Fixture{}, fmt.Errorf("fixture: %d %.300s", a.Status, a.Body)
	}
	f := hostile.Fixture{Product: out.Data.Products.Edges[0].Node.Slug}
	for _, e := range out.Data.Categories.Edges {
		if len(e.Node.Children) > 0 {
			f.Category = e.Node.Slug
			break
		}
	}
	return f, nil
}

// verdict checks an answer against the case.
func verdict(c hostile.Case, a hostile.Answer) (code string, ok bool) {
	var r struct {
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	_ = json.Unmarshal(a.Body, &r)
	if len(r.Errors) > 0 {
		code, _ = r.Errors[0].Extensions["code"].(string)
	}
	return code, a.Status == c.WantStatus() && code == c.Code
}

// tally is what one kind of request met during the mix.
type tally struct {
	mu        sync.Mutex
	n, wrong  int
	codes     map[string]int
	latencies []time.Duration
}

func (t *tally) add(code string, ok bool, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n++
	if !ok {
		t.wrong++
	}
	if t.codes == nil {
		t.codes = map[string]int{}
	}
	t.codes[code]++
	t.latencies = append(t.latencies, d)
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func run(o options, bin, kind, dbURL string) bool {
	fmt.Printf("\n## %s\n\n", kind)
	srv, err := start(bin, dbURL, o.products)
	if err != nil {
		fmt.Println("start:", err)
		return false
	}
	defer srv.stop()
	fix, err := fixture(srv.base)
	if err != nil {
		fmt.Println(err)
		return false
	}
	cases := hostile.Cases(fix)
	good := true
	pid := srv.cmd.Process.Pid
	fmt.Printf("server pid %d, RSS after start %.0f MiB\n\n", pid, rssMB(pid))

	// 1. Each case alone.
	fmt.Println("| case | status | code | time alone |")
	fmt.Println("| --- | ---: | --- | ---: |")
	for _, c := range cases {
		t0 := time.Now()
		a, err := hostile.Send(srv.base, c, nil, 30*time.Second)
		d := a.Elapsed
		if err != nil {
			d = time.Since(t0)
			fmt.Printf("| %s | error | %v | %s |\n", c.Name, err, d)
			good = false
			continue
		}
		code, ok := verdict(c, a)
		mark := ""
		if !ok {
			mark = fmt.Sprintf(" (want %d %s)", c.WantStatus(), c.Code)
			good = false
		}
		fmt.Printf("| %s | %d | %s%s | %.1f ms |\n", c.Name, a.Status, code, mark, float64(d.Microseconds())/1000)
	}

	// 2. The mix.
	ctx, cancel := context.WithTimeout(context.Background(), o.duration)
	defer cancel()
	var wg sync.WaitGroup
	tallies := map[string]*tally{}
	var tmu sync.Mutex
	tallyOf := func(name string) *tally {
		tmu.Lock()
		defer tmu.Unlock()
		if tallies[name] == nil {
			tallies[name] = &tally{}
		}
		return tallies[name]
	}
	from := func(i int) net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(10+i%20))} }
	var sent atomic.Int64
	// attack sends c from local and tallies whether judge takes its answer.
	attack := func(c hostile.Case, local net.Addr, judge func(code string, a hostile.Answer) bool) {
		t0 := time.Now()
		a, err := hostile.Send(srv.base, c, local, 30*time.Second)
		sent.Add(1)
		if err != nil {
			tallyOf(c.Name).add("transport error", false, time.Since(t0))
			return
		}
		code, _ := verdict(c, a)
		tallyOf(c.Name).add(code, judge(code, a), a.Elapsed)
	}
	for w := range o.attackers {
		wg.Go(func() {
			for i := w; ctx.Err() == nil; i++ {
				c := cases[i%len(cases)]
				attack(c, from(i), func(code string, a hostile.Answer) bool {
					// Under the mix, an accepted-but-costly case may meet its
					// client's budget first: RATE_LIMITED is the right answer.
					_, ok := verdict(c, a)
					return ok || code == string(commerce.RateLimited)
				})
			}
		})
	}
	// Floods of the most expensive listing the limits accept, and wrong
	// passwords: served, refused by a budget, or (passwords) refused.
	flood := hostile.Case{Name: "flood: 100 products with descriptions", Body: map[string]any{"query": `{ products(first: 100) { edges { cursor node { id title slug description category { name parent { name } } priceRange { minVariantPrice { amount currencyCode } maxVariantPrice { amount currencyCode } } availableForSale images { url altText } } } totalCount } }`}}
	guess := hostile.Case{Name: "wrong passwords for the demo account", Body: map[string]any{
		"query":     `mutation($e: String!, $p: String!) { customerSignIn(input: {email: $e, password: $p}) { accessToken userErrors { code } } }`,
		"variables": map[string]any{"e": demo.CustomerEmail, "p": "not the password"}}}
	for w := range 2 {
		wg.Go(func() {
			for i := w; ctx.Err() == nil; i++ {
				attack(flood, from(i), func(code string, a hostile.Answer) bool {
					return a.Status == http.StatusOK && (code == "" || code == string(commerce.RateLimited))
				})
				attack(guess, from(i), func(code string, a hostile.Answer) bool {
					signedIn := bytes.Contains(a.Body, []byte(`"accessToken":"`))
					return a.Status == http.StatusOK && !signedIn && (code == "" || code == string(commerce.RateLimited) || code == string(commerce.InvalidCredentials))
				})
			}
		})
	}
	// Bodies a byte a second.
	for w := range 4 {
		wg.Go(func() {
			for i := w; ctx.Err() == nil; i++ {
				t0 := time.Now()
				status := slowBody(ctx, srv.base, from(i))
				if ctx.Err() != nil && status == 0 {
					return // the mix ended first
				}
				code := ""
				if status == http.StatusRequestTimeout {
					code = string(commerce.RequestTimeout)
				}
				tallyOf("body at 1 byte/s").add(code, status == http.StatusRequestTimeout, time.Since(t0))
			}
		})
	}
	// RSS.
	var peak float64
	var samples []float64
	wg.Go(func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for ctx.Err() == nil {
			select {
			case <-ctx.Done():
			case <-t.C:
				r := rssMB(pid)
				peak = max(peak, r)
				samples = append(samples, r)
			}
		}
	})
	// The neighbour.
	neighbour := tally{}
	product := hostile.Case{Body: map[string]any{"query": fmt.Sprintf(`{ product(slug: %q) { id title variants { sku price { amount } quantityAvailable } } }`, fix.Product)}}
	for i := 0; ctx.Err() == nil; i++ {
		t0 := time.Now()
		shopper := &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(1+i%50))}
		a, err := hostile.Send(srv.base, product, shopper, 30*time.Second)
		ok := err == nil && a.Status == http.StatusOK && !bytes.Contains(a.Body, []byte(`"errors"`))
		neighbour.add("", ok, time.Since(t0)) // all of it: what the shopper waits
	}
	wg.Wait()

	fmt.Printf("\nhostile mix: %s, %d attacking requests from 20 addresses (%d connections, 2 floods, 4 slow bodies)\n\n", o.duration, sent.Load(), o.attackers)
	fmt.Println("| kind | requests | wrong answers | codes | p50 | p99 |")
	fmt.Println("| --- | ---: | ---: | --- | ---: | ---: |")
	names := make([]string, 0, len(tallies))
	for n := range tallies {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		t := tallies[n]
		if t.wrong > 0 {
			good = false
		}
		fmt.Printf("| %s | %d | %d | %s | %s | %s |\n", n, t.n, t.wrong, codes(t.codes), round(pct(t.latencies, 0.5)), round(pct(t.latencies, 0.99)))
	}
	fmt.Printf("\nneighbours (50 shoppers on 127.0.1.1-50, product pages one at a time): %d requests, %d failed, p50 %s, p99 %s\n",
		neighbour.n, neighbour.wrong, round(pct(neighbour.latencies, 0.5)), round(pct(neighbour.latencies, 0.99)))
	if neighbour.wrong > 0 {
		good = false
	}
	alive := srv.ready()
	fmt.Printf("server RSS: peak %.0f MiB over %d samples, at the end %.0f MiB; answering after the mix: %v\n", peak, len(samples), rssMB(pid), alive)
	if !alive || peak > float64(o.maxRSSMB) {
		good = false
	}
	if good {
		fmt.Println("\nresult: every attack got its coded answer; the neighbour was served throughout")
	} else {
		fmt.Println("\nresult: FAILED (see the rows above)")
	}
	return good
}

func codes(m map[string]int) string {
	var parts []string
	for c, n := range m {
		if c == "" {
			c = "(none)"
		}
		parts = append(parts, fmt.Sprintf("%s %d", c, n))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

func round(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

// slowBody starts a POST with a declared body of 1 KiB and sends a byte a
// second; it returns the status the server answered (0 if none).
func slowBody(ctx context.Context, base string, local net.Addr) int {
	host := strings.TrimPrefix(base, "http://")
	d := net.Dialer{LocalAddr: local, Timeout: 5 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return 0
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 1024\r\n\r\n", host)
	answer := make(chan int, 1)
	go func() {
		buf := make([]byte, 4096)
		n, _ := io.ReadAtLeast(conn, buf, 12)
		if n < 12 { // "HTTP/1.1 408"
			answer <- 0
			return
		}
		status, _ := strconv.Atoi(string(buf[9:12]))
		answer <- status
	}()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case s := <-answer:
			return s
		case <-ctx.Done():
			return 0
		case <-t.C:
			if _, err := conn.Write([]byte("{")); err != nil {
				select {
				case s := <-answer:
					return s
				case <-time.After(2 * time.Second):
					return 0
				}
			}
		}
	}
}
