package catalog_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"storefront/commerce/access"
	"storefront/commerce/catalog"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent"
	"storefront/ent/category"
	"storefront/ent/product"
	"storefront/relay/paging"
)

// checkPaths fails the test unless every category's stored path is the
// one its parent chain gives.
func checkPaths(t *testing.T, ctx context.Context, client *ent.Client) {
	t.Helper()
	cats := client.Category.Query().AllX(ctx)
	parent := map[int]*int{}
	for _, c := range cats {
		parent[c.ID] = c.ParentID
	}
	for _, c := range cats {
		want := "/"
		var chain []int
		for id := &c.ID; id != nil; id = parent[*id] {
			chain = append(chain, *id)
		}
		slices.Reverse(chain)
		for _, id := range chain {
			want += fmt.Sprint(id) + "/"
		}
		if c.Path != want {
			t.Errorf("category %d (%s): path %q, want %q", c.ID, c.Name, c.Path, want)
		}
	}
}

// createCategory creates a category through the service, below parent
// unless it is 0, and returns its ID.
func createCategory(t *testing.T, ctx context.Context, svc *catalog.Service, name string, parent int) int {
	t.Helper()
	in := catalog.CategoryInput{Name: &name}
	if parent != 0 {
		in.ParentID = &parent
	}
	c, err := svc.CreateCategory(ctx, in)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return c.ID
}

func TestCategoryPathsFollowTheTree(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		svc := catalog.New(db.Client, "EUR")
		mk := func(name string, parent int) int { return createCategory(t, ctx, svc, name, parent) }
		move := func(id, parent int) {
			t.Helper()
			if _, err := svc.UpdateCategory(ctx, id, catalog.CategoryInput{ParentID: &parent}); err != nil {
				t.Fatalf("move %d below %d: %v", id, parent, err)
			}
		}
		// shop: a > b > c > d, and e at the top.
		a := mk("A", 0)
		b := mk("B", a)
		c := mk("C", b)
		d := mk("D", c)
		e := mk("E", 0)
		checkPaths(t, ctx, db.Client)

		move(b, e) // the subtree b > c > d moves below e
		checkPaths(t, ctx, db.Client)
		move(d, 0) // to the top
		checkPaths(t, ctx, db.Client)
		move(e, d) // a subtree below a former descendant
		checkPaths(t, ctx, db.Client)
		if _, err := svc.UpdateCategory(ctx, d, catalog.CategoryInput{ParentID: &c}); err == nil {
			t.Fatal("moving d below its own descendant c was accepted")
		}
		checkPaths(t, ctx, db.Client)
		name := "C renamed"
		if _, err := svc.UpdateCategory(ctx, c, catalog.CategoryInput{Name: &name}); err != nil {
			t.Fatal(err)
		}
		checkPaths(t, ctx, db.Client)

		// Products of a subtree follow the moves: d > e > b > c now.
		for _, cat := range []int{a, b, c, d, e} {
			db.Client.Product.Create().SetTitle(fmt.Sprint("in ", cat)).SetSlug(fmt.Sprint("p-", cat)).
				SetCurrencyCode("EUR").SetStatus(product.StatusACTIVE).SetCategoryID(cat).ExecX(ctx)
		}
		inTree := func(root int) []int {
			t.Helper()
			conn, err := svc.Products(ctx, paging.Page{}, catalog.ProductFilter{CategoryID: &root}, catalog.SortByID, false)
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, e := range conn.Edges {
				got = append(got, *e.Node.CategoryID)
			}
			slices.Sort(got)
			return got
		}
		for _, tc := range []struct {
			root int
			want []int
		}{{d, []int{b, c, d, e}}, {e, []int{b, c, e}}, {b, []int{b, c}}, {a, []int{a}}} {
			if got := inTree(tc.root); !slices.Equal(got, tc.want) {
				t.Errorf("products below %d: categories %v, want %v", tc.root, got, tc.want)
			}
		}

		// Deleting a category moves its children to the top.
		db.Client.Product.Update().Where(product.CategoryID(e)).ClearCategoryID().ExecX(ctx)
		db.Client.Category.DeleteOneID(e).ExecX(ctx)
		checkPaths(t, ctx, db.Client)
		if got := inTree(d); !slices.Equal(got, []int{d}) {
			t.Errorf("products below %d after deleting %d: categories %v", d, e, got)
		}

		// Writes outside the service: a batch whose second category is
		// below the first, and a bulk move.
		top := db.Client.Category.Create().SetName("F").SetSlug("f").SaveX(ctx)
		db.Client.Category.CreateBulk(
			db.Client.Category.Create().SetName("G").SetSlug("g").SetParentID(top.ID),
			db.Client.Category.Create().SetName("H").SetSlug("h"),
		).ExecX(ctx)
		checkPaths(t, ctx, db.Client)
		db.Client.Category.Update().Where(category.ParentIDIsNil(), category.IDNEQ(top.ID)).SetParentID(top.ID).ExecX(ctx)
		checkPaths(t, ctx, db.Client)

		// The backfill repairs paths written without the hook.
		if _, err := db.Client.ExecContext(ctx, "UPDATE categories SET path = ''"); err != nil {
			t.Fatal(err)
		}
		if err := catalog.RefreshPaths(ctx, db.Client); err != nil {
			t.Fatal(err)
		}
		checkPaths(t, ctx, db.Client)
	})
}

// TestCategoryPathsUnderConcurrentMoves: staff moving and creating
// categories at the same time leave every path equal to its parent chain
// (on PostgreSQL a move and a create below the moved subtree would
// otherwise each compute paths from rows the other has not committed).
func TestCategoryPathsUnderConcurrentMoves(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		svc := catalog.New(db.Client, "EUR")
		var ids []int
		for i := range 8 {
			name := fmt.Sprint("seed ", i)
			in := catalog.CategoryInput{Name: &name}
			if i > 0 {
				in.ParentID = &ids[i/2]
			}
			c, err := svc.CreateCategory(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		const workers, ops = 4, 15
		errs := make(chan error, workers)
		for w := range workers {
			go func() {
				for i := range ops {
					a, b := ids[(w*7+i*3)%len(ids)], ids[(w*5+i*11+1)%len(ids)]
					var err error
					if i%3 == 0 {
						name := fmt.Sprintf("new %d %d", w, i)
						_, err = svc.CreateCategory(ctx, catalog.CategoryInput{Name: &name, ParentID: &b})
					} else {
						_, err = svc.UpdateCategory(ctx, a, catalog.CategoryInput{ParentID: &b})
					}
					if err != nil && !strings.Contains(err.Error(), "below itself") {
						errs <- fmt.Errorf("worker %d op %d: %w", w, i, err)
						return
					}
				}
				errs <- nil
			}()
		}
		for range workers {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		checkPaths(t, ctx, db.Client)
	})
}
