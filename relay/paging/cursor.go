package paging

import (
	"time"

	"storefront/commerce"
	"storefront/ent"
)

// Cursors are bound to the list and the order that issued them. ent's
// cursor (ent/gql_pagination.go) is the msgpack of {ID, Value}, Value being
// the sort column of the row; alone it cannot tell lists apart: every list
// in ID order has no Value, and Value is left out when it is the zero value
// (a price of 0, an empty title), so such a cursor also passed for one of
// ID order. Seal therefore replaces Value with [tag, Value], the tag naming
// the list and its sort key, and Bind refuses a cursor whose tag is not the
// one of the list it is used on, then restores Value for ent.

// List names a paginated list in one order: the tag its cursors carry,
// and the type of their sort value.
type List struct {
	// Name tells lists apart, such as "products" or "categories".
	Name string
	// Sort is the sort key, such as "ID" or "PRICE".
	Sort string
	// Value is the kind of the sort column's values.
	Value Kind
}

// Kind is the type of a cursor's sort value.
type Kind int

// The kinds of sort values.
const (
	NoValue Kind = iota // ordered by ID alone
	StringValue
	IntValue
	TimeValue
)

func (l List) tag() string { return l.Name + "/" + l.Sort }

// errCursor refuses a cursor of another list or order, or a forged one.
func errCursor(arg string) error {
	return commerce.InvalidField([]string{arg}, "the %s cursor does not belong to this list or sort order; start again without it", arg)
}

// Bind checks that the page's cursors were issued by Seal for l and returns
// the page with the cursors ent expects. A cursor of another list, of
// another sort key, of the time before cursors were bound, or with a
// sort value of the wrong type, is a commerce.Invalid error naming after
// or before.
func (p Page) Bind(l List) (Page, error) {
	for _, c := range []struct {
		arg string
		c   **ent.Cursor
	}{{"after", &p.After}, {"before", &p.Before}} {
		if *c.c == nil {
			continue
		}
		cur := **c.c
		sealed, ok := cur.Value.([]any)
		if !ok || len(sealed) != 2 || cur.ID <= 0 {
			return p, errCursor(c.arg)
		}
		if tag, _ := sealed[0].(string); tag != l.tag() || !l.Value.holds(sealed[1]) {
			return p, errCursor(c.arg)
		}
		cur.Value = sealed[1]
		*c.c = &cur
	}
	return p, nil
}

func (k Kind) holds(v any) bool {
	switch k {
	case NoValue:
		return v == nil
	case StringValue:
		_, ok := v.(string)
		return ok
	case IntValue:
		switch v.(type) {
		case int, int8, int16, int32, int64, uint8, uint16, uint32:
			return true
		case uint64:
			return v.(uint64) <= 1<<63-1
		}
	case TimeValue:
		_, ok := v.(time.Time)
		return ok
	}
	return false
}

// Seal tags the cursors of a page of results with l (see Bind). cursor
// returns the cursor of an edge; pageInfo's start and end cursors are
// tagged too (ent points them at the edges' cursors: nothing is tagged
// twice).
func Seal[E any](l List, edges []E, cursor func(E) *ent.Cursor, pageInfo *ent.PageInfo) {
	tag := l.tag()
	var boxed any = tag // one string and one interface for the page, not per edge
	// The sealed values of the whole page share one backing array (two
	// slots per cursor; a cursor's slice is capped, so nothing appends
	// into its neighbour's).
	slots := make([]any, 0, 2*(len(edges)+2))
	seal := func(c *ent.Cursor) {
		if c == nil {
			return
		}
		if v, ok := c.Value.([]any); ok && len(v) == 2 {
			if t, _ := v[0].(string); t == tag {
				return // already sealed
			}
		}
		n := len(slots)
		slots = append(slots, boxed, c.Value)
		c.Value = slots[n : n+2 : n+2]
	}
	for _, e := range edges {
		seal(cursor(e))
	}
	if pageInfo != nil {
		seal(pageInfo.StartCursor)
		seal(pageInfo.EndCursor)
	}
}
