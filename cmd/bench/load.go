package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// OpResult is the measurement of one operation of the mix.
type OpResult struct {
	Name             string  `json:"name"`
	Requests         int     `json:"requests"`
	Errors           int     `json:"errors"`
	FirstError       string  `json:"firstError,omitempty"`
	Seconds          float64 `json:"seconds"`
	RPS              float64 `json:"requestsPerSecond"`
	P50Ms            float64 `json:"p50Ms"`
	P95Ms            float64 `json:"p95Ms"`
	P99Ms            float64 `json:"p99Ms"`
	StatementsPerReq float64 `json:"sqlStatementsPerRequest"`
	Budget           int     `json:"statementBudget,omitempty"` // graph/statements_test.go
	AllocsPerReq     float64 `json:"serverAllocsPerRequest"`
	CPUMsPerReq      float64 `json:"serverCPUMsPerRequest"` // user+system CPU of the server process
}

// loadStats is what one load run measured on the client side.
type loadStats struct {
	requests, errors int
	firstError       string
	elapsed          time.Duration
	latencies        []time.Duration // sorted
}

func (s loadStats) rps() float64 { return float64(s.requests) / s.elapsed.Seconds() }

func (s loadStats) percentileMs(p float64) float64 {
	if len(s.latencies) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(s.latencies)))) - 1
	i = min(max(i, 0), len(s.latencies)-1)
	return float64(s.latencies[i]) / float64(time.Millisecond)
}

// load sends POST requests with bodies (in turn) to url from concurrency
// workers until duration has passed or maxRequests were sent, whichever
// comes first. Requests in flight at the deadline are completed and
// counted. A response is an error unless it is a 200 without "errors".
// When send is set, it makes each request instead (bodies and token are
// not used), and a request is whatever it sends.
func load(ctx context.Context, c *client, url string, bodies [][]byte, token string, send sender, duration time.Duration, maxRequests, concurrency int) loadStats {
	var (
		issued   atomic.Int64
		mu       sync.Mutex
		stats    loadStats
		wg       sync.WaitGroup
		deadline = time.Now().Add(duration)
	)
	perWorker := make([][]time.Duration, concurrency)
	start := time.Now()
	for w := range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, maxRequests/concurrency+1)
			var buf bytes.Buffer // this worker's response bodies, one at a time
			var errs int
			var first string
			for ctx.Err() == nil && time.Now().Before(deadline) {
				n := issued.Add(1)
				if n > int64(maxRequests) {
					break
				}
				t0 := time.Now()
				var err error
				if send != nil {
					err = send(ctx, c, url, &buf)
				} else {
					err = do(ctx, c, url, bodies[int(n-1)%len(bodies)], token, &buf)
				}
				lat = append(lat, time.Since(t0))
				if err != nil {
					if ctx.Err() != nil {
						lat = lat[:len(lat)-1] // interrupted, not an error of the server
						break
					}
					errs++
					if first == "" {
						first = err.Error()
					}
				}
			}
			perWorker[w] = lat
			mu.Lock()
			stats.errors += errs
			if stats.firstError == "" {
				stats.firstError = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	stats.elapsed = time.Since(start)
	for _, l := range perWorker {
		stats.latencies = append(stats.latencies, l...)
	}
	stats.requests = len(stats.latencies)
	slices.Sort(stats.latencies)
	return stats
}

var errorsKey = []byte(`"errors":`)

// do sends one request and reads the whole response into buf (reused from
// one request to the next, as a client reading into its own buffer would:
// the body is copied once, not once per growth of a fresh slice, which on
// the cores shared with the server made large answers look dearer than
// they are). In a JSON document an unescaped `"errors":` can only be a key
// (a quote inside a string is escaped), so its absence means no GraphQL
// error anywhere.
func do(ctx context.Context, c *client, url string, b []byte, token string, buf *bytes.Buffer) error {
	req, err := c.request(ctx, url, b, token)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if buf.Cap() > maxKeptBuffer {
		*buf = bytes.Buffer{}
	}
	buf.Reset()
	if n := resp.ContentLength; n > 0 && n <= maxKeptBuffer {
		buf.Grow(int(n) + bytes.MinRead) // room for the read that sees EOF
	}
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return err
	}
	raw := buf.Bytes()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %.200s", resp.StatusCode, raw)
	}
	if bytes.Contains(raw, errorsKey) {
		return fmt.Errorf("response with errors: %.300s", raw)
	}
	return nil
}

// maxKeptBuffer bounds the body buffer a worker keeps between requests.
const maxKeptBuffer = 1 << 20

// serverCounters are the counters of the server's /metrics that bench reads.
type serverCounters struct {
	statements float64 // storefront_sql_statements_total, all dialects
	mallocs    float64 // go_memstats_mallocs_total
	cpu        float64 // process_cpu_seconds_total
}

func scrape(ctx context.Context, c *client, base string) (serverCounters, error) {
	var out serverCounters
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return out, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return out, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return out, fmt.Errorf("GET /metrics: HTTP %d", resp.StatusCode)
	}
	var seenStatements, seenMallocs bool
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if i := strings.IndexByte(name, '{'); i >= 0 {
			// Labels may hold spaces: the value follows the closing brace.
			j := strings.LastIndexByte(line, '}')
			name, rest = line[:i], line[j+1:]
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			continue
		}
		switch name {
		case "storefront_sql_statements_total":
			out.statements += v
			seenStatements = true
		case "go_memstats_mallocs_total":
			out.mallocs = v
			seenMallocs = true
		case "process_cpu_seconds_total":
			out.cpu = v
		}
	}
	if err := sc.Err(); err != nil {
		return out, err
	}
	if !seenMallocs {
		return out, fmt.Errorf("/metrics has no go_memstats_mallocs_total")
	}
	_ = seenStatements // absent until the first statement: zero
	return out, nil
}

// measureOperation warms the operation up, then loads it, reading the
// server's counters before and after.
func measureOperation(ctx context.Context, c *client, base string, op operation, o options) (*OpResult, error) {
	url := base + "/graphql"
	if o.warmup > 0 {
		warm := op.bodies
		if op.warm != nil {
			warm = op.warm
		}
		w := load(ctx, c, url, warm, op.token, op.send, o.warmup, max(o.maxRequests/10, o.concurrency), o.concurrency)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if w.errors > 0 {
			logf("WARNING: %s: %d errors while warming up, first: %s", op.name, w.errors, w.firstError)
		}
	}
	before, err := scrape(ctx, c, base)
	if err != nil {
		return nil, err
	}
	s := load(ctx, c, url, op.bodies, op.token, op.send, o.duration, o.maxRequests, o.concurrency)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	after, err := scrape(ctx, c, base)
	if err != nil {
		return nil, err
	}
	r := &OpResult{
		Name:       op.name,
		Requests:   s.requests,
		Errors:     s.errors,
		FirstError: s.firstError,
		Seconds:    s.elapsed.Seconds(),
		RPS:        s.rps(),
		P50Ms:      s.percentileMs(0.50),
		P95Ms:      s.percentileMs(0.95),
		P99Ms:      s.percentileMs(0.99),
		Budget:     op.budget,
	}
	r.addServerCounters(before, after)
	return r, nil
}

// addServerCounters divides the server's counters over the run by its
// requests (the /metrics scrape itself adds a few hundred allocations).
func (r *OpResult) addServerCounters(before, after serverCounters) {
	if r.Requests == 0 {
		return
	}
	n := float64(r.Requests)
	r.StatementsPerReq = (after.statements - before.statements) / n
	r.AllocsPerReq = (after.mallocs - before.mallocs) / n
	r.CPUMsPerReq = (after.cpu - before.cpu) * 1000 / n
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
