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
