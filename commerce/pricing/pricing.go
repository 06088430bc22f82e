// Package pricing computes what a cart costs, on the server: line totals,
// subtotal, discount, shipping, tax and total. Every amount is an int64 of
// minor units (see commerce/money); no floating point is used anywhere, and
// every multiplication and addition is checked for overflow.
package pricing

import (
	"math"
	"math/bits"

	"storefront/commerce"
)

// bpDenominator is the number of basis points in 100%.
const bpDenominator = 10000

// Line is one cart line: Quantity units at UnitPrice minor units each.
type Line struct {
	UnitPrice int64
	Quantity  int
}

// DiscountKind says how a Discount's Value is read.
type DiscountKind string

// The kinds of discount.
const (
	// Percentage takes Value basis points of the subtotal (1000 = 10%).
	Percentage DiscountKind = "PERCENTAGE"
	// FixedAmount takes Value minor units off the subtotal.
	FixedAmount DiscountKind = "FIXED_AMOUNT"
)

// Discount is a discount code and what it takes off the subtotal.
type Discount struct {
	// Code is the code the customer entered; Quote does not read it.
	Code string
	Kind DiscountKind
	// Value: for Percentage, basis points (1000 = 10%, max 10000); for FixedAmount, minor units.
	Value int64
	// MinSubtotal: the discount applies only when the subtotal reaches it (minor units; 0 = always).
	MinSubtotal int64
}

// Rules are the shop's shipping and tax rules.
type Rules struct {
	Currency           string // the shop's currency, in which the amounts are (and a cart with no lines is priced)
	ShippingFlat       int64  // minor units charged for shipping a non-empty cart
	FreeShippingOver   int64  // subtotal after discount at or above which shipping is free; 0 = never free
	TaxRateBasisPoints int64  // tax rate, e.g. 2300 = 23%; 0 = no tax
}

// Cost is the price of a cart, in minor units.
type Cost struct {
	LineTotals []int64 // UnitPrice*Quantity per line, in order
	Subtotal   int64   // sum of LineTotals
	Discount   int64   // taken off the subtotal; 0 <= Discount <= Subtotal
	Shipping   int64   // 0 or Rules.ShippingFlat
	Tax        int64   // on Subtotal - Discount + Shipping
	Total      int64   // Subtotal - Discount + Shipping + Tax
	// DiscountApplied is false when a discount was given but MinSubtotal was not reached.
	DiscountApplied bool
}

// Quote prices lines with the optional discount d (nil for none) under the
// rules r. The rules of the house:
//
//   - the total of a line is UnitPrice × Quantity, and the subtotal is the
//     sum of the line totals;
//   - an empty cart (no lines) costs 0 everywhere, shipping included, and no
//     discount is applied to it (DiscountApplied is false);
//   - a discount applies only when the subtotal is at least its MinSubtotal;
//     otherwise Discount is 0 and DiscountApplied is false;
//   - a Percentage discount is round-half-up(subtotal × Value / 10000); a
//     FixedAmount discount is min(Value, subtotal): a discount never exceeds
//     the subtotal;
//   - shipping is ShippingFlat, unless FreeShippingOver > 0 and
//     subtotal − discount >= FreeShippingOver, in which case it is 0;
//   - tax is round-half-up((subtotal − discount + shipping) ×
//     TaxRateBasisPoints / 10000): shipping is taxed;
//   - total = subtotal − discount + shipping + tax.
//
// Round half up means that an exact half minor unit rounds up (99.5 → 100)
// and anything less rounds down (99.49 → 99); all amounts are non-negative.
//
// Quote returns a commerce.Invalid error, and a zero Cost, for a negative
// unit price, a quantity below 1, a negative rule value, a discount of an
// unknown kind or with a negative Value or MinSubtotal, a percentage above
// 10000 basis points, and when any amount (a line total, the subtotal, the
// taxable amount, the tax or the total) does not fit in an int64. Inputs are
// validated even when the cart is empty.
func Quote(lines []Line, d *Discount, r Rules) (Cost, error) {
	if err := validate(lines, d, r); err != nil {
		return Cost{}, err
	}
	cost := Cost{LineTotals: make([]int64, len(lines))}
	if len(lines) == 0 {
		return cost, nil
	}

	for i, l := range lines {
		t, ok := mul(l.UnitPrice, int64(l.Quantity))
		if !ok {
			return Cost{}, commerce.Errorf(commerce.Invalid, "the total of cart line %d is too large", i+1)
		}
		cost.LineTotals[i] = t
		if cost.Subtotal, ok = add(cost.Subtotal, t); !ok {
			return Cost{}, tooLarge("subtotal")
		}
	}

	if d != nil && cost.Subtotal >= d.MinSubtotal {
		cost.DiscountApplied = true
		switch d.Kind {
		case Percentage:
			// Value <= 10000, so the result is at most the subtotal and
			// RoundHalfUpDiv cannot fail; check anyway.
			disc, err := RoundHalfUpDiv(cost.Subtotal, d.Value, bpDenominator)
			if err != nil {
				return Cost{}, tooLarge("discount")
			}
			cost.Discount = disc
		case FixedAmount:
			cost.Discount = d.Value
		}
		cost.Discount = min(cost.Discount, cost.Subtotal)
	}

	afterDiscount := cost.Subtotal - cost.Discount // 0 <= afterDiscount <= Subtotal
	if r.FreeShippingOver <= 0 || afterDiscount < r.FreeShippingOver {
		cost.Shipping = r.ShippingFlat
	}
	taxable, ok := add(afterDiscount, cost.Shipping)
	if !ok {
		return Cost{}, tooLarge("taxable amount")
	}
	tax, err := RoundHalfUpDiv(taxable, r.TaxRateBasisPoints, bpDenominator)
	if err != nil {
		return Cost{}, tooLarge("tax")
	}
	cost.Tax = tax
	if cost.Total, ok = add(taxable, cost.Tax); !ok {
		return Cost{}, tooLarge("total")
	}
	return cost, nil
}

// validate checks the inputs of Quote, before any arithmetic.
func validate(lines []Line, d *Discount, r Rules) error {
	for i, l := range lines {
		if l.UnitPrice < 0 {
			return commerce.Errorf(commerce.Invalid, "cart line %d has a negative unit price", i+1)
		}
		if l.Quantity < 1 {
			return commerce.Errorf(commerce.Invalid, "cart line %d has a quantity of %d; the least is 1", i+1, l.Quantity)
		}
	}
	if d != nil {
		switch d.Kind {
		case Percentage:
			if d.Value > bpDenominator {
				return commerce.Errorf(commerce.Invalid, "discount %q takes %d basis points; the most is %d (100%%)", d.Code, d.Value, bpDenominator)
			}
		case FixedAmount:
		default:
			return commerce.Errorf(commerce.Invalid, "discount %q is of unknown kind %q", d.Code, d.Kind)
		}
		if d.Value < 0 {
			return commerce.Errorf(commerce.Invalid, "discount %q has a negative value", d.Code)
		}
		if d.MinSubtotal < 0 {
			return commerce.Errorf(commerce.Invalid, "discount %q has a negative minimum subtotal", d.Code)
		}
	}
	switch {
	case r.ShippingFlat < 0:
		return commerce.Errorf(commerce.Invalid, "the shipping rate is negative")
	case r.FreeShippingOver < 0:
		return commerce.Errorf(commerce.Invalid, "the free shipping threshold is negative")
	case r.TaxRateBasisPoints < 0:
		return commerce.Errorf(commerce.Invalid, "the tax rate is negative")
	}
	return nil
}

func tooLarge(what string) error {
	return commerce.Errorf(commerce.Invalid, "the %s of the cart is too large", what)
}

// mul returns a*b for non-negative a and b, and false if it overflows int64.
func mul(a, b int64) (int64, bool) {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, false
	}
	return int64(lo), true
}

// add returns a+b for non-negative a and b, and false if it overflows int64.
func add(a, b int64) (int64, bool) {
	if a > math.MaxInt64-b {
		return 0, false
	}
	return a + b, true
}

// RoundHalfUpDiv returns a×b/c rounded half up (an exact half rounds away
// from zero: 999×1000/10000 = 99.9 → 100, 5×1/2 = 2.5 → 3) for non-negative a
// and b and positive c. The product a×b is computed in 128 bits
// (math/bits.Mul64 and Div64), so it never overflows in between. It returns a
// commerce.Invalid error if a or b is negative, c is not positive, or the
// result does not fit in an int64.
func RoundHalfUpDiv(a, b, c int64) (int64, error) {
	if a < 0 || b < 0 || c <= 0 {
		return 0, commerce.Errorf(commerce.Invalid, "cannot compute %d×%d/%d: operands must be non-negative and the divisor positive", a, b, c)
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b)) // a*b < 2^126
	// Round half up: floor((a*b + floor(c/2)) / c). For an even c that adds
	// exactly one half; for an odd c no quotient is exactly a half, and
	// adding (c-1)/2 rounds up exactly the remainders above c/2.
	var carry uint64
	lo, carry = bits.Add64(lo, uint64(c/2), 0)
	hi += carry // cannot overflow: a*b + c/2 < 2^127
	if hi >= uint64(c) {
		// The quotient needs more than 64 bits (and Div64 would panic).
		return 0, commerce.Errorf(commerce.Invalid, "the amount is too large")
	}
	q, _ := bits.Div64(hi, lo, uint64(c))
	if q > math.MaxInt64 {
		return 0, commerce.Errorf(commerce.Invalid, "the amount is too large")
	}
	return int64(q), nil
}
