package money

import "testing"

func TestValidCurrency(t *testing.T) {
	for code, want := range map[string]bool{
		"USD": true, "EUR": true, "PLN": true, "JPY": true, "KWD": true, "XCG": true, "ZWG": true, "SLE": true, "VED": true,
		// Withdrawn, funds, metals, test, made up, malformed.
		"HRK": false, "ZWL": false, "SLL": false, "ANG": false, "DEM": false, "CLF": false, "XAU": false,
		"XDR": false, "XTS": false, "XXX": false, "ABC": false, "usd": false, "US": false, "USDT": false, "": false,
	} {
		if got := ValidCurrency(code); got != want {
			t.Errorf("ValidCurrency(%q) = %v, want %v", code, got, want)
		}
	}
	for _, c := range []string{"JPY", "KWD", "BHD", "CLP", "VND"} {
		if Exponent(c) == 2 {
			t.Errorf("Exponent(%s) = 2; the exponent table and the currency list disagree", c)
		}
	}
	for c := range currencies {
		if len(c) != 3 {
			t.Errorf("malformed code %q in the list", c)
		}
	}
}
