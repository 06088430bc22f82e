// Command bench measures the storefront API under a fixed mix of storefront
// operations, on SQLite and (when reachable) PostgreSQL, and compares the
// home page with a hand-written reference handler (plain net/http and
// database/sql, one SQL query) serving the same JSON from the same database.
//
//	go run ./cmd/bench                       # make bench
//	go run ./cmd/bench -duration 3s          # make bench-quick
//	go run ./cmd/bench -json bench.json      # also write the results as JSON
//
// For each database it seeds a 100,000-product demo catalogue once (reused by
// later runs: .cache/bench/*.db, and the PostgreSQL database
// storefront_bench, created if missing), runs VACUUM (ANALYZE) on PostgreSQL (what
// autovacuum would have done), builds the server into .cache/bench/storefront,
// starts it as a child process on a free loopback port, creates the fixtures
// through the API (a 20-line cart, 10 orders of the demo customer, two
// variants restocked for the checkout operation, which places a guest order
// per request: cartCreate then checkoutComplete, counted as one), then
// loads each operation for -duration or -max-requests, whichever comes first
// (requests in flight then finish, within -timeout). The server is stopped
// with SIGTERM at the end, on error and on Ctrl-C.
//
// Per operation it reports throughput, latency percentiles, SQL statements,
// allocations and CPU time of the server per request (from the server's
// /metrics), and errors (a non-200 status or a response with "errors"; any
// error makes bench exit 1 after printing everything). On Linux it also
// reports the CPU that other processes used meanwhile: on a shared machine,
// that is noise in the numbers. See docs/PERFORMANCE.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

type options struct {
	duration    time.Duration
	maxRequests int
	concurrency int
	warmup      time.Duration
	timeout     time.Duration
	rounds      int
	products    int
	sqliteURL   string
	postgresURL string
	jsonPath    string
	root        string // module root
	cacheDir    string
}

// Results is what -json writes.
type Results struct {
	Date        time.Time   `json:"date"`
	Command     string      `json:"command"`
	GoVersion   string      `json:"goVersion"`
	CPUs        int         `json:"cpus"`
	Duration    string      `json:"durationPerOperation"`
	MaxRequests int         `json:"maxRequestsPerOperation"`
	Concurrency int         `json:"concurrency"`
	Products    int         `json:"products"`
	Databases   []*DBResult `json:"databases"`
	Elapsed     float64     `json:"elapsedSeconds"`
}

// DBResult holds the measurements on one database.
type DBResult struct {
	Name        string  `json:"name"` // SQLite, PostgreSQL
	Dialect     string  `json:"dialect"`
	URL         string  `json:"url"`
	Skipped     string  `json:"skipped,omitempty"`
	SeedSeconds float64 `json:"seedSeconds"` // 0 when the database was reused
	Seeded      bool    `json:"seededNow"`
	Autovacuum  string  `json:"autovacuum,omitempty"` // PostgreSQL's setting
	Analyzed    bool    `json:"analyzedBeforeRun"`    // ANALYZE ran after preparing
	Errors      int     `json:"errors"`               // of every measured request
	// OtherCPUCores is how many cores processes other than bench, the server
	// and PostgreSQL used on average while this database was measured: on a
	// shared machine, anything above a few hundredths is noise in the numbers.
	OtherCPUCores float64     `json:"otherProcessesCPUCores"`
	Operations    []*OpResult `json:"operations"`
	Comparison    *Comparison `json:"comparison,omitempty"`
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	start := time.Now()
	opts, err := parseFlags(args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	res := &Results{
		Date:        start.UTC(),
		Command:     strings.TrimSpace("go run ./cmd/bench " + strings.Join(args, " ")),
		GoVersion:   goVersion(),
		CPUs:        numCPU(),
		Duration:    opts.duration.String(),
		MaxRequests: opts.maxRequests,
		Concurrency: opts.concurrency,
		Products:    opts.products,
	}
	fmt.Printf("storefront bench: %d products, %s or %d requests per operation, concurrency %d, %s, %d CPUs\n",
		opts.products, opts.duration, opts.maxRequests, opts.concurrency, res.GoVersion, res.CPUs)

	if err := os.MkdirAll(opts.cacheDir, 0o755); err != nil {
		return err
	}
	binary := filepath.Join(opts.cacheDir, "storefront")
	logf("building the server: go build -o %s .", rel(opts.root, binary))
	if err := buildServer(ctx, opts.root, binary); err != nil {
		return err
	}

	targets := []struct{ name, url string }{{"SQLite", opts.sqliteURL}, {"PostgreSQL", opts.postgresURL}}
	var runErr error
	for _, t := range targets {
		if t.url == "" || t.url == "off" {
			fmt.Printf("\n%s: skipped (disabled by flag)\n", t.name)
			res.Databases = append(res.Databases, &DBResult{Name: t.name, Skipped: "disabled"})
			continue
		}
		db := &DBResult{Name: t.name, URL: redact(t.url)}
		res.Databases = append(res.Databases, db)
		if t.name == "PostgreSQL" {
			if err := ensurePostgresDB(ctx, t.url); err != nil {
				if ctx.Err() != nil {
					runErr = ctx.Err()
					break
				}
				fmt.Printf("\nPostgreSQL: skipped (not reachable)\n")
				logf("PostgreSQL: %v", err)
				db.Skipped = "not reachable: " + err.Error()
				continue
			}
		}
		if err := benchDatabase(ctx, opts, binary, t.url, db); err != nil {
			runErr = fmt.Errorf("%s: %w", t.name, err)
			break
		}
		printDatabase(os.Stdout, opts, db)
		printTargets(os.Stdout, db)
	}
	if runErr == nil {
		printSummary(os.Stdout, res)
		failed := 0
		for _, db := range res.Databases {
			failed += db.Errors
		}
		if failed > 0 {
			runErr = fmt.Errorf("%d requests failed (see ERRORS above): a clean run has none", failed)
		}
	}
	res.Elapsed = time.Since(start).Seconds()
	if opts.jsonPath != "" {
		if err := writeJSON(opts.jsonPath, res); err != nil && runErr == nil {
			runErr = err
		} else if err == nil {
			logf("results written to %s", opts.jsonPath)
		}
	}
	fmt.Printf("\ntotal run time %s\n", time.Since(start).Round(time.Second))
	return runErr
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "load time per operation (the home-page comparison spends this on each side, in -rounds rounds)")
	fs.IntVar(&o.maxRequests, "max-requests", 20000, "at most this many requests per operation (and per side of the comparison)")
	fs.IntVar(&o.concurrency, "concurrency", 16, "concurrent clients")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured load before each operation")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "a request taking longer is an error; requests in flight at the end of -duration may run this much longer")
	fs.IntVar(&o.rounds, "rounds", 5, "alternating server/reference rounds of the home-page comparison")
	fs.IntVar(&o.products, "products", 100000, "products in the benchmark catalogue")
	fs.StringVar(&o.sqliteURL, "sqlite-url", "", "SQLite database (default sqlite://<root>/.cache/bench/storefront-<products>.db); off to skip")
	fs.StringVar(&o.postgresURL, "postgres-url", envOr("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/storefront_bench?sslmode=disable"),
		"PostgreSQL database, created if missing (BENCH_POSTGRES_URL); off to skip")
	fs.StringVar(&o.jsonPath, "json", "", "also write the results as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.duration <= 0 || o.maxRequests <= 0 || o.concurrency <= 0 || o.rounds <= 0 || o.products <= 0 || o.timeout <= 0 {
		return o, errors.New("-duration, -max-requests, -concurrency, -rounds, -products and -timeout must be positive")
	}
	root, err := moduleRoot()
	if err != nil {
		return o, err
	}
	o.root = root
	o.cacheDir = filepath.Join(root, ".cache", "bench")
	if o.sqliteURL == "" {
		o.sqliteURL = "sqlite://" + filepath.Join(o.cacheDir, fmt.Sprintf("storefront-%d.db", o.products))
	}
	return o, nil
}

// benchDatabase runs everything on one database and fills db.
func benchDatabase(ctx context.Context, opts options, binary, dbURL string, db *DBResult) error {
	fmt.Printf("\n== %s (%s)\n", db.Name, db.URL)
	prep, err := prepareDatabase(ctx, dbURL, opts.products)
	if err != nil {
		return err
	}
	db.Dialect, db.Seeded, db.SeedSeconds = prep.dialect, prep.seeded, prep.seedTime.Seconds()
	if prep.seeded {
		fmt.Printf("seeded %d products in %s\n", opts.products, prep.seedTime.Round(100*time.Millisecond))
	} else {
		fmt.Printf("reusing the seeded catalogue (%d products)\n", opts.products)
	}
	if prep.autovacuum != "" {
		db.Autovacuum, db.Analyzed = prep.autovacuum, true
		fmt.Printf("VACUUM (ANALYZE) in %s (autovacuum is %s on this server)\n", prep.analyzeTime.Round(10*time.Millisecond), prep.autovacuum)
	}

	srv, err := startServer(ctx, binary, dbURL)
	if err != nil {
		return err
	}
	defer srv.Stop()
	logf("%s: server pid %d on %s", db.Name, srv.cmd.Process.Pid, srv.base)
	cpu0, t0 := sampleCPU(srv.cmd.Process.Pid), time.Now()
	defer func() {
		if c, ok := otherCores(cpu0, sampleCPU(srv.cmd.Process.Pid), time.Since(t0).Seconds()); ok {
			db.OtherCPUCores = c
		} else {
			db.OtherCPUCores = -1 // unknown
		}
	}()

	api := newClient(srv.base, opts.concurrency, opts.timeout)
	fx, err := makeFixtures(ctx, api)
	if err != nil {
		return fmt.Errorf("fixtures: %w", err)
	}
	fmt.Printf("fixtures: cart with %d lines, %d orders in the demo customer's history (%d placed now), category %q, %d product slugs\n",
		fx.cartLines, fx.orders, fx.ordersPlaced, fx.categoryName, len(fx.slugs))

	// The mix measures what computing each answer costs: the response
	// cache is bypassed. The home-page comparison measures both.
	computed := api.with("Cache-Control", "no-cache")
	for _, op := range mix(fx) {
		c := computed
		if op.cached {
			c = api
		}
		r, err := measureOperation(ctx, c, srv.base, op, opts)
		if err != nil {
			return fmt.Errorf("%s: %w", op.name, err)
		}
		db.Operations = append(db.Operations, r)
		db.Errors += r.Errors
		logf("%s: %-14s %8.1f req/s  p50 %s  %.2f statements/req  %d errors",
			db.Name, op.name, r.RPS, fmtMs(r.P50Ms), r.StatementsPerReq, r.Errors)
	}

	cmp, err := compareWithReference(ctx, api, fx, srv.base, dbURL, opts)
	if err != nil {
		return err
	}
	db.Comparison = cmp
	db.Errors += cmp.ServerErrors + cmp.ReferenceErrors
	return nil
}

func printDatabase(w io.Writer, opts options, db *DBResult) {
	fmt.Fprintf(w, "\n%s, %d products, concurrency %d, %s or %d requests per operation\n",
		db.Name, opts.products, opts.concurrency, opts.duration, opts.maxRequests)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\trequests\treq/s\tp50\tp95\tp99\tSQL/req\tbudget\tallocs/req\tCPU/req\terrors\t")
	for _, r := range db.Operations {
		budget := "-"
		if r.Budget > 0 {
			budget = fmt.Sprint(r.Budget)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%s\t%s\t%.2f\t%s\t%.0f\t%s\t%d\t\n", r.Name, r.Requests, r.RPS,
			fmtMs(r.P50Ms), fmtMs(r.P95Ms), fmtMs(r.P99Ms), r.StatementsPerReq, budget, r.AllocsPerReq, fmtMs(r.CPUMsPerReq), r.Errors)
	}
	_ = tw.Flush()
	if c := db.OtherCPUCores; c >= 0 {
		note := ""
		if c > 0.1 {
			note = ": OTHER WORK COMPETED WITH THIS RUN, the numbers are noisy; run again on a quiet machine"
		}
		fmt.Fprintf(w, "CPU used by other processes meanwhile: %.2f of %d cores%s\n", c, numCPU(), note)
	}
	for _, r := range db.Operations {
		if r.Errors > 0 {
			fmt.Fprintf(w, "ERRORS in %s: %d, first: %s\n", r.Name, r.Errors, r.FirstError)
		}
	}
	if c := db.Comparison; c != nil {
		fmt.Fprintf(w, "\nhome page vs reference handler (%d rounds of %s per side, sides in turn, concurrency %d):\n",
			len(c.Rounds), c.RoundDuration, opts.concurrency)
		fmt.Fprintf(w, "  cached: the server as configured, from its response cache; +writes: the same while a staff client changes stock, at most once per %s ('writes': how many it made; each empties the cache);\n", c.WriteInterval)
		fmt.Fprintf(w, "  computed: Cache-Control: no-cache, every answer computed (resolvers and SQL)\n")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "round\tcached req/s\t+writes req/s\twrites\tcomputed req/s\tcomputed p50\tcomputed CPU/req\treference req/s\treference p50\tcached ratio\t+writes ratio\tcomputed ratio\t")
		for i, r := range c.Rounds {
			fmt.Fprintf(tw, "%d\t%.1f\t%.1f\t%d\t%.1f\t%s\t%s\t%.1f\t%s\t%.3f\t%.3f\t%.3f\t\n", i+1, r.Cached.RPS, r.CachedWrites.RPS, r.Writes,
				r.Computed.RPS, fmtMs(r.Computed.P50Ms), fmtMs(r.Computed.CPUMsPerReq), r.Reference.RPS, fmtMs(r.Reference.P50Ms),
				r.CachedRatio, r.CachedWritesRatio, r.ComputedRatio)
		}
		_ = tw.Flush()
		same := "byte for byte"
		if !c.JSONByteIdentical {
			same = "as JSON values (bytes differ: " + c.JSONDifference + ")"
		}
		fmt.Fprintf(w, "reference JSON equals the server's %s; reference: 1 SQL statement, %.0f allocs/req in its handler (in-process, without the HTTP server)\n",
			same, c.ReferenceHandlerAllocs)
		fmt.Fprintf(w, "errors: server %d, reference %d\n", c.ServerErrors, c.ReferenceErrors)
		for i, r := range c.Rounds {
			for _, side := range []*OpResult{r.Cached, r.CachedWrites, r.Computed, r.Reference} {
				if side.Errors > 0 {
					fmt.Fprintf(w, "ERRORS in round %d, %s: %d, first: %s\n", i+1, side.Name, side.Errors, side.FirstError)
				}
			}
		}
		fmt.Fprintf(w, "%s home page, medians: cached %.1f, cached with writes %.1f, computed %.1f, reference %.1f req/s; ratios %.2f, %.2f, %.2f\n",
			db.Name, c.CachedMedianRPS, c.CachedWritesMedianRPS, c.ComputedMedianRPS, c.ReferenceMedianRPS, c.CachedRatio, c.CachedWritesRatio, c.ComputedRatio)
	}
}

// printTargets sets the figures issue 11 asks for next to their targets,
// each a ratio measured in the same run (or a count).
func printTargets(w io.Writer, db *DBResult) {
	ops := map[string]*OpResult{}
	for _, r := range db.Operations {
		ops[r.Name] = r
	}
	ratio := func(a, b string) (float64, bool) {
		x, y := ops[a], ops[b]
		if x == nil || y == nil || y.RPS == 0 {
			return 0, false
		}
		return x.RPS / y.RPS, true
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "\n%s targets (ratios of throughput in this run):\n", db.Name)
	fmt.Fprintln(tw, "figure\tmeasured\ttarget\t\t")
	row := func(name string, v float64, ok bool, target string, met bool) {
		if !ok {
			fmt.Fprintf(tw, "%s\t-\t%s\tnot measured\t\n", name, target)
			return
		}
		verdict := "BELOW"
		if met {
			verdict = "meets"
		}
		f := "%s\t%.3f\t%s\t%s\t\n"
		if v >= 100 {
			f = "%s\t%.0f\t%s\t%s\t\n"
		}
		fmt.Fprintf(tw, f, name, v, target, verdict)
	}
	if c := db.Comparison; c != nil {
		row("computed home page / reference handler", c.ComputedRatio, true, ">= 0.8", c.ComputedRatio >= 0.8)
	}
	if h := ops[opHome]; h != nil {
		row("home page allocations per request", h.AllocsPerReq, true, "< 2,500", h.AllocsPerReq < 2500)
	}
	r, ok := ratio(opList50, opTrivial)
	row("50 products (id title) / { __typename }", r, ok, ">= 0.3", r >= 0.3)
	r, ok = ratio(opCategory, opHome)
	row("category page / computed home page", r, ok, ">= 0.5", r >= 0.5)
	if c := ops[opCategory]; c != nil {
		row("category page p99, ms", c.P99Ms, true, "< 50", c.P99Ms < 50)
	}
	r, ok = ratio(opPriced, opHome)
	row("category page with a price filter / computed home page", r, ok, ">= 0.5", r >= 0.5)
	if c := ops[opPriced]; c != nil {
		row("category page with a price filter p99, ms", c.P99Ms, true, "< 50", c.P99Ms < 50)
	}
	if r, ok = ratio(opNewRange, opHome); ok {
		// No target: what the first shopper to ask for a range pays.
		fmt.Fprintf(tw, "%s\t%.3f\t%s\t%s\t\n", "category page with a new price range each time / computed home page", r, "-", "information")
	}
	r, ok = ratio(opCart, opHome)
	row("cart (20 lines) / computed home page", r, ok, ">= 0.5", r >= 0.5)
	r, ok = ratio(opHistory, opHome)
	row("order history / computed home page", r, ok, ">= 0.5", r >= 0.5)
	r, ok = ratio(opCached, opTrivial)
	row("cached home page / { __typename }", r, ok, ">= 0.8", r >= 0.8)
	for _, r := range db.Operations {
		if r.Budget > 0 {
			row(r.Name+": SQL statements per request", r.StatementsPerReq, true, fmt.Sprintf("<= %d", r.Budget), r.StatementsPerReq <= float64(r.Budget)+0.01)
		}
	}
	if s := ops[opStockSet]; s != nil {
		fmt.Fprintf(tw, "stockLevelSet req/s (writes may not slow by more than 15%%: compare runs)\t%.1f\t\t\t\n", s.RPS)
	}
	if s := ops[opCheckout]; s != nil {
		fmt.Fprintf(tw, "checkout req/s (cartCreate + checkoutComplete; the same: compare runs)\t%.1f\t\t\t\n", s.RPS)
	}
	_ = tw.Flush()
}

func printSummary(w io.Writer, res *Results) {
	fmt.Fprintln(w, "\n== summary")
	var sqlite, pg *DBResult
	for _, db := range res.Databases {
		switch {
		case db.Skipped != "":
			fmt.Fprintf(w, "%s: skipped (%s)\n", db.Name, db.Skipped)
			continue
		case db.Comparison == nil:
			continue
		}
		c := db.Comparison
		fmt.Fprintf(w, "%s home page: cached %.1f req/s (ratio %.2f), with writes %.1f (%.2f), computed %.1f (%.2f); reference %.1f req/s\n",
			db.Name, c.CachedMedianRPS, c.CachedRatio, c.CachedWritesMedianRPS, c.CachedWritesRatio, c.ComputedMedianRPS, c.ComputedRatio, c.ReferenceMedianRPS)
		switch db.Name {
		case "SQLite":
			sqlite = db
		case "PostgreSQL":
			pg = db
		}
	}
	if pg != nil && pg.Comparison != nil {
		verdict := func(r float64) string {
			if r < 0.8 {
				return "BELOW"
			}
			return "meets"
		}
		c := pg.Comparison
		fmt.Fprintf(w, "target: 0.80 of the reference on PostgreSQL; cached %.2f %s it, with writes %.2f %s it, computed %.2f %s it\n",
			c.CachedRatio, verdict(c.CachedRatio), c.CachedWritesRatio, verdict(c.CachedWritesRatio), c.ComputedRatio, verdict(c.ComputedRatio))
	}
	if sqlite != nil && pg != nil {
		s, p := sqlite.Comparison, pg.Comparison
		fmt.Fprintf(w, "SQLite vs PostgreSQL home page, computed: %.1f vs %.1f req/s (PostgreSQL/SQLite %.2f); cached %.1f vs %.1f; reference %.1f vs %.1f req/s\n",
			s.ComputedMedianRPS, p.ComputedMedianRPS, p.ComputedMedianRPS/s.ComputedMedianRPS, s.CachedMedianRPS, p.CachedMedianRPS, s.ReferenceMedianRPS, p.ReferenceMedianRPS)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "operation\tSQLite req/s\tPostgreSQL req/s\tSQLite p50\tPostgreSQL p50\t")
		for i, r := range sqlite.Operations {
			if i >= len(pg.Operations) {
				break
			}
			q := pg.Operations[i]
			fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%s\t%s\t\n", r.Name, r.RPS, q.RPS, fmtMs(r.P50Ms), fmtMs(q.P50Ms))
		}
		_ = tw.Flush()
	}
}

func writeJSON(path string, res *Results) error {
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func fmtMs(ms float64) string {
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0fms", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1fms", ms)
	default:
		return fmt.Sprintf("%.2fms", ms)
	}
}

// logf writes progress to stderr, keeping stdout for the results.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// moduleRoot finds the directory of go.mod from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found: run bench inside the storefront module")
		}
		dir = parent
	}
}

func rel(root, path string) string {
	if r, err := filepath.Rel(root, path); err == nil {
		return r
	}
	return path
}
