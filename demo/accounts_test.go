package demo_test

import (
	"testing"

	"storefront/auth/authtoken"
	"storefront/commerce/access"
	"storefront/commerce/identity"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/demo"
	"storefront/ent/customer"
	"storefront/internal/apitest"
)

func TestSeedAccounts(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ids := identity.New(db.Client, identity.Config{Keys: authtoken.RandomKeyring(), Password: apitest.FastPasswords})
		// Twice: the second run resets rather than fails.
		for range 2 {
			if err := demo.SeedAccounts(t.Context(), ids); err != nil {
				t.Fatal(err)
			}
		}
		for email, role := range map[string]customer.Role{demo.CustomerEmail: customer.RoleCUSTOMER, demo.StaffEmail: customer.RoleSTAFF} {
			c := db.Client.Customer.Query().Where(customer.Email(email)).OnlyX(access.System(t.Context()))
			if c.Role != role {
				t.Fatalf("%s has role %s", email, c.Role)
			}
		}
		for range 2 {
			if err := demo.SeedDiscountCodes(t.Context(), db.Client); err != nil {
				t.Fatal(err)
			}
		}
		if n := db.Client.DiscountCode.Query().CountX(access.System(t.Context())); n != 2 {
			t.Fatalf("%d discount codes, want 2", n)
		}
		for email, pw := range map[string]string{demo.CustomerEmail: demo.CustomerPassword, demo.StaffEmail: demo.StaffPassword} {
			if _, err := ids.SignIn(t.Context(), email, pw, "test"); err != nil {
				t.Fatalf("sign-in as %s: %v", email, err)
			}
		}
	})
}
