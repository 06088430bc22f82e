package orders

import (
	"testing"

	"storefront/ent/order"
)

// TestMaxHistory checks MaxHistory against the status machine: the longest
// walk from PENDING_PAYMENT (its first event) plus one, and no cycle.
func TestMaxHistory(t *testing.T) {
	var longest func(s order.Status, seen map[order.Status]bool) int
	longest = func(s order.Status, seen map[order.Status]bool) int {
		if seen[s] {
			t.Fatalf("the status machine has a cycle through %s", s)
		}
		seen[s] = true
		defer delete(seen, s)
		n := 0
		for _, next := range transitions[s] {
			n = max(n, longest(next, seen))
		}
		return n + 1
	}
	if got := longest(order.StatusPENDING_PAYMENT, map[order.Status]bool{}); got != MaxHistory {
		t.Fatalf("an order can have %d status events; MaxHistory says %d", got, MaxHistory)
	}
}
