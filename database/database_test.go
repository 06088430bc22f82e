package database_test

import (
	"context"
	"fmt"
	"storefront/commerce/access"
	"storefront/commerce/catalog"
	"strconv"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"

	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent/product"
	"storefront/ent/warehouse"
	"storefront/internal/sqlhint"
)

func TestOpenRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "storefront.db", "mysql://root@localhost/db", "sqlite://", "postgres://u:secret@127.0.0.1:1/none?connect_timeout=1"} {
		_, err := database.Open(context.Background(), u, database.Options{})
		if err == nil {
			t.Fatalf("Open(%q) succeeded", u)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Fatalf("error leaks the password: %v", err)
		}
	}
}

func TestRedact(t *testing.T) {
	if got := database.Redact("postgres://shop:hunter2@db:5432/shop"); strings.Contains(got, "hunter2") {
		t.Fatalf("Redact kept the password: %s", got)
	}
	if got := database.Redact("sqlite://storefront.db"); got != "sqlite://storefront.db" {
		t.Fatalf("Redact changed a URL without password: %s", got)
	}
}

// TestSQLiteSettings checks the pragmas a server needs on every pooled
// connection, not just the first.
func TestSQLiteSettings(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	ctx := context.Background()
	for i := range 3 {
		conn, err := db.SQL.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000"} {
			var got string
			if err := conn.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("connection %d: PRAGMA %s = %s, want %s", i, pragma, got, want)
			}
		}
	}
}

// TestConcurrentWriters runs read-then-write transactions from many
// goroutines. On SQLite, deferred transactions would fail with SQLITE_BUSY
// when two readers try to upgrade to writers; BEGIN IMMEDIATE and the busy
// timeout make them queue. Every increment must land.
func TestConcurrentWriters(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		w := db.Client.Warehouse.Create().SetCode("W").SetName("W").SaveX(ctx)
		const workers, rounds = 16, 10
		var wg sync.WaitGroup
		errs := make(chan error, workers*rounds)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range rounds {
					tx, err := db.Client.Tx(ctx)
					if err != nil {
						errs <- err
						return
					}
					q := tx.Warehouse.Query().Where(warehouse.ID(w.ID))
					if db.Dialect == dialect.Postgres {
						// SQLite has no row locks: BEGIN IMMEDIATE already
						// holds the database's write lock.
						q.ForUpdate()
					}
					cur, err := q.Only(ctx)
					if err == nil {
						err = tx.Warehouse.UpdateOne(cur).SetPriority(cur.Priority + 1).Exec(ctx)
					}
					if err != nil {
						_ = tx.Rollback()
						errs <- err
						return
					}
					if err := tx.Commit(); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent writer failed: %v", err)
		}
		if got := db.Client.Warehouse.GetX(ctx, w.ID).Priority; got != workers*rounds {
			t.Fatalf("priority = %d after %d increments: lost updates", got, workers*rounds)
		}
	})
}

func TestCountStatements(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx, n := database.CountStatements(access.System(context.Background()))
		db.Client.Warehouse.Create().SetCode("C").SetName("C").SaveX(ctx)
		db.Client.Warehouse.Query().AllX(ctx)
		tx, err := db.Client.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tx.Warehouse.Query().CountX(ctx)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if got := n.Load(); got != 3 {
			t.Fatalf("counted %d statements, want 3 (insert, select, count in a transaction)", got)
		}
	})
}

func TestPostgresSessionsRunWithoutJIT(t *testing.T) {
	db := dbtest.Open(t, "postgres")
	var jit string
	if err := db.SQL.QueryRowContext(t.Context(), "SHOW jit").Scan(&jit); err != nil {
		t.Fatal(err)
	}
	if jit != "off" {
		t.Fatalf("jit is %q in the server's sessions, want off", jit)
	}
}

// TestPreparedStatements: outside transactions a statement with arguments
// is prepared once and reused (the same answers, counted as before), but
// not one marked sqlhint.PlanPerCall; the cache is bounded, and a
// statement past the bound still runs.
func TestPreparedStatements(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(t.Context())
		for i := range 3 {
			db.Client.Warehouse.Create().SetName(fmt.Sprintf("W%d", i)).SetCode(fmt.Sprintf("W%d", i)).ExecX(ctx)
		}
		for range 3 {
			if n := db.Client.Warehouse.Query().Where(warehouse.NameIn("W0", "W2")).CountX(ctx); n != 2 {
				t.Fatalf("counted %d warehouses, want 2", n)
			}
		}
		got := database.PreparedStatements(db)
		if got == 0 {
			t.Fatal("no statement was prepared")
		}
		// A statement marked as planned per call runs unprepared on
		// PostgreSQL; SQLite plans when it prepares, whatever the values.
		per := sqlhint.PlanPerCall(ctx)
		for range 3 {
			if n := db.Client.Warehouse.Query().Where(warehouse.NameIn("W0", "W1", "W2")).CountX(per); n != 3 {
				t.Fatalf("planned per call: counted %d warehouses, want 3", n)
			}
		}
		now := database.PreparedStatements(db)
		if db.Dialect == "postgres" && now != got {
			t.Fatalf("a statement planned per call was prepared: %d prepared, was %d", now, got)
		}
		if db.Dialect == "sqlite3" && now != got+1 {
			t.Fatalf("SQLite: a statement marked planned per call was not prepared: %d prepared, was %d", now, got)
		}
		// Past the bound, statements still run (unprepared).
		for i := range database.MaxPreparedStatements + 10 {
			names := make([]string, i%600+1)
			for j := range names {
				names[j] = fmt.Sprintf("W%d", j)
			}
			if n := db.Client.Warehouse.Query().Where(warehouse.NameIn(names...)).CountX(ctx); n != min(len(names), 3) {
				t.Fatalf("%d names: counted %d", len(names), n)
			}
		}
		if got := database.PreparedStatements(db); got > database.MaxPreparedStatements {
			t.Fatalf("%d prepared statements kept, bound %d", got, database.MaxPreparedStatements)
		}
	})
}

// TestMigrateBackfillsStoredAvailability: a database from before the
// stored availability (the columns dropped again, the stock levels kept)
// gets the columns filled from its stock when it migrates, and a
// migration of an up-to-date database leaves them alone.
func TestMigrateBackfillsStoredAvailability(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		c := db.Client
		w1 := c.Warehouse.Create().SetCode("A").SetName("A").SaveX(ctx)
		w2 := c.Warehouse.Create().SetCode("B").SetName("B").SaveX(ctx)
		// stocked: 3 + 0 (one warehouse over-reserved counts 0, not -1);
		// sold out: nothing anywhere; none: no stock levels at all.
		stocked := c.Product.Create().SetTitle("Stocked").SetSlug("stocked").SaveX(ctx)
		soldOut := c.Product.Create().SetTitle("Sold out").SetSlug("sold-out").SaveX(ctx)
		v1 := c.ProductVariant.Create().SetProduct(stocked).SetSku("S1").SetPrice(1).SaveX(ctx)
		v2 := c.ProductVariant.Create().SetProduct(stocked).SetSku("S2").SetPrice(1).SaveX(ctx)
		v3 := c.ProductVariant.Create().SetProduct(soldOut).SetSku("O1").SetPrice(1).SaveX(ctx)
		c.StockLevel.Create().SetVariant(v1).SetWarehouse(w1).SetOnHand(3).ExecX(ctx)
		c.StockLevel.Create().SetVariant(v1).SetWarehouse(w2).SetOnHand(0).ExecX(ctx)
		c.StockLevel.Create().SetVariant(v3).SetWarehouse(w1).SetOnHand(0).ExecX(ctx)
		// Over-reserved stock cannot come from the API; written raw here.
		if _, err := db.SQL.ExecContext(ctx, "UPDATE stock_levels SET on_hand = 1, reserved = 2 WHERE variant_id = "+strconv.Itoa(v3.ID)); err != nil {
			t.Fatal(err)
		}

		// Back to the schema before: no columns, no indexes on them, and
		// no triggers (those of the category counts read in_stock).
		if err := catalog.DropCounts(ctx, c, db.Dialect); err != nil {
			t.Fatal(err)
		}
		drop := []string{
			"DROP INDEX product_status_in_stock_category_id_min_price_id_max_price",
			"DROP INDEX product_status_in_stock_min_price_id_max_price_category_id",
			"ALTER TABLE products DROP COLUMN in_stock",
			"ALTER TABLE product_variants DROP COLUMN available",
		}
		for _, stmt := range drop {
			if _, err := db.SQL.ExecContext(ctx, stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		want := map[int]int{v1.ID: 3, v2.ID: 0, v3.ID: 0}
		for id, n := range want {
			if got := c.ProductVariant.GetX(ctx, id).Available; got != n {
				t.Errorf("variant %d: available %d after the backfill, want %d", id, got, n)
			}
		}
		if !c.Product.GetX(ctx, stocked.ID).InStock || c.Product.GetX(ctx, soldOut.ID).InStock {
			t.Errorf("in_stock after the backfill: stocked %v, sold out %v", c.Product.GetX(ctx, stocked.ID).InStock, c.Product.GetX(ctx, soldOut.ID).InStock)
		}

		// Up to date: migrating again does not recompute (it would put
		// this wrong value right, which only the backfill does).
		if _, err := db.SQL.ExecContext(ctx, "UPDATE product_variants SET available = 99 WHERE id = "+strconv.Itoa(v2.ID)); err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if got := c.ProductVariant.GetX(ctx, v2.ID).Available; got != 99 {
			t.Errorf("a migration of an up-to-date database rewrote available: %d", got)
		}
	})
}

// TestMigrateBackfillsCategoryPaths: a database from before the
// materialised category paths gets them from the parent chains when it
// migrates.
func TestMigrateBackfillsCategoryPaths(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		c := db.Client
		top := c.Category.Create().SetName("Top").SetSlug("top").SaveX(ctx)
		mid := c.Category.Create().SetName("Mid").SetSlug("mid").SetParent(top).SaveX(ctx)
		low := c.Category.Create().SetName("Low").SetSlug("low").SetParent(mid).SaveX(ctx)
		if _, err := db.SQL.ExecContext(ctx, "ALTER TABLE categories DROP COLUMN path"); err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		want := map[int]string{
			top.ID: fmt.Sprintf("/%d/", top.ID),
			mid.ID: fmt.Sprintf("/%d/%d/", top.ID, mid.ID),
			low.ID: fmt.Sprintf("/%d/%d/%d/", top.ID, mid.ID, low.ID),
		}
		for id, path := range want {
			if got := c.Category.GetX(ctx, id).Path; got != path {
				t.Errorf("category %d: path %q after the migration, want %q", id, got, path)
			}
		}
	})
}

// TestMigrateInstallsCategoryCounts: a database from before the stored
// category counts (no triggers, the new columns at their default 0) gets
// the triggers and the counts when it migrates, and the triggers keep them
// from then on.
func TestMigrateInstallsCategoryCounts(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		c := db.Client
		top := c.Category.Create().SetName("Top").SetSlug("top").SaveX(ctx)
		for i, status := range []product.Status{product.StatusACTIVE, product.StatusACTIVE, product.StatusDRAFT} {
			c.Product.Create().SetTitle(fmt.Sprint("P", i)).SetSlug(fmt.Sprint("p", i)).SetStatus(status).SetCategory(top).ExecX(ctx)
		}
		if err := catalog.DropCounts(ctx, c, db.Dialect); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL.ExecContext(ctx, "UPDATE categories SET active_products = 0, in_stock_products = 0"); err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if got := c.Category.GetX(ctx, top.ID).ActiveProducts; got != 2 {
			t.Errorf("after the migration: %d active products, want 2", got)
		}
		c.Product.Create().SetTitle("P3").SetSlug("p3").SetStatus(product.StatusACTIVE).SetCategory(top).ExecX(ctx)
		if got := c.Category.GetX(ctx, top.ID).ActiveProducts; got != 3 {
			t.Errorf("after a product was added: %d active products, want 3", got)
		}
	})
}

// TestMigrateDropsRetiredIndexes: an index an earlier schema had and a
// newer index replaced is dropped by the migration.
func TestMigrateDropsRetiredIndexes(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		const old = "product_status_in_stock_min_price_id"
		if _, err := db.SQL.ExecContext(ctx, "CREATE INDEX "+old+" ON products (status, in_stock, min_price, id)"); err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		q := "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = $1"
		if db.Dialect == "postgres" {
			q = "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1"
		}
		var n int
		if err := db.SQL.QueryRowContext(ctx, q, old).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s: %d left after the migration (%v)", old, n, err)
		}
	})
}

// TestMigrateReplacesOldCountTriggers: a database whose category counts
// are kept by an earlier version of the triggers gets the current ones,
// and the old ones are gone, so that no write is counted twice.
func TestMigrateReplacesOldCountTriggers(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		c := db.Client
		if err := catalog.DropCounts(ctx, c, db.Dialect); err != nil {
			t.Fatal(err)
		}
		// An old trigger that counts products a second time.
		const old = "products_category_counts_v1"
		stmts := []string{`CREATE TRIGGER ` + old + `_insert AFTER INSERT ON products
BEGIN UPDATE categories SET active_products = active_products + 1 WHERE id = NEW.category_id; END`}
		triggers := "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'products' ORDER BY name"
		if db.Dialect == "postgres" {
			stmts = []string{
				`CREATE FUNCTION ` + old + `() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN UPDATE categories SET active_products = active_products + 1 WHERE id = NEW.category_id; RETURN NULL; END $$`,
				`CREATE TRIGGER ` + old + `_insert_delete AFTER INSERT OR DELETE ON products FOR EACH ROW EXECUTE FUNCTION ` + old + `()`,
			}
			triggers = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'products'::regclass AND NOT tgisinternal ORDER BY tgname"
		}
		for _, s := range stmts {
			if _, err := db.SQL.ExecContext(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		rows, err := db.SQL.QueryContext(ctx, triggers)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			names = append(names, n)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		for _, n := range names {
			if strings.HasPrefix(n, old) {
				t.Errorf("old trigger %s is still there (triggers: %v)", n, names)
			}
		}
		if len(names) == 0 {
			t.Fatal("no trigger keeps the category counts after the migration")
		}
		top := c.Category.Create().SetName("Top").SetSlug("top").SaveX(ctx)
		c.Product.Create().SetTitle("P").SetSlug("p").SetStatus(product.StatusACTIVE).SetCategory(top).ExecX(ctx)
		if got := c.Category.GetX(ctx, top.ID).ActiveProducts; got != 1 {
			t.Errorf("after a product was added: %d active products, want 1 (triggers %v)", got, names)
		}
	})
}
