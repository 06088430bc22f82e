package demo

import (
	"context"
	"fmt"

	"storefront/commerce/identity"
	"storefront/ent/customer"
)

// The demo accounts that SEED_DEMO creates (documented in the README).
// They exist for trying the API locally; never seed a public deployment.
const (
	CustomerEmail    = "demo@example.com"
	CustomerPassword = "demo-shopper-2026"
	StaffEmail       = "staff@example.com"
	StaffPassword    = "demo-staff-2026"
)

// SeedAccounts creates the demo customer and the demo staff account, or
// resets their passwords and roles when they exist.
func SeedAccounts(ctx context.Context, ids *identity.Service) error {
	for _, a := range []struct {
		email, password, name string
		role                  customer.Role
	}{
		{CustomerEmail, CustomerPassword, "Demo Shopper", customer.RoleCUSTOMER},
		{StaffEmail, StaffPassword, "Demo Staff", customer.RoleSTAFF},
	} {
		if _, err := ids.EnsureAccount(ctx, a.email, a.password, a.name, a.role); err != nil {
			return fmt.Errorf("demo: account %s: %w", a.email, err)
		}
	}
	return nil
}
