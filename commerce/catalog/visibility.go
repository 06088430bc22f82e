package catalog

import (
	"context"
	"fmt"

	"storefront/ent"
	"storefront/ent/product"
	"storefront/ent/productvariant"
)

// Visible reports whether a shopper may see n: products only while ACTIVE,
// variants only while their product is. Other catalogue objects are public.
//
// It asks the database rather than reading n's fields: field collection may
// have loaded only the columns the client selected.
func Visible(ctx context.Context, client *ent.Client, n ent.Noder) (bool, error) {
	var (
		ok  bool
		err error
	)
	switch n := n.(type) {
	case *ent.Product:
		ok, err = client.Product.Query().
			Where(product.ID(n.ID), product.StatusEQ(product.StatusACTIVE)).
			Exist(ctx)
	case *ent.ProductVariant:
		ok, err = client.ProductVariant.Query().
			Where(productvariant.ID(n.ID), productvariant.HasProductWith(product.StatusEQ(product.StatusACTIVE))).
			Exist(ctx)
	default:
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("catalog: visible: %w", err)
	}
	return ok, nil
}
