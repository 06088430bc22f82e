package graph_test

import (
	"encoding/json"
	"slices"
	"strings"
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
		// The list path (the stored availability) reports the same.
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
		// The variants come in no particular order (on PostgreSQL a row
		// written last can come first): find the one changed.
		got := -1
		for _, lv := range list.Products.Edges[0].Node.Variants {
			if lv.ID == v.GlobalID().String() {
				got = lv.QuantityAvailable
			}
		}
		if got != maxInt32 {
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

// mutate runs a mutation whose payload (the only field) has userErrors
// { field code }, and returns them with the payload's raw data.
func mutate(t *testing.T, api *apitest.API, query string, vars apitest.Vars) (userErrs, map[string]any) {
	t.Helper()
	var raw map[string]map[string]any
	api.Query(t, query, vars, &raw)
	for _, payload := range raw {
		b, err := json.Marshal(payload["userErrors"])
		if err != nil {
			t.Fatal(err)
		}
		var ue userErrs
		if err := json.Unmarshal(b, &ue); err != nil {
			t.Fatal(err)
		}
		return ue, payload
	}
	t.Fatal("no payload")
	return nil, nil
}

// TestInputBounds: staff catalogue input, address-book entries, discount
// codes and slug lookups out of their documented bounds are refused with
// BAD_USER_INPUT on the field (never INTERNAL, never stored), and values
// at the bounds, in any script, are accepted.
func TestInputBounds(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, cat := setup(t, db)
		boss := staff(t, api)
		// Under the 64 KiB every string may have at the edge (oplimit): the
		// domain bounds are what refuse it.
		long := strings.Repeat("x", 60_000)
		const createProduct = `mutation($in: ProductCreateInput!) { productCreate(input: $in) { product { id slug title } userErrors { field code } } }`
		for name, tc := range map[string]struct {
			in    map[string]any
			field []string
		}{
			"60 KB title":          {map[string]any{"title": long}, []string{"input", "title"}},
			"256 letters title":    {map[string]any{"title": strings.Repeat("é", 256)}, []string{"input", "title"}},
			"title without a slug": {map[string]any{"title": "!!! ???"}, []string{"input", "slug"}},
			"60 KB slug":           {map[string]any{"title": "T", "slug": long}, []string{"input", "slug"}},
			"description":          {map[string]any{"title": "T", "description": strings.Repeat("d", 20_001)}, []string{"input", "description"}},
			"image width":          {map[string]any{"title": "T", "images": []any{map[string]any{"url": "https://x.example/a.jpg", "altText": "a", "width": 100_001}}}, []string{"input", "images", "0", "width"}},
			"negative height":      {map[string]any{"title": "T", "images": []any{map[string]any{"url": "https://x.example/a.jpg", "altText": "a", "height": -1}}}, []string{"input", "images", "0", "height"}},
			"alt text":             {map[string]any{"title": "T", "images": []any{map[string]any{"url": "https://x.example/a.jpg", "altText": strings.Repeat("a", 501)}}}, []string{"input", "images", "0", "altText"}},
		} {
			ue, _ := mutate(t, boss, createProduct, apitest.Vars{"in": tc.in})
			checkUserError(t, "productCreate "+name, ue, tc.field...)
		}
		// 255 two-byte letters fit the title column (it counts characters).
		ue, p := mutate(t, boss, createProduct, apitest.Vars{"in": map[string]any{"title": strings.Repeat("é", 254) + "z",
			"images": []any{map[string]any{"url": "https://x.example/a.jpg", "altText": strings.Repeat("ą", 500), "width": 100_000, "height": 1}}}})
		if len(ue) != 0 || p["product"] == nil {
			t.Fatalf("productCreate at the bounds: %v %v", ue, p)
		}
		productID := p["product"].(map[string]any)["id"].(string)

		const createVariant = `mutation($in: ProductVariantCreateInput!) { productVariantCreate(input: $in) { productVariant { id price { amount } } userErrors { field code } } }`
		variant := func(extra map[string]any) map[string]any {
			in := map[string]any{"productId": productID, "sku": "BOUND-1", "price": "1.00"}
			for k, v := range extra {
				in[k] = v
			}
			return in
		}
		for name, tc := range map[string]struct {
			in    map[string]any
			field []string
		}{
			"price past the bound":  {variant(map[string]any{"price": "10000000000.01"}), []string{"input", "price"}},
			"price past int64":      {variant(map[string]any{"price": "99999999999999999999"}), []string{"input", "price"}},
			"compare-at past bound": {variant(map[string]any{"compareAtPrice": "10000000000.01"}), []string{"input", "compareAtPrice"}},
			"negative position":     {variant(map[string]any{"position": -1}), []string{"input", "position"}},
			"huge position":         {variant(map[string]any{"position": 1_000_001}), []string{"input", "position"}},
			"60 KB title":           {variant(map[string]any{"title": long}), []string{"input", "title"}},
			"60 KB sku":             {variant(map[string]any{"sku": long}), []string{"input", "sku"}},
			"60 KB option value":    {variant(map[string]any{"selectedOptions": []any{map[string]any{"name": "Size", "value": long}}}), []string{"input", "selectedOptions", "0"}},
		} {
			ue, _ := mutate(t, boss, createVariant, apitest.Vars{"in": tc.in})
			checkUserError(t, "productVariantCreate "+name, ue, tc.field...)
		}
		ue, v := mutate(t, boss, createVariant, apitest.Vars{"in": variant(map[string]any{"price": "10000000000.00", "position": 1_000_000, "title": strings.Repeat("ż", 255)})})
		if len(ue) != 0 || v["productVariant"] == nil || v["productVariant"].(map[string]any)["price"].(map[string]any)["amount"] != "10000000000.00" {
			t.Fatalf("productVariantCreate at the bounds: %v %v", ue, v)
		}

		const createCategory = `mutation($in: CategoryCreateInput!) { categoryCreate(input: $in) { category { id slug } userErrors { field code } } }`
		for name, tc := range map[string]struct {
			in    map[string]any
			field []string
		}{
			"201-byte slug":       {map[string]any{"name": "C", "slug": strings.Repeat("s", 201)}, []string{"input", "slug"}},
			"201 letters name":    {map[string]any{"name": strings.Repeat("ł", 201)}, []string{"input", "name"}},
			"name without a slug": {map[string]any{"name": "★★★"}, []string{"input", "slug"}},
			"60 KB description":   {map[string]any{"name": "C", "description": long}, []string{"input", "description"}},
			"negative position":   {map[string]any{"name": "C", "position": -5}, []string{"input", "position"}},
			"huge position":       {map[string]any{"name": "C", "position": 2_000_000_000}, []string{"input", "position"}},
		} {
			ue, _ := mutate(t, boss, createCategory, apitest.Vars{"in": tc.in})
			checkUserError(t, "categoryCreate "+name, ue, tc.field...)
		}
		ue, c := mutate(t, boss, createCategory, apitest.Vars{"in": map[string]any{"name": strings.Repeat("ł", 199) + "a", "slug": strings.Repeat("s", 200)}})
		if len(ue) != 0 || c["category"] == nil {
			t.Fatalf("categoryCreate at the bounds: %v %v", ue, c)
		}
		for _, prio := range []int{-1, 1_000_001} {
			ue, _ := mutate(t, boss, `mutation($p: Int) { warehouseCreate(input: {code: "WX", name: "X", priority: $p}) { warehouse { id } userErrors { field code } } }`, apitest.Vars{"p": prio})
			checkUserError(t, "warehouseCreate priority", ue, "input", "priority")
		}
		ue, w := mutate(t, boss, `mutation { warehouseCreate(input: {code: "wx", name: "Łódź Magazyn Główny", priority: 1000000}) { warehouse { id code } userErrors { field code } } }`, nil)
		if len(ue) != 0 || w["warehouse"] == nil || w["warehouse"].(map[string]any)["code"] != "WX" {
			t.Fatalf("warehouseCreate at the bound: %v %v", ue, w)
		}
		// The title filter counts characters, as search does.
		var filtered productsPage
		api.Query(t, productsQuery, apitest.Vars{"first": 1, "filter": map[string]any{"query": strings.Repeat("ż", 200)}}, &filtered)
		e := api.ExpectCode(t, "BAD_USER_INPUT", productsQuery, apitest.Vars{"first": 1, "filter": map[string]any{"query": strings.Repeat("ż", 201)}})
		if !slices.Equal(e.Field(), []string{"filter", "query"}) {
			t.Fatalf("201-letter filter query: field %v", e.Field())
		}
		ue, _ = mutate(t, boss, `mutation($id: ID!) { categoryUpdate(id: $id, input: {position: -1}) { category { id } userErrors { field code } } }`,
			apitest.Vars{"id": cat.shoes.GlobalID().String()})
		checkUserError(t, "categoryUpdate position", ue, "input", "position")
		if n := db.Client.Category.Query().CountX(sysCtx()); n != 6 {
			t.Fatalf("%d categories after refused creates, want 6", n)
		}

		// Slug lookups: an over-long slug is refused, not looked up.
		for _, q := range []string{`query($s: String) { product(slug: $s) { id } }`, `query($s: String) { category(slug: $s) { id } }`} {
			e := api.ExpectCode(t, "BAD_USER_INPUT", q, apitest.Vars{"s": long})
			if !slices.Equal(e.Field(), []string{"slug"}) || len(e.Message) > 200 {
				t.Fatalf("%s with a 60 KB slug: field %v, message of %d bytes", q, e.Field(), len(e.Message))
			}
		}

		// Discount codes: at most 64 characters, and not echoed back.
		var created struct{ CartCreate cartPayload }
		api.Query(t, `mutation { cartCreate { `+cartFields+` } }`, nil, &created)
		var disc struct{ CartDiscountCodeUpdate cartPayload }
		api.Query(t, `mutation($c: ID!, $code: String!) { cartDiscountCodeUpdate(cartId: $c, code: $code) { `+cartFields+` } }`,
			apitest.Vars{"c": created.CartCreate.Cart.ID, "code": long}, &disc)
		if ue := disc.CartDiscountCodeUpdate.UserErrors; len(ue) != 1 || ue[0].Code != "BAD_USER_INPUT" || !slices.Equal(ue[0].Field, []string{"code"}) || len(ue[0].Message) > 200 {
			t.Fatalf("60 KB discount code: %+v", ue)
		}

		// The address book and the customer's name count characters, as
		// their columns do: 100 two-byte letters fit, 101 do not.
		acc := api.SignUp(t, "bounds@example.com", "correct horse battery")
		me := api.As(acc.AccessToken)
		const add = `mutation($a: MailingAddressInput!) { customerAddressCreate(address: $a) { address { id firstName } userErrors { field code } } }`
		ue, _ = mutate(t, me, add, apitest.Vars{"a": map[string]any{"firstName": strings.Repeat("ż", 101), "address1": "1 Main St", "city": "X", "countryCode": "PL"}})
		checkUserError(t, "address firstName of 101 letters", ue, "address", "firstName")
		ue, _ = mutate(t, me, add, apitest.Vars{"a": map[string]any{"address1": long, "city": "X", "countryCode": "PL"}})
		checkUserError(t, "address1 of 60 KB", ue, "address", "address1")
		ue, a := mutate(t, me, add, apitest.Vars{"a": map[string]any{"firstName": strings.Repeat("ż", 100), "city": strings.Repeat("ł", 100), "address1": strings.Repeat("ą", 200), "countryCode": "PL"}})
		if len(ue) != 0 || a["address"] == nil {
			t.Fatalf("an address of two-byte letters at the bounds: %v %v", ue, a)
		}
		ue, n := mutate(t, me, `mutation($n: String!) { customerUpdate(input: {name: $n}) { customer { name } userErrors { field code } } }`, apitest.Vars{"n": strings.Repeat("ż", 200)})
		if len(ue) != 0 || n["customer"] == nil {
			t.Fatalf("a name of 200 two-byte letters: %v %v", ue, n)
		}
		ue, _ = mutate(t, me, `mutation($n: String!) { customerUpdate(input: {name: $n}) { customer { name } userErrors { field code } } }`, apitest.Vars{"n": long})
		checkUserError(t, "a 60 KB name", ue, "input", "name")
	})
}

// TestZeroValueCursors: ent leaves a zero sort value out of a cursor (a
// price of 0, an empty title), which made a PRICE cursor look like one of
// ID order. It is refused there now, and still pages on by PRICE.
func TestZeroValueCursors(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, cat := setup(t, db)
		free := cat.active[3]
		db.Client.Product.UpdateOne(free).SetMinPrice(0).ExecX(sysCtx())
		var first productsPage
		api.Query(t, productsQuery, apitest.Vars{"first": 1, "sortKey": "PRICE"}, &first)
		if first.titles()[0] != free.Title {
			t.Fatalf("cheapest first: %v", first.titles())
		}
		c := *first.Products.PageInfo.EndCursor
		for _, sk := range []string{"ID", "TITLE", "CREATED_AT"} {
			e := api.ExpectCode(t, "BAD_USER_INPUT", productsQuery, apitest.Vars{"first": 1, "after": c, "sortKey": sk})
			if !slices.Equal(e.Field(), []string{"after"}) {
				t.Fatalf("zero-price cursor on %s: field %v", sk, e.Field())
			}
		}
		api.ExpectCode(t, "BAD_USER_INPUT", `query($a: Cursor) { categories(first: 1, after: $a) { totalCount } }`, apitest.Vars{"a": c})
		var next productsPage
		api.Query(t, productsQuery, apitest.Vars{"first": 1, "after": c, "sortKey": "PRICE"}, &next)
		if len(next.Products.Edges) != 1 || next.titles()[0] == free.Title {
			t.Fatalf("paging on by PRICE after the zero-price cursor: %v", next.titles())
		}
	})
}
