package demo

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"

	"storefront/commerce/access"
	"storefront/ent"
	"storefront/ent/discountcode"

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

// The demo discount codes that SEED_DEMO creates.
const (
	// WelcomeCode takes 10% off any cart.
	WelcomeCode = "WELCOME10"
	// FiveOffCode takes 5.00 off a cart of 30.00 or more, 100 times.
	FiveOffCode = "FIVEOFF"
)

// SeedDiscountCodes creates the demo discount codes, leaving existing ones
// (and their use counts) alone.
func SeedDiscountCodes(ctx context.Context, client *ent.Client) error {
	sys := access.System(ctx)
	err := client.DiscountCode.CreateBulk(
		client.DiscountCode.Create().SetCode(WelcomeCode).SetKind(discountcode.KindPERCENTAGE).SetValue(1000),
		client.DiscountCode.Create().SetCode(FiveOffCode).SetKind(discountcode.KindFIXED_AMOUNT).SetValue(500).
			SetMinSubtotal(3000).SetUsageLimit(100),
	).OnConflictColumns(discountcode.FieldCode).DoNothing().Exec(sys)
	if err != nil && !errors.Is(err, stdsql.ErrNoRows) {
		return fmt.Errorf("demo: discount codes: %w", err)
	}
	return nil
}
