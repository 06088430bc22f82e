// Package respcache keeps the responses of public catalogue queries asked
// anonymously (home, category, product and search pages), and forgets them
// all whenever the catalogue or stock changes.
//
// What is cached: a query operation from a viewer without credentials
// whose root fields are all public catalogue fields, answered without
// errors. The key is the query text, the operation name and the coerced
// variables. A signed-in viewer, a cart, an order or any mutation never
// touches the cache.
//
// Staying correct: every committed write to a catalogue table (products,
// variants, categories, warehouses, stock levels) moves the cache to a new
// generation (Hook), which empties it; across replicas the write is
// announced through PostgreSQL (pgnotify.Fanout) and each replica does the
// same. A response computed while a change committed is not stored, since
// the generation it started in is gone. While the announcements cannot be
// received (the LISTEN connection is down) the cache is suspended. Entries
// also expire after a TTL, for writes made outside the application.
//
// Concurrent misses of one key are coalesced: one request computes the
// response and the others wait for it. A client that must not be served
// from the cache sends Cache-Control: no-cache. The X-Cache response header
// says HIT, MISS or BYPASS for requests that could be cached.
package respcache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"hash/maphash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"

	"storefront/commerce/viewer"
	"storefront/graph/oplimit"
)

// Options size the cache.
type Options struct {
	// MaxBytes bounds the cached response bodies (default 64 MiB).
	MaxBytes int
	// TTL bounds the age of an entry (default 10 s).
	TTL time.Duration
}

// roots are the Query fields whose answers depend only on the public
// catalogue (and the schema).
var roots = map[string]bool{
	"products": true, "product": true, "categories": true, "category": true,
	"search": true, "predictiveSearch": true,
	"__typename": true, "__schema": true, "__type": true,
}

// waitLimit bounds how long a request waits for another one computing the
// same response before computing it itself.
const waitLimit = 5 * time.Second

// Requests counts cache lookups by result: hit, miss, bypass.
var Requests = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "storefront_response_cache_requests_total",
	Help: "Cacheable GraphQL requests by result: hit, miss or bypass (Cache-Control: no-cache).",
}, []string{"result"})

// The counters of Requests, looked up once.
var (
	hits     = Requests.WithLabelValues("hit")
	misses   = Requests.WithLabelValues("miss")
	bypasses = Requests.WithLabelValues("bypass")
)

type key [sha256.Size]byte

type entry struct {
	data    json.RawMessage
	expires time.Time
}

type flight struct{ done chan struct{} }

// Cache is a response cache; it is a gqlgen handler extension.
type Cache struct {
	maxBytes int
	ttl      time.Duration
	now      func() time.Time

	gen       atomic.Uint64
	suspended atomic.Bool

	mu      sync.Mutex
	entries map[key]entry
	size    int
	flights map[key]*flight
	// answers are whole HTTP answers by request (Accept, Content-Type and
	// body), served by Middleware without GraphQL: see Middleware. The map
	// key is a seeded hash of the request; the answer holds the request
	// itself, compared in full before it is served.
	answers map[uint64]answer
	seed    maphash.Seed
}

// answer is a stored HTTP answer and the request it answers.
type answer struct {
	accept, reqType string
	reqBody         []byte

	body          []byte
	contentType   string
	contentLength string
	gen           uint64
	expires       time.Time
}

// size is what the answer holds.
func (a *answer) size() int {
	return len(a.accept) + len(a.reqType) + len(a.reqBody) + len(a.body)
}

// answers reports whether a is the stored answer of this request.
func (a *answer) answers(accept, reqType string, body []byte) bool {
	return a.accept == accept && a.reqType == reqType && bytes.Equal(a.reqBody, body)
}

// New returns an empty cache.
func New(opts Options) *Cache {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 64 << 20
	}
	if opts.TTL <= 0 {
		opts.TTL = 10 * time.Second
	}
	return &Cache{
		maxBytes: opts.MaxBytes,
		ttl:      opts.TTL,
		now:      time.Now,
		entries:  map[key]entry{},
		flights:  map[key]*flight{},
		answers:  map[uint64]answer{},
		seed:     maphash.MakeSeed(),
	}
}

// Invalidate forgets every response: the catalogue changed.
func (c *Cache) Invalidate() {
	c.gen.Add(1)
	c.mu.Lock()
	clear(c.entries)
	clear(c.answers)
	c.size = 0
	c.mu.Unlock()
}

// Suspend stops serving and storing responses until Resume: changes made
// elsewhere cannot be heard of meanwhile.
func (c *Cache) Suspend() {
	c.suspended.Store(true)
	c.Invalidate()
}

// Resume serves from the cache again, starting empty.
func (c *Cache) Resume() {
	c.Invalidate()
	c.suspended.Store(false)
}

// Len is the number of cached responses.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationInterceptor
} = (*Cache)(nil)

// ExtensionName implements graphql.HandlerExtension.
func (c *Cache) ExtensionName() string { return "ResponseCache" }

// Validate implements graphql.HandlerExtension.
func (c *Cache) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation serves a cacheable operation from the cache, or runs it
// and keeps its response.
func (c *Cache) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if !cacheable(ctx, oc) {
		return next(ctx)
	}
	req := requestFrom(ctx)
	if req != nil && req.bypass {
		req.mark("BYPASS")
		bypasses.Inc()
		return next(ctx)
	}
	k, ok := keyOf(oc)
	if !ok {
		return next(ctx)
	}
	gen := c.gen.Load()
	if data, ok := c.get(k, gen); ok {
		req.keep(gen)
		return c.hit(req, data, oc)
	}
	f, leader := c.join(k)
	if !leader {
		timer := time.NewTimer(waitLimit)
		select {
		case <-f.done:
		case <-ctx.Done():
		case <-timer.C:
		}
		timer.Stop()
		gen = c.gen.Load()
		if data, ok := c.get(k, gen); ok {
			req.keep(gen)
			return c.hit(req, data, oc)
		}
		req.mark("MISS")
		misses.Inc()
		return next(ctx)
	}
	req.mark("MISS")
	misses.Inc()
	var rh graphql.ResponseHandler
	func() {
		defer func() {
			if rh == nil { // next panicked
				c.leave(k, f)
			}
		}()
		rh = next(ctx)
	}()
	first := true
	return func(ctx context.Context) *graphql.Response {
		if !first {
			return rh(ctx)
		}
		first = false
		defer c.leave(k, f)
		resp := rh(ctx)
		if storable(resp) {
			c.put(k, gen, resp.Data)
			req.keep(gen)
		}
		return resp
	}
}

// hit answers from the cache; the answer reports the operation's cost as a
// computed one would.
func (c *Cache) hit(req *request, data json.RawMessage, oc *graphql.OperationContext) graphql.ResponseHandler {
	req.mark("HIT")
	hits.Inc()
	sent := false
	return func(context.Context) *graphql.Response {
		if sent {
			return nil
		}
		sent = true
		resp := &graphql.Response{Data: data}
		if cost := oplimit.CostOf(oc); cost != nil {
			resp.Extensions = map[string]any{"cost": cost}
		}
		return resp
	}
}

// cacheable reports whether the operation's answer depends only on the
// public catalogue: a query from a viewer without credentials, asking
// public catalogue fields only.
func cacheable(ctx context.Context, oc *graphql.OperationContext) bool {
	if oc == nil || oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return false
	}
	if v := viewer.FromContext(ctx); v.SignedIn() || v.TokenError != nil {
		return false
	}
	fields := graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"})
	if len(fields) == 0 {
		return false
	}
	for _, f := range fields {
		if !roots[f.Name] {
			return false
		}
	}
	return true
}

func keyOf(oc *graphql.OperationContext) (key, bool) {
	vars, err := json.Marshal(oc.Variables) // map keys sorted: canonical
	if err != nil {
		return key{}, false
	}
	h := sha256.New()
	h.Write([]byte(oc.RawQuery))
	h.Write([]byte{0})
	h.Write([]byte(oc.OperationName))
	h.Write([]byte{0})
	h.Write(vars)
	var k key
	h.Sum(k[:0])
	return k, true
}

func storable(resp *graphql.Response) bool {
	return resp != nil && len(resp.Errors) == 0 && len(resp.Data) > 0 &&
		resp.HasNext == nil && resp.Label == "" && resp.Path == nil && onlyCost(resp.Extensions)
}

// onlyCost reports whether extensions hold nothing but the operation's
// cost, which a hit reports anew.
func onlyCost(ext map[string]any) bool {
	_, cost := ext["cost"]
	return len(ext) == 0 || (len(ext) == 1 && cost)
}

func (c *Cache) get(k key, gen uint64) (json.RawMessage, bool) {
	if c.suspended.Load() {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	if !ok {
		return nil, false
	}
	if c.gen.Load() != gen || c.now().After(e.expires) {
		delete(c.entries, k)
		c.size -= len(e.data)
		return nil, false
	}
	return e.data, true
}

// put stores data computed in generation gen, unless the catalogue changed
// since (the data may predate the change).
func (c *Cache) put(k key, gen uint64, data json.RawMessage) {
	if len(data) > c.maxBytes/16 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.suspended.Load() || c.gen.Load() != gen {
		return
	}
	if old, ok := c.entries[k]; ok {
		c.size -= len(old.data)
	}
	// Full: drop arbitrary entries (map order) until the new one fits.
	for kk, e := range c.entries {
		if c.size+len(data) <= c.maxBytes {
			break
		}
		delete(c.entries, kk)
		c.size -= len(e.data)
	}
	c.entries[k] = entry{data: data, expires: c.now().Add(c.ttl)}
	c.size += len(data)
}

// join returns the flight computing k, and whether the caller leads it.
func (c *Cache) join(k key) (*flight, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.flights[k]; ok {
		return f, false
	}
	f := &flight{done: make(chan struct{})}
	c.flights[k] = f
	return f, true
}

func (c *Cache) leave(k key, f *flight) {
	c.mu.Lock()
	if c.flights[k] == f {
		delete(c.flights, k)
	}
	c.mu.Unlock()
	close(f.done)
}

// request is what the HTTP layer tells the cache about one request.
type request struct {
	w      http.ResponseWriter
	bypass bool
	// kept says that the answer may be stored as it is (the operation is
	// cacheable and its data was stored or served in generation gen).
	kept bool
	gen  uint64
}

func (r *request) mark(result string) {
	if r != nil && r.w != nil {
		r.w.Header().Set("X-Cache", result)
	}
}

func (r *request) keep(gen uint64) {
	if r != nil {
		r.kept, r.gen = true, gen
	}
}

type requestKey struct{}

func requestFrom(ctx context.Context) *request {
	r, _ := ctx.Value(requestKey{}).(*request)
	return r
}

// Middleware lets plain HTTP requests (not websockets or SSE, which carry
// several operations or have sent their headers) bypass the cache with
// Cache-Control: no-cache or no-store, and get the X-Cache header.
//
// It also answers repeated requests without GraphQL: a POST without
// credentials whose Accept header and body are those of an answer the
// cache kept in the current generation gets that answer's bytes as they
// were sent (a hit then costs less than the cheapest query would: no
// parsing, no validation, no encoding). The first request of each such
// body goes through GraphQL as any other, which decides whether its
// answer may be kept. The body has been read whole by the HTTP surface
// (at most 1 MiB) before it gets here.
//
// A hit allocates next to nothing: the request is looked up by a seeded
// 64-bit hash and compared in full with the one stored, and the stored
// bytes go out in one write, with their Content-Length (no chunking).
func (c *Cache) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		accept := r.Header.Get("Accept")
		if r.Header.Get("Upgrade") != "" || strings.Contains(accept, "text/event-stream") {
			next.ServeHTTP(w, r)
			return
		}
		cc := strings.ToLower(r.Header.Get("Cache-Control"))
		bypass := strings.Contains(cc, "no-cache") || strings.Contains(cc, "no-store")
		if bypass || r.Method != http.MethodPost || r.Header.Get("Authorization") != "" || r.Body == nil {
			next.ServeHTTP(w, c.withRequest(w, r, bypass))
			return
		}
		body, err := bodyOf(r)
		if err != nil {
			next.ServeHTTP(w, c.withRequest(w, r, false)) // the transport reports it
			return
		}
		reqType := r.Header.Get("Content-Type")
		k := c.answerKey(accept, reqType, body)
		if c.serve(w, k, accept, reqType, body) {
			return
		}
		r = c.withRequest(w, r, false)
		req := requestFrom(r.Context())
		rec := &recorder{ResponseWriter: w, limit: c.maxBytes / 16}
		next.ServeHTTP(rec, r)
		if req.kept && rec.status == http.StatusOK && !rec.over {
			c.putAnswer(k, answer{
				accept: accept, reqType: reqType, reqBody: body,
				body: rec.buf.Bytes(), contentType: w.Header().Get("Content-Type"), gen: req.gen,
			})
		}
	})
}

// withRequest returns r with what GraphQL tells the cache about it.
func (c *Cache) withRequest(w http.ResponseWriter, r *http.Request, bypass bool) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), requestKey{}, &request{w: w, bypass: bypass}))
}

// bodyOf returns the request body, leaving it to be read again. The HTTP
// surface (httpserver) has read it whole already and hands its bytes over
// without a copy; any other body is read here.
func bodyOf(r *http.Request) ([]byte, error) {
	if b, ok := r.Body.(interface{ Bytes() []byte }); ok {
		return b.Bytes(), nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// answerKey hashes a request as the answers map is keyed.
func (c *Cache) answerKey(accept, reqType string, body []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	_, _ = h.WriteString(accept)
	_ = h.WriteByte(0)
	_, _ = h.WriteString(reqType)
	_ = h.WriteByte(0)
	_, _ = h.Write(body)
	return h.Sum64()
}

// serve writes the stored answer of the request, if there is one of the
// current generation, with one write of its bytes.
func (c *Cache) serve(w http.ResponseWriter, k uint64, accept, reqType string, body []byte) bool {
	a, ok := c.answer(k, accept, reqType, body)
	if !ok {
		return false
	}
	hits.Inc()
	h := w.Header()
	h.Set("X-Cache", "HIT")
	h.Set("Content-Type", a.contentType)
	h.Set("Content-Length", a.contentLength)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(a.body)
	return true
}

// answer returns the stored answer of the request, if it is of the
// current generation and not expired.
func (c *Cache) answer(k uint64, accept, reqType string, body []byte) (answer, bool) {
	if c.suspended.Load() {
		return answer{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.answers[k]
	if !ok || !a.answers(accept, reqType, body) {
		return answer{}, false
	}
	if a.gen != c.gen.Load() || c.now().After(a.expires) {
		delete(c.answers, k)
		c.size -= a.size()
		return answer{}, false
	}
	return a, true
}

// putAnswer stores a, unless the catalogue changed since its data was
// computed.
func (c *Cache) putAnswer(k uint64, a answer) {
	a.contentLength = strconv.Itoa(len(a.body))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.suspended.Load() || c.gen.Load() != a.gen {
		return
	}
	if old, ok := c.answers[k]; ok {
		c.size -= old.size()
	}
	// Full: drop arbitrary answers (map order) until the new one fits.
	for kk, e := range c.answers {
		if c.size+a.size() <= c.maxBytes {
			break
		}
		delete(c.answers, kk)
		c.size -= e.size()
	}
	a.expires = c.now().Add(c.ttl)
	c.answers[k] = a
	c.size += a.size()
}

// recorder passes an answer through and keeps a copy of it, up to limit
// bytes.
type recorder struct {
	http.ResponseWriter
	buf    bytes.Buffer
	status int
	limit  int
	over   bool
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if !r.over {
		if r.buf.Len()+len(b) > r.limit {
			r.over = true
			r.buf = bytes.Buffer{}
		} else {
			r.buf.Write(b)
		}
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
