package money

import (
	"math"
	"testing"

	"storefront/commerce"
)

func TestAmount(t *testing.T) {
	for _, tc := range []struct {
		minor    int64
		currency string
		want     string
	}{
		{0, "USD", "0.00"},
		{5, "USD", "0.05"},
		{1250, "USD", "12.50"},
		{-5, "USD", "-0.05"},
		{-1250, "EUR", "-12.50"},
		{1200, "JPY", "1200"},
		{1234, "KWD", "1.234"},
		{7, "KWD", "0.007"},
		{math.MaxInt64, "USD", "92233720368547758.07"},
		{math.MinInt64, "USD", "-92233720368547758.08"},
	} {
		if got := New(tc.minor, tc.currency).Amount(); got != tc.want {
			t.Errorf("New(%d, %s).Amount() = %q, want %q", tc.minor, tc.currency, got, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in       string
		currency string
		want     int64
	}{
		{"12.50", "USD", 1250},
		{"12.5", "USD", 1250},
		{"12", "USD", 1200},
		{".5", "USD", 50},
		{"0", "USD", 0},
		{" 3.99 ", "USD", 399},
		{"1200", "JPY", 1200},
		{"1.234", "KWD", 1234},
		{"92233720368547758.07", "USD", math.MaxInt64},
	} {
		got, err := Parse(tc.in, tc.currency)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q, %s) = %d, %v; want %d", tc.in, tc.currency, got, err, tc.want)
		}
	}
	for _, in := range []string{"", ".", "12.", "-1", "+1", "1e3", "1.234", "abc", "1,00", "92233720368547758.08", "99999999999999999999", "1.2.3"} {
		if _, err := Parse(in, "USD"); commerce.ErrorCode(err) != commerce.Invalid {
			t.Errorf("Parse(%q) error = %v, want an Invalid error", in, err)
		}
	}
	if _, err := Parse("1.5", "JPY"); commerce.ErrorCode(err) != commerce.Invalid {
		t.Errorf("Parse(1.5, JPY) should be invalid, got %v", err)
	}
}

func FuzzParseFormat(f *testing.F) {
	f.Add("12.50")
	f.Add("0.01")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s, "USD")
		if err != nil {
			return
		}
		back, err := Parse(New(v, "USD").Amount(), "USD")
		if err != nil || back != v {
			t.Fatalf("round trip of %q: %d -> %q -> %d, %v", s, v, New(v, "USD").Amount(), back, err)
		}
	})
}
