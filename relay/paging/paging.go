// Package paging validates Relay connection arguments once, for every
// connection of the API.
package paging

import (
	"storefront/commerce"
	"storefront/ent"
)

// MaxPageSize is the largest first or last a client may ask for.
const MaxPageSize = 100

// DefaultPageSize is used when neither first nor last is given.
const DefaultPageSize = 20

// Page holds the Relay pagination arguments of a connection field.
type Page struct {
	First  *int
	After  *ent.Cursor
	Last   *int
	Before *ent.Cursor
}

// Normalize checks the arguments and fills in the default page size. It
// returns a commerce.Invalid error naming the argument at fault when first or
// last is outside 0..MaxPageSize, or when both are given.
func (p Page) Normalize() (Page, error) {
	if p.First != nil && p.Last != nil {
		return p, commerce.InvalidField([]string{"last"}, "pass either first or last, not both")
	}
	for _, a := range []struct {
		name string
		v    *int
	}{{"first", p.First}, {"last", p.Last}} {
		if a.v != nil && (*a.v < 0 || *a.v > MaxPageSize) {
			return p, commerce.InvalidField([]string{a.name}, "%s must be between 0 and %d, got %d", a.name, MaxPageSize, *a.v)
		}
	}
	if p.First == nil && p.Last == nil {
		n := DefaultPageSize
		if p.Before != nil {
			p.Last = &n
		} else {
			p.First = &n
		}
	}
	return p, nil
}
