package inventory

import (
	"math"
	"testing"
)

func TestReported(t *testing.T) {
	for in, want := range map[int]int{
		-5: 0, 0: 0, 1: 1, 999: 999, math.MaxInt32 - 1: math.MaxInt32 - 1, math.MaxInt32: math.MaxInt32,
		math.MaxInt32 + 1: math.MaxInt32, 3_000_000_000: math.MaxInt32, math.MaxInt64: math.MaxInt32,
	} {
		if got := Reported(in); got != want {
			t.Errorf("Reported(%d) = %d, want %d", in, got, want)
		}
	}
}

// TestSellable: what a warehouse can sell is on hand less reserved, never
// below zero.
func TestSellable(t *testing.T) {
	for _, tc := range []struct{ onHand, reserved, want int }{
		{5, 0, 5}, {5, 2, 3}, {2, 2, 0}, {1, 3, 0}, {0, 0, 0}, {-1, 0, 0},
	} {
		if got := Sellable(tc.onHand, tc.reserved); got != tc.want {
			t.Errorf("Sellable(%d, %d) = %d, want %d", tc.onHand, tc.reserved, got, tc.want)
		}
	}
}
