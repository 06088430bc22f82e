package paging

import (
	"bytes"
	"testing"
	"time"

	"storefront/commerce"
	"storefront/ent"
)

// roundTrip encodes a cursor as a client sees it and decodes it back.
func roundTrip(t *testing.T, c ent.Cursor) *ent.Cursor {
	t.Helper()
	var b bytes.Buffer
	c.MarshalGQL(&b)
	var out ent.Cursor
	if err := out.UnmarshalGQL(string(bytes.Trim(b.Bytes(), `"`))); err != nil {
		t.Fatal(err)
	}
	return &out
}

func TestSealAndBind(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	lists := []struct {
		list  List
		value any
	}{
		{List{"products", "ID", NoValue}, nil},
		{List{"products", "TITLE", StringValue}, "Kettle"},
		{List{"products", "TITLE", StringValue}, ""}, // ent would leave a zero value out
		{List{"products", "PRICE", IntValue}, int64(1250)},
		{List{"products", "PRICE", IntValue}, int64(0)},
		{List{"products", "CREATED_AT", TimeValue}, now},
		{List{"search", "PRICE", IntValue}, int64(1250)},
		{List{"category:7", "ID", NoValue}, nil},
		{List{"categories", "ID", NoValue}, nil},
		{List{"orders", "CREATED_AT", TimeValue}, now},
	}
	for i, from := range lists {
		edges := []*ent.ProductEdge{{Cursor: ent.Cursor{ID: 5, Value: from.value}}}
		info := ent.PageInfo{StartCursor: &edges[0].Cursor, EndCursor: &edges[0].Cursor}
		Seal(from.list, edges, func(e *ent.ProductEdge) *ent.Cursor { return &e.Cursor }, &info)
		c := roundTrip(t, *info.EndCursor)
		for j, to := range lists {
			got, err := Page{After: c}.Bind(to.list)
			if to.list == from.list {
				if err != nil {
					t.Fatalf("%v with value %#v: own cursor refused: %v", from.list, from.value, err)
				}
				if got.After.ID != 5 || !equal(got.After.Value, from.value) {
					t.Fatalf("%v: bound cursor = %#v, want ID 5 value %#v", from.list, got.After, from.value)
				}
				continue
			}
			if commerce.ErrorCode(err) != commerce.Invalid {
				t.Errorf("cursor %d of %v accepted by %d %v", i, from.list, j, to.list)
			}
		}
	}
	// Unsealed (ent's own or older) cursors, forged values, bad IDs.
	for name, c := range map[string]ent.Cursor{
		"unsealed ID":      {ID: 5},
		"unsealed price":   {ID: 5, Value: int64(3)},
		"wrong value type": {ID: 5, Value: []any{"products/PRICE", "cheap"}},
		"short":            {ID: 5, Value: []any{"products/PRICE"}},
		"zero ID":          {ID: 0, Value: []any{"products/PRICE", int64(3)}},
		"tag not a string": {ID: 5, Value: []any{int64(1), int64(3)}},
	} {
		if _, err := (Page{Before: roundTrip(t, c)}).Bind(List{"products", "PRICE", IntValue}); commerce.ErrorCode(err) != commerce.Invalid {
			t.Errorf("%s: accepted", name)
		} else if e := err.(*commerce.Error); len(e.Field) != 1 || e.Field[0] != "before" {
			t.Errorf("%s: field %v, want [before]", name, e.Field)
		}
	}
	// Sealing twice (start and end cursor on one edge) tags once.
	edges := []*ent.ProductEdge{{Cursor: ent.Cursor{ID: 1}}}
	info := ent.PageInfo{StartCursor: &edges[0].Cursor, EndCursor: &edges[0].Cursor}
	l := List{"products", "ID", NoValue}
	Seal(l, edges, func(e *ent.ProductEdge) *ent.Cursor { return &e.Cursor }, &info)
	if _, err := (Page{After: roundTrip(t, *info.EndCursor)}).Bind(l); err != nil {
		t.Fatalf("a cursor that is both start and end: %v", err)
	}
}

func equal(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	return a == b
}
