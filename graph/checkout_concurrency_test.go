package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"storefront/commerce/access"
	"storefront/commerce/inventory"
	"storefront/commerce/orders"
	"storefront/commerce/payment"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent"
	entcart "storefront/ent/cart"
	"storefront/ent/discountcode"
	"storefront/ent/order"
	"storefront/ent/orderevent"
	"storefront/ent/orderline"
	"storefront/ent/product"
	"storefront/ent/stocklevel"
	"storefront/internal/apitest"
	"storefront/relay/gid"
)

// Tests of checkout and orders under concurrency and bad input. Requests
// that race are sent from goroutines with ccDo (no testing.T there); every
// assertion runs in the test goroutine on the collected responses.

// ---------------------------------------------------------------------------
// Helpers (cc* to stay clear of the other tests of the package).

type ccMoney struct{ Amount string }

type ccUserError struct {
	Field         []string
	Message, Code string
}

type ccOrder struct {
	ID, Number, Status string
	DiscountCode       *string
	SubtotalPrice      ccMoney
	TotalDiscount      ccMoney
	TotalShipping      ccMoney
	TotalPrice         ccMoney
	Lines              []struct {
		Sku              string
		Quantity         int
		UnitPrice, Total ccMoney
		Variant          *struct {
			ID    string
			Price ccMoney
		}
	}
	StatusHistory []struct{ Status, Note string }
}

const ccOrderFields = `id number status discountCode
  subtotalPrice { amount } totalDiscount { amount } totalShipping { amount } totalPrice { amount }
  lines { sku quantity unitPrice { amount } total { amount } variant { id price { amount } } }
  statusHistory { status note }`

const ccCheckout = `mutation($in: CheckoutCompleteInput!) { checkoutComplete(input: $in) {
  order { ` + ccOrderFields + ` } userErrors { field message code } } }`

const ccCancel = `mutation($id: ID!) { orderCancel(id: $id) { order { ` + ccOrderFields + ` } userErrors { field message code } } }`

const ccPay = `mutation($id: ID!, $tok: String) { orderPay(id: $id, paymentToken: $tok) { order { ` + ccOrderFields + ` } userErrors { field message code } } }`

const ccCartCreate = `mutation($v: ID!, $q: Int!) { cartCreate(input: {lines: [{variantId: $v, quantity: $q}]}) { ` + cartFields + ` } }`

const ccReadCart = `query($id: ID!) { cart(id: $id) { id version totalQuantity discountCode
  lines { id quantity variant { id sku } cost { unitPrice { amount } total { amount } } }
  cost { subtotal { amount } discount { amount } shipping { amount } tax { amount } total { amount } } } }`

// ccOrderPayload is the payload of checkoutComplete, orderPay and orderCancel.
type ccOrderPayload struct {
	Order      *ccOrder
	UserErrors []ccUserError
}

// ccRaw is one HTTP response.
type ccRaw struct {
	Status int
	Body   []byte
}

// ccDo sends one GraphQL POST through the handler. It takes no testing.T,
// so that goroutines may call it.
func ccDo(api *apitest.API, token, query string, vars apitest.Vars) ccRaw {
	b, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return ccRaw{Status: -1, Body: []byte(err.Error())}
	}
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	status, body := api.Do(req)
	return ccRaw{Status: status, Body: body}
}

// ccFire sends one request per vars, all released at the same moment, and
// returns the responses in the order of vars.
func ccFire(api *apitest.API, token, query string, vars []apitest.Vars) []ccRaw {
	out := make([]ccRaw, len(vars))
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i := range vars {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			out[i] = ccDo(api, token, query, vars[i])
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return out
}

// ccEnvelope is a GraphQL response whose data has one root field.
type ccEnvelope[T any] struct {
	Data   map[string]*T   `json:"data"`
	Errors []apitest.Error `json:"errors"`
}

// ccForbidden are texts that no response may contain: infrastructure
// failures leaking through (or being reported) instead of a domain answer.
var ccForbidden = []string{"internal", "database is locked", "sqlite_busy", "deadlock", "could not serialize", "too many clients"}

// ccPayload checks that r is a well-formed 200 response without top-level
// errors or forbidden text, and returns its one root payload (nil when the
// field is null). It reports problems as an error string ("" when fine).
func ccPayload[T any](r ccRaw) (*T, string) {
	low := strings.ToLower(string(r.Body))
	for _, bad := range ccForbidden {
		if strings.Contains(low, bad) {
			return nil, fmt.Sprintf("response mentions %q: %s", bad, r.Body)
		}
	}
	if r.Status != http.StatusOK {
		return nil, fmt.Sprintf("status %d: %s", r.Status, r.Body)
	}
	var env ccEnvelope[T]
	if err := json.Unmarshal(r.Body, &env); err != nil {
		return nil, fmt.Sprintf("undecodable body %s: %v", r.Body, err)
	}
	if len(env.Errors) > 0 {
		return nil, fmt.Sprintf("top-level errors: %s", r.Body)
	}
	if len(env.Data) != 1 {
		return nil, fmt.Sprintf("want one root field: %s", r.Body)
	}
	for _, p := range env.Data {
		return p, ""
	}
	return nil, ""
}

// ccMust is ccPayload for the test goroutine: problems fail the test and a
// null payload too.
func ccMust[T any](t *testing.T, r ccRaw) *T {
	t.Helper()
	p, problem := ccPayload[T](r)
	if problem != "" {
		t.Fatal(problem)
	}
	if p == nil {
		t.Fatalf("null payload: %s", r.Body)
	}
	return p
}

// ccTopLevel checks that r failed as a whole with top-level errors, all of
// code, and returns "" or the problem.
func ccTopLevel(r ccRaw, code string) string {
	if r.Status >= 500 {
		return fmt.Sprintf("status %d for a client error: %s", r.Status, r.Body)
	}
	low := strings.ToLower(string(r.Body))
	for _, bad := range ccForbidden {
		if strings.Contains(low, bad) {
			return fmt.Sprintf("response mentions %q: %s", bad, r.Body)
		}
	}
	var env struct {
		Data   map[string]json.RawMessage `json:"data"`
		Errors []apitest.Error            `json:"errors"`
	}
	if err := json.Unmarshal(r.Body, &env); err != nil {
		return fmt.Sprintf("undecodable body %s: %v", r.Body, err)
	}
	if len(env.Errors) == 0 {
		return fmt.Sprintf("want top-level error %s, got %s", code, r.Body)
	}
	for _, e := range env.Errors {
		if e.Code() != code || e.Message == "" {
			return fmt.Sprintf("want top-level error %s, got %s", code, r.Body)
		}
	}
	for _, v := range env.Data {
		if string(v) != "null" {
			return fmt.Sprintf("a failed mutation returned data: %s", r.Body)
		}
	}
	return ""
}

func ccPayments(sim *payment.Simulated) apitest.Option {
	return func(c *apitest.Config) { c.Payments = sim }
}

// ccSetStock sets a variant's quantities on hand per warehouse (in
// warehouse ID order), with nothing reserved.
func ccSetStock(t *testing.T, db *database.DB, variantID int, onHand ...int) {
	t.Helper()
	sys := access.System(t.Context())
	levels := db.Client.StockLevel.Query().Where(stocklevel.VariantID(variantID)).Order(stocklevel.ByWarehouseID()).AllX(sys)
	if len(levels) != len(onHand) {
		t.Fatalf("variant %d has %d stock levels, not %d", variantID, len(levels), len(onHand))
	}
	for i, l := range levels {
		db.Client.StockLevel.UpdateOne(l).SetOnHand(onHand[i]).SetReserved(0).ExecX(sys)
	}
}

// ccOnHand returns a variant's quantities on hand per warehouse, in
// warehouse ID order.
func ccOnHand(t *testing.T, db *database.DB, variantID int) []int {
	t.Helper()
	var out []int
	for _, l := range db.Client.StockLevel.Query().Where(stocklevel.VariantID(variantID)).Order(stocklevel.ByWarehouseID()).AllX(access.System(t.Context())) {
		out = append(out, l.OnHand)
	}
	return out
}

func ccSum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// ccCreateCarts creates n guest carts (or the token's customer's), each
// with qty units of variant, eight requests at a time.
func ccCreateCarts(t *testing.T, api *apitest.API, token, variant string, qty, n int) []string {
	t.Helper()
	ids := make([]string, n)
	problems := make([]string, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r := ccDo(api, token, ccCartCreate, apitest.Vars{"v": variant, "q": qty})
				p, problem := ccPayload[cartPayload](r)
				switch {
				case problem != "":
					problems[i] = problem
				case p == nil || p.Cart == nil || len(p.UserErrors) != 0 || p.Cart.TotalQuantity != qty:
					problems[i] = fmt.Sprintf("cartCreate: %s", r.Body)
				default:
					ids[i] = p.Cart.ID
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, p := range problems {
		if p != "" {
			t.Fatal(p)
		}
	}
	return ids
}

// ccDBID decodes a global ID of typ.
func ccDBID(t *testing.T, s, typ string) int {
	t.Helper()
	id, err := gid.ParseAs(s, typ)
	if err != nil {
		t.Fatalf("ID %q: %v", s, err)
	}
	return id
}

func ccCheckoutVars(cartID, key, token string) apitest.Vars {
	in := checkoutInput(cartID, key)
	if token != "" {
		in["paymentToken"] = token
	}
	return apitest.Vars{"in": in}
}

// ---------------------------------------------------------------------------
// 1. Flash sale: 200 shoppers, 20 units.

func TestFlashSaleCheckout(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		began := time.Now()
		api, cat := setup(t, db)
		sys := access.System(t.Context())
		v := cat.variants[cat.active[1].ID][0] // sold out in the fixture
		ccSetStock(t, db, v.ID, 12, 8)         // 20 units over two warehouses
		const buyers, units = 200, 20
		stockVersion := db.Client.ProductVariant.GetX(sys, v.ID).StockVersion

		carts := ccCreateCarts(t, api, "", v.GlobalID().String(), 1, buyers)
		cartsCreated := time.Since(began)

		// Watch the stock while the sale runs: no warehouse may ever show a
		// negative quantity.
		stop := make(chan struct{})
		var watch sync.WaitGroup
		minSeen, samples := 1<<30, 0
		var watchErr error
		watch.Add(1)
		go func() {
			defer watch.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				levels, err := db.Client.StockLevel.Query().Where(stocklevel.VariantID(v.ID)).All(sys)
				if err != nil {
					watchErr = err
					return
				}
				for _, l := range levels {
					minSeen = min(minSeen, l.OnHand)
				}
				samples++
				time.Sleep(3 * time.Millisecond)
			}
		}()

		vars := make([]apitest.Vars, buyers)
		for i, c := range carts {
			vars[i] = ccCheckoutVars(c, fmt.Sprintf("flash-sale-%03d", i), "")
		}
		fired := time.Now()
		res := ccFire(api, "", ccCheckout, vars)
		sale := time.Since(fired)
		close(stop)
		watch.Wait()
		if watchErr != nil {
			t.Fatalf("watching the stock: %v", watchErr)
		}

		won := map[int]bool{}
		outOfStock := 0
		for i, r := range res {
			p, problem := ccPayload[ccOrderPayload](r)
			if problem != "" {
				t.Fatalf("checkout %d: %s", i, problem)
			}
			switch {
			case p == nil:
				t.Fatalf("checkout %d: null payload: %s", i, r.Body)
			case p.Order != nil:
				o := p.Order
				if len(p.UserErrors) != 0 || o.Status != "PAID" || len(o.Lines) != 1 || o.Lines[0].Quantity != 1 || o.Lines[0].Sku != v.Sku {
					t.Fatalf("checkout %d: %s", i, r.Body)
				}
				id := ccDBID(t, o.ID, "Order")
				if won[id] {
					t.Fatalf("checkout %d: order %s answered twice", i, o.ID)
				}
				won[id] = true
			default:
				if ue := p.UserErrors; len(ue) != 1 || ue[0].Code != "OUT_OF_STOCK" || ue[0].Message == "" {
					t.Fatalf("checkout %d: want one OUT_OF_STOCK userError: %s", i, r.Body)
				}
				outOfStock++
			}
		}
		if len(won) != units || outOfStock != buyers-units {
			t.Fatalf("%d orders and %d OUT_OF_STOCK, want %d and %d", len(won), outOfStock, units, buyers-units)
		}

		// The database agrees.
		ids := db.Client.Order.Query().IDsX(sys)
		if len(ids) != units {
			t.Fatalf("%d orders in the database, want %d", len(ids), units)
		}
		for _, id := range ids {
			if !won[id] {
				t.Fatalf("order %d exists but no response announced it", id)
			}
		}
		if n := db.Client.Order.Query().Where(order.StatusEQ(order.StatusPAID)).CountX(sys); n != units {
			t.Fatalf("%d paid orders, want %d", n, units)
		}
		lines := db.Client.OrderLine.Query().AllX(sys)
		qty, fromWarehouse := 0, map[int]int{}
		for _, l := range lines {
			if l.VariantID != v.ID {
				t.Fatalf("order line of variant %d", l.VariantID)
			}
			qty += l.Quantity
			for _, a := range l.Allocations {
				fromWarehouse[a.WarehouseID] += a.Quantity
			}
		}
		if qty != units {
			t.Fatalf("order lines hold %d units, want %d", qty, units)
		}
		levels := db.Client.StockLevel.Query().Where(stocklevel.VariantID(v.ID)).Order(stocklevel.ByWarehouseID()).AllX(sys)
		if fromWarehouse[levels[0].WarehouseID] != 12 || fromWarehouse[levels[1].WarehouseID] != 8 {
			t.Fatalf("allocations by warehouse %v, want 12 and 8", fromWarehouse)
		}
		if got := ccOnHand(t, db, v.ID); ccSum(got) != 0 || slices.Min(got) < 0 {
			t.Fatalf("stock after the sale %v, want all 0", got)
		}
		if minSeen < 0 {
			t.Fatalf("a stock level went down to %d during the sale", minSeen)
		}
		if n := db.Client.Cart.Query().Where(entcart.StatusEQ(entcart.StatusCOMPLETED)).CountX(sys); n != units {
			t.Fatalf("%d carts checked out, want %d", n, units)
		}
		if got := db.Client.ProductVariant.GetX(sys, v.ID).StockVersion; got != stockVersion+units {
			t.Fatalf("stock version %d, want %d (one change per order)", got, stockVersion+units)
		}
		t.Logf("%s: %d carts in %v, %d concurrent checkouts in %v (%d stock samples, lowest %d), total %v",
			db.Dialect, buyers, cartsCreated.Round(time.Millisecond), buyers, sale.Round(time.Millisecond), samples, minSeen, time.Since(began).Round(time.Millisecond))
	})
}

// ---------------------------------------------------------------------------
// 2. Idempotency: one key sent twenty times at once.

func TestIdempotentCheckoutConcurrent(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		began := time.Now()
		sim := payment.NewSimulated()
		api := apitest.New(t, db, ccPayments(sim))
		cat := seedCatalogue(t, db.Client)
		sys := access.System(t.Context())
		v := cat.variants[cat.active[0].ID][0] // on hand 3+2, 1 reserved
		before := ccOnHand(t, db, v.ID)
		cartID := ccCreateCarts(t, api, "", v.GlobalID().String(), 2, 1)[0]
		const key = "idem-key-0123456789"

		vars := make([]apitest.Vars, 20)
		for i := range vars {
			vars[i] = ccCheckoutVars(cartID, key, "")
		}
		res := ccFire(api, "", ccCheckout, vars)
		var orderID string
		answered, conflicts := 0, 0
		for i, r := range res {
			p, problem := ccPayload[ccOrderPayload](r)
			if problem != "" {
				t.Fatalf("request %d: %s", i, problem)
			}
			switch {
			case p == nil:
				t.Fatalf("request %d: null payload: %s", i, r.Body)
			case p.Order != nil:
				if len(p.UserErrors) != 0 || (orderID != "" && p.Order.ID != orderID) {
					t.Fatalf("request %d: %s (first order %s)", i, r.Body, orderID)
				}
				orderID = p.Order.ID
				answered++
			default:
				// A retryable conflict: the API reports CONFLICT as a userError
				// (graph/payloads.go), never as a top-level error. It must ask
				// to retry: a request that waited for the cart while the first
				// one placed the order is a retry, and gets that order, not
				// "already checked out".
				if ue := p.UserErrors; len(ue) != 1 || ue[0].Code != "CONFLICT" || !strings.Contains(ue[0].Message, "retry") {
					t.Fatalf("request %d: want the order or one retryable CONFLICT userError: %s", i, r.Body)
				}
				conflicts++
			}
		}
		if orderID == "" {
			t.Fatal("no request returned the order")
		}
		oid := ccDBID(t, orderID, "Order")
		if n := db.Client.Order.Query().CountX(sys); n != 1 {
			t.Fatalf("%d orders, want 1", n)
		}
		o := db.Client.Order.GetX(sys, oid)
		if o.IdempotencyKey == nil || *o.IdempotencyKey != key || o.CartID != ccDBID(t, cartID, "Cart") || o.Status != order.StatusPAID || o.PaymentID == nil {
			t.Fatalf("order %+v", o)
		}
		if got := ccOnHand(t, db, v.ID); ccSum(got) != ccSum(before)-2 {
			t.Fatalf("stock %v after one order of 2, was %v", got, before)
		}
		ledger := sim.Ledger()
		if e, ok := ledger[*o.PaymentID]; len(ledger) != 1 || !ok || e.State != payment.StateCaptured || e.Captures != 1 {
			t.Fatalf("payments %+v, want one capture for %s", ledger, *o.PaymentID)
		}
		t.Logf("%s: %d answered with the order, %d CONFLICT", db.Dialect, answered, conflicts)

		// A retry after completion: the same order.
		var again struct{ CheckoutComplete ccOrderPayload }
		api.Query(t, ccCheckout, ccCheckoutVars(cartID, key, ""), &again)
		if p := again.CheckoutComplete; p.Order == nil || p.Order.ID != orderID || p.Order.Status != "PAID" || len(p.UserErrors) != 0 {
			t.Fatalf("retry: %+v", p)
		}

		// The key with another cart: refused, nothing created.
		w := cat.variants[cat.active[2].ID][0]
		wBefore := ccOnHand(t, db, w.ID)
		other := ccCreateCarts(t, api, "", w.GlobalID().String(), 1, 1)[0]
		var reuse struct{ CheckoutComplete ccOrderPayload }
		api.Query(t, ccCheckout, ccCheckoutVars(other, key, ""), &reuse)
		if p := reuse.CheckoutComplete; p.Order != nil || len(p.UserErrors) != 1 || p.UserErrors[0].Code != "BAD_USER_INPUT" ||
			!slices.Equal(p.UserErrors[0].Field, []string{"input", "idempotencyKey"}) {
			t.Fatalf("key reused for another cart: %+v", p)
		}
		if n := db.Client.Order.Query().CountX(sys); n != 1 {
			t.Fatalf("%d orders after reusing the key, want 1", n)
		}
		if c := db.Client.Cart.GetX(sys, ccDBID(t, other, "Cart")); c.Status != entcart.StatusACTIVE || c.Version != 1 {
			t.Fatalf("other cart changed: %+v", c)
		}
		if got := ccOnHand(t, db, w.ID); !slices.Equal(got, wBefore) {
			t.Fatalf("stock of the other cart's variant %v, was %v", got, wBefore)
		}
		if n := len(sim.Ledger()); n != 1 {
			t.Fatalf("%d payments, want 1", n)
		}

		// One fresh key raced over two carts: one order; the other cart's
		// requests are refused (the key belongs to the first cart) or asked
		// to retry, and that cart is left as it was.
		c1 := ccCreateCarts(t, api, "", w.GlobalID().String(), 1, 1)[0]
		const key2 = "idem-key-raced-over-two-carts"
		vars = vars[:0]
		for range 10 {
			vars = append(vars, ccCheckoutVars(c1, key2, ""), ccCheckoutVars(other, key2, ""))
		}
		res = ccFire(api, "", ccCheckout, vars)
		var raced string
		for i, r := range res {
			p, problem := ccPayload[ccOrderPayload](r)
			if problem != "" || p == nil {
				t.Fatalf("raced request %d: %s %s", i, problem, r.Body)
			}
			if p.Order != nil {
				if len(p.UserErrors) != 0 || (raced != "" && p.Order.ID != raced) {
					t.Fatalf("raced request %d: %s", i, r.Body)
				}
				raced = p.Order.ID
				continue
			}
			if ue := p.UserErrors; len(ue) != 1 || (ue[0].Code != "CONFLICT" && !(ue[0].Code == "BAD_USER_INPUT" && slices.Equal(ue[0].Field, []string{"input", "idempotencyKey"}))) {
				t.Fatalf("raced request %d: %s", i, r.Body)
			}
		}
		if raced == "" {
			t.Fatal("no raced request returned an order")
		}
		winner := db.Client.Order.GetX(sys, ccDBID(t, raced, "Order"))
		if n := db.Client.Order.Query().Where(order.IdempotencyKey(key2)).CountX(sys); n != 1 {
			t.Fatalf("%d orders for the raced key", n)
		}
		loser := ccDBID(t, other, "Cart")
		if winner.CartID == loser {
			loser = ccDBID(t, c1, "Cart")
		}
		if c := db.Client.Cart.GetX(sys, loser); c.Status != entcart.StatusACTIVE {
			t.Fatalf("the losing cart is %s", c.Status)
		}
		if got := ccOnHand(t, db, w.ID); ccSum(got) != ccSum(wBefore)-1 {
			t.Fatalf("stock %v after one more order of 1, was %v", got, wBefore)
		}
		t.Logf("%s: %v", db.Dialect, time.Since(began).Round(time.Millisecond))
	})
}

// ---------------------------------------------------------------------------
// 3. A discount code with a usage limit of 5, raced by 50 checkouts.

func TestDiscountUsageLimitConcurrent(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		began := time.Now()
		api, cat := setup(t, db)
		sys := access.System(t.Context())
		code := db.Client.DiscountCode.Create().SetCode("SALE5").SetKind(discountcode.KindPERCENTAGE).
			SetValue(1000).SetUsageLimit(5).SaveX(sys)
		v := cat.variants[cat.active[3].ID][0] // 2.00, sold out in the fixture
		ccSetStock(t, db, v.ID, 60, 40)
		const shoppers, limit = 50, 5

		carts := ccCreateCarts(t, api, "", v.GlobalID().String(), 1, shoppers)
		const apply = `mutation($c: ID!, $code: String!) { cartDiscountCodeUpdate(cartId: $c, code: $code) { ` + cartFields + ` } }`
		vars := make([]apitest.Vars, shoppers)
		for i, c := range carts {
			vars[i] = apitest.Vars{"c": c, "code": " sale5 "}
		}
		for i, r := range ccFire(api, "", apply, vars) {
			p := ccMust[cartPayload](t, r)
			if c := p.Cart; len(p.UserErrors) != 0 || c == nil || c.DiscountCode != "SALE5" || c.Cost.Discount.Amount != "0.20" || c.Cost.Total.Amount != "6.79" {
				t.Fatalf("applying the code to cart %d: %s", i, r.Body)
			}
		}

		for i, c := range carts {
			vars[i] = ccCheckoutVars(c, fmt.Sprintf("discount-race-%02d", i), "")
		}
		res := ccFire(api, "", ccCheckout, vars)
		discounted, usedUp := 0, 0
		for i, r := range res {
			p := ccMust[ccOrderPayload](t, r)
			if o := p.Order; o != nil {
				// Every order that was placed carries the discount.
				if len(p.UserErrors) != 0 || o.Status != "PAID" || o.DiscountCode == nil || *o.DiscountCode != "SALE5" ||
					o.TotalDiscount.Amount != "0.20" || o.SubtotalPrice.Amount != "2.00" || o.TotalPrice.Amount != "6.79" {
					t.Fatalf("checkout %d: %s", i, r.Body)
				}
				discounted++
				continue
			}
			// The others are refused: the code ran out under them.
			if ue := p.UserErrors; len(ue) != 1 || ue[0].Code != "BAD_USER_INPUT" || !slices.Equal(ue[0].Field, []string{"input", "cartId"}) ||
				!strings.Contains(ue[0].Message, "used up") {
				t.Fatalf("checkout %d: want one BAD_USER_INPUT 'used up' userError: %s", i, r.Body)
			}
			usedUp++
		}
		if discounted != limit || usedUp != shoppers-limit {
			t.Fatalf("%d discounted orders and %d refusals, want %d and %d", discounted, usedUp, limit, shoppers-limit)
		}
		if got := db.Client.DiscountCode.GetX(sys, code.ID).UsedCount; got != limit {
			t.Fatalf("used_count %d, want %d", got, limit)
		}
		all := db.Client.Order.Query().AllX(sys)
		if len(all) != limit {
			t.Fatalf("%d orders, want %d", len(all), limit)
		}
		for _, o := range all {
			if o.DiscountCode == nil || *o.DiscountCode != "SALE5" || o.Discount != 20 {
				t.Fatalf("order without the discount: %+v", o)
			}
		}
		if got := ccOnHand(t, db, v.ID); ccSum(got) != 100-limit {
			t.Fatalf("stock %v, want %d in all", got, 100-limit)
		}
		if n := db.Client.Cart.Query().Where(entcart.StatusEQ(entcart.StatusACTIVE)).CountX(sys); n != shoppers-limit {
			t.Fatalf("%d carts still open, want %d", n, shoppers-limit)
		}

		// Afterwards, one by one: a refused cart is refused again until its
		// shopper removes the code, and then checks out at the full price.
		// The used-up code cannot be applied to a cart any more.
		var loser string
		for i, r := range res {
			if p, _ := ccPayload[ccOrderPayload](r); p != nil && p.Order == nil {
				loser = carts[i]
				break
			}
		}
		var retry struct{ CheckoutComplete ccOrderPayload }
		api.Query(t, ccCheckout, ccCheckoutVars(loser, "discount-retry-1", ""), &retry)
		if p := retry.CheckoutComplete; p.Order != nil || len(p.UserErrors) != 1 || !strings.Contains(p.UserErrors[0].Message, "used up") {
			t.Fatalf("checkout with a used-up code: %+v", p)
		}
		var removed struct{ CartDiscountCodeUpdate cartPayload }
		api.Query(t, apply, apitest.Vars{"c": loser, "code": ""}, &removed)
		if p := removed.CartDiscountCodeUpdate; len(p.UserErrors) != 0 || p.Cart.Cost.Discount.Amount != "0.00" {
			t.Fatalf("removing the code: %+v", p)
		}
		var full struct{ CheckoutComplete ccOrderPayload }
		api.Query(t, ccCheckout, ccCheckoutVars(loser, "discount-retry-2", ""), &full)
		if o := full.CheckoutComplete.Order; o == nil || o.DiscountCode != nil || o.TotalDiscount.Amount != "0.00" || o.TotalPrice.Amount != "6.99" {
			t.Fatalf("checkout without the code: %+v", full.CheckoutComplete)
		}
		var late struct{ CartDiscountCodeUpdate cartPayload }
		fresh := ccCreateCarts(t, api, "", v.GlobalID().String(), 1, 1)[0]
		api.Query(t, apply, apitest.Vars{"c": fresh, "code": "SALE5"}, &late)
		if ue := late.CartDiscountCodeUpdate.UserErrors; len(ue) != 1 || ue[0].Code != "BAD_USER_INPUT" || !strings.Contains(ue[0].Message, "used up") {
			t.Fatalf("applying a used-up code: %+v", late.CartDiscountCodeUpdate)
		}
		if got := db.Client.DiscountCode.GetX(sys, code.ID).UsedCount; got != limit {
			t.Fatalf("used_count %d at the end, want %d", got, limit)
		}
		t.Logf("%s: %v", db.Dialect, time.Since(began).Round(time.Millisecond))
	})
}

// ---------------------------------------------------------------------------
// 4. Price changes: carts follow the catalogue, orders keep their prices.

func TestPriceChangeCartAndOrder(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, cat := setup(t, db)
		boss := staff(t, api)
		v := cat.variants[cat.active[0].ID][0] // 1.00
		const setPrice = `mutation($id: ID!, $p: String!) { productVariantUpdate(id: $id, input: {price: $p}) { productVariant { id price { amount } } userErrors { field code } } }`
		type priceResp struct {
			ProductVariantUpdate struct {
				ProductVariant *struct{ Price ccMoney }
				UserErrors     []ccUserError
			}
		}

		cartID := ccCreateCarts(t, api, "", v.GlobalID().String(), 2, 1)[0]
		var c0 struct{ Cart *cartResp }
		api.Query(t, ccReadCart, apitest.Vars{"id": cartID}, &c0)
		if c := c0.Cart; c == nil || c.Lines[0].Cost.UnitPrice.Amount != "1.00" || c.Cost.Subtotal.Amount != "2.00" {
			t.Fatalf("cart at 1.00: %+v", c0.Cart)
		}

		var up priceResp
		boss.Query(t, setPrice, apitest.Vars{"id": v.GlobalID().String(), "p": "2.50"}, &up)
		if p := up.ProductVariantUpdate; len(p.UserErrors) != 0 || p.ProductVariant == nil || p.ProductVariant.Price.Amount != "2.50" {
			t.Fatalf("price to 2.50: %+v", p)
		}
		var c1 struct{ Cart *cartResp }
		api.Query(t, ccReadCart, apitest.Vars{"id": cartID}, &c1)
		if c := c1.Cart; c == nil || c.Version != c0.Cart.Version || c.Lines[0].Cost.UnitPrice.Amount != "2.50" || c.Lines[0].Cost.Total.Amount != "5.00" ||
			c.Cost.Subtotal.Amount != "5.00" || c.Cost.Total.Amount != "9.99" {
			t.Fatalf("cart after the price change: %+v", c1.Cart)
		}

		var done struct{ CheckoutComplete ccOrderPayload }
		api.Query(t, ccCheckout, ccCheckoutVars(cartID, "price-change-1", ""), &done)
		o := done.CheckoutComplete.Order
		if o == nil || len(o.Lines) != 1 || o.Lines[0].UnitPrice.Amount != "2.50" || o.Lines[0].Total.Amount != "5.00" ||
			o.SubtotalPrice.Amount != "5.00" || o.TotalShipping.Amount != "4.99" || o.TotalPrice.Amount != "9.99" {
			t.Fatalf("order: %+v", done.CheckoutComplete)
		}

		boss.Query(t, setPrice, apitest.Vars{"id": v.GlobalID().String(), "p": "9.99"}, &up)
		if p := up.ProductVariantUpdate; len(p.UserErrors) != 0 || p.ProductVariant.Price.Amount != "9.99" {
			t.Fatalf("price to 9.99: %+v", p)
		}
		// The guest (by ID) and staff read the order as it was sold.
		for who, a := range map[string]*apitest.API{"guest": api, "staff": boss} {
			var read struct{ Order *ccOrder }
			a.Query(t, `query($id: ID!) { order(id: $id) { `+ccOrderFields+` } }`, apitest.Vars{"id": o.ID}, &read)
			r := read.Order
			if r == nil || r.Lines[0].UnitPrice.Amount != "2.50" || r.Lines[0].Total.Amount != "5.00" || r.SubtotalPrice.Amount != "5.00" ||
				r.TotalPrice.Amount != "9.99" || r.Lines[0].Variant == nil || r.Lines[0].Variant.Price.Amount != "9.99" {
				t.Fatalf("%s reads the order after the second change: %+v", who, r)
			}
		}
		sys := access.System(t.Context())
		l := db.Client.OrderLine.Query().OnlyX(sys)
		if l.UnitPrice != 250 || l.LineTotal != 500 {
			t.Fatalf("stored order line %+v", l)
		}
		if got := db.Client.Order.GetX(sys, ccDBID(t, o.ID, "Order")); got.Subtotal != 500 || got.Total != 999 {
			t.Fatalf("stored order %+v", got)
		}
	})
}

// ---------------------------------------------------------------------------
// 5. Cancellation happens once: stock back once, refund once.

func TestCancelOrderExactlyOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		sim := payment.NewSimulated()
		api := apitest.New(t, db, ccPayments(sim))
		cat := seedCatalogue(t, db.Client)
		boss := staff(t, api)
		bossToken := api.SignIn(t, "boss@example.com", "staff password 1").AccessToken
		sys := access.System(t.Context())
		v := cat.variants[cat.active[0].ID][0] // on hand 3+2, 1 reserved
		before := ccOnHand(t, db, v.ID)

		cartID := ccCreateCarts(t, api, "", v.GlobalID().String(), 3, 1)[0]
		var done struct{ CheckoutComplete ccOrderPayload }
		api.Query(t, ccCheckout, ccCheckoutVars(cartID, "cancel-once-1", ""), &done)
		o := done.CheckoutComplete.Order
		if o == nil || o.Status != "PAID" {
			t.Fatalf("checkout: %+v", done.CheckoutComplete)
		}
		if got := ccOnHand(t, db, v.ID); ccSum(got) != ccSum(before)-3 {
			t.Fatalf("stock %v after an order of 3, was %v", got, before)
		}
		stored := db.Client.Order.GetX(sys, ccDBID(t, o.ID, "Order"))
		if stored.PaymentID == nil {
			t.Fatal("a paid order without a payment")
		}

		res := ccFire(boss, bossToken, ccCancel, []apitest.Vars{{"id": o.ID}, {"id": o.ID}})
		res = append(res, ccDo(boss, bossToken, ccCancel, apitest.Vars{"id": o.ID}))
		ok, refused := 0, 0
		for i, r := range res {
			p := ccMust[ccOrderPayload](t, r)
			switch {
			case p.Order != nil:
				if i == 2 || len(p.UserErrors) != 0 || p.Order.Status != "CANCELLED" || p.Order.ID != o.ID {
					t.Fatalf("cancel %d: %s", i, r.Body)
				}
				ok++
			default:
				if ue := p.UserErrors; len(ue) != 1 || ue[0].Code != "CONFLICT" {
					t.Fatalf("cancel %d: want one CONFLICT userError: %s", i, r.Body)
				}
				refused++
			}
		}
		if ok != 1 || refused != 2 {
			t.Fatalf("%d cancellations succeeded and %d were refused, want 1 and 2", ok, refused)
		}
		if got := ccOnHand(t, db, v.ID); !slices.Equal(got, before) {
			t.Fatalf("stock after cancelling %v, want %v", got, before)
		}
		if got := db.Client.Order.GetX(sys, stored.ID); got.Status != order.StatusCANCELLED {
			t.Fatalf("order is %s", got.Status)
		}
		if n := db.Client.OrderEvent.Query().Where(orderevent.OrderID(stored.ID), orderevent.Status(string(order.StatusCANCELLED))).CountX(sys); n != 1 {
			t.Fatalf("%d CANCELLED events", n)
		}
		ledger := sim.Ledger()
		if e, ok := ledger[*stored.PaymentID]; len(ledger) != 1 || !ok || e.State != payment.StateRefunded || e.Refunds != 1 || e.Captures != 1 {
			t.Fatalf("payments %+v, want %s captured once and refunded once", ledger, *stored.PaymentID)
		}
	})
}

// ---------------------------------------------------------------------------
// 6. Bad cart input: a clear, coded error, and the cart is left as it was.

func TestBadCartInput(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, cat := setup(t, db)
		sys := access.System(t.Context())
		a := api.SignUp(t, "cart-a@example.com", "a long enough password")
		b := api.SignUp(t, "cart-b@example.com", "a long enough password")
		small := cat.variants[cat.active[0].ID][0]
		other := cat.variants[cat.active[2].ID][0]
		archived := cat.variants[cat.archived.ID][0]
		draft := cat.variants[cat.draft.ID][0]
		productID := cat.active[0].GlobalID().String()

		// 101 more variants, for the line limit.
		bulk := db.Client.Product.Create().SetTitle("Bulk").SetSlug("bulk").SetStatus(product.StatusACTIVE).
			SetCategory(cat.audio).SetMinPrice(100).SetMaxPrice(100).SaveX(sys)
		var mk []*ent.ProductVariantCreate
		for i := range 101 {
			mk = append(mk, db.Client.ProductVariant.Create().SetProduct(bulk).SetSku(fmt.Sprintf("BULK-%03d", i)).SetPrice(100).SetPosition(i))
		}
		bulkIDs := db.Client.ProductVariant.CreateBulk(mk...).SaveX(sys)
		lines := func(n int) []map[string]any {
			out := make([]map[string]any, n)
			for i := range out {
				out[i] = map[string]any{"variantId": bulkIDs[i].GlobalID().String(), "quantity": 1}
			}
			return out
		}

		cartA := ccCreateCarts(t, api, a.AccessToken, small.GlobalID().String(), 1, 1)[0]
		cartB := ccCreateCarts(t, api, b.AccessToken, other.GlobalID().String(), 1, 1)[0]
		snap := func(token, id string) string {
			t.Helper()
			r := ccDo(api, token, ccReadCart, apitest.Vars{"id": id})
			p := ccMust[cartResp](t, r)
			type line struct {
				ID, Variant string
				Quantity    int
			}
			var ls []line
			for _, l := range p.Lines {
				ls = append(ls, line{l.ID, l.Variant.ID, l.Quantity})
			}
			return fmt.Sprintf("version %d lines %+v", p.Version, ls)
		}
		baseA, baseB := snap(a.AccessToken, cartA), snap(b.AccessToken, cartB)
		var aLine, bLine string
		{
			var r struct{ Cart *cartResp }
			api.As(a.AccessToken).Query(t, ccReadCart, apitest.Vars{"id": cartA}, &r)
			aLine = r.Cart.Lines[0].ID
			api.As(b.AccessToken).Query(t, ccReadCart, apitest.Vars{"id": cartB}, &r)
			bLine = r.Cart.Lines[0].ID
		}
		carts := db.Client.Cart.Query().CountX(sys)
		lineRows := db.Client.CartLine.Query().CountX(sys)

		const (
			create = `mutation($lines: [CartLineInput!]) { cartCreate(input: {lines: $lines}) { ` + cartFields + ` } }`
			add    = `mutation($c: ID!, $lines: [CartLineInput!]!, $ver: Int) { cartLinesAdd(cartId: $c, lines: $lines, expectedVersion: $ver) { ` + cartFields + ` } }`
			update = `mutation($c: ID!, $lines: [CartLineUpdateInput!]!) { cartLinesUpdate(cartId: $c, lines: $lines) { ` + cartFields + ` } }`
			// 2^31 is beyond GraphQL's 32-bit Int, but gqlgen's Int is a Go
			// int and takes it (as a variable and as a literal): the cart's
			// own range check refuses it. 2^63 does not fit gqlgen's int:
			// a top-level validation error (HTTP 422).
			overflow   = 2147483648
			overflow64 = "9223372036854775808"
			invalid    = "GRAPHQL_VALIDATION_FAILED"
			// A malformed global ID fails argument coercion: a top-level
			// BAD_USER_INPUT naming the argument in its path.
			badID = "BAD_USER_INPUT"
		)
		one := func(variant string, qty any) []map[string]any {
			return []map[string]any{{"variantId": variant, "quantity": qty}}
		}
		upd := func(line string, qty any) []map[string]any { return []map[string]any{{"id": line, "quantity": qty}} }
		sv, ov := small.GlobalID().String(), other.GlobalID().String()
		type tc struct {
			name        string
			token       string
			query       string
			vars        apitest.Vars
			top         string   // a top-level error code, or
			code        string   // the code of the one userError,
			field       []string // on this field
			messageHint string   // (part of) its message
		}
		manyUpdates := make([]map[string]any, 101)
		for i := range manyUpdates {
			manyUpdates[i] = map[string]any{"id": aLine, "quantity": 1}
		}
		cases := []tc{
			// cartCreate
			{name: "create qty 0", token: a.AccessToken, query: create, vars: apitest.Vars{"lines": one(sv, 0)}, code: "BAD_USER_INPUT", field: []string{"input", "lines", "0", "quantity"}, messageHint: "between 1 and 999"},
			{name: "create qty -1", token: a.AccessToken, query: create, vars: apitest.Vars{"lines": one(sv, -1)}, code: "BAD_USER_INPUT", field: []string{"input", "lines", "0", "quantity"}, messageHint: "between 1 and 999"},
			{name: "create qty 1000", token: a.AccessToken, query: create, vars: apitest.Vars{"lines": one(sv, 1000)}, code: "BAD_USER_INPUT", field: []string{"input", "lines", "0", "quantity"}, messageHint: "between 1 and 999"},
			{name: "create qty 2^31", token: a.AccessToken, query: create, vars: apitest.Vars{"lines": one(sv, overflow)}, code: "BAD_USER_INPUT", field: []string{"input", "lines", "0", "quantity"}, messageHint: "between 1 and 999"},
			{name: "create qty 2^31 literal", token: a.AccessToken, query: `mutation($v: ID!) { cartCreate(input: {lines: [{variantId: $v, quantity: 2147483648}]}) { ` + cartFields + ` } }`, vars: apitest.Vars{"v": sv}, code: "BAD_USER_INPUT", field: []string{"input", "lines", "0", "quantity"}, messageHint: "between 1 and 999"},
			{name: "create qty 2^63", token: a.AccessToken, query: create, vars: apitest.Vars{"lines": one(sv, json.Number(overflow64))}, top: invalid},
			{name: "create qty 2^63 literal", token: a.AccessToken, query: `mutation($v: ID!) { cartCreate(input: {lines: [{variantId: $v, quantity: ` + overflow64 + `}]}) { cart { id } } }`, vars: apitest.Vars{"v": sv}, top: invalid},
			{name: "create qty 1.5", token: a.AccessToken, query: create, vars: apitest.Vars{"lines": one(sv, 1.5)}, top: invalid},
			{name: "create archived variant", token: a.AccessToken, query: create, vars: apitest.Vars{"lines": one(archived.GlobalID().String(), 1)}, code: "BAD_USER_INPUT", field: []string{"input", "lines", "0", "variantId"}, messageHint: "not for sale"},
			{name: "create draft variant", token: "", query: create, vars: apitest.Vars{"lines": one(draft.GlobalID().String(), 1)}, code: "BAD_USER_INPUT", field: []string{"input", "lines", "0", "variantId"}, messageHint: "not for sale"},
			{name: "create malformed variant id", token: a.AccessToken, query: create, vars: apitest.Vars{"lines": one("%%%", 1)}, top: badID},
			{name: "create product id as variant", token: a.AccessToken, query: create, vars: apitest.Vars{"lines": one(productID, 1)}, code: "BAD_USER_INPUT", field: []string{"input", "lines", "0", "variantId"}, messageHint: "not a ProductVariant ID"},
			{name: "create 101 lines", token: a.AccessToken, query: create, vars: apitest.Vars{"lines": lines(101)}, code: "BAD_USER_INPUT", field: []string{"input", "lines"}, messageHint: "at most 100"},
			{name: "create valid then archived", token: "", query: create, vars: apitest.Vars{"lines": append(one(sv, 1), one(archived.GlobalID().String(), 1)...)}, code: "BAD_USER_INPUT", field: []string{"input", "lines", "1", "variantId"}, messageHint: "not for sale"},

			// cartLinesAdd to A's cart
			{name: "add qty 0", token: a.AccessToken, query: add, vars: apitest.Vars{"c": cartA, "lines": one(ov, 0)}, code: "BAD_USER_INPUT", field: []string{"lines", "0", "quantity"}, messageHint: "between 1 and 999"},
			{name: "add qty -1", token: a.AccessToken, query: add, vars: apitest.Vars{"c": cartA, "lines": one(ov, -1)}, code: "BAD_USER_INPUT", field: []string{"lines", "0", "quantity"}, messageHint: "between 1 and 999"},
			{name: "add qty 1000", token: a.AccessToken, query: add, vars: apitest.Vars{"c": cartA, "lines": one(ov, 1000)}, code: "BAD_USER_INPUT", field: []string{"lines", "0", "quantity"}, messageHint: "between 1 and 999"},
			{name: "add qty 2^31", token: a.AccessToken, query: add, vars: apitest.Vars{"c": cartA, "lines": one(ov, overflow)}, code: "BAD_USER_INPUT", field: []string{"lines", "0", "quantity"}, messageHint: "between 1 and 999"},
			{name: "add qty 2^63", token: a.AccessToken, query: add, vars: apitest.Vars{"c": cartA, "lines": one(ov, json.Number(overflow64))}, top: invalid},
			{name: "add 999 to a line of 1", token: a.AccessToken, query: add, vars: apitest.Vars{"c": cartA, "lines": one(sv, 999)}, code: "BAD_USER_INPUT", field: []string{"lines", "0", "quantity"}, messageHint: "at most 999"},
			{name: "add archived variant", token: a.AccessToken, query: add, vars: apitest.Vars{"c": cartA, "lines": one(archived.GlobalID().String(), 1)}, code: "BAD_USER_INPUT", field: []string{"lines", "0", "variantId"}, messageHint: "not for sale"},
			{name: "add product id as variant", token: a.AccessToken, query: add, vars: apitest.Vars{"c": cartA, "lines": one(productID, 1)}, code: "BAD_USER_INPUT", field: []string{"lines", "0", "variantId"}, messageHint: "not a ProductVariant ID"},
			{name: "add malformed variant id", token: a.AccessToken, query: add, vars: apitest.Vars{"c": cartA, "lines": one("%%%", 1)}, top: badID},
			{name: "add malformed cart id", token: a.AccessToken, query: add, vars: apitest.Vars{"c": "%%%", "lines": one(ov, 1)}, top: badID},
			{name: "add product id as cart", token: a.AccessToken, query: add, vars: apitest.Vars{"c": productID, "lines": one(ov, 1)}, code: "BAD_USER_INPUT", field: []string{"cartId"}, messageHint: "not a Cart ID"},
			{name: "add as customer B", token: b.AccessToken, query: add, vars: apitest.Vars{"c": cartA, "lines": one(ov, 1)}, code: "NOT_FOUND", field: []string{"cartId"}, messageHint: "no such cart"},
			{name: "add anonymously", token: "", query: add, vars: apitest.Vars{"c": cartA, "lines": one(ov, 1)}, code: "NOT_FOUND", field: []string{"cartId"}, messageHint: "no such cart"},
			{name: "add 101 lines", token: a.AccessToken, query: add, vars: apitest.Vars{"c": cartA, "lines": lines(101)}, code: "BAD_USER_INPUT", field: []string{"lines"}, messageHint: "at most 100"},
			{name: "add 100 lines to a cart of 1", token: a.AccessToken, query: add, vars: apitest.Vars{"c": cartA, "lines": lines(100)}, code: "BAD_USER_INPUT", field: []string{"lines"}, messageHint: "at most 100 lines"},
			{name: "add valid then archived", token: a.AccessToken, query: add, vars: apitest.Vars{"c": cartA, "lines": append(one(ov, 1), one(archived.GlobalID().String(), 1)...)}, code: "BAD_USER_INPUT", field: []string{"lines", "1", "variantId"}, messageHint: "not for sale"},
			{name: "add with a stale version", token: a.AccessToken, query: add, vars: apitest.Vars{"c": cartA, "lines": one(ov, 1), "ver": 0}, code: "CONFLICT", field: []string{"expectedVersion"}, messageHint: "changed meanwhile"},

			// cartLinesUpdate of A's cart
			{name: "update qty 0", token: a.AccessToken, query: update, vars: apitest.Vars{"c": cartA, "lines": upd(aLine, 0)}, code: "BAD_USER_INPUT", field: []string{"lines", "0", "quantity"}, messageHint: "between 1 and 999"},
			{name: "update qty -1", token: a.AccessToken, query: update, vars: apitest.Vars{"c": cartA, "lines": upd(aLine, -1)}, code: "BAD_USER_INPUT", field: []string{"lines", "0", "quantity"}, messageHint: "between 1 and 999"},
			{name: "update qty 1000", token: a.AccessToken, query: update, vars: apitest.Vars{"c": cartA, "lines": upd(aLine, 1000)}, code: "BAD_USER_INPUT", field: []string{"lines", "0", "quantity"}, messageHint: "between 1 and 999"},
			{name: "update qty 2^31", token: a.AccessToken, query: update, vars: apitest.Vars{"c": cartA, "lines": upd(aLine, overflow)}, code: "BAD_USER_INPUT", field: []string{"lines", "0", "quantity"}, messageHint: "between 1 and 999"},
			{name: "update qty 2^63", token: a.AccessToken, query: update, vars: apitest.Vars{"c": cartA, "lines": upd(aLine, json.Number(overflow64))}, top: invalid},
			{name: "update B's line in A's cart", token: a.AccessToken, query: update, vars: apitest.Vars{"c": cartA, "lines": upd(bLine, 2)}, code: "NOT_FOUND", field: []string{"lines", "0", "id"}, messageHint: "no such line"},
			{name: "update malformed line id", token: a.AccessToken, query: update, vars: apitest.Vars{"c": cartA, "lines": upd("%%%", 2)}, top: badID},
			{name: "update malformed cart id", token: a.AccessToken, query: update, vars: apitest.Vars{"c": "%%%", "lines": upd(aLine, 2)}, top: badID},
			{name: "update product id as line", token: a.AccessToken, query: update, vars: apitest.Vars{"c": cartA, "lines": upd(productID, 2)}, code: "BAD_USER_INPUT", field: []string{"lines", "0", "id"}, messageHint: "not a CartLine ID"},
			{name: "update as customer B", token: b.AccessToken, query: update, vars: apitest.Vars{"c": cartA, "lines": upd(aLine, 2)}, code: "NOT_FOUND", field: []string{"cartId"}, messageHint: "no such cart"},
			{name: "update 101 lines", token: a.AccessToken, query: update, vars: apitest.Vars{"c": cartA, "lines": manyUpdates}, code: "BAD_USER_INPUT", field: []string{"lines"}, messageHint: "1 to 100"},
			{name: "update no lines", token: a.AccessToken, query: update, vars: apitest.Vars{"c": cartA, "lines": []map[string]any{}}, code: "BAD_USER_INPUT", field: []string{"lines"}, messageHint: "1 to 100"},
			{name: "update valid then qty 0", token: a.AccessToken, query: update, vars: apitest.Vars{"c": cartA, "lines": append(upd(aLine, 5), upd(aLine, 0)...)}, code: "BAD_USER_INPUT", field: []string{"lines", "1", "quantity"}, messageHint: "between 1 and 999"},
		}
		for _, c := range cases {
			r := ccDo(api, c.token, c.query, c.vars)
			if c.top != "" {
				if problem := ccTopLevel(r, c.top); problem != "" {
					t.Errorf("%s: %s", c.name, problem)
				}
			} else {
				p, problem := ccPayload[cartPayload](r)
				switch {
				case problem != "":
					t.Errorf("%s: %s", c.name, problem)
				case p == nil || p.Cart != nil || len(p.UserErrors) != 1:
					t.Errorf("%s: want one userError and no cart: %s", c.name, r.Body)
				case p.UserErrors[0].Code != c.code || !slices.Equal(p.UserErrors[0].Field, c.field) || !strings.Contains(p.UserErrors[0].Message, c.messageHint):
					t.Errorf("%s: want %s on %v (%q), got %s", c.name, c.code, c.field, c.messageHint, r.Body)
				}
			}
			if got := snap(a.AccessToken, cartA); got != baseA {
				t.Fatalf("%s changed A's cart: %s, was %s", c.name, got, baseA)
			}
			if got := snap(b.AccessToken, cartB); got != baseB {
				t.Fatalf("%s changed B's cart: %s, was %s", c.name, got, baseB)
			}
			if n, m := db.Client.Cart.Query().CountX(sys), db.Client.CartLine.Query().CountX(sys); n != carts || m != lineRows {
				t.Fatalf("%s: %d carts and %d lines, was %d and %d", c.name, n, m, carts, lineRows)
			}
		}
		// B cannot even read A's cart, nor an anonymous viewer.
		for _, token := range []string{b.AccessToken, ""} {
			var r struct{ Cart *cartResp }
			api.As(token).Query(t, ccReadCart, apitest.Vars{"id": cartA}, &r)
			if r.Cart != nil {
				t.Fatalf("another viewer reads A's cart: %+v", r.Cart)
			}
		}
		// And a sane change still works afterwards.
		var ok struct{ CartLinesAdd cartPayload }
		api.As(a.AccessToken).Query(t, add, apitest.Vars{"c": cartA, "lines": one(ov, 2), "ver": 1}, &ok)
		if p := ok.CartLinesAdd; len(p.UserErrors) != 0 || p.Cart == nil || p.Cart.Version != 2 || p.Cart.TotalQuantity != 3 {
			t.Fatalf("a valid add after the bad ones: %+v", p)
		}
	})
}

// ---------------------------------------------------------------------------
// 7. Unpaid orders: a declined payment leaves the order waiting (holding its
// stock) until it is paid or expires.

func TestUnpaidOrderPayAndExpiry(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		sim := payment.NewSimulated()
		api := apitest.New(t, db, ccPayments(sim))
		cat := seedCatalogue(t, db.Client)
		sys := access.System(t.Context())
		v := cat.variants[cat.active[0].ID][0] // on hand 3+2, 1 reserved
		vBefore := ccOnHand(t, db, v.ID)

		// Declined: the order waits for payment and holds its stock.
		cartID := ccCreateCarts(t, api, "", v.GlobalID().String(), 2, 1)[0]
		var declined struct{ CheckoutComplete ccOrderPayload }
		api.Query(t, ccCheckout, ccCheckoutVars(cartID, "unpaid-declined-1", payment.TokenDeclined), &declined)
		p := declined.CheckoutComplete
		if p.Order == nil || p.Order.Status != "PENDING_PAYMENT" || len(p.UserErrors) != 1 || p.UserErrors[0].Code != "PAYMENT_DECLINED" {
			t.Fatalf("declined checkout: %+v", p)
		}
		first := ccDBID(t, p.Order.ID, "Order")
		if got := ccOnHand(t, db, v.ID); ccSum(got) != ccSum(vBefore)-2 {
			t.Fatalf("stock %v after a declined order of 2, was %v", got, vBefore)
		}
		if o := db.Client.Order.GetX(sys, first); o.Status != order.StatusPENDING_PAYMENT || o.PaymentID != nil {
			t.Fatalf("declined order %+v", o)
		}
		if n := len(sim.Ledger()); n != 0 {
			t.Fatalf("%d payments after a decline", n)
		}

		// Paid later, by the guest who has its ID.
		var paid struct{ OrderPay ccOrderPayload }
		api.Query(t, ccPay, apitest.Vars{"id": p.Order.ID, "tok": payment.TokenVisa}, &paid)
		if q := paid.OrderPay; q.Order == nil || q.Order.Status != "PAID" || len(q.UserErrors) != 0 {
			t.Fatalf("orderPay: %+v", q)
		}
		o := db.Client.Order.GetX(sys, first)
		if e, ok := sim.Ledger()[*o.PaymentID]; o.Status != order.StatusPAID || !ok || e.State != payment.StateCaptured {
			t.Fatalf("paid order %+v, ledger %+v", o, sim.Ledger())
		}
		var twice struct{ OrderPay ccOrderPayload }
		api.Query(t, ccPay, apitest.Vars{"id": p.Order.ID, "tok": payment.TokenVisa}, &twice)
		if q := twice.OrderPay; q.Order != nil || len(q.UserErrors) != 1 || q.UserErrors[0].Code != "CONFLICT" {
			t.Fatalf("paying a paid order: %+v", q)
		}
		if got := ccOnHand(t, db, v.ID); ccSum(got) != ccSum(vBefore)-2 {
			t.Fatalf("stock %v after paying, was %v", got, vBefore)
		}

		// Paid by several requests at once (a double click, a retry): the
		// order is paid once, and the money of every other authorization
		// goes back, never the money that paid the order.
		w := cat.variants[cat.active[1].ID][0]
		ccSetStock(t, db, w.ID, 10, 10)
		for round := range 6 {
			c := ccCreateCarts(t, api, "", w.GlobalID().String(), 1, 1)[0]
			var d struct{ CheckoutComplete ccOrderPayload }
			api.Query(t, ccCheckout, ccCheckoutVars(c, fmt.Sprintf("unpaid-race-%d", round), payment.TokenDeclined), &d)
			if d.CheckoutComplete.Order == nil {
				t.Fatalf("declined checkout: %+v", d.CheckoutComplete)
			}
			id := d.CheckoutComplete.Order.ID
			known := sim.Ledger()
			res := ccFire(api, "", ccPay, []apitest.Vars{
				{"id": id, "tok": payment.TokenVisa}, {"id": id, "tok": payment.TokenVisa}, {"id": id, "tok": payment.TokenVisa},
				{"id": id, "tok": ""}, {"id": id, "tok": ""}, {"id": id},
			})
			succeeded := 0
			for i, r := range res {
				q := ccMust[ccOrderPayload](t, r)
				switch {
				case q.Order != nil:
					if len(q.UserErrors) != 0 || q.Order.ID != id || q.Order.Status != "PAID" {
						t.Fatalf("round %d, orderPay %d: %s", round, i, r.Body)
					}
					succeeded++
				default:
					if ue := q.UserErrors; len(ue) != 1 || ue[0].Code != "CONFLICT" {
						t.Fatalf("round %d, orderPay %d: want the paid order or one CONFLICT userError: %s", round, i, r.Body)
					}
				}
			}
			if succeeded == 0 {
				t.Fatalf("round %d: no orderPay succeeded", round)
			}
			o := db.Client.Order.GetX(sys, ccDBID(t, id, "Order"))
			if o.Status != order.StatusPAID || o.PaymentID == nil {
				t.Fatalf("round %d: order %+v", round, o)
			}
			for pid, e := range sim.Ledger() {
				if _, old := known[pid]; old {
					continue
				}
				switch {
				case pid == *o.PaymentID:
					if e.State != payment.StateCaptured || e.Refunds != 0 || e.Amount != o.Total {
						t.Fatalf("round %d: the order's payment %s is %+v", round, pid, e)
					}
				case e.State != payment.StateRefunded && e.State != payment.StateVoided:
					t.Fatalf("round %d: payment %s is %s but does not pay the order (paid by %s)", round, pid, e.State, *o.PaymentID)
				}
			}
		}

		// Declined and never paid: ExpireUnpaid cancels it and returns its stock.
		x := cat.variants[cat.active[2].ID][0] // on hand 3+2, 1 reserved
		xBefore := ccOnHand(t, db, x.ID)
		c2 := ccCreateCarts(t, api, "", x.GlobalID().String(), 3, 1)[0]
		var d2 struct{ CheckoutComplete ccOrderPayload }
		api.Query(t, ccCheckout, ccCheckoutVars(c2, "unpaid-declined-2", payment.TokenDeclined), &d2)
		if q := d2.CheckoutComplete; q.Order == nil || q.Order.Status != "PENDING_PAYMENT" || len(q.UserErrors) != 1 || q.UserErrors[0].Code != "PAYMENT_DECLINED" {
			t.Fatalf("second declined checkout: %+v", q)
		}
		second := ccDBID(t, d2.CheckoutComplete.Order.ID, "Order")
		if got := ccOnHand(t, db, x.ID); ccSum(got) != ccSum(xBefore)-3 {
			t.Fatalf("stock %v after a declined order of 3, was %v", got, xBefore)
		}
		ledger := sim.Ledger()

		svc := orders.New(db.Client, inventory.New(db.Client, nil), payment.NewSimulated(), nil)
		if n, err := svc.ExpireUnpaid(t.Context(), time.Hour); err != nil || n != 0 {
			t.Fatalf("ExpireUnpaid(1h) = %d, %v; the order is younger", n, err)
		}
		if n, err := svc.ExpireUnpaid(t.Context(), 0); err != nil || n != 1 {
			t.Fatalf("ExpireUnpaid(0) = %d, %v, want 1", n, err)
		}
		if o := db.Client.Order.GetX(sys, second); o.Status != order.StatusCANCELLED {
			t.Fatalf("expired order is %s", o.Status)
		}
		if got := ccOnHand(t, db, x.ID); !slices.Equal(got, xBefore) {
			t.Fatalf("stock after expiry %v, want %v", got, xBefore)
		}
		var read struct{ Order *ccOrder }
		api.Query(t, `query($id: ID!) { order(id: $id) { `+ccOrderFields+` } }`, apitest.Vars{"id": d2.CheckoutComplete.Order.ID}, &read)
		if h := read.Order.StatusHistory; read.Order.Status != "CANCELLED" || len(h) != 2 || h[1].Status != "CANCELLED" || h[1].Note != "not paid in time" {
			t.Fatalf("expired order as the guest reads it: %+v", read.Order)
		}
		if n, err := svc.ExpireUnpaid(t.Context(), 0); err != nil || n != 0 {
			t.Fatalf("ExpireUnpaid again = %d, %v, want 0", n, err)
		}
		// Paid orders are untouched, and so is the money.
		if n := db.Client.Order.Query().Where(order.StatusEQ(order.StatusPAID)).CountX(sys); n != 7 {
			t.Fatalf("%d paid orders, want 7", n)
		}
		if got := ccOnHand(t, db, v.ID); ccSum(got) != ccSum(vBefore)-2 {
			t.Fatalf("stock of the paid order's variant %v", got)
		}
		if !reflect.DeepEqual(sim.Ledger(), ledger) {
			t.Fatal("expiring an unpaid order touched payments")
		}
		if n := db.Client.OrderLine.Query().Where(orderline.OrderID(second)).CountX(sys); n != 1 {
			t.Fatalf("expired order has %d lines", n)
		}
	})
}
