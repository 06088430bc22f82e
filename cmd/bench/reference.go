package main

import (
	"bytes"
	"context"
	stdsql "database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strconv"
	"time"

	"storefront/commerce/money"
	"storefront/database"
	"storefront/relay/gid"
)

// referenceSQL is the whole home page in one statement: the newest 50
// ACTIVE products, their category, and whether any of their variants has
// stock available for sale: the products' stored in_stock flag, which the
// server reads too (commerce/inventory keeps it). The order is the
// server's: created_at, then id, both descending.
const referenceSQL = `
SELECT p.id, p.title, c.name, p.min_price, p.currency_code, p.in_stock AS available
FROM (SELECT id, title, category_id, min_price, currency_code, created_at, in_stock
      FROM products
      WHERE status = 'ACTIVE'
      ORDER BY created_at DESC, id DESC
      LIMIT 50) AS p
LEFT JOIN categories c ON c.id = p.category_id
ORDER BY p.created_at DESC, p.id DESC`

// referenceCostLimit is the server's operation limit (COMPLEXITY_LIMIT,
// which bench leaves at its default).
const referenceCostLimit = 20000

// The JSON of the home-page operation, field for field in the order of the
// GraphQL selection.
type (
	refResponse struct {
		Data struct {
			Products struct {
				Edges []refEdge `json:"edges"`
			} `json:"products"`
		} `json:"data"`
		// Extensions report the operation's cost as the server does
		// (graph/oplimit): every field costs 1 and the edges count as
		// many times as the page is long.
		Extensions struct {
			Cost struct {
				Limit     int `json:"limit"`
				Requested int `json:"requested"`
			} `json:"cost"`
		} `json:"extensions"`
	}
	refEdge struct {
		Node refNode `json:"node"`
	}
	refNode struct {
		ID         string       `json:"id"`
		Title      string       `json:"title"`
		Category   *refCategory `json:"category"`
		PriceRange struct {
			MinVariantPrice refMoney `json:"minVariantPrice"`
		} `json:"priceRange"`
		AvailableForSale bool `json:"availableForSale"`
	}
	refCategory struct {
		Name string `json:"name"`
	}
	refMoney struct {
		Amount       string `json:"amount"`
		CurrencyCode string `json:"currencyCode"`
	}
)

// reference is the hand-written home page: net/http, database/sql, one
// query, encoding/json. No GraphQL, no ORM, no middleware.
type reference struct {
	db *stdsql.DB
}

func (h *reference) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body) // the request body is the GraphQL one; ignored
	b, err := h.page(r.Context())
	if err != nil {
		http.Error(w, `{"errors":[{"message":"internal error"}]}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func (h *reference) page(ctx context.Context) ([]byte, error) {
	rows, err := h.db.QueryContext(ctx, referenceSQL)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var resp refResponse
	resp.Data.Products.Edges = make([]refEdge, 0, 50)
	for rows.Next() {
		var (
			id       int
			n        refNode
			category stdsql.NullString
			minPrice int64
			currency string
		)
		if err := rows.Scan(&id, &n.Title, &category, &minPrice, &currency, &n.AvailableForSale); err != nil {
			return nil, err
		}
		n.ID = gid.New("Product", id).String() // base64url, unpadded, of "Product:<id>"
		if category.Valid {
			n.Category = &refCategory{Name: category.String}
		}
		n.PriceRange.MinVariantPrice = refMoney{Amount: money.Format(minPrice, money.Exponent(currency)), CurrencyCode: currency}
		resp.Data.Products.Edges = append(resp.Data.Products.Edges, refEdge{Node: n})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// products, edges, and per node: node, id, title, category { name },
	// priceRange { minVariantPrice { amount currencyCode } },
	// availableForSale.
	resp.Extensions.Cost.Limit = referenceCostLimit
	resp.Extensions.Cost.Requested = 2 + homePageSize*(1+1+1+2+4+1)
	return json.Marshal(&resp) // escapes <, > and & as gqlgen does
}

// Round is one server/reference pair of the comparison.
type Round struct {
	// Cached is the server as configured (home page from the response
	// cache); CachedWrites the same while a staff client changes stock
	// every WriteInterval, each change emptying the cache; Computed the
	// server with Cache-Control: no-cache, every response computed.
	Cached       *OpResult `json:"cached"`
	CachedWrites *OpResult `json:"cachedWithWrites"`
	Writes       int       `json:"writes"`
	Computed     *OpResult `json:"computed"`
	Reference    *OpResult `json:"reference"`
	// Ratios to the reference.
	CachedRatio, CachedWritesRatio, ComputedRatio float64
}

// Comparison of the home page with the reference handler.
type Comparison struct {
	RoundDuration          string  `json:"roundDuration"`
	WriteInterval          string  `json:"writeInterval"`
	Rounds                 []Round `json:"rounds"`
	CachedMedianRPS        float64 `json:"cachedMedianRPS"`
	CachedWritesMedianRPS  float64 `json:"cachedWithWritesMedianRPS"`
	ComputedMedianRPS      float64 `json:"computedMedianRPS"`
	ReferenceMedianRPS     float64 `json:"referenceMedianRPS"`
	CachedRatio            float64 `json:"cachedRatio"` // of the medians
	CachedWritesRatio      float64 `json:"cachedWithWritesRatio"`
	ComputedRatio          float64 `json:"computedRatio"`
	ServerErrors           int     `json:"serverErrors"`
	ReferenceErrors        int     `json:"referenceErrors"`
	JSONByteIdentical      bool    `json:"jsonByteIdentical"`
	JSONDifference         string  `json:"jsonDifference,omitempty"`
	ReferenceHandlerAllocs float64 `json:"referenceHandlerAllocsPerRequest"`
	ReferencePoolSize      int     `json:"referencePoolSize"`
}

// writeInterval is how often the stock writer changes stock during the
// "cached, with writes" side: 10 changes a second, each emptying the cache.
const writeInterval = 100 * time.Millisecond

// compareWithReference serves the reference handler on its own loopback
// port against the same database (opened with the server's DSN settings and
// pool size), checks that it answers the same JSON as the server, and then
// loads both in alternating rounds.
func compareWithReference(ctx context.Context, c *client, fx *fixtures, base, dbURL string, o options) (*Comparison, error) {
	db, err := database.Open(ctx, dbURL, database.Options{})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	ref := &reference{db: db.SQL}
	cmp := &Comparison{ReferencePoolSize: db.SQL.Stats().MaxOpenConnections, WriteInterval: writeInterval.String()}
	computed := c.with("Cache-Control", "no-cache")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: ref, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	refURL := "http://" + ln.Addr().String() + "/"
	gqlURL := base + "/graphql"
	home := homeBody()

	// Same data, same JSON: checked once, before any load.
	ours, err := c.post(ctx, gqlURL, home, "")
	if err != nil {
		return nil, fmt.Errorf("home page: %w", err)
	}
	theirs, err := c.post(ctx, refURL, home, "")
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	if err := sameJSON(ours, theirs, cmp); err != nil {
		return nil, err
	}
	fresh, err := computed.post(ctx, gqlURL, home, "")
	if err != nil {
		return nil, fmt.Errorf("home page: %w", err)
	}
	if !bytes.Equal(fresh, ours) {
		return nil, fmt.Errorf("the cached home page differs from the computed one:\n  cached:   %.300s\n  computed: %.300s", ours, fresh)
	}
	if cmp.ReferenceHandlerAllocs, err = handlerAllocs(ref, home); err != nil {
		return nil, err
	}

	// Warm the reference up like every operation of the mix (the server's
	// home page was warmed and loaded already).
	if o.warmup > 0 {
		load(ctx, c, refURL, [][]byte{home}, "", nil, o.warmup, max(o.maxRequests/10, o.concurrency), o.concurrency)
	}
	roundDur := o.duration / time.Duration(o.rounds)
	roundMax := max(o.maxRequests/o.rounds, 1)
	cmp.RoundDuration = roundDur.String()
	var cachedRPS, writesRPS, computedRPS, refRPS []float64
	for i := range o.rounds {
		var r Round
		server := func(cl *client, name string, dst **OpResult) func() error {
			return func() error {
				before, err := scrape(ctx, cl, base)
				if err != nil {
					return err
				}
				s := load(ctx, cl, gqlURL, [][]byte{home}, "", nil, roundDur, roundMax, o.concurrency)
				after, err := scrape(ctx, cl, base)
				if err != nil {
					return err
				}
				*dst = resultOf(name, s)
				(*dst).addServerCounters(before, after)
				return nil
			}
		}
		withWrites := func() error {
			wctx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() {
				n, err := writeStock(wctx, c, fx, writeInterval)
				r.Writes = n
				done <- err
			}()
			err := server(c, "home page, cached, with writes", &r.CachedWrites)()
			stop()
			if werr := <-done; werr != nil && err == nil {
				err = fmt.Errorf("stock writer: %w", werr)
			}
			return err
		}
		reference := func() error {
			r.Reference = resultOf("reference", load(ctx, c, refURL, [][]byte{home}, "", nil, roundDur, roundMax, o.concurrency))
			r.Reference.StatementsPerReq = 1
			return nil
		}
		// The sides take turns going first, so that none always follows
		// another.
		steps := []func() error{server(c, "home page, cached", &r.Cached), withWrites, server(computed, "home page, computed", &r.Computed), reference}
		for j := range steps {
			if err := steps[(i+j)%len(steps)](); err != nil {
				return nil, err
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
		}
		ref := r.Reference.RPS
		r.CachedRatio, r.CachedWritesRatio, r.ComputedRatio = r.Cached.RPS/ref, r.CachedWrites.RPS/ref, r.Computed.RPS/ref
		cmp.Rounds = append(cmp.Rounds, r)
		cmp.ServerErrors += r.Cached.Errors + r.CachedWrites.Errors + r.Computed.Errors
		cmp.ReferenceErrors += r.Reference.Errors
		cachedRPS = append(cachedRPS, r.Cached.RPS)
		writesRPS = append(writesRPS, r.CachedWrites.RPS)
		computedRPS = append(computedRPS, r.Computed.RPS)
		refRPS = append(refRPS, ref)
		logf("round %d: cached %.1f, cached with %d writes %.1f, computed %.1f, reference %.1f req/s", i+1,
			r.Cached.RPS, r.Writes, r.CachedWrites.RPS, r.Computed.RPS, ref)
	}
	cmp.CachedMedianRPS, cmp.CachedWritesMedianRPS = median(cachedRPS), median(writesRPS)
	cmp.ComputedMedianRPS, cmp.ReferenceMedianRPS = median(computedRPS), median(refRPS)
	cmp.CachedRatio = cmp.CachedMedianRPS / cmp.ReferenceMedianRPS
	cmp.CachedWritesRatio = cmp.CachedWritesMedianRPS / cmp.ReferenceMedianRPS
	cmp.ComputedRatio = cmp.ComputedMedianRPS / cmp.ReferenceMedianRPS
	return cmp, nil
}

func resultOf(name string, s loadStats) *OpResult {
	return &OpResult{
		Name: name, Requests: s.requests, Errors: s.errors, FirstError: s.firstError,
		Seconds: s.elapsed.Seconds(), RPS: s.rps(),
		P50Ms: s.percentileMs(0.50), P95Ms: s.percentileMs(0.95), P99Ms: s.percentileMs(0.99),
	}
}

// sameJSON fails unless the server's and the reference's answers are equal
// as JSON values; it records whether they are equal byte for byte too.
func sameJSON(ours, theirs []byte, cmp *Comparison) error {
	var a, b any
	if err := json.Unmarshal(ours, &a); err != nil {
		return fmt.Errorf("server home page is not JSON: %w", err)
	}
	if err := json.Unmarshal(theirs, &b); err != nil {
		return fmt.Errorf("reference home page is not JSON: %w", err)
	}
	edges := func(v any) []any {
		m, _ := v.(map[string]any)
		d, _ := m["data"].(map[string]any)
		p, _ := d["products"].(map[string]any)
		e, _ := p["edges"].([]any)
		return e
	}
	if n := len(edges(a)); n != homePageSize {
		return fmt.Errorf("server home page has %d products, want %d: %.300s", n, homePageSize, ours)
	}
	if !reflect.DeepEqual(a, b) {
		ea, eb := edges(a), edges(b)
		for i := range min(len(ea), len(eb)) {
			if !reflect.DeepEqual(ea[i], eb[i]) {
				x, _ := json.Marshal(ea[i])
				y, _ := json.Marshal(eb[i])
				return fmt.Errorf("REFERENCE MISMATCH: the reference handler's JSON differs from the server's at product %d:\n  server:    %s\n  reference: %s", i, x, y)
			}
		}
		return fmt.Errorf("REFERENCE MISMATCH: the reference handler's JSON differs from the server's (%d vs %d products):\n  server:    %.500s\n  reference: %.500s",
			len(ea), len(eb), ours, theirs)
	}
	cmp.JSONByteIdentical = bytes.Equal(ours, theirs)
	if !cmp.JSONByteIdentical {
		i := 0
		for i < min(len(ours), len(theirs)) && ours[i] == theirs[i] {
			i++
		}
		lo := max(i-40, 0)
		cmp.JSONDifference = fmt.Sprintf("first at byte %d: server %q, reference %q",
			i, ours[lo:min(i+40, len(ours))], theirs[lo:min(i+40, len(theirs))])
	}
	return nil
}

// handlerAllocs counts the allocations of the reference handler per
// request, calling it directly (no network, no HTTP server) in this
// process while nothing else runs.
func handlerAllocs(h http.Handler, body []byte) (float64, error) {
	const n = 200
	run := func() error {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body)))
		if rec.Code != http.StatusOK {
			return errors.New("reference handler: HTTP " + strconv.Itoa(rec.Code))
		}
		return nil
	}
	for range 10 { // warm the pool and its prepared state
		if err := run(); err != nil {
			return 0, err
		}
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		if err := run(); err != nil {
			return 0, err
		}
	}
	runtime.ReadMemStats(&after)
	return float64(after.Mallocs-before.Mallocs) / n, nil
}
