// Package money represents amounts as integer minor units of an ISO 4217
// currency, and converts them to and from decimal strings exactly (no
// floating point anywhere).
package money

import (
	"math"
	"strconv"
	"strings"

	"storefront/commerce"
)

// Money is an amount in a currency's minor units (cents for USD).
type Money struct {
	MinorUnits   int64
	CurrencyCode string
}

// New returns an amount of minor units of currency.
func New(minorUnits int64, currency string) Money {
	return Money{MinorUnits: minorUnits, CurrencyCode: currency}
}

// exponents lists the ISO 4217 currencies whose minor unit is not 1/100.
var exponents = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0,
	"KRW": 0, "PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0,
	"XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	"CLF": 4, "UYW": 4,
}

// Exponent returns the number of decimals of currency: 2 unless ISO 4217
// says otherwise.
func Exponent(currency string) int {
	if e, ok := exponents[currency]; ok {
		return e
	}
	return 2
}

// Amount formats the amount as a decimal string in major units, with exactly
// as many decimals as the currency has: "12.50", "-0.05", "1200" (JPY).
func (m Money) Amount() string {
	return Format(m.MinorUnits, Exponent(m.CurrencyCode))
}

// Format writes minor units with exp decimals.
func Format(minor int64, exp int) string {
	neg := minor < 0
	// Work on the magnitude as uint64 so that math.MinInt64 is exact.
	mag := uint64(minor)
	if neg {
		mag = -mag
	}
	digits := strconv.FormatUint(mag, 10)
	if exp > 0 {
		if len(digits) <= exp {
			digits = strings.Repeat("0", exp-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-exp] + "." + digits[len(digits)-exp:]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// Parse reads a non-negative decimal amount such as "12.5" or "12.50" into
// minor units of currency. It returns a commerce.Invalid error for anything
// else: signs, exponents, more decimals than the currency has, or a value
// that does not fit in 64 bits.
func Parse(s, currency string) (int64, error) {
	exp := Exponent(currency)
	whole, frac, hasDot := strings.Cut(strings.TrimSpace(s), ".")
	if whole == "" && (!hasDot || frac == "") {
		return 0, invalidAmount(s)
	}
	if len(frac) > exp {
		return 0, commerce.Errorf(commerce.Invalid, "amount %q has more than %d decimals for %s", s, exp, currency)
	}
	if hasDot && frac == "" {
		return 0, invalidAmount(s)
	}
	if !allDigits(whole) || !allDigits(frac) {
		return 0, invalidAmount(s)
	}
	var v uint64
	for _, part := range []string{whole, frac + strings.Repeat("0", exp-len(frac))} {
		for _, r := range part {
			d := uint64(r - '0')
			if v > (math.MaxInt64-d)/10 {
				return 0, commerce.Errorf(commerce.Invalid, "amount %q is too large", s)
			}
			v = v*10 + d
		}
	}
	return int64(v), nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func invalidAmount(s string) error {
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return commerce.Errorf(commerce.Invalid, "amount %q is not a decimal number such as 12.50", s)
}
