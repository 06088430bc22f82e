package identity

import (
	"slices"
	"strings"
	"testing"

	"storefront/commerce"
)

func TestAddressNormalize(t *testing.T) {
	base := AddressInput{Address1: "1 Main St", City: "Springfield", CountryCode: "US"}
	with := func(f func(*AddressInput)) AddressInput { a := base; f(&a); return a }
	for _, tc := range []struct {
		name  string
		in    AddressInput
		field string // "" when valid
	}{
		{"valid", base, ""},
		{"lower-case country", with(func(a *AddressInput) { a.CountryCode = " pl " }), ""},
		{"two-byte letters at the bounds", with(func(a *AddressInput) { a.FirstName = strings.Repeat("ż", 100); a.Address1 = strings.Repeat("ą", 200) }), ""},
		{"ZZ", with(func(a *AddressInput) { a.CountryCode = "ZZ" }), "countryCode"},
		{"UK", with(func(a *AddressInput) { a.CountryCode = "UK" }), "countryCode"},
		{"alpha-3", with(func(a *AddressInput) { a.CountryCode = "USA" }), "countryCode"},
		{"no country", with(func(a *AddressInput) { a.CountryCode = "" }), "countryCode"},
		{"no city", with(func(a *AddressInput) { a.City = "  " }), "city"},
		{"101 letters", with(func(a *AddressInput) { a.FirstName = strings.Repeat("ż", 101) }), "firstName"},
		{"100 KB address", with(func(a *AddressInput) { a.Address1 = strings.Repeat("x", 100_000) }), "address1"},
		{"long zip", with(func(a *AddressInput) { a.Zip = strings.Repeat("1", 21) }), "zip"},
	} {
		out, err := tc.in.Normalize([]string{"input", "shippingAddress"})
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			} else if len(out.CountryCode) != 2 || strings.ToUpper(out.CountryCode) != out.CountryCode {
				t.Errorf("%s: country code %q", tc.name, out.CountryCode)
			}
			continue
		}
		e, ok := err.(*commerce.Error)
		if !ok || e.Code != commerce.Invalid || !slices.Equal(e.Field, []string{"input", "shippingAddress", tc.field}) {
			t.Errorf("%s: %v, want Invalid on %s", tc.name, err, tc.field)
		}
	}
}
