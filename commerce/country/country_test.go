package country

import "testing"

func TestValid(t *testing.T) {
	if n := Count(); n != 249 {
		t.Fatalf("Count() = %d, want the 249 assigned codes", n)
	}
	for code, want := range map[string]bool{
		"US": true, "PL": true, "GB": true, "AX": true, "SS": true, "BQ": true, "ZW": true, "AQ": true,
		// User-assigned, reserved, withdrawn and malformed codes.
		"ZZ": false, "XK": false, "UK": false, "EU": false, "AN": false, "YU": false, "CS": false,
		"QM": false, "AA": false, "us": false, "": false, "U": false, "USA": false, "U1": false,
	} {
		if got := Valid(code); got != want {
			t.Errorf("Valid(%q) = %v, want %v", code, got, want)
		}
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{"pl": "PL", " us ": "US", "Gb": "GB", "zz": "ZZ", "": ""} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}
