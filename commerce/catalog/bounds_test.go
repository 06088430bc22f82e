package catalog_test

import (
	"fmt"
	"testing"

	"storefront/commerce"
	"storefront/commerce/access"
	"storefront/commerce/catalog"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent"
)

func ptr[T any](v T) *T { return &v }

// TestListBounds: the API's cost model counts on a product having at most
// MaxVariants variants and a category at most MaxChildren children; the
// catalogue refuses one more.
func TestListBounds(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(t.Context())
		c := db.Client
		svc := catalog.New(c, "USD")
		p := c.Product.Create().SetTitle("Many").SetSlug("many").SaveX(ctx)
		vs := make([]*ent.ProductVariantCreate, catalog.MaxVariants)
		for i := range vs {
			vs[i] = c.ProductVariant.Create().SetProduct(p).SetSku(fmt.Sprintf("V-%d", i)).SetPrice(100)
		}
		c.ProductVariant.CreateBulk(vs...).ExecX(ctx)
		_, err := svc.CreateVariant(ctx, p.ID, catalog.VariantInput{SKU: ptr("ONE-MORE"), Price: ptr("1.00")})
		if commerce.ErrorCode(err) != commerce.Invalid {
			t.Fatalf("variant number %d: want Invalid, got %v", catalog.MaxVariants+1, err)
		}

		parent := c.Category.Create().SetName("Parent").SetSlug("parent").SaveX(ctx)
		other := c.Category.Create().SetName("Other").SetSlug("other").SaveX(ctx)
		cs := make([]*ent.CategoryCreate, catalog.MaxChildren)
		for i := range cs {
			cs[i] = c.Category.Create().SetName(fmt.Sprintf("C%d", i)).SetSlug(fmt.Sprintf("c-%d", i)).SetParent(parent)
		}
		children := c.Category.CreateBulk(cs...).SaveX(ctx)
		if _, err := svc.CreateCategory(ctx, catalog.CategoryInput{Name: ptr("One more"), ParentID: &parent.ID}); commerce.ErrorCode(err) != commerce.Invalid {
			t.Fatalf("a new child number %d: want Invalid, got %v", catalog.MaxChildren+1, err)
		}
		if _, err := svc.UpdateCategory(ctx, other.ID, catalog.CategoryInput{ParentID: &parent.ID}); commerce.ErrorCode(err) != commerce.Invalid {
			t.Fatalf("moving a category below a full parent: want Invalid, got %v", err)
		}
		// A child already there may be saved again with the same parent.
		if _, err := svc.UpdateCategory(ctx, children[0].ID, catalog.CategoryInput{ParentID: &parent.ID, Name: ptr("Renamed")}); err != nil {
			t.Fatalf("updating a child of a full parent: %v", err)
		}
		if n := c.Category.Query().CountX(ctx); n != catalog.MaxChildren+2 {
			t.Fatalf("%d categories, want %d", n, catalog.MaxChildren+2)
		}
	})
}
