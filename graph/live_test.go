package graph_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/99designs/gqlgen/client"

	"storefront/database"
	"storefront/database/dbtest"
	"storefront/internal/apitest"
)

type inventoryEvent struct {
	InventoryChanged struct {
		VariantID, ProductID string
		QuantityAvailable    int
		AvailableForSale     bool
		Version              int
	}
}

const watchStock = `subscription($v: [ID!], $p: [ID!]) { inventoryChanged(variantIds: $v, productIds: $p) {
  variantId productId quantityAvailable availableForSale version } }`

// next reads one message of a subscription, failing after a few seconds.
func next[T any](t *testing.T, sub *client.Subscription) T {
	t.Helper()
	var out T
	done := make(chan error, 1)
	go func() { done <- sub.Next(&out) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("subscription: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s")
	}
	return out
}

func TestInventorySubscription(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		goroutines := runtime.NumGoroutine()
		api, cat := setup(t, db)
		boss := staff(t, api)
		v := cat.variants[cat.active[0].ID][0] // 4 available: 3+2 on hand, 1 reserved

		sub := api.Websocket(watchStock, map[string]any{}, apitest.Vars{"v": []string{v.GlobalID().String()}})
		first := next[inventoryEvent](t, sub)
		if e := first.InventoryChanged; e.VariantID != v.GlobalID().String() || e.QuantityAvailable != 4 || !e.AvailableForSale {
			t.Fatalf("current state first: %+v", e)
		}
		w := db.Client.Warehouse.Query().FirstX(sysCtx())
		boss.Query(t, `mutation($v: ID!, $w: ID!) { stockLevelSet(input: {variantId: $v, warehouseId: $w, onHand: 1}) { userErrors { code } } }`,
			apitest.Vars{"v": v.GlobalID().String(), "w": w.GlobalID().String()}, &struct{}{})
		change := next[inventoryEvent](t, sub).InventoryChanged
		if change.QuantityAvailable != 2 || change.Version <= first.InventoryChanged.Version {
			t.Fatalf("after setting 1 on hand (1 reserved) in one warehouse: %+v (first %+v)", change, first.InventoryChanged)
		}
		// Watching a product sees its variants.
		byProduct := api.Websocket(watchStock, map[string]any{}, apitest.Vars{"p": []string{cat.active[1].GlobalID().String()}})
		seen := map[string]bool{}
		for range 2 {
			seen[next[inventoryEvent](t, byProduct).InventoryChanged.VariantID] = true
		}
		if len(seen) != 2 {
			t.Fatalf("watching a product with 2 variants: %v", seen)
		}
		sub.Close()
		byProduct.Close()

		// Hidden or malformed targets are refused.
		for _, vars := range []apitest.Vars{
			{"v": []string{cat.variants[cat.draft.ID][0].GlobalID().String()}},
			{"v": []string{"%%%"}},
			{},
		} {
			bad := api.Websocket(watchStock, map[string]any{}, vars)
			var out inventoryEvent
			if err := bad.Next(&out); err == nil {
				t.Fatalf("%v: subscribed", vars)
			}
			bad.Close()
		}
		waitGoroutines(t, goroutines+20)
	})
}

func TestCartSubscription(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, cat := setup(t, db)
		v := cat.variants[cat.active[0].ID][0]
		var created struct{ CartCreate cartPayload }
		api.Query(t, `mutation($v: ID!) { cartCreate(input: {lines: [{variantId: $v, quantity: 1}]}) { `+cartFields+` } }`,
			apitest.Vars{"v": v.GlobalID().String()}, &created)
		cartID := created.CartCreate.Cart.ID

		type cartEvent struct {
			CartChanged struct {
				ID            string
				Version       int
				TotalQuantity int
			}
		}
		const watchCart = `subscription($c: ID!) { cartChanged(cartId: $c) { id version totalQuantity } }`
		sub := api.Websocket(watchCart, map[string]any{}, apitest.Vars{"c": cartID})
		defer sub.Close()
		if e := next[cartEvent](t, sub).CartChanged; e.ID != cartID || e.TotalQuantity != 1 {
			t.Fatalf("current cart first: %+v", e)
		}
		// Another device adds a line.
		api.Query(t, `mutation($c: ID!, $v: ID!) { cartLinesAdd(cartId: $c, lines: [{variantId: $v, quantity: 2}]) { cart { version } } }`,
			apitest.Vars{"c": cartID, "v": v.GlobalID().String()}, &struct{}{})
		if e := next[cartEvent](t, sub).CartChanged; e.TotalQuantity != 3 || e.Version != 2 {
			t.Fatalf("after adding: %+v", e)
		}

		// A customer's cart is not for others to watch.
		a := api.SignUp(t, "kim@example.com", "a long enough password")
		b := api.SignUp(t, "lee@example.com", "a long enough password")
		var mine struct{ CartCreate cartPayload }
		api.As(a.AccessToken).Query(t, `mutation { cartCreate { cart { id } userErrors { code } warnings { code } } }`, nil, &mine)
		spy := api.Websocket(watchCart, map[string]any{"Authorization": "Bearer " + b.AccessToken}, apitest.Vars{"c": mine.CartCreate.Cart.ID})
		defer spy.Close()
		var out cartEvent
		if err := spy.Next(&out); err == nil {
			t.Fatalf("B watches A's cart: %+v", out)
		}
		owner := api.Websocket(watchCart, map[string]any{"Authorization": "Bearer " + a.AccessToken}, apitest.Vars{"c": mine.CartCreate.Cart.ID})
		defer owner.Close()
		if e := next[cartEvent](t, owner).CartChanged; e.ID != mine.CartCreate.Cart.ID {
			t.Fatalf("owner: %+v", e)
		}
	})
}

func waitGoroutines(t *testing.T, atMost int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > atMost && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > atMost {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines still running, want at most %d:\n%s", n, atMost, buf[:runtime.Stack(buf, true)])
	}
}
