package catalog

import (
	"context"
	"fmt"

	entgo "entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"storefront/commerce/access"
	"storefront/ent"
	"storefront/ent/category"
	"storefront/ent/predicate"
)

// Each category stores how many ACTIVE products it holds directly
// (active_products) and how many of those are in stock
// (in_stock_products). A category page's totalCount is then the sum over
// the subtree's categories (a few rows) instead of a count over every
// matching product (about 24,000 index entries for a top category of a
// 100,000-product catalogue: 5-10 ms of PostgreSQL per page).
//
// Triggers on products keep the two columns, in the transaction of every
// product write, whoever makes it: staff edits, the stock function's
// in-stock flags (commerce/inventory), imports, raw SQL, the foreign key
// that clears category_id when a category is deleted. InstallCounts
// creates them and fills the columns once; RecountCategories is the
// repair.
//
// Locks: a trigger updates the category rows of the products a statement
// writes, after those products. On PostgreSQL the stock function, which
// flips in-stock flags of several products in one transaction, locks
// their categories in ID order first (inventory's refreshProducts), so
// that two checkouts cannot take two categories in opposite orders.

// countsTrigger names the installed triggers. InstallCounts installs them
// when the one of this name is missing, so a change of their SQL takes a
// new name, and the names of the old triggers go to retiredTriggers, so
// that DropCounts removes them.
//
// v2 also raises listing_version (a category's version, read by the
// count memo, memo.go) with every change of the counts, and on every
// write of an ACTIVE product's price range: variant writes set the range
// of their product (admin.go refreshPriceRange), so a variant's new price
// raises it too, even when the range stays the same.
const countsTrigger = "products_category_counts_v2"

// retiredTriggers are the names of earlier versions of the triggers.
var retiredTriggers = []string{"products_category_counts_v1"}

// sqliteCounts are the SQLite triggers. in_stock is stored as 0 or 1, and a
// comparison is 0 or 1.
var sqliteCounts = []string{
	`CREATE TRIGGER ` + countsTrigger + `_insert AFTER INSERT ON products
WHEN NEW.category_id IS NOT NULL AND NEW.status = 'ACTIVE'
BEGIN
	UPDATE categories SET active_products = active_products + 1, in_stock_products = in_stock_products + (NEW.in_stock <> 0),
		listing_version = listing_version + 1
	WHERE id = NEW.category_id;
END`,
	`CREATE TRIGGER ` + countsTrigger + `_delete AFTER DELETE ON products
WHEN OLD.category_id IS NOT NULL AND OLD.status = 'ACTIVE'
BEGIN
	UPDATE categories SET active_products = active_products - 1, in_stock_products = in_stock_products - (OLD.in_stock <> 0),
		listing_version = listing_version + 1
	WHERE id = OLD.category_id;
END`,
	`CREATE TRIGGER ` + countsTrigger + `_update AFTER UPDATE OF status, in_stock, category_id ON products
WHEN OLD.status IS NOT NEW.status OR OLD.in_stock IS NOT NEW.in_stock OR OLD.category_id IS NOT NEW.category_id
BEGIN
	UPDATE categories SET active_products = active_products - (OLD.status = 'ACTIVE'),
		in_stock_products = in_stock_products - (OLD.status = 'ACTIVE' AND OLD.in_stock <> 0),
		listing_version = listing_version + 1
	WHERE id = OLD.category_id;
	UPDATE categories SET active_products = active_products + (NEW.status = 'ACTIVE'),
		in_stock_products = in_stock_products + (NEW.status = 'ACTIVE' AND NEW.in_stock <> 0),
		listing_version = listing_version + 1
	WHERE id = NEW.category_id;
END`,
	`CREATE TRIGGER ` + countsTrigger + `_price AFTER UPDATE OF min_price, max_price ON products
WHEN NEW.category_id IS NOT NULL AND NEW.status = 'ACTIVE'
BEGIN
	UPDATE categories SET listing_version = listing_version + 1 WHERE id = NEW.category_id;
END`,
}

// postgresCounts is the PostgreSQL functions and their triggers. A product
// moved between two categories updates them in ID order.
var postgresCounts = []string{
	`CREATE OR REPLACE FUNCTION ` + countsTrigger + `() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	old_cat bigint;
	new_cat bigint;
	old_active int := 0;
	old_stock int := 0;
	new_active int := 0;
	new_stock int := 0;
BEGIN
	IF TG_OP <> 'INSERT' AND OLD.status = 'ACTIVE' THEN
		old_cat := OLD.category_id;
		old_active := 1;
		old_stock := CASE WHEN OLD.in_stock THEN 1 ELSE 0 END;
	END IF;
	IF TG_OP <> 'DELETE' AND NEW.status = 'ACTIVE' THEN
		new_cat := NEW.category_id;
		new_active := 1;
		new_stock := CASE WHEN NEW.in_stock THEN 1 ELSE 0 END;
	END IF;
	IF old_cat IS NOT DISTINCT FROM new_cat THEN
		IF old_cat IS NOT NULL AND (old_active <> new_active OR old_stock <> new_stock) THEN
			UPDATE categories SET active_products = active_products - old_active + new_active,
				in_stock_products = in_stock_products - old_stock + new_stock,
				listing_version = listing_version + 1
			WHERE id = old_cat;
		END IF;
		RETURN NULL;
	END IF;
	IF old_cat IS NOT NULL AND (new_cat IS NULL OR old_cat < new_cat) THEN
		UPDATE categories SET active_products = active_products - old_active, in_stock_products = in_stock_products - old_stock,
			listing_version = listing_version + 1
		WHERE id = old_cat;
		old_cat := NULL;
	END IF;
	IF new_cat IS NOT NULL THEN
		UPDATE categories SET active_products = active_products + new_active, in_stock_products = in_stock_products + new_stock,
			listing_version = listing_version + 1
		WHERE id = new_cat;
	END IF;
	IF old_cat IS NOT NULL THEN
		UPDATE categories SET active_products = active_products - old_active, in_stock_products = in_stock_products - old_stock,
			listing_version = listing_version + 1
		WHERE id = old_cat;
	END IF;
	RETURN NULL;
END
$$`,
	`CREATE OR REPLACE FUNCTION ` + countsTrigger + `_price() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE categories SET listing_version = listing_version + 1 WHERE id = NEW.category_id;
	RETURN NULL;
END
$$`,
	`CREATE TRIGGER ` + countsTrigger + `_insert_delete AFTER INSERT OR DELETE ON products
FOR EACH ROW EXECUTE FUNCTION ` + countsTrigger + `()`,
	`CREATE TRIGGER ` + countsTrigger + `_update AFTER UPDATE OF status, in_stock, category_id ON products
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.in_stock IS DISTINCT FROM NEW.in_stock
	OR OLD.category_id IS DISTINCT FROM NEW.category_id)
EXECUTE FUNCTION ` + countsTrigger + `()`,
	`CREATE TRIGGER ` + countsTrigger + `_price AFTER UPDATE OF min_price, max_price ON products
FOR EACH ROW WHEN (NEW.status = 'ACTIVE' AND NEW.category_id IS NOT NULL)
EXECUTE FUNCTION ` + countsTrigger + `_price()`,
}

// DropCounts removes the triggers that keep the category counts, of this
// version and of the earlier ones, if they are there. database.Migrate
// drops them on SQLite before it alters the schema: SQLite alters a table
// by rebuilding it under another name, and the rename fails while a
// trigger names the table. InstallCounts puts them back.
func DropCounts(ctx context.Context, client *ent.Client, d string) error {
	if d != dialect.SQLite && d != dialect.Postgres {
		return fmt.Errorf("catalog: category counts: unsupported dialect %q", d)
	}
	var stmts []string
	for _, name := range append([]string{countsTrigger}, retiredTriggers...) {
		stmts = append(stmts, dropTriggers(d, name)...)
	}
	for _, s := range stmts {
		if _, err := client.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("catalog: category counts: drop: %w", err)
		}
	}
	return nil
}

// dropTriggers are the statements that drop the triggers named name.
func dropTriggers(d, name string) []string {
	var stmts []string
	switch d {
	case dialect.SQLite:
		for _, suffix := range []string{"_insert", "_delete", "_update", "_price"} {
			stmts = append(stmts, "DROP TRIGGER IF EXISTS "+name+suffix)
		}
	case dialect.Postgres:
		for _, suffix := range []string{"_insert_delete", "_update", "_price"} {
			stmts = append(stmts, "DROP TRIGGER IF EXISTS "+name+suffix+" ON products")
		}
		stmts = append(stmts, "DROP FUNCTION IF EXISTS "+name+"_price()", "DROP FUNCTION IF EXISTS "+name+"()")
	}
	return stmts
}

// InstallCounts creates the triggers that keep the category counts, when
// they are not there yet, and fills the counts, in one transaction (on
// PostgreSQL, creating a trigger holds product writes until the counts are
// filled, so none is missed). client must be of dialect d and run raw
// queries (database.Migrate passes its migration client).
func InstallCounts(ctx context.Context, client *ent.Client, d string) error {
	var probe string
	var stmts []string
	switch d {
	case dialect.SQLite:
		probe = `SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = '` + countsTrigger + `_update'`
		stmts = sqliteCounts
	case dialect.Postgres:
		probe = `SELECT count(*) FROM pg_trigger WHERE tgrelid = 'products'::regclass AND tgname = '` + countsTrigger + `_update'`
		stmts = postgresCounts
	default:
		return fmt.Errorf("catalog: category counts: unsupported dialect %q", d)
	}
	n, err := scanInt(ctx, client, probe)
	if err != nil {
		return fmt.Errorf("catalog: category counts: %w", err)
	}
	if n > 0 {
		return nil
	}
	tx, err := client.Tx(ctx)
	if err != nil {
		return err
	}
	// Servers that start together install once: the first holds the lock
	// (PostgreSQL's advisory lock; SQLite's write lock, which its
	// transactions take at BEGIN) until it commits, and the others then
	// find the triggers.
	if d == dialect.Postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock("+installLock+")"); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("catalog: category counts: lock: %w", err)
		}
	}
	if n, err := scanInt(ctx, tx.Client(), probe); err != nil || n > 0 {
		_ = tx.Rollback()
		return err
	}
	// The triggers of earlier versions go in the same transaction.
	var retire []string
	for _, name := range retiredTriggers {
		retire = append(retire, dropTriggers(d, name)...)
	}
	for _, s := range append(retire, stmts...) {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("catalog: category counts: install: %w", err)
		}
	}
	if err := RecountCategories(ctx, tx.Client()); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// installLock is the key of the PostgreSQL advisory lock InstallCounts
// holds while it installs (advisory keys are per database; nothing else in
// this server takes this one).
const installLock = "726173"

// RecountCategories sets every category's counts from its products,
// writing only the rows that differ: the fill when the triggers are
// installed, and a repair.
func RecountCategories(ctx context.Context, client *ent.Client) error {
	const stmt = `UPDATE categories SET
	active_products = (SELECT count(*) FROM products p WHERE p.category_id = categories.id AND p.status = 'ACTIVE'),
	in_stock_products = (SELECT count(*) FROM products p WHERE p.category_id = categories.id AND p.status = 'ACTIVE' AND p.in_stock = true)
WHERE active_products <> (SELECT count(*) FROM products p WHERE p.category_id = categories.id AND p.status = 'ACTIVE')
	OR in_stock_products <> (SELECT count(*) FROM products p WHERE p.category_id = categories.id AND p.status = 'ACTIVE' AND p.in_stock = true)`
	if _, err := client.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("catalog: recount categories: %w", err)
	}
	return nil
}

func scanInt(ctx context.Context, client *ent.Client, query string) (int, error) {
	rows, err := client.QueryContext(ctx, query)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
	}
	return n, rows.Err()
}

// SubtreeCount is the number of ACTIVE products (in stock ones only, when
// inStock) of root's category subtree, from the stored counts: one
// statement over the categories. A category that does not exist counts 0.
func SubtreeCount(ctx context.Context, client *ent.Client, root int, inStock bool) (int, error) {
	col := category.FieldActiveProducts
	if inStock {
		col = category.FieldInStockProducts
	}
	n, err := client.Category.Query().Where(inSubtree(root)).
		Modify(func(s *sql.Selector) {
			s.Select("COALESCE(SUM(" + s.C(col) + "), 0)")
		}).Int(access.System(ctx))
	if err != nil {
		return 0, fmt.Errorf("catalog: subtree count: %w", err)
	}
	return n, nil
}

// inSubtree holds for root and its descendants: the categories whose path
// starts with root's.
func inSubtree(root int) predicate.Category {
	return func(s *sql.Selector) {
		s.Where(sql.P(func(b *sql.Builder) {
			b.WriteString(s.C(category.FieldPath)).WriteString(" LIKE (SELECT root.path FROM categories root WHERE root.id = ").
				Arg(root).WriteString(") || '%'")
		}))
	}
}

// ProductLists returns the interceptor of product queries that carries out
// what Service.Products marked in the context of a list:
//   - a Count whose predicates are exactly those the stored category counts
//     hold (withStoredCount: ACTIVE, a subtree, the stock flag) is answered
//     from them;
//   - a Count of a category page with a price range goes through the count
//     memo (withMemoCount, memo.go);
//   - the page of a list with a price range finds its rows' IDs first
//     (lateRows).
//
// Every other operation and query passes through. database.Open installs
// it on every client.
func ProductLists() ent.Interceptor {
	return ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			pq, ok := q.(*ent.ProductQuery)
			if !ok {
				return next.Query(ctx, q)
			}
			switch op := queryOp(ctx); op {
			case entgo.OpQueryCount:
				if sc, ok := ctx.Value(storedCountKey{}).(storedCount); ok {
					return SubtreeCount(ctx, sc.client, sc.root, sc.inStock)
				}
				if mc, ok := ctx.Value(memoCountKey{}).(memoCount); ok {
					return mc.count(ctx, next, q)
				}
			case entgo.OpQueryAll:
				if late, _ := ctx.Value(lateRowsKey{}).(bool); late {
					pq.Modify(lateRows)
				}
			}
			return next.Query(ctx, q)
		})
	})
}

// queryOp is the operation of the ent query running with ctx ("" when
// there is none).
func queryOp(ctx context.Context) string {
	if qc := entgo.QueryFromContext(ctx); qc != nil {
		return qc.Op
	}
	return ""
}

type storedCountKey struct{}

type storedCount struct {
	client  *ent.Client
	root    int
	inStock bool
}

// withStoredCount marks ctx for ProductLists: the product query run with it
// counts root's subtree (in stock only, when inStock) and nothing else.
func withStoredCount(ctx context.Context, client *ent.Client, root int, inStock bool) context.Context {
	return context.WithValue(ctx, storedCountKey{}, storedCount{client, root, inStock})
}
