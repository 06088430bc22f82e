// Package demo fills an empty storefront with a deterministic demo
// catalogue: a category tree, products with AliExpress-style titles, their
// variants and prices, three warehouses and stock in each of them.
//
// The same Options always produce the same rows, inserted in the same order,
// and therefore the same IDs on a fresh database. Everything is written in
// one transaction with multi-row inserts, so a hundred thousand products take
// a minute or two even on SQLite.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"storefront/commerce/access"
	"storefront/commerce/inventory"
	"storefront/commerce/money"
	"time"

	"storefront/ent"
	"storefront/ent/category"
	"storefront/ent/warehouse"
)

// DefaultProducts is the number of products seeded when Options.Products is 0.
const DefaultProducts = 2000

// Rows per INSERT statement. They keep every statement at or below 25,000
// bind parameters (SQLite allows 32,766, PostgreSQL 65,535) while making few
// round trips: a batch of 500 products averages 1,500 variants and 4,500
// stock levels, one statement each.
const (
	productsPerBatch = 500  // 11 columns: 5,500 parameters
	variantBatch     = 2000 // 10 columns: 20,000 parameters
	stockBatch       = 5000 // 5 columns: 25,000 parameters
)

// ErrNotEmpty is returned by Seed when the catalogue already has products.
var ErrNotEmpty = errors.New("demo: the catalogue is not empty (products exist)")

// Options tune Seed.
type Options struct {
	// Products is the number of products to create; DefaultProducts when 0.
	Products int
	// Seed seeds the random generator; 1 when 0.
	Seed uint64
	// Log, when set, receives progress messages.
	Log *slog.Logger
	// Currency is the currency of the catalogue's prices (the shop's);
	// money.DefaultCurrency when empty.
	Currency string
}

// Stats counts the rows Seed created.
type Stats struct {
	Categories, Products, Variants, Warehouses, StockLevels int
}

// LogValue lets Stats be logged as a group of counts.
func (s Stats) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Int("categories", s.Categories),
		slog.Int("products", s.Products),
		slog.Int("variants", s.Variants),
		slog.Int("warehouses", s.Warehouses),
		slog.Int("stock_levels", s.StockLevels),
	)
}

// Seed fills an empty catalogue with demo data, in one transaction. It
// returns an error wrapping ErrNotEmpty, and writes nothing, if any product
// already exists. Warehouses that already exist with a demo warehouse's code
// are reused; a category whose slug clashes with a demo category is an error.
//
// client may be a transactional client (tx.Client()); the caller then owns
// the commit.
func Seed(ctx context.Context, client *ent.Client, opts Options) (Stats, error) {
	ctx = access.System(ctx) // seeding is the system\'s own bookkeeping
	// The seeder writes the stored availability itself (insertBatch): the
	// stock hooks would recompute it row by row.
	ctx = inventory.Bulk(ctx)
	if opts.Products < 0 {
		return Stats{}, fmt.Errorf("demo: Products must not be negative, got %d", opts.Products)
	}
	if opts.Products == 0 {
		opts.Products = DefaultProducts
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Currency == "" {
		opts.Currency = money.DefaultCurrency
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	tx, err := client.Tx(ctx)
	switch {
	case errors.Is(err, ent.ErrTxStarted):
		return seed(ctx, client, opts, log)
	case err != nil:
		return Stats{}, fmt.Errorf("demo: begin transaction: %w", err)
	}
	stats, err := seed(ctx, tx.Client(), opts, log)
	if err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			err = fmt.Errorf("%w (rollback: %v)", err, rerr)
		}
		return Stats{}, err
	}
	if err := tx.Commit(); err != nil {
		return Stats{}, fmt.Errorf("demo: commit: %w", err)
	}
	return stats, nil
}

// SeedIfEmpty calls Seed when there are no products, and reports whether it
// did.
func SeedIfEmpty(ctx context.Context, client *ent.Client, opts Options) (bool, Stats, error) {
	ctx = access.System(ctx)
	exists, err := client.Product.Query().Exist(ctx)
	if err != nil {
		return false, Stats{}, fmt.Errorf("demo: count products: %w", err)
	}
	if exists {
		return false, Stats{}, nil
	}
	stats, err := Seed(ctx, client, opts)
	switch {
	case errors.Is(err, ErrNotEmpty):
		// Another process seeded or added products in the meantime.
		return false, Stats{}, nil
	case err != nil:
		return false, Stats{}, err
	}
	return true, stats, nil
}

// seed does Seed's work with client, which is inside a transaction.
func seed(ctx context.Context, client *ent.Client, opts Options, log *slog.Logger) (Stats, error) {
	var stats Stats
	start := time.Now()

	// Checked inside the transaction, which on SQLite holds the write lock
	// already (BEGIN IMMEDIATE).
	exists, err := client.Product.Query().Exist(ctx)
	if err != nil {
		return stats, fmt.Errorf("demo: count products: %w", err)
	}
	if exists {
		return stats, ErrNotEmpty
	}

	cats, err := flatten(tree)
	if err != nil {
		return stats, err
	}
	catIDs, err := insertCategories(ctx, client, cats)
	if err != nil {
		return stats, err
	}
	stats.Categories = len(catIDs)

	whIDs, created, err := ensureWarehouses(ctx, client)
	if err != nil {
		return stats, err
	}
	stats.Warehouses = created

	log.Info("demo: seeding catalogue", "products", opts.Products, "seed", opts.Seed,
		"categories", stats.Categories, "warehouses", len(whIDs))

	gen := newGenerator(opts.Seed, opts.Products, cats)
	batch := make([]genProduct, 0, productsPerBatch)
	for i := range opts.Products {
		batch = append(batch, gen.product(i))
		if len(batch) < productsPerBatch && i < opts.Products-1 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return stats, err
		}
		if err := insertBatch(ctx, client, batch, catIDs, whIDs, opts.Currency, &stats); err != nil {
			return stats, err
		}
		batch = batch[:0]
		if done := i + 1; done%10000 == 0 && done < opts.Products {
			log.Info("demo: seeding progress", "products", done, "of", opts.Products,
				"elapsed", time.Since(start).Round(time.Millisecond))
		}
	}
	log.Info("demo: catalogue seeded", "stats", stats,
		"elapsed", time.Since(start).Round(time.Millisecond))
	return stats, nil
}

// insertCategories inserts cats one tree level at a time and returns their
// IDs, index for index.
func insertCategories(ctx context.Context, client *ent.Client, cats []flatCategory) ([]int, error) {
	slugs := make([]string, len(cats))
	for i, c := range cats {
		slugs[i] = c.slug
	}
	taken, err := client.Category.Query().
		Where(category.SlugIn(slugs...)).
		Order(ent.Asc(category.FieldSlug)).
		Select(category.FieldSlug).
		Strings(ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: look up categories: %w", err)
	}
	if len(taken) > 0 {
		return nil, fmt.Errorf("demo: category slug %q is already in use; seed an empty catalogue", taken[0])
	}

	ids := make([]int, len(cats))
	for start := 0; start < len(cats); {
		// flatten lists the categories breadth first: one level is a run
		// of equal depth.
		end := start
		for end < len(cats) && cats[end].depth == cats[start].depth {
			end++
		}
		builders := make([]*ent.CategoryCreate, 0, end-start)
		for _, c := range cats[start:end] {
			b := client.Category.Create().
				SetName(c.name).
				SetSlug(c.slug).
				SetDescription(c.description).
				SetPosition(c.position)
			if c.parent >= 0 {
				b.SetParentID(ids[c.parent])
			}
			builders = append(builders, b)
		}
		created, err := client.Category.CreateBulk(builders...).Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("demo: insert categories: %w", err)
		}
		if err := checkIDs(len(builders), created, func(c *ent.Category) int { return c.ID }); err != nil {
			return nil, err
		}
		for k, c := range created {
			ids[start+k] = c.ID
		}
		start = end
	}
	return ids, nil
}

// ensureWarehouses returns the IDs of the demo warehouses, in priority
// order, creating those that do not exist yet; created counts the new ones.
func ensureWarehouses(ctx context.Context, client *ent.Client) (ids []int, created int, err error) {
	codes := make([]string, len(warehouses))
	for i, w := range warehouses {
		codes[i] = w.code
	}
	existing, err := client.Warehouse.Query().Where(warehouse.CodeIn(codes...)).All(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("demo: look up warehouses: %w", err)
	}
	byCode := make(map[string]int, len(existing))
	for _, w := range existing {
		byCode[w.Code] = w.ID
	}
	var builders []*ent.WarehouseCreate
	var missing []int
	for i, w := range warehouses {
		if _, ok := byCode[w.code]; ok {
			continue
		}
		builders = append(builders, client.Warehouse.Create().
			SetCode(w.code).
			SetName(w.name).
			SetPriority(i))
		missing = append(missing, i)
	}
	if len(builders) > 0 {
		made, err := client.Warehouse.CreateBulk(builders...).Save(ctx)
		if err != nil {
			return nil, 0, fmt.Errorf("demo: insert warehouses: %w", err)
		}
		if err := checkIDs(len(builders), made, func(w *ent.Warehouse) int { return w.ID }); err != nil {
			return nil, 0, err
		}
		for k, w := range made {
			byCode[warehouses[missing[k]].code] = w.ID
		}
	}
	ids = make([]int, len(warehouses))
	for i, w := range warehouses {
		ids[i] = byCode[w.code]
	}
	return ids, len(builders), nil
}

// insertBatch inserts products, then their variants, then the variants'
// stock levels, linking each to the IDs of the rows just inserted. The
// variants' stored availability and the products' in-stock flags are
// written with them, by inventory's rule (reserved is 0 here).
func insertBatch(ctx context.Context, client *ent.Client, products []genProduct, catIDs, whIDs []int, currency string, stats *Stats) error {
	available := func(v genVariant) int {
		n := 0
		for w := range whIDs {
			n += max(v.onHand[w], 0)
		}
		return n
	}
	pb := make([]*ent.ProductCreate, len(products))
	for i, p := range products {
		inStock := false
		for _, v := range p.variants {
			inStock = inStock || available(v) > 0
		}
		pb[i] = client.Product.Create().
			SetInStock(inStock).
			SetTitle(p.title).
			SetSlug(p.slug).
			SetDescription(p.description).
			SetImages(p.images).
			SetStatus(p.status).
			SetCategoryID(catIDs[p.category]).
			SetMinPrice(p.minPrice).
			SetMaxPrice(p.maxPrice).
			SetCurrencyCode(currency).
			SetCreatedAt(p.createdAt).
			SetUpdatedAt(p.createdAt)
	}
	created, err := client.Product.CreateBulk(pb...).Save(ctx)
	if err != nil {
		return fmt.Errorf("demo: insert products: %w", err)
	}
	if err := checkIDs(len(pb), created, func(p *ent.Product) int { return p.ID }); err != nil {
		return err
	}
	stats.Products += len(created)

	// Variants, flattened in product order.
	type ref struct{ p, v int }
	var refs []ref
	for i, p := range products {
		for j := range p.variants {
			refs = append(refs, ref{i, j})
		}
	}
	variantIDs := make([]int, 0, len(refs))
	for start := 0; start < len(refs); start += variantBatch {
		chunk := refs[start:min(start+variantBatch, len(refs))]
		vb := make([]*ent.ProductVariantCreate, len(chunk))
		for k, r := range chunk {
			p := products[r.p]
			v := p.variants[r.v]
			vb[k] = client.ProductVariant.Create().
				SetProductID(created[r.p].ID).
				SetSku(v.sku).
				SetTitle(v.title).
				SetOptions(v.options).
				SetPrice(v.price).
				SetNillableCompareAtPrice(v.compareAtPrice).
				SetCurrencyCode(currency).
				SetPosition(r.v).
				SetAvailable(available(v)).
				SetCreatedAt(p.createdAt).
				SetUpdatedAt(p.createdAt)
		}
		made, err := client.ProductVariant.CreateBulk(vb...).Save(ctx)
		if err != nil {
			return fmt.Errorf("demo: insert variants: %w", err)
		}
		if err := checkIDs(len(vb), made, func(v *ent.ProductVariant) int { return v.ID }); err != nil {
			return err
		}
		for _, v := range made {
			variantIDs = append(variantIDs, v.ID)
		}
	}
	stats.Variants += len(variantIDs)

	// Stock levels: every variant in every warehouse.
	sb := make([]*ent.StockLevelCreate, 0, stockBatch)
	flush := func() error {
		if len(sb) == 0 {
			return nil
		}
		if err := client.StockLevel.CreateBulk(sb...).Exec(ctx); err != nil {
			return fmt.Errorf("demo: insert stock levels: %w", err)
		}
		stats.StockLevels += len(sb)
		sb = sb[:0]
		return nil
	}
	for k, r := range refs {
		p := products[r.p]
		v := p.variants[r.v]
		for w, whID := range whIDs {
			sb = append(sb, client.StockLevel.Create().
				SetVariantID(variantIDs[k]).
				SetWarehouseID(whID).
				SetOnHand(v.onHand[w]).
				SetReserved(0).
				SetUpdatedAt(p.createdAt))
			if len(sb) == stockBatch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// checkIDs makes sure a bulk insert returned one row per builder with
// strictly increasing IDs. Rows are inserted in VALUES order and take
// increasing IDs, so this confirms that the i-th returned row is the i-th
// row given, which the seeder relies on to link children to parents.
func checkIDs[T any](want int, got []T, id func(T) int) error {
	if len(got) != want {
		return fmt.Errorf("demo: bulk insert returned %d rows, want %d", len(got), want)
	}
	for i := 1; i < len(got); i++ {
		if id(got[i]) <= id(got[i-1]) {
			return fmt.Errorf("demo: bulk insert returned IDs out of order (%d after %d)", id(got[i]), id(got[i-1]))
		}
	}
	return nil
}
