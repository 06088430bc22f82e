package catalog

import (
	"slices"
	"strings"
	"testing"

	"storefront/commerce"
	"storefront/ent/schematype"
)

func fieldOf(t *testing.T, err error) []string {
	t.Helper()
	e, ok := err.(*commerce.Error)
	if !ok || e.Code != commerce.Invalid {
		t.Fatalf("want an Invalid error, got %v", err)
	}
	return e.Field
}

func TestCheckSlug(t *testing.T) {
	field := []string{"input", "slug"}
	for _, tc := range []struct {
		slug string
		max  int
		ok   bool
	}{
		{"steel-rake", 255, true},
		{strings.Repeat("a", 200), MaxCategorySlug, true},
		{strings.Repeat("a", 201), MaxCategorySlug, false},
		{strings.Repeat("a", 255), MaxProductSlug, true},
		{strings.Repeat("a", 256), MaxProductSlug, false},
		{"", 255, false},
		{"Steel-Rake", 255, false},
		{"steel--rake", 255, false},
		{"-rake", 255, false},
		{"żółw", 255, false},
	} {
		_, err := checkSlug(tc.slug, tc.max, field)
		if tc.ok && err != nil {
			t.Errorf("checkSlug(%.20q, %d): %v", tc.slug, tc.max, err)
		}
		if !tc.ok {
			if f := fieldOf(t, err); !slices.Equal(f, field) {
				t.Errorf("checkSlug(%.20q): field %v", tc.slug, f)
			}
			if len(err.Error()) > 200 {
				t.Errorf("checkSlug(%.20q): a message of %d bytes", tc.slug, len(err.Error()))
			}
		}
	}
}

func TestCheckImages(t *testing.T) {
	img := func(w, h int, alt string) schematype.Image {
		return schematype.Image{URL: "https://img.example/a.jpg", AltText: alt, Width: w, Height: h}
	}
	for _, tc := range []struct {
		name  string
		img   schematype.Image
		field string // "" when valid
	}{
		{"sizes unknown", img(0, 0, "a"), ""},
		{"at the bounds", img(MaxImageSize, 1, strings.Repeat("ą", 500)), ""},
		{"too wide", img(MaxImageSize+1, 1, "a"), "width"},
		{"negative height", img(1, -1, "a"), "height"},
		{"alt text", img(1, 1, strings.Repeat("a", 501)), "altText"},
		{"relative URL", schematype.Image{URL: "/a.jpg"}, "url"},
	} {
		_, err := checkImages([]schematype.Image{tc.img})
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if f := fieldOf(t, err); !slices.Equal(f, []string{"input", "images", "0", tc.field}) {
			t.Errorf("%s: field %v", tc.name, f)
		}
	}
}

func TestCheckPositionAndPrice(t *testing.T) {
	for p, ok := range map[int]bool{0: true, MaxPosition: true, -1: false, MaxPosition + 1: false, 1 << 40: false} {
		if err := checkPosition(p); (err == nil) != ok {
			t.Errorf("checkPosition(%d) = %v", p, err)
		}
	}
	s := &Service{Currency: "USD"}
	for raw, ok := range map[string]bool{"0": true, "10000000000.00": true, "10000000000.01": false, "92233720368547758.07": false, "1e3": false} {
		_, err := s.parsePrice(raw, "price")
		if (err == nil) != ok {
			t.Errorf("parsePrice(%q) = %v", raw, err)
		}
		if err != nil {
			if f := fieldOf(t, err); !slices.Equal(f, []string{"input", "price"}) {
				t.Errorf("parsePrice(%q): field %v", raw, f)
			}
		}
	}
	jpy := &Service{Currency: "JPY"}
	if _, err := jpy.parsePrice("1000000000000", "price"); err != nil {
		t.Errorf("JPY at the bound: %v", err)
	}
	if _, err := jpy.parsePrice("1000000000001", "price"); err == nil {
		t.Error("JPY past the bound accepted")
	}
}
