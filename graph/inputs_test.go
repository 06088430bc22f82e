package graph_test

import (
	"slices"
	"testing"

	"storefront/database"
	"storefront/database/dbtest"
	"storefront/internal/apitest"
)

// checkUserError fails unless ue is one BAD_USER_INPUT error on field.
func checkUserError(t *testing.T, what string, ue userErrs, field ...string) {
	t.Helper()
	if len(ue) != 1 || ue[0].Code != "BAD_USER_INPUT" || !slices.Equal(ue[0].Field, field) {
		t.Fatalf("%s: userErrors = %+v, want one BAD_USER_INPUT on %v", what, ue, field)
	}
}

// TestCountryCodes: a checkout or an address-book entry with an unassigned
// ISO 3166-1 code is refused on the countryCode field and nothing is
// stored; a lower-case assigned code is stored upper-cased.
func TestCountryCodes(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, cat := setup(t, db)
		small := cat.variants[cat.active[0].ID][0] // 4 available
		var created struct{ CartCreate cartPayload }
		api.Query(t, `mutation($v: ID!) { cartCreate(input: {lines: [{variantId: $v, quantity: 1}]}) { `+cartFields+` } }`,
			apitest.Vars{"v": small.GlobalID().String()}, &created)
		cartID := created.CartCreate.Cart.ID

		type checkoutResp struct {
			CheckoutComplete struct {
				Order      *orderResp
				UserErrors userErrs
			}
		}
		for i, code := range []string{"ZZ", "XK", "UK", "EU", "zz", "U", "USA", "12", ""} {
			in := checkoutInput(cartID, "country-key-bad-"+string(rune('a'+i)))
			in["shippingAddress"].(map[string]any)["countryCode"] = code
			var r checkoutResp
			api.Query(t, checkoutMutation, apitest.Vars{"in": in}, &r)
			if r.CheckoutComplete.Order != nil {
				t.Fatalf("countryCode %q: an order was placed", code)
			}
			checkUserError(t, "checkout countryCode "+code, r.CheckoutComplete.UserErrors, "input", "shippingAddress", "countryCode")
		}
		if n := db.Client.Order.Query().CountX(sysCtx()); n != 0 {
			t.Fatalf("%d orders stored after refused checkouts", n)
		}
		in := checkoutInput(cartID, "country-key-good")
		in["shippingAddress"].(map[string]any)["countryCode"] = " pl "
		var ok checkoutResp
		api.Query(t, checkoutMutation, apitest.Vars{"in": in}, &ok)
		if o := ok.CheckoutComplete.Order; o == nil || o.ShippingAddress.CountryCode != "PL" {
			t.Fatalf("checkout with \" pl \": %+v", ok.CheckoutComplete)
		}

		acc := api.SignUp(t, "country@example.com", "correct horse battery")
		me := api.As(acc.AccessToken)
		const add = `mutation($a: MailingAddressInput!) { customerAddressCreate(address: $a) { address { id countryCode } userErrors { field code } } }`
		var bad struct {
			CustomerAddressCreate struct {
				Address    *struct{ ID, CountryCode string }
				UserErrors userErrs
			}
		}
		me.Query(t, add, apitest.Vars{"a": map[string]any{"address1": "1 Main St", "city": "X", "countryCode": "ZZ"}}, &bad)
		if bad.CustomerAddressCreate.Address != nil {
			t.Fatal("an address with ZZ was stored")
		}
		checkUserError(t, "customerAddressCreate ZZ", bad.CustomerAddressCreate.UserErrors, "address", "countryCode")
		var good struct {
			CustomerAddressCreate struct {
				Address    *struct{ ID, CountryCode string }
				UserErrors userErrs
			}
		}
		me.Query(t, add, apitest.Vars{"a": map[string]any{"address1": "1 Main St", "city": "X", "countryCode": "de"}}, &good)
		a := good.CustomerAddressCreate.Address
		if a == nil || a.CountryCode != "DE" {
			t.Fatalf("customerAddressCreate de: %+v", good.CustomerAddressCreate)
		}
		var upd struct {
			CustomerAddressUpdate struct {
				Address    *struct{ CountryCode string }
				UserErrors userErrs
			}
		}
		me.Query(t, `mutation($id: ID!) { customerAddressUpdate(id: $id, address: {address1: "2 Main St", city: "X", countryCode: "QM"}) { address { countryCode } userErrors { field code } } }`,
			apitest.Vars{"id": a.ID}, &upd)
		checkUserError(t, "customerAddressUpdate QM", upd.CustomerAddressUpdate.UserErrors, "address", "countryCode")
		if got := db.Client.Address.Query().OnlyX(sysCtx()).CountryCode; got != "DE" {
			t.Fatalf("stored country code after a refused update = %q", got)
		}
	})
}
