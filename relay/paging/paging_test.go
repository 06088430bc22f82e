package paging

import (
	"testing"

	"storefront/commerce"
	"storefront/ent"
)

func ptr(n int) *int { return &n }

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		name    string
		page    Page
		invalid bool
		first   *int
		last    *int
	}{
		{name: "default first", page: Page{}, first: ptr(DefaultPageSize)},
		{name: "default last when paging backwards", page: Page{Before: &ent.Cursor{ID: 3}}, last: ptr(DefaultPageSize)},
		{name: "zero is allowed", page: Page{First: ptr(0)}, first: ptr(0)},
		{name: "max", page: Page{Last: ptr(100)}, last: ptr(100)},
		{name: "101", page: Page{First: ptr(101)}, invalid: true},
		{name: "negative first", page: Page{First: ptr(-1)}, invalid: true},
		{name: "negative last", page: Page{Last: ptr(-1)}, invalid: true},
		{name: "both", page: Page{First: ptr(1), Last: ptr(1)}, invalid: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.page.Normalize()
			if tc.invalid {
				if commerce.ErrorCode(err) != commerce.Invalid {
					t.Fatalf("want an Invalid error, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !same(got.First, tc.first) || !same(got.Last, tc.last) {
				t.Fatalf("got first=%v last=%v", deref(got.First), deref(got.Last))
			}
		})
	}
}

func same(a, b *int) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}
