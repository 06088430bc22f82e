package graph

import (
	"fmt"

	"storefront/commerce"
	"storefront/commerce/cart"
	"storefront/commerce/catalog"
	"storefront/commerce/identity"
	"storefront/ent"
	"storefront/graph/model"
	"storefront/relay/gid"
	"storefront/relay/paging"
)

// GraphQL inputs to domain inputs: IDs checked against their type,
// filters, sort keys, paging arguments, cart lines and addresses.

// page gathers Relay pagination arguments.
func page(first *int, after *ent.Cursor, last *int, before *ent.Cursor) paging.Page {
	return paging.Page{First: first, After: after, Last: last, Before: before}
}

// idOf checks that an ID argument names a node of type typ and returns the
// row id; field is the argument path for the error.
func idOf(id *gid.ID, typ string, field ...string) (*int, error) {
	if id == nil {
		return nil, nil
	}
	if id.Type != typ {
		return nil, commerce.InvalidField(field, "%s is not a %s ID", id.String(), typ)
	}
	return &id.ID, nil
}

func productFilter(f *model.ProductFilter) (catalog.ProductFilter, error) {
	var out catalog.ProductFilter
	if f == nil {
		return out, nil
	}
	cat, err := idOf(f.CategoryID, gid.TypeCategory, "filter", "categoryId")
	if err != nil {
		return out, err
	}
	out.CategoryID = cat
	out.Query = f.Query
	if f.Price != nil {
		out.MinPrice, out.MaxPrice = f.Price.Min, f.Price.Max
	}
	out.InStock = f.InStock != nil && *f.InStock
	return out, nil
}

func toSortKey(k *model.ProductSortKeys) catalog.SortKey {
	if k == nil {
		return catalog.SortByID
	}
	return catalog.SortKey(*k)
}

func categoryFilter(f *model.CategoryFilter) (catalog.CategoryFilter, error) {
	var out catalog.CategoryFilter
	if f == nil {
		return out, nil
	}
	parent, err := idOf(f.ParentID, gid.TypeCategory, "filter", "parentId")
	if err != nil {
		return out, err
	}
	out.ParentID = parent
	out.TopLevel = f.TopLevel != nil && *f.TopLevel
	return out, nil
}

// oneOf checks that exactly one of an id and a slug argument is given.
func oneOf(id *gid.ID, slug *string) error {
	if (id == nil) == (slug == nil) {
		return commerce.Errorf(commerce.Invalid, "give exactly one of id and slug")
	}
	return nil
}

func boolValue(b *bool) bool { return b != nil && *b }

// idsOf checks a list of ID arguments of one type.
func idsOf(ids []*gid.ID, typ, field string) ([]int, error) {
	out := make([]int, 0, len(ids))
	for i, id := range ids {
		n, err := idOf(id, typ, field, fmt.Sprint(i))
		if err != nil {
			return nil, err
		}
		if n != nil {
			out = append(out, *n)
		}
	}
	return out, nil
}

func addressInput(in model.MailingAddressInput) identity.AddressInput {
	return identity.AddressInput{
		FirstName: deref(in.FirstName), LastName: deref(in.LastName),
		Address1: in.Address1, Address2: deref(in.Address2),
		City: in.City, Province: deref(in.Province), Zip: deref(in.Zip),
		CountryCode: in.CountryCode, Phone: deref(in.Phone),
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// values turns an optional list of pointers into an optional list of values.
func values[T any](in []*T) *[]T {
	if in == nil {
		return nil
	}
	out := make([]T, 0, len(in))
	for _, v := range in {
		if v != nil {
			out = append(out, *v)
		}
	}
	return &out
}

func lineInputs(lines []*model.CartLineInput, field ...string) ([]cart.LineInput, error) {
	out := make([]cart.LineInput, 0, len(lines))
	for i, l := range lines {
		at := append(append([]string{}, field...), fmt.Sprint(i), "variantId")
		vid, err := idOf(&l.VariantID, gid.TypeProductVariant, at...)
		if err != nil {
			return nil, err
		}
		out = append(out, cart.LineInput{VariantID: *vid, Quantity: l.Quantity})
	}
	return out, nil
}
