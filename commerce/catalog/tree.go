package catalog

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"storefront/commerce/access"
	"storefront/commerce/txn"
	"storefront/ent"
	"storefront/ent/category"
)

// The category tree is stored twice: each category's parent_id, and its
// materialised path, the IDs from the top of the tree down to it ("/1/7/29/").
// The path lets a product filter take a category's subtree with one plain
// subquery (inCategoryTree) instead of a recursive one per request. The hook
// of Hooks keeps the paths equal to the parent chains on every category
// write, whoever makes it (the staff writes of this package, the demo
// seeder, fixtures), in the write's transaction; RefreshPaths is the
// backfill.

// Hooks returns the ent hook that keeps the category paths: after a
// category is created, moved (parent_id set or cleared) or deleted, it
// recomputes the paths of the subtrees that changed, in the next statement
// of the same transaction. database.Open installs it on every client.
//
// Writes of the tree's shape take lockTree first, so that on PostgreSQL
// (READ COMMITTED) a move and a write below the moved subtree cannot each
// compute paths from the other's stale rows. Outside a transaction the
// write and its path update are two statements, and the lock holds for
// neither: the staff writes of this package always run in one.
func Hooks() ent.Hook { return pathHook }

func pathHook(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		cm, ok := m.(*ent.CategoryMutation)
		if !ok {
			return next.Mutate(ctx, m)
		}
		_, moved := cm.ParentID()
		if moved || cm.ParentIDCleared() || cm.Op().Is(ent.OpCreate|ent.OpDelete|ent.OpDeleteOne) {
			if err := lockTree(ctx, cm.Client()); err != nil {
				return nil, err
			}
		}
		switch {
		case cm.Op().Is(ent.OpCreate):
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			c, ok := v.(*ent.Category)
			if !ok {
				return v, fmt.Errorf("catalog: category path: unexpected value %T", v)
			}
			// The new category's subtree: a category created in the same
			// batch below it is placed too.
			return v, refreshPaths(ctx, cm.Client(), []int{c.ID})
		case cm.Op().Is(ent.OpUpdate | ent.OpUpdateOne):
			if !moved && !cm.ParentIDCleared() {
				return next.Mutate(ctx, m)
			}
			ids, err := cm.IDs(access.System(ctx))
			if err != nil {
				return nil, err
			}
			v, err := next.Mutate(ctx, m)
			if err != nil || len(ids) == 0 {
				return v, err
			}
			return v, refreshPaths(ctx, cm.Client(), ids)
		case cm.Op().Is(ent.OpDelete | ent.OpDeleteOne):
			// The children of a deleted category move to the top (the
			// foreign key's ON DELETE SET NULL): recompute the whole tree,
			// writing only the rows whose path changed.
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			return v, refreshPaths(ctx, cm.Client(), nil)
		}
		return next.Mutate(ctx, m)
	})
}

// lockTree locks every category row until the transaction ends, in ID
// order (on PostgreSQL; SQLite's write transactions hold the database's
// write lock already): category writes that change the tree's shape run
// one at a time. They are rare staff writes. CreateCategory and
// UpdateCategory take it before any other lock (the parent's, in
// checkRoomBelow), so that two of them cannot wait for each other; taking
// it again in the same transaction waits for nothing.
func lockTree(ctx context.Context, client *ent.Client) error {
	q := client.Category.Query().Order(category.ByID())
	q.Modify(txn.LockRows)
	if _, err := q.IDs(access.System(ctx)); err != nil {
		return fmt.Errorf("catalog: lock the category tree: %w", err)
	}
	return nil
}

// RefreshPaths recomputes the path of every category from the parent
// chains, writing only the rows that differ: the backfill after a migration
// added the column, and a repair.
func RefreshPaths(ctx context.Context, client *ent.Client) error {
	return refreshPaths(ctx, client, nil)
}

// refreshPaths sets the paths of the subtrees under roots (all categories
// when roots is nil) from their parents' paths, in one statement. Each
// root's parent must have its right path already (the tree's invariant).
func refreshPaths(ctx context.Context, client *ent.Client, roots []int) error {
	anchor := "c." + category.FieldParentID + " IS NULL"
	if roots != nil {
		ids := make([]string, len(roots))
		for i, id := range roots {
			ids[i] = strconv.Itoa(id)
		}
		anchor = "c.id IN (" + strings.Join(ids, ", ") + ")"
	}
	// The recursion follows parent_id down from the anchors; the tree has
	// no cycles (applyCategory refuses a move below itself).
	stmt := `WITH RECURSIVE tree(id, path) AS (
	SELECT c.id, CAST(COALESCE(p.path, '/') || c.id || '/' AS TEXT)
	FROM categories c LEFT JOIN categories p ON p.id = c.parent_id
	WHERE ` + anchor + `
	UNION ALL
	SELECT c.id, CAST(tree.path || c.id || '/' AS TEXT)
	FROM categories c JOIN tree ON c.parent_id = tree.id
)
UPDATE categories SET path = (SELECT tree.path FROM tree WHERE tree.id = categories.id)
WHERE id IN (SELECT tree.id FROM tree WHERE tree.path <> categories.path)`
	if _, err := client.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("catalog: category paths: %w", err)
	}
	return nil
}
