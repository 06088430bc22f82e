// Package database opens the ent client from a DATABASE_URL: SQLite (the
// embedded default) or PostgreSQL, chosen by the URL's scheme, with the
// settings each needs to serve concurrent requests.
package database

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/lib/pq"           // PostgreSQL driver
	_ "github.com/mattn/go-sqlite3" // SQLite driver (cgo)

	"storefront/commerce/catalog"
	"storefront/commerce/inventory"
	"storefront/ent"
	"storefront/ent/migrate"
	_ "storefront/ent/runtime" // registers hooks and privacy policies
)

// DB is an open database: the ent client and the pool under it.
type DB struct {
	Client  *ent.Client
	SQL     *stdsql.DB
	Dialect string // dialect.SQLite or dialect.Postgres
	// migrator runs migrations on the plain driver (Client counts statements).
	migrator *ent.Client
	// stmts are Client's prepared statements.
	stmts *stmtCache
}

// Options tune the connection pool. Zero values pick per-database defaults.
type Options struct {
	MaxOpenConns int
}

// Open connects to the database named by rawURL:
//
//	sqlite://storefront.db       a file relative to the working directory
//	sqlite:///var/lib/shop.db    an absolute path
//	postgres://user@host/db      PostgreSQL (postgresql:// too)
func Open(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	drv, dsn, dia, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	db, err := stdsql.Open(drv, dsn)
	if err != nil {
		return nil, fmt.Errorf("database: open: %w", err)
	}
	configurePool(db, dia, opts)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("database: connect to %s: %w", Redact(rawURL), err)
	}
	plain := entsql.OpenDB(dia, db)
	stmts := newStmtCache(db)
	client := ent.NewClient(ent.Driver(newCountingDriver(plain, stmts)))
	// Stock written outside the stock function (fixtures, imports) keeps
	// the stored availability right too (commerce/inventory).
	levels, variants := inventory.Hooks()
	client.StockLevel.Use(levels)
	client.ProductVariant.Use(variants)
	// Category writes keep the materialised paths (commerce/catalog).
	client.Category.Use(catalog.Hooks())
	// A category page's count reads the stored category counts.
	client.Product.Intercept(catalog.ProductLists())
	// A product's variants come in their position order.
	client.ProductVariant.Intercept(catalog.VariantOrder())
	return &DB{Client: client, SQL: db, Dialect: dia, migrator: ent.NewClient(ent.Driver(plain)), stmts: stmts}, nil
}

func parseURL(rawURL string) (driver, dsn, dia string, err error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return "", "", "", fmt.Errorf("database: DATABASE_URL %q needs a scheme: sqlite:// or postgres://", Redact(rawURL))
	}
	switch strings.ToLower(scheme) {
	case "sqlite", "sqlite3":
		path, query, _ := strings.Cut(rest, "?")
		if path == "" {
			return "", "", "", errors.New("database: sqlite:// URL needs a file path, such as sqlite://storefront.db")
		}
		return "sqlite3", sqliteDSN(path, query), dialect.SQLite, nil
	case "postgres", "postgresql":
		return "postgres", postgresDSN(rawURL), dialect.Postgres, nil
	default:
		return "", "", "", fmt.Errorf("database: unsupported scheme %q in DATABASE_URL (use sqlite:// or postgres://)", scheme)
	}
}

// postgresDSN turns PostgreSQL's JIT compiler off for the server's
// sessions unless the URL sets jit itself: storefront queries are short,
// and compiling one (a count over a category with a stock condition, say)
// took longer than running it (270 of 600 ms measured on 100,000
// products).
func postgresDSN(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL // lib/pq reports what is wrong with it
	}
	q := u.Query()
	if !q.Has("jit") {
		q.Set("jit", "off")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// sqliteDSN turns a file path into a go-sqlite3 DSN that is fit for a server:
// WAL so that readers never wait for the writer, foreign keys enforced, a
// busy timeout and BEGIN IMMEDIATE so that concurrent writers queue for the
// write lock instead of failing with SQLITE_BUSY halfway through.
func sqliteDSN(path, extra string) string {
	q := url.Values{}
	q.Set("_foreign_keys", "on")
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	q.Set("_synchronous", "NORMAL")
	if extra != "" {
		if more, err := url.ParseQuery(extra); err == nil {
			for k, v := range more {
				q[k] = v
			}
		}
	}
	return "file:" + path + "?" + q.Encode()
}

func configurePool(db *stdsql.DB, dia string, opts Options) {
	n := opts.MaxOpenConns
	if n <= 0 {
		switch dia {
		case dialect.SQLite:
			// WAL allows many readers; writers queue on the busy timeout.
			n = max(4, 2*runtime.NumCPU())
		default:
			n = 20
		}
	}
	db.SetMaxOpenConns(n)
	// Keep as many idle as open: dialling PostgreSQL anew per request is
	// what makes a default pool slow under load.
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
}

// Migrate creates or updates the tables to match the ent schema. When it
// adds the stored availability to an existing catalogue (the columns
// product_variants.available and products.in_stock), it fills them from the
// stock levels before it returns. It sets every category's materialised
// path from the parent chains (catalog.RefreshPaths: one statement over the
// categories, writing only the paths that differ), which fills the column
// when the migration added it and repairs rows written without the hook.
// It installs the triggers that keep each category's product counts
// (catalog.InstallCounts), filling the counts when it does.
func (db *DB) Migrate(ctx context.Context) error {
	backfill, err := db.lacksStoredAvailability(ctx)
	if err != nil {
		return err
	}
	if db.Dialect == dialect.SQLite {
		// SQLite alters a table by rebuilding it, which fails while a
		// trigger names it: the category counts' triggers go, and come
		// back with a recount below.
		if err := catalog.DropCounts(ctx, db.migrator, db.Dialect); err != nil {
			return fmt.Errorf("database: migrate: %w", err)
		}
	}
	if err := db.migrator.Schema.Create(ctx, migrate.WithForeignKeys(true)); err != nil {
		return fmt.Errorf("database: migrate: %w", err)
	}
	// ent's migration adds indexes but drops none; those the schema
	// replaced go here, by name, so that writes stop paying for them.
	for _, name := range retiredIndexes {
		if _, err := db.SQL.ExecContext(ctx, "DROP INDEX IF EXISTS "+name); err != nil {
			return fmt.Errorf("database: migrate: drop index %s: %w", name, err)
		}
	}
	if backfill {
		if err := inventory.RefreshAll(ctx, db.migrator); err != nil {
			return fmt.Errorf("database: migrate: %w", err)
		}
	}
	if err := catalog.RefreshPaths(ctx, db.migrator); err != nil {
		return fmt.Errorf("database: migrate: %w", err)
	}
	if err := catalog.InstallCounts(ctx, db.migrator, db.Dialect); err != nil {
		return fmt.Errorf("database: migrate: %w", err)
	}
	if db.Dialect == dialect.SQLite {
		// SQLite plans without statistics until ANALYZE has run once: then a
		// lookup by ID can walk a whole table. PostgreSQL's autovacuum keeps
		// its own statistics.
		var n int
		if err := db.SQL.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").Scan(&n); err != nil {
			return fmt.Errorf("database: statistics: %w", err)
		}
		stmt := "PRAGMA optimize"
		if n == 0 {
			stmt = "ANALYZE"
		}
		if _, err := db.SQL.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("database: %s: %w", stmt, err)
		}
	}
	return nil
}

// retiredIndexes are indexes of earlier schemas that a newer index
// replaced (each is a prefix of its replacement).
var retiredIndexes = []string{
	"product_status_in_stock_category_id_min_price",
	"product_status_in_stock_min_price",
	"product_status_in_stock_category_id_min_price_id",
	"product_status_in_stock_min_price_id",
	"product_status_in_stock_min_price_id_max_price",
}

// lacksStoredAvailability reports whether the tables exist without one of
// the columns of the stored availability: a database from before it, which
// needs the backfill once the columns are added.
func (db *DB) lacksStoredAvailability(ctx context.Context) (bool, error) {
	for _, c := range [][2]string{{"product_variants", "available"}, {"products", "in_stock"}} {
		var tables, columns int
		var q1, q2 string
		if db.Dialect == dialect.SQLite {
			q1 = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
			q2 = "SELECT count(*) FROM pragma_table_info(?) WHERE name = ?"
		} else {
			q1 = "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
			q2 = "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2"
		}
		if err := db.SQL.QueryRowContext(ctx, q1, c[0]).Scan(&tables); err != nil {
			return false, fmt.Errorf("database: inspect %s: %w", c[0], err)
		}
		if tables == 0 {
			continue
		}
		if err := db.SQL.QueryRowContext(ctx, q2, c[0], c[1]).Scan(&columns); err != nil {
			return false, fmt.Errorf("database: inspect %s.%s: %w", c[0], c[1], err)
		}
		if columns == 0 {
			return true, nil
		}
	}
	return false, nil
}

// Analyze refreshes the query planner's statistics, after a bulk load such
// as the demo catalogue. On PostgreSQL it vacuums too: a freshly loaded
// table has no visibility map until a vacuum, and without it a count over
// an index (a category page's totalCount) visits every matching row in the
// table instead of reading the index alone (measured at 100,000 products:
// 17-170 ms against 1-4 ms). Autovacuum does the same in time when it is on.
func (db *DB) Analyze(ctx context.Context) error {
	stmt := "ANALYZE"
	if db.Dialect == dialect.Postgres {
		stmt = "VACUUM (ANALYZE)"
	}
	if _, err := db.SQL.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("database: analyze: %w", err)
	}
	return nil
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	return db.SQL.PingContext(ctx)
}

// Close closes the client and the pool.
func (db *DB) Close() error {
	return db.Client.Close()
}

// Redact hides the password of a database URL, for logs and errors.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return rawURL
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
