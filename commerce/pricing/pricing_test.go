package pricing

import (
	"math"
	"math/big"
	"slices"
	"testing"

	"storefront/commerce"
)

func pct(bp int64) *Discount { return &Discount{Code: "PCT", Kind: Percentage, Value: bp} }

func fixed(v int64) *Discount { return &Discount{Code: "FIX", Kind: FixedAmount, Value: v} }

func TestQuote(t *testing.T) {
	const maxHalf = math.MaxInt64 / 2 // 2^62 - 1
	for _, tc := range []struct {
		name  string
		lines []Line
		d     *Discount
		r     Rules
		want  Cost
	}{
		{
			name: "empty cart costs nothing, not even shipping",
			r:    Rules{ShippingFlat: 500, TaxRateBasisPoints: 2300},
			d:    pct(1000),
			want: Cost{LineTotals: []int64{}},
		},
		{
			name:  "one line, flat shipping",
			lines: []Line{{UnitPrice: 1999, Quantity: 2}},
			r:     Rules{ShippingFlat: 500},
			want:  Cost{LineTotals: []int64{3998}, Subtotal: 3998, Shipping: 500, Total: 4498},
		},
		{
			name:  "many lines, free shipping, 10% tax rounds down",
			lines: []Line{{250, 4}, {1999, 1}, {5, 3}},
			r:     Rules{ShippingFlat: 500, FreeShippingOver: 3000, TaxRateBasisPoints: 1000},
			// 3014 * 10% = 301.4 -> 301
			want: Cost{LineTotals: []int64{1000, 1999, 15}, Subtotal: 3014, Tax: 301, Total: 3315},
		},
		{
			name:  "free line (price 0)",
			lines: []Line{{0, 3}},
			r:     Rules{ShippingFlat: 500},
			want:  Cost{LineTotals: []int64{0}, Shipping: 500, Total: 500},
		},
		{
			name:  "10% of 9.99 is 1.00 (99.9 rounds up)",
			lines: []Line{{999, 1}},
			d:     pct(1000),
			want:  Cost{LineTotals: []int64{999}, Subtotal: 999, Discount: 100, Total: 899, DiscountApplied: true},
		},
		{
			name:  "15% of 3.33 is 0.50 (49.95 rounds up)",
			lines: []Line{{333, 1}},
			d:     pct(1500),
			want:  Cost{LineTotals: []int64{333}, Subtotal: 333, Discount: 50, Total: 283, DiscountApplied: true},
		},
		{
			name:  "exact half rounds up: 50% of 0.05 is 0.03",
			lines: []Line{{5, 1}},
			d:     pct(5000),
			want:  Cost{LineTotals: []int64{5}, Subtotal: 5, Discount: 3, Total: 2, DiscountApplied: true},
		},
		{
			name:  "below half rounds down: 12.34% of 1.00 is 0.12",
			lines: []Line{{100, 1}},
			d:     pct(1234),
			want:  Cost{LineTotals: []int64{100}, Subtotal: 100, Discount: 12, Total: 88, DiscountApplied: true},
		},
		{
			name:  "100% discount, shipping still charged",
			lines: []Line{{1234, 2}},
			d:     pct(10000),
			r:     Rules{ShippingFlat: 500, TaxRateBasisPoints: 2300},
			// tax on 500 shipping = 115
			want: Cost{LineTotals: []int64{2468}, Subtotal: 2468, Discount: 2468, Shipping: 500, Tax: 115, Total: 615, DiscountApplied: true},
		},
		{
			name:  "0% discount applies and takes nothing",
			lines: []Line{{1234, 1}},
			d:     pct(0),
			want:  Cost{LineTotals: []int64{1234}, Subtotal: 1234, Total: 1234, DiscountApplied: true},
		},
		{
			name:  "fixed discount",
			lines: []Line{{1200, 1}},
			d:     fixed(300),
			want:  Cost{LineTotals: []int64{1200}, Subtotal: 1200, Discount: 300, Total: 900, DiscountApplied: true},
		},
		{
			name:  "fixed discount larger than the subtotal is capped",
			lines: []Line{{1200, 1}},
			d:     fixed(5000),
			r:     Rules{ShippingFlat: 500},
			want:  Cost{LineTotals: []int64{1200}, Subtotal: 1200, Discount: 1200, Shipping: 500, Total: 500, DiscountApplied: true},
		},
		{
			name:  "MinSubtotal not reached: no discount",
			lines: []Line{{4999, 1}},
			d:     &Discount{Code: "BIG", Kind: Percentage, Value: 1000, MinSubtotal: 5000},
			r:     Rules{ShippingFlat: 500},
			want:  Cost{LineTotals: []int64{4999}, Subtotal: 4999, Shipping: 500, Total: 5499},
		},
		{
			name:  "MinSubtotal reached exactly: discount applies",
			lines: []Line{{2500, 2}},
			d:     &Discount{Code: "BIG", Kind: Percentage, Value: 1000, MinSubtotal: 5000},
			want:  Cost{LineTotals: []int64{5000}, Subtotal: 5000, Discount: 500, Total: 4500, DiscountApplied: true},
		},
		{
			name:  "free shipping exactly at the threshold",
			lines: []Line{{5000, 1}},
			r:     Rules{ShippingFlat: 500, FreeShippingOver: 5000},
			want:  Cost{LineTotals: []int64{5000}, Subtotal: 5000, Total: 5000},
		},
		{
			name:  "shipping charged one cent below the threshold",
			lines: []Line{{4999, 1}},
			r:     Rules{ShippingFlat: 500, FreeShippingOver: 5000},
			want:  Cost{LineTotals: []int64{4999}, Subtotal: 4999, Shipping: 500, Total: 5499},
		},
		{
			name:  "free shipping threshold is on the subtotal after discount",
			lines: []Line{{5500, 1}},
			d:     fixed(600),
			r:     Rules{ShippingFlat: 500, FreeShippingOver: 5000},
			want:  Cost{LineTotals: []int64{5500}, Subtotal: 5500, Discount: 600, Shipping: 500, Total: 5400, DiscountApplied: true},
		},
		{
			name:  "FreeShippingOver 0 means never free",
			lines: []Line{{1_000_000, 1}},
			r:     Rules{ShippingFlat: 500},
			want:  Cost{LineTotals: []int64{1_000_000}, Subtotal: 1_000_000, Shipping: 500, Total: 1_000_500},
		},
		{
			name:  "23% tax on 1.50 is 0.35 (34.5 rounds up)",
			lines: []Line{{150, 1}},
			r:     Rules{TaxRateBasisPoints: 2300},
			want:  Cost{LineTotals: []int64{150}, Subtotal: 150, Tax: 35, Total: 185},
		},
		{
			name:  "23% tax on 1.02 is 0.23 (23.46 rounds down)",
			lines: []Line{{102, 1}},
			r:     Rules{TaxRateBasisPoints: 2300},
			want:  Cost{LineTotals: []int64{102}, Subtotal: 102, Tax: 23, Total: 125},
		},
		{
			name:  "shipping is taxed",
			lines: []Line{{1000, 1}},
			r:     Rules{ShippingFlat: 500, TaxRateBasisPoints: 2300},
			// (1000 + 500) * 23% = 345
			want: Cost{LineTotals: []int64{1000}, Subtotal: 1000, Shipping: 500, Tax: 345, Total: 1845},
		},
		{
			name:  "everything at once",
			lines: []Line{{1999, 3}, {450, 2}},
			d:     &Discount{Code: "TEN", Kind: Percentage, Value: 1000, MinSubtotal: 5000},
			r:     Rules{ShippingFlat: 990, FreeShippingOver: 10000, TaxRateBasisPoints: 2300},
			// subtotal 5997+900 = 6897; discount 689.7 -> 690; after 6207;
			// shipping 990; taxable 7197; tax 1655.31 -> 1655; total 8852.
			want: Cost{LineTotals: []int64{5997, 900}, Subtotal: 6897, Discount: 690, Shipping: 990, Tax: 1655, Total: 8852, DiscountApplied: true},
		},
		{
			name:  "huge valid amounts: subtotal*bp exceeds int64 but the result fits",
			lines: []Line{{maxHalf, 2}},
			d:     pct(5000),
			want:  Cost{LineTotals: []int64{2 * maxHalf}, Subtotal: 2 * maxHalf, Discount: maxHalf, Total: maxHalf, DiscountApplied: true},
		},
		{
			name:  "total exactly MaxInt64",
			lines: []Line{{math.MaxInt64 - 500, 1}},
			r:     Rules{ShippingFlat: 500},
			want:  Cost{LineTotals: []int64{math.MaxInt64 - 500}, Subtotal: math.MaxInt64 - 500, Shipping: 500, Total: math.MaxInt64},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Quote(tc.lines, tc.d, tc.r)
			if err != nil {
				t.Fatalf("Quote: %v", err)
			}
			if !equal(got, tc.want) {
				t.Errorf("Quote =\n %+v\nwant\n %+v", got, tc.want)
			}
		})
	}
}

func equal(a, b Cost) bool {
	return a.Subtotal == b.Subtotal && a.Discount == b.Discount && a.Shipping == b.Shipping &&
		a.Tax == b.Tax && a.Total == b.Total && a.DiscountApplied == b.DiscountApplied &&
		slices.Equal(a.LineTotals, b.LineTotals) && (a.LineTotals == nil) == (b.LineTotals == nil)
}

func TestQuoteErrors(t *testing.T) {
	ok := []Line{{100, 1}}
	for _, tc := range []struct {
		name  string
		lines []Line
		d     *Discount
		r     Rules
	}{
		{"line total overflows (huge price x 999)", []Line{{math.MaxInt64 / 100, 999}}, nil, Rules{}},
		{"line total overflows (MaxInt64 x 2)", []Line{{math.MaxInt64, 2}}, nil, Rules{}},
		{"subtotal overflows", []Line{{math.MaxInt64/2 + 1, 1}, {math.MaxInt64/2 + 1, 1}}, nil, Rules{}},
		{"subtotal overflows even if a discount would bring it back", []Line{{math.MaxInt64, 1}, {1, 1}}, pct(10000), Rules{}},
		{"shipping overflows", []Line{{math.MaxInt64, 1}}, nil, Rules{ShippingFlat: 1}},
		{"tax overflows", []Line{{math.MaxInt64 - 10, 1}}, nil, Rules{TaxRateBasisPoints: 2300}},
		{"total overflows", []Line{{math.MaxInt64 / 2, 1}}, nil, Rules{TaxRateBasisPoints: 10001}},
		{"negative unit price", []Line{{100, 1}, {-1, 1}}, nil, Rules{}},
		{"quantity 0", []Line{{100, 0}}, nil, Rules{}},
		{"negative quantity", []Line{{100, -3}}, nil, Rules{}},
		{"negative shipping", ok, nil, Rules{ShippingFlat: -1}},
		{"negative free shipping threshold", ok, nil, Rules{FreeShippingOver: -1}},
		{"negative tax rate", ok, nil, Rules{TaxRateBasisPoints: -1}},
		{"percentage above 100%", ok, pct(10001), Rules{}},
		{"negative percentage", ok, pct(-1), Rules{}},
		{"negative fixed discount", ok, fixed(-100), Rules{}},
		{"negative MinSubtotal", ok, &Discount{Kind: FixedAmount, Value: 1, MinSubtotal: -1}, Rules{}},
		{"unknown discount kind", ok, &Discount{Kind: "BOGO", Value: 1}, Rules{}},
		{"empty discount kind", ok, &Discount{Value: 1}, Rules{}},
		{"invalid inputs are rejected for an empty cart too", nil, pct(10001), Rules{}},
		{"invalid rules are rejected for an empty cart too", nil, nil, Rules{TaxRateBasisPoints: -5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Quote(tc.lines, tc.d, tc.r)
			if code := commerce.ErrorCode(err); code != commerce.Invalid {
				t.Fatalf("Quote error = %v (code %s), want an Invalid error", err, code)
			}
			if !equal(got, Cost{}) {
				t.Errorf("Quote returned %+v with the error, want a zero Cost", got)
			}
		})
	}
}

func TestRoundHalfUpDiv(t *testing.T) {
	for _, tc := range []struct{ a, b, c, want int64 }{
		{999, 1000, 10000, 100}, // 99.9
		{333, 1500, 10000, 50},  // 49.95
		{150, 2300, 10000, 35},  // 34.5
		{102, 2300, 10000, 23},  // 23.46
		{5, 1, 2, 3},            // 2.5
		{4, 1, 2, 2},            // exact
		{1, 1, 3, 0},            // 0.33
		{2, 1, 3, 1},            // 0.67
		{7, 1, 7, 1},
		{0, 12345, 10000, 0},
		{12345, 0, 10000, 0},
		{math.MaxInt64, 1, 1, math.MaxInt64},
		{math.MaxInt64, math.MaxInt64, math.MaxInt64, math.MaxInt64},
		{math.MaxInt64, 10000, 10000, math.MaxInt64},
		{math.MaxInt64, 5000, 10000, math.MaxInt64/2 + 1}, // 2^62 - 0.5 rounds up
		{math.MaxInt64, 2, 3, 6148914691236517205},        // 6148914691236517204.67
	} {
		got, err := RoundHalfUpDiv(tc.a, tc.b, tc.c)
		if err != nil || got != tc.want {
			t.Errorf("RoundHalfUpDiv(%d, %d, %d) = %d, %v; want %d", tc.a, tc.b, tc.c, got, err, tc.want)
		}
	}
	for _, tc := range []struct{ a, b, c int64 }{
		{math.MaxInt64, 2, 1},
		{math.MaxInt64, math.MaxInt64, 1},
		{math.MaxInt64, 10001, 10000},
		{math.MaxInt64, math.MaxInt64, 2},
		{-1, 1, 1},
		{1, -1, 1},
		{1, 1, 0},
		{1, 1, -1},
	} {
		if got, err := RoundHalfUpDiv(tc.a, tc.b, tc.c); commerce.ErrorCode(err) != commerce.Invalid {
			t.Errorf("RoundHalfUpDiv(%d, %d, %d) = %d, %v; want an Invalid error", tc.a, tc.b, tc.c, got, err)
		}
	}
}

// refQuote is Quote written with math/big, straight from the rules; it
// reports whether an amount Quote must hold in an int64 does not fit.
func refQuote(lines []Line, d *Discount, r Rules) (c Cost, overflow bool) {
	maxI := big.NewInt(math.MaxInt64)
	fits := func(x *big.Int) bool { return x.Cmp(maxI) <= 0 }
	// roundHalfUpDiv: floor((2ab + c) / 2c) for non-negative operands.
	rhu := func(a *big.Int, b, c int64) *big.Int {
		n := new(big.Int).Mul(a, big.NewInt(b))
		n.Lsh(n, 1)
		n.Add(n, big.NewInt(c))
		return n.Div(n, new(big.Int).Lsh(big.NewInt(c), 1))
	}
	if len(lines) == 0 {
		return Cost{LineTotals: []int64{}}, false
	}
	sub := new(big.Int)
	for _, l := range lines {
		t := new(big.Int).Mul(big.NewInt(l.UnitPrice), big.NewInt(int64(l.Quantity)))
		if !fits(t) {
			return Cost{}, true
		}
		c.LineTotals = append(c.LineTotals, t.Int64())
		sub.Add(sub, t)
	}
	if !fits(sub) {
		return Cost{}, true
	}
	c.Subtotal = sub.Int64()
	disc := new(big.Int)
	if d != nil && c.Subtotal >= d.MinSubtotal {
		c.DiscountApplied = true
		if d.Kind == Percentage {
			disc = rhu(sub, d.Value, 10000)
		} else {
			disc.SetInt64(d.Value)
		}
		if disc.Cmp(sub) > 0 {
			disc.Set(sub)
		}
	}
	c.Discount = disc.Int64()
	after := new(big.Int).Sub(sub, disc)
	if r.FreeShippingOver == 0 || after.Cmp(big.NewInt(r.FreeShippingOver)) < 0 {
		c.Shipping = r.ShippingFlat
	}
	taxable := new(big.Int).Add(after, big.NewInt(c.Shipping))
	tax := rhu(taxable, r.TaxRateBasisPoints, 10000)
	total := new(big.Int).Add(taxable, tax)
	if !fits(taxable) || !fits(tax) || !fits(total) {
		return Cost{}, true
	}
	c.Tax, c.Total = tax.Int64(), total.Int64()
	return c, false
}

func FuzzQuote(f *testing.F) {
	f.Add(int64(999), 1, int64(0), 0, uint8(1), int64(1000), int64(0), int64(500), int64(5000), int64(2300))
	f.Add(int64(333), 3, int64(150), 2, uint8(2), int64(5000), int64(100), int64(990), int64(0), int64(0))
	f.Add(int64(math.MaxInt64/100), 999, int64(1), 1, uint8(0), int64(0), int64(0), int64(0), int64(0), int64(0))
	f.Add(int64(math.MaxInt64/2), 2, int64(0), 0, uint8(1), int64(5000), int64(0), int64(0), int64(0), int64(0))
	f.Add(int64(-1), 0, int64(1), -1, uint8(1), int64(10001), int64(-1), int64(-1), int64(-1), int64(-1))
	f.Add(int64(1200), 1, int64(0), 0, uint8(2), int64(5000), int64(0), int64(500), int64(0), int64(2300))
	f.Fuzz(func(t *testing.T, p1 int64, q1 int, p2 int64, q2 int, kind uint8, value, minSub, ship, freeOver, taxBP int64) {
		var lines []Line
		if q1 != 0 || p1 != 0 {
			lines = append(lines, Line{p1, q1})
		}
		if q2 != 0 || p2 != 0 {
			lines = append(lines, Line{p2, q2})
		}
		var d *Discount
		switch kind % 4 {
		case 1:
			d = &Discount{Code: "F", Kind: Percentage, Value: value, MinSubtotal: minSub}
		case 2:
			d = &Discount{Code: "F", Kind: FixedAmount, Value: value, MinSubtotal: minSub}
		case 3:
			d = &Discount{Code: "F", Kind: "OTHER", Value: value, MinSubtotal: minSub}
		}
		r := Rules{ShippingFlat: ship, FreeShippingOver: freeOver, TaxRateBasisPoints: taxBP}

		c, err := Quote(lines, d, r)

		valid := r.ShippingFlat >= 0 && r.FreeShippingOver >= 0 && r.TaxRateBasisPoints >= 0
		for _, l := range lines {
			valid = valid && l.UnitPrice >= 0 && l.Quantity >= 1
		}
		if d != nil {
			valid = valid && d.Kind != "OTHER" && d.Value >= 0 && d.MinSubtotal >= 0 &&
				(d.Kind != Percentage || d.Value <= 10000)
		}
		if err != nil {
			if code := commerce.ErrorCode(err); code != commerce.Invalid {
				t.Fatalf("error %v has code %s, want Invalid", err, code)
			}
			if !equal(c, Cost{}) {
				t.Fatalf("non-zero Cost %+v with error %v", c, err)
			}
			if valid {
				if _, overflow := refQuote(lines, d, r); !overflow {
					t.Fatalf("Quote(%+v, %+v, %+v) = %v, but the inputs are valid and nothing overflows", lines, d, r, err)
				}
			}
			return
		}
		if !valid {
			t.Fatalf("Quote(%+v, %+v, %+v) accepted invalid inputs: %+v", lines, d, r, c)
		}
		// Invariants.
		if c.Total != c.Subtotal-c.Discount+c.Shipping+c.Tax {
			t.Fatalf("Total %d != %d - %d + %d + %d", c.Total, c.Subtotal, c.Discount, c.Shipping, c.Tax)
		}
		if c.Discount < 0 || c.Discount > c.Subtotal {
			t.Fatalf("Discount %d outside [0, Subtotal %d]", c.Discount, c.Subtotal)
		}
		if c.Tax < 0 || c.Shipping < 0 || c.Subtotal < 0 || c.Total < 0 {
			t.Fatalf("negative amount in %+v", c)
		}
		if c.Shipping != 0 && c.Shipping != r.ShippingFlat {
			t.Fatalf("Shipping %d is neither 0 nor ShippingFlat %d", c.Shipping, r.ShippingFlat)
		}
		if len(c.LineTotals) != len(lines) {
			t.Fatalf("%d line totals for %d lines", len(c.LineTotals), len(lines))
		}
		var sum int64
		for _, lt := range c.LineTotals {
			sum += lt
		}
		if sum != c.Subtotal {
			t.Fatalf("line totals sum to %d, Subtotal is %d", sum, c.Subtotal)
		}
		// And the exact answer, computed independently with math/big.
		want, overflow := refQuote(lines, d, r)
		if overflow {
			t.Fatalf("Quote(%+v, %+v, %+v) = %+v, but an amount overflows int64", lines, d, r, c)
		}
		if !equal(c, want) {
			t.Fatalf("Quote(%+v, %+v, %+v) =\n %+v\nwant\n %+v", lines, d, r, c, want)
		}
	})
}
