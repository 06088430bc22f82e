package orders

import (
	"testing"

	"storefront/ent/order"
)

// TestCanMove checks every pair of statuses against the documented machine:
// PENDING_PAYMENT -> PAID -> FULFILLED -> DELIVERED, CANCELLED from
// PENDING_PAYMENT or PAID.
func TestCanMove(t *testing.T) {
	legal := map[[2]order.Status]bool{
		{order.StatusPENDING_PAYMENT, order.StatusPAID}:      true,
		{order.StatusPENDING_PAYMENT, order.StatusCANCELLED}: true,
		{order.StatusPAID, order.StatusFULFILLED}:            true,
		{order.StatusPAID, order.StatusCANCELLED}:            true,
		{order.StatusFULFILLED, order.StatusDELIVERED}:       true,
	}
	statuses := []order.Status{order.StatusPENDING_PAYMENT, order.StatusPAID, order.StatusFULFILLED, order.StatusDELIVERED, order.StatusCANCELLED}
	for _, from := range statuses {
		for _, to := range statuses {
			if got := CanMove(from, to); got != legal[[2]order.Status{from, to}] {
				t.Errorf("CanMove(%s, %s) = %v", from, to, got)
			}
		}
	}
}
