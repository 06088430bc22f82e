package graph_test

import (
	"slices"
	"testing"

	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent/stocklevel"
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

// TestQuantitiesPast32Bits: stock of one variant summing past 2^31 over two
// warehouses is reported as math.MaxInt32 by quantityAvailable (lists and
// lookups), by the inventoryChanged subscription and by cart warnings,
// while each StockLevel reports its own (32-bit) numbers; stockLevelSet
// refuses quantities outside 0..1,000,000,000.
func TestQuantitiesPast32Bits(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, cat := setup(t, db)
		boss := staff(t, api)
		v := cat.variants[cat.active[0].ID][0]
		ctx := sysCtx()
		// More than stockLevelSet accepts, as left by an import or an older
		// version: 1.5e9 in each of the two warehouses.
		db.Client.StockLevel.Update().Where(stocklevel.VariantID(v.ID)).SetOnHand(1_500_000_000).SetReserved(0).ExecX(ctx)
		const maxInt32 = 2147483647

		var byID struct {
			Node struct {
				QuantityAvailable int
				AvailableForSale  bool
				StockLevels       []struct{ OnHand, Reserved, Available int }
			}
		}
		boss.Query(t, `query($id: ID!) { node(id: $id) { ... on ProductVariant { quantityAvailable availableForSale stockLevels { onHand reserved available } } } }`,
			apitest.Vars{"id": v.GlobalID().String()}, &byID)
		if byID.Node.QuantityAvailable != maxInt32 || !byID.Node.AvailableForSale {
			t.Fatalf("quantityAvailable of 3e9 = %d, want %d", byID.Node.QuantityAvailable, maxInt32)
		}
		if len(byID.Node.StockLevels) != 2 {
			t.Fatalf("stock levels: %+v", byID.Node.StockLevels)
		}
		for _, l := range byID.Node.StockLevels {
			if l.OnHand != 1_500_000_000 || l.Available != 1_500_000_000 {
				t.Fatalf("stock level: %+v", l)
			}
		}
		// The list path (primed in one statement) reports the same.
		var list struct {
			Products struct {
				Edges []struct {
					Node struct {
						ID       string
						Variants []struct {
							ID                string
							QuantityAvailable int
						}
					}
				}
			}
		}
		api.Query(t, `{ products(first: 1) { edges { node { id variants { id quantityAvailable } } } } }`, nil, &list)
		if got := list.Products.Edges[0].Node.Variants[0].QuantityAvailable; got != maxInt32 {
			t.Fatalf("quantityAvailable in a list = %d", got)
		}

		// The subscription: first the current state, then a change.
		sub := api.Websocket(watchStock, map[string]any{}, apitest.Vars{"v": []string{v.GlobalID().String()}})
		defer sub.Close()
		if e := next[inventoryEvent](t, sub).InventoryChanged; e.QuantityAvailable != maxInt32 || !e.AvailableForSale {
			t.Fatalf("inventoryChanged current state: %+v", e)
		}
		ws := db.Client.Warehouse.Query().AllX(ctx)
		setStock := `mutation($v: ID!, $w: ID!, $n: Int!) { stockLevelSet(input: {variantId: $v, warehouseId: $w, onHand: $n}) {
		  stockLevel { onHand available } productVariant { quantityAvailable } userErrors { field code } } }`
		type setResp struct {
			StockLevelSet struct {
				StockLevel     *struct{ OnHand, Available int }
				ProductVariant *struct{ QuantityAvailable int }
				UserErrors     userErrs
			}
		}
		var set setResp
		boss.Query(t, setStock, apitest.Vars{"v": v.GlobalID().String(), "w": ws[0].GlobalID().String(), "n": 1_000_000_000}, &set)
		if s := set.StockLevelSet; s.StockLevel == nil || s.StockLevel.OnHand != 1_000_000_000 || s.ProductVariant.QuantityAvailable != maxInt32 {
			t.Fatalf("stockLevelSet 1e9 (total 2.5e9): %+v", s)
		}
		if e := next[inventoryEvent](t, sub).InventoryChanged; e.QuantityAvailable != maxInt32 {
			t.Fatalf("inventoryChanged after the change: %+v", e)
		}
		// Bounds of stockLevelSet: nothing changes.
		for _, n := range []int{-1, 1_000_000_001, maxInt32} {
			var bad setResp
			boss.Query(t, setStock, apitest.Vars{"v": v.GlobalID().String(), "w": ws[0].GlobalID().String(), "n": n}, &bad)
			checkUserError(t, "stockLevelSet onHand", bad.StockLevelSet.UserErrors, "input", "onHand")
		}
		if got := db.Client.StockLevel.Query().Where(stocklevel.VariantID(v.ID), stocklevel.WarehouseID(ws[0].ID)).OnlyX(ctx).OnHand; got != 1_000_000_000 {
			t.Fatalf("on hand after refused sets = %d", got)
		}

		// Past 32 bits the cart warning (more wanted than available) cannot
		// arise, but an out-of-stock variant next to it still reports 0.
		var created struct{ CartCreate cartPayload }
		api.Query(t, `mutation($v: ID!) { cartCreate(input: {lines: [{variantId: $v, quantity: 999}]}) { `+cartFields+` } }`,
			apitest.Vars{"v": v.GlobalID().String()}, &created)
		if c := created.CartCreate; c.Cart == nil || len(c.Warnings) != 0 || c.Cart.TotalQuantity != 999 {
			t.Fatalf("cart of 999 with 2.5e9 available: %+v", c)
		}
	})
}

// TestCursorsBoundToTheirList: a cursor works only on the list and sort key
// that issued it. Every pair of (list, sort key) among products, the
// products of a category, search, categories and warehouses is tried: the
// cursor's own list pages on with it, every other refuses it with
// BAD_USER_INPUT on ["after"].
func TestCursorsBoundToTheirList(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, cat := setup(t, db)
		boss := staff(t, api)
		type target struct {
			name  string
			query string
			vars  apitest.Vars
			end   func(map[string]any) any // the endCursor in the response
		}
		path := func(keys ...string) func(map[string]any) any {
			return func(m map[string]any) any {
				var v any = m
				for _, k := range keys {
					v = v.(map[string]any)[k]
				}
				return v.(map[string]any)["pageInfo"].(map[string]any)["endCursor"]
			}
		}
		var targets []target
		for _, sk := range []string{"ID", "TITLE", "PRICE", "CREATED_AT"} {
			targets = append(targets,
				target{"products/" + sk, `query($a: Cursor, $s: ProductSortKeys) { products(first: 2, after: $a, sortKey: $s) { edges { cursor } pageInfo { endCursor } } }`,
					apitest.Vars{"s": sk}, path("products")},
				target{"electronics/" + sk, `query($id: ID!, $a: Cursor, $s: ProductSortKeys) { category(id: $id) { products(first: 2, after: $a, sortKey: $s) { edges { cursor } pageInfo { endCursor } } } }`,
					apitest.Vars{"s": sk, "id": cat.electronics.GlobalID().String()}, path("category", "products")},
				target{"search/" + sk, `query($a: Cursor, $s: ProductSortKeys) { search(query: "a", first: 2, after: $a, sortKey: $s) { edges { cursor } pageInfo { endCursor } } }`,
					apitest.Vars{"s": sk}, path("search")},
			)
		}
		targets = append(targets,
			target{"fashion/ID", `query($id: ID!, $a: Cursor) { category(id: $id) { products(first: 2, after: $a) { edges { cursor } pageInfo { endCursor } } } }`,
				apitest.Vars{"id": cat.fashion.GlobalID().String()}, path("category", "products")},
			target{"categories", `query($a: Cursor) { categories(first: 2, after: $a) { edges { cursor } pageInfo { endCursor } } }`, apitest.Vars{}, path("categories")},
			target{"warehouses", `query($a: Cursor) { warehouses(first: 1, after: $a) { edges { cursor } pageInfo { endCursor } } }`, apitest.Vars{}, path("warehouses")},
		)
		run := func(tg target, after any) map[string]any {
			vars := apitest.Vars{"a": after}
			for k, v := range tg.vars {
				vars[k] = v
			}
			var out map[string]any
			boss.Query(t, tg.query, vars, &out)
			return out
		}
		cursors := map[string]any{}
		for _, tg := range targets {
			first := run(tg, nil)
			c := tg.end(first)
			if c == nil {
				t.Fatalf("%s: no endCursor on the first page: %v", tg.name, first)
			}
			cursors[tg.name] = c
			// Its own list pages on with it.
			run(tg, c)
		}
		for _, from := range targets {
			for _, to := range targets {
				if from.name == to.name {
					continue
				}
				vars := apitest.Vars{"a": cursors[from.name]}
				for k, v := range to.vars {
					vars[k] = v
				}
				e := boss.ExpectCode(t, "BAD_USER_INPUT", to.query, vars)
				if !slices.Equal(e.Field(), []string{"after"}) {
					t.Fatalf("cursor of %s on %s: field %v (%q)", from.name, to.name, e.Field(), e.Message)
				}
			}
		}
	})
}
