package graph_test

import (
	"testing"

	"storefront/database"
	"storefront/database/dbtest"
	"storefront/internal/apitest"
)

// TestShopCurrencyEverywhere: a shop configured in another currency prices
// a cart in it even before the cart holds anything (nothing falls back to
// USD).
func TestShopCurrencyEverywhere(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api := apitest.New(t, db, func(c *apitest.Config) { c.Currency = "EUR" })
		var out struct {
			CartCreate struct {
				Cart struct {
					Cost struct {
						Subtotal, Shipping, Total struct{ Amount, CurrencyCode string }
					}
				}
			}
		}
		api.Query(t, `mutation { cartCreate(input: {}) { cart { cost { subtotal { amount currencyCode } shipping { amount currencyCode } total { amount currencyCode } } } } }`, nil, &out)
		c := out.CartCreate.Cart.Cost
		for name, m := range map[string]struct{ Amount, CurrencyCode string }{"subtotal": c.Subtotal, "shipping": c.Shipping, "total": c.Total} {
			if m.CurrencyCode != "EUR" {
				t.Errorf("an empty cart's %s is in %q, want EUR", name, m.CurrencyCode)
			}
		}
	})
}
