package inventory

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect/sql"

	"storefront/commerce/access"
	"storefront/commerce/txn"
	"storefront/ent"
	"storefront/ent/category"
	"storefront/ent/predicate"
	"storefront/ent/product"
	"storefront/ent/productvariant"
	"storefront/ent/stocklevel"
)

// Availability is stored, not computed per query: each variant keeps
// `available`, the sum over warehouses of max(on_hand - reserved, 0), and
// each product `in_stock`, whether one of its variants has available > 0.
// Listings filter and count on an index of in_stock; availableForSale and
// quantityAvailable read the columns of rows already loaded.
//
// Who keeps them:
//   - apply, the one stock function, recomputes the variants it changed
//     and their products inside the same transaction (Take, Return,
//     SetOnHand);
//   - the hooks of Hooks, for stock written any other way (stock levels
//     created, changed or deleted directly through ent: fixtures, imports)
//     and for variants created or deleted;
//   - RefreshAll, run by database.Migrate when the columns are new (the
//     backfill of an existing database).
//
// Concurrency: apply holds the stock levels it moves (locked in (variant,
// warehouse) order) and moves a variant's stored availability by the
// change, as an increment: on PostgreSQL an UPDATE that waited for the
// variant's row lock applies it to the row as the other transaction left
// it, so concurrent movements of one variant add up. Products are locked
// after the variants, in ID order, and only when a variant went from none
// available to some or back, then their categories, in ID order (a changed
// flag moves its category's stored counts); their flags are then
// recomputed by a statement that starts after the locks, so it sees every
// sibling variant committed before, and a later mover of a sibling
// recomputes after this one commits. The lock order is stock levels,
// variants, products, categories, as in the catalogue's variant writes
// (variant, then product). SQLite serialises writers. Recomputations
// outside apply (the hooks) lock the variants before they sum their
// levels.

// availableSum is the SQL of a variant's available quantity, for the
// variant whose id column is variantID.
func availableSum(variantID func(*sql.Builder)) sql.Querier {
	return sql.ExprFunc(func(b *sql.Builder) {
		b.WriteString("(SELECT COALESCE(SUM(CASE WHEN sl.").Ident(stocklevel.FieldOnHand).
			WriteString(" > sl.").Ident(stocklevel.FieldReserved).
			WriteString(" THEN sl.").Ident(stocklevel.FieldOnHand).
			WriteString(" - sl.").Ident(stocklevel.FieldReserved).
			WriteString(" ELSE 0 END), 0) FROM ").Ident(stocklevel.Table).
			WriteString(" sl WHERE sl.").Ident(stocklevel.FieldVariantID).WriteString(" = ")
		variantID(b)
		b.WriteString(")")
	})
}

// anyAvailable is the SQL of a product's in-stock flag.
func anyAvailable(productID func(*sql.Builder)) sql.Querier {
	return sql.ExprFunc(func(b *sql.Builder) {
		b.WriteString("EXISTS (SELECT 1 FROM ").Ident(productvariant.Table).
			WriteString(" pv WHERE pv.").Ident(productvariant.FieldProductID).WriteString(" = ")
		productID(b)
		b.WriteString(" AND pv.").Ident(productvariant.FieldAvailable).WriteString(" > 0)")
	})
}

func column(table, col string) func(*sql.Builder) {
	return func(b *sql.Builder) { b.Ident(table).WriteString(".").Ident(col) }
}

// variantAvailable and productInStock build a fresh expression per use:
// an sql.ExprFunc keeps builder state and cannot be shared between
// statements.
func variantAvailable() sql.Querier {
	return availableSum(column(productvariant.Table, productvariant.FieldID))
}

func productInStock() sql.Querier {
	return anyAvailable(column(product.Table, product.FieldID))
}

// differs holds where col is not what expr computes.
func differs(col string, expr sql.Querier) func(*sql.Selector) {
	return func(s *sql.Selector) {
		s.Where(sql.P(func(b *sql.Builder) {
			b.WriteString(s.C(col)).WriteString(" <> ").Join(expr)
		}))
	}
}

// refresh recomputes the stored availability of variants and the in-stock
// flag of their products, inside the transaction of tx: for stock written
// outside apply. The variants are locked first (in ID order), so that the
// sums are read by a statement that starts after every earlier writer of
// those variants committed.
func refresh(ctx context.Context, tx *ent.Client, variantIDs []int) error {
	if len(variantIDs) == 0 {
		return nil
	}
	ctx = access.System(ctx) // bookkeeping of what the caller may change
	vq := tx.ProductVariant.Query().Where(productvariant.IDIn(variantIDs...)).Order(productvariant.ByID())
	vq.Modify(txn.LockRows)
	if _, err := vq.IDs(ctx); err != nil {
		return fmt.Errorf("inventory: lock variants: %w", err)
	}
	err := tx.ProductVariant.Update().Where(productvariant.IDIn(variantIDs...)).
		Modify(func(u *sql.UpdateBuilder) { u.Set(productvariant.FieldAvailable, variantAvailable()) }).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("inventory: store availability: %w", err)
	}
	return refreshProductsOf(ctx, tx, variantIDs)
}

// addAvailable adds change[v] to the stored availability of each variant v
// and increases its stock_version, in one statement.
func addAvailable(ctx context.Context, tx *ent.Client, change map[int]int) error {
	ids := keys(change)
	err := tx.ProductVariant.Update().Where(productvariant.IDIn(ids...)).
		AddStockVersion(1).
		Modify(func(u *sql.UpdateBuilder) {
			u.Set(productvariant.FieldAvailable, sql.ExprFunc(func(b *sql.Builder) {
				b.Ident(productvariant.FieldAvailable).WriteString(" + CASE ").Ident(productvariant.FieldID)
				for _, id := range ids {
					b.WriteString(" WHEN ").Arg(id).WriteString(" THEN ").Arg(change[id])
				}
				b.WriteString(" ELSE 0 END")
			}))
		}).
		Exec(access.System(ctx))
	if err != nil {
		return fmt.Errorf("inventory: store availability: %w", err)
	}
	return nil
}

// refreshProductsOf locks the products of variants (PostgreSQL, in ID
// order) and recomputes their in-stock flags in the next statement.
func refreshProductsOf(ctx context.Context, tx *ent.Client, variantIDs []int) error {
	ctx = access.System(ctx)
	pq := tx.Product.Query().Where(product.HasVariantsWith(productvariant.IDIn(variantIDs...))).Order(product.ByID())
	pq.Modify(txn.LockRows)
	productIDs, err := pq.IDs(ctx)
	if err != nil {
		return fmt.Errorf("inventory: lock products: %w", err)
	}
	if len(productIDs) == 0 {
		return nil
	}
	return refreshProducts(ctx, tx, product.IDIn(productIDs...))
}

// refreshProducts recomputes the in-stock flag of the products that match
// (whose rows the caller locked, on PostgreSQL), writing only the rows
// where it changes.
func refreshProducts(ctx context.Context, tx *ent.Client, products predicate.Product) error {
	// A flag that changes moves its category's stored counts (a trigger,
	// commerce/catalog/counts.go): lock those categories first, in ID
	// order, so that two transactions that flip products of the same
	// categories take them in one order. (On SQLite, which locks no rows,
	// this reads them only; it runs when a variant's availability crossed
	// zero, not on every movement.)
	lock := tx.Category.Query().Where(category.HasProductsWith(products)).Order(category.ByID())
	lock.Modify(txn.LockRows)
	if _, err := lock.IDs(access.System(ctx)); err != nil {
		return fmt.Errorf("inventory: lock categories: %w", err)
	}
	err := tx.Product.Update().
		Where(products, differs(product.FieldInStock, productInStock())).
		Modify(keepProductUpdatedAt, func(u *sql.UpdateBuilder) { u.Set(product.FieldInStock, productInStock()) }).
		Exec(access.System(ctx))
	if err != nil {
		return fmt.Errorf("inventory: store in-stock flags: %w", err)
	}
	return nil
}

// keepProductUpdatedAt leaves a product's updated_at alone: it tells when
// staff edited the product, not when its stock moved.
func keepProductUpdatedAt(u *sql.UpdateBuilder) {
	u.Set(product.FieldUpdatedAt, sql.ExprFunc(column(product.Table, product.FieldUpdatedAt)))
}

// RefreshAll recomputes the stored availability of every variant and the
// in-stock flag of every product, writing only the rows that differ: the
// backfill after a migration added the columns, and a repair.
func RefreshAll(ctx context.Context, client *ent.Client) error {
	ctx = access.System(ctx)
	err := client.ProductVariant.Update().
		Where(differs(productvariant.FieldAvailable, variantAvailable())).
		Modify(func(u *sql.UpdateBuilder) {
			u.Set(productvariant.FieldAvailable, variantAvailable())
			u.Set(productvariant.FieldUpdatedAt, sql.ExprFunc(column(productvariant.Table, productvariant.FieldUpdatedAt)))
		}).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("inventory: backfill availability: %w", err)
	}
	err = client.Product.Update().
		Where(differs(product.FieldInStock, productInStock())).
		Modify(keepProductUpdatedAt, func(u *sql.UpdateBuilder) { u.Set(product.FieldInStock, productInStock()) }).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("inventory: backfill in-stock flags: %w", err)
	}
	return nil
}

type bulkKey struct{}

// Bulk returns a context in which the hooks of Hooks leave the stored
// availability alone: for a bulk load (the demo seeder) that sets
// `available` and `in_stock` itself, or calls RefreshAll before it
// commits. Stock movements (apply) keep them whatever the context.
func Bulk(ctx context.Context) context.Context { return context.WithValue(ctx, bulkKey{}, true) }

func isBulk(ctx context.Context) bool { b, _ := ctx.Value(bulkKey{}).(bool); return b }

// Hooks are the ent hooks that keep the stored availability right when
// stock levels or variants are written outside apply. database.Open
// installs them on every client.
func Hooks() (stockLevels, variants ent.Hook) {
	return stockLevelHook, variantHook
}

// stockLevelHook recomputes the variants whose stock levels a mutation
// outside apply creates, changes or deletes. A level created empty (as
// SetOnHand creates one before it moves stock through apply) changes
// nothing and costs nothing.
func stockLevelHook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		sm, ok := m.(*ent.StockLevelMutation)
		if !ok || isBulk(ctx) || inApply(ctx) {
			return next.Mutate(ctx, m)
		}
		var variants []int
		if sm.Op().Is(ent.OpCreate) {
			onHand, _ := sm.OnHand()
			reserved, _ := sm.Reserved()
			if vid, ok := sm.VariantID(); ok && onHand > reserved {
				variants = []int{vid}
			}
		} else {
			ids, err := sm.IDs(access.System(ctx))
			if err != nil {
				return nil, err
			}
			if len(ids) > 0 {
				variants, err = sm.Client().StockLevel.Query().Where(stocklevel.IDIn(ids...)).
					Unique(true).Select(stocklevel.FieldVariantID).Ints(access.System(ctx))
				if err != nil {
					return nil, err
				}
			}
		}
		v, err := next.Mutate(ctx, m)
		if err != nil || len(variants) == 0 {
			return v, err
		}
		return v, refresh(ctx, sm.Client(), variants)
	})
}

// variantHook: a new variant has no stock levels, so nothing available
// (whatever the creator set); deleting variants recomputes their
// products' flags.
func variantHook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		vm, ok := m.(*ent.ProductVariantMutation)
		if !ok || isBulk(ctx) {
			return next.Mutate(ctx, m)
		}
		switch {
		case vm.Op().Is(ent.OpCreate):
			vm.SetAvailable(0)
			return next.Mutate(ctx, m)
		case vm.Op().Is(ent.OpDelete | ent.OpDeleteOne):
			sys := access.System(ctx)
			ids, err := vm.IDs(sys)
			if err != nil {
				return nil, err
			}
			var products []int
			if len(ids) > 0 {
				products, err = vm.Client().ProductVariant.Query().Where(productvariant.IDIn(ids...)).
					Unique(true).Select(productvariant.FieldProductID).Ints(sys)
				if err != nil {
					return nil, err
				}
			}
			v, err := next.Mutate(ctx, m)
			if err != nil || len(products) == 0 {
				return v, err
			}
			// After the variants (deleted, so locked): the products.
			lock := vm.Client().Product.Query().Where(product.IDIn(products...)).Order(product.ByID())
			lock.Modify(txn.LockRows)
			if _, err := lock.IDs(sys); err != nil {
				return nil, err
			}
			return v, refreshProducts(ctx, vm.Client(), product.IDIn(products...))
		}
		return next.Mutate(ctx, m)
	})
}

type applyKey struct{}

func inApply(ctx context.Context) bool { b, _ := ctx.Value(applyKey{}).(bool); return b }
