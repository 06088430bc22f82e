package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"storefront/demo"
)

// The queries of the mix. Home page, category page, cart and order history
// are the ones of graph/statements_test.go (statementBudget), whose budgets
// are printed next to the measured statements per request; the product page
// is the README's product query by slug.
const (
	homeQuery = `query($n: Int) { products(first: $n, sortKey: CREATED_AT, reverse: true) { edges { node {
	    id title category { name } priceRange { minVariantPrice { amount currencyCode } } availableForSale } } } }`
	categoryQuery = `query($n: Int, $c: ID) { products(first: $n, sortKey: PRICE, filter: {categoryId: $c, inStock: true}) {
	    totalCount edges { node { title priceRange { minVariantPrice { amount } } availableForSale } } pageInfo { hasNextPage endCursor } } }`
	// pricedCategoryQuery is the category page with a price range: its
	// totalCount is a count over the products' index, where the category
	// page's alone is the sum of the stored category counts.
	pricedCategoryQuery = `query($n: Int, $c: ID, $lo: String, $hi: String) { products(first: $n, sortKey: PRICE,
	    filter: {categoryId: $c, inStock: true, price: {min: $lo, max: $hi}}) {
	    totalCount edges { node { title priceRange { minVariantPrice { amount } } availableForSale } } pageInfo { hasNextPage endCursor } } }`
	cartQuery = `query($id: ID!) { cart(id: $id) { id version totalQuantity
	    lines { id quantity variant { sku product { title } } cost { unitPrice { amount } total { amount } } }
	    cost { subtotal { amount } shipping { amount } total { amount } } } }`
	orderHistoryQuery = `query($n: Int) { viewer { email orders(first: $n) { edges { node { number status createdAt
	    totalPrice { amount } lines { sku quantity unitPrice { amount } variant { title } } statusHistory { status } } } } } }`
	productQuery = `query Product($slug: String!) {
  product(slug: $slug) {
    title description
    images { url altText }
    variants {
      id sku title availableForSale quantityAvailable
      price { amount currencyCode minorUnits }
      compareAtPrice { amount }
      selectedOptions { name value }
    }
  }
}`
)

const (
	homePageSize  = 50
	categorySize  = 24
	cartLines     = 20
	historyOrders = 10
)

// operation is one entry of the mix: request bodies used in turn.
type operation struct {
	name   string
	bodies [][]byte
	// warm, when set, are the bodies of the warm-up instead of bodies
	// (for an operation whose bodies must each be new when measured).
	warm   [][]byte
	token  string // bearer token, if any
	budget int    // statements per request in graph/statements_test.go; 0: not there
	// cached sends the requests as a browser would, so that the response
	// cache answers them; the rest of the mix sends Cache-Control: no-cache.
	cached bool
	// send, when set, makes each request of the operation itself (bodies
	// and token are then unused).
	send sender
}

// sender makes one request of an operation that is more than one POST;
// buf is the load worker's body buffer.
type sender func(ctx context.Context, c *client, url string, buf *bytes.Buffer) error

// The names of the operations the targets compare.
const (
	opTrivial  = "{ __typename }"
	opList50   = "50 products, id title"
	opHome     = "home page"
	opCached   = "home page, cached"
	opProduct  = "product page"
	opCategory = "category page"
	opPriced   = "category page, price filter"
	opNewRange = "category page, new price range"
	opCart     = "cart (20 lines)"
	opHistory  = "order history"
	opStockSet = "stockLevelSet"
	opCheckout = "checkout"
)

// newRanges are category pages each with a price range of its own (the
// lower bound a cent apart), so that no count is remembered (the count
// memo of commerce/catalog): what the first shopper to ask for a range
// pays. There are more of them than a run sends (at most 20,000
// requests); the warm-up's have another upper bound.
func newRanges(fx *fixtures, hi string) [][]byte {
	bodies := make([][]byte, 20_000)
	for i := range bodies {
		lo := fmt.Sprintf("%d.%02d", 10+i/100, i%100)
		bodies[i] = body(pricedCategoryQuery, map[string]any{"n": categorySize, "c": fx.categoryID, "lo": lo, "hi": hi})
	}
	return bodies
}

func mix(fx *fixtures) []operation {
	products := make([][]byte, len(fx.slugs))
	for i, s := range fx.slugs {
		products[i] = body(productQuery, map[string]any{"slug": s})
	}
	// Stock writes alternate between two values, so that each one changes
	// the row and publishes an event.
	writes := make([][]byte, 2)
	for i := range writes {
		writes[i] = body(stockSetMutation, map[string]any{"v": fx.stockVariant, "w": fx.warehouse, "n": 1000 + i})
	}
	return []operation{
		{name: opTrivial, bodies: [][]byte{body(`{ __typename }`, nil)}},
		{name: opList50, bodies: [][]byte{body(`{ products(first: 50) { edges { node { id title } } } }`, nil)}, budget: 1},
		{name: opHome, bodies: [][]byte{homeBody()}, budget: 2},
		{name: opCached, bodies: [][]byte{homeBody()}, cached: true},
		{name: opProduct, bodies: products, budget: 2},
		{name: opCategory, bodies: [][]byte{body(categoryQuery, map[string]any{"n": categorySize, "c": fx.categoryID})}, budget: 2},
		{name: opPriced, bodies: [][]byte{body(pricedCategoryQuery, map[string]any{"n": categorySize, "c": fx.categoryID, "lo": "10.00", "hi": "200.00"})}, budget: 2},
		{name: opNewRange, bodies: newRanges(fx, "400.00"), warm: newRanges(fx, "399.00"), budget: 3},
		{name: opCart, bodies: [][]byte{body(cartQuery, map[string]any{"id": fx.cartID})}, budget: 4},
		{name: opHistory, bodies: [][]byte{body(orderHistoryQuery, map[string]any{"n": historyOrders})}, token: fx.token, budget: 5},
		{name: opStockSet, bodies: writes, token: fx.staffToken},
		{name: opCheckout, send: checkoutSender(fx)},
	}
}

// checkoutSender places one guest order per request, as a shopper does:
// cartCreate with two lines of the fixture's checkout variants, then
// checkoutComplete with a fresh idempotency key (the simulated provider
// pays it in the same call). Each order comes from its own client address
// (X-Forwarded-For, believed from loopback: see startServer), so that the
// per-client cart and checkout budgets see many shoppers with one order
// each, not one address with thousands.
func checkoutSender(fx *fixtures) sender {
	var seq atomic.Int64
	run := time.Now().UTC().Format("20060102T150405.000")
	return func(ctx context.Context, c *client, url string, buf *bytes.Buffer) error {
		k := seq.Add(1)
		shopper := c.with("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", k>>16&255, k>>8&255, k&255))
		v := fx.checkoutVariants
		err := do(ctx, shopper, url, body(checkoutCartMutation, map[string]any{"a": v[k%2], "b": v[(k+1)%2]}), "", buf)
		if err != nil {
			return fmt.Errorf("cartCreate: %w", err)
		}
		var created struct {
			Data struct {
				CartCreate struct {
					Cart *struct {
						ID string `json:"id"`
					} `json:"cart"`
				} `json:"cartCreate"`
			} `json:"data"`
		}
		if err := json.Unmarshal(buf.Bytes(), &created); err != nil || created.Data.CartCreate.Cart == nil {
			return fmt.Errorf("cartCreate: %v: %.300s", err, buf.Bytes())
		}
		err = do(ctx, shopper, url, body(checkoutOrderMutation, map[string]any{
			"cart": created.Data.CartCreate.Cart.ID, "key": fmt.Sprintf("bench-%s-%d", run, k),
		}), "", buf)
		if err != nil {
			return fmt.Errorf("checkoutComplete: %w", err)
		}
		if raw := buf.Bytes(); !bytes.Contains(raw, []byte(`"status":"PAID"`)) {
			return fmt.Errorf("checkoutComplete: %.300s", raw)
		}
		return nil
	}
}

const (
	checkoutCartMutation = `mutation($a: ID!, $b: ID!) { cartCreate(input: {lines: [{variantId: $a, quantity: 1}, {variantId: $b, quantity: 2}]}) {
	    cart { id totalQuantity cost { total { amount } } } userErrors { code } } }`
	checkoutOrderMutation = `mutation($cart: ID!, $key: String!) { checkoutComplete(input: {
	    cartId: $cart, email: "shopper@example.com", idempotencyKey: $key,
	    shippingAddress: {firstName: "Bench", lastName: "Shopper", address1: "1 Bench Street", city: "London", zip: "SW1Y 4JH", countryCode: "GB"}
	  }) { order { number status totalPrice { amount } } userErrors { code message } } }`
)

// checkoutStock is what bench sets the checkout variants' stock to in
// every warehouse before each run, so that the checkouts of one run (or of
// many) never sell them out; three warehouses' worth stays below 2^31,
// which quantityAvailable answers in.
const checkoutStock = 100_000_000

const stockSetMutation = `mutation($v: ID!, $w: ID!, $n: Int!) { stockLevelSet(input: {variantId: $v, warehouseId: $w, onHand: $n}) { userErrors { code } } }`

func homeBody() []byte { return body(homeQuery, map[string]any{"n": homePageSize}) }

func body(query string, vars map[string]any) []byte {
	b, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		panic(err)
	}
	return b
}

// client talks to the API over loopback with a keep-alive pool sized for
// the load generator.
type client struct {
	base   string
	http   *http.Client
	header http.Header // sent with every request
}

// with returns a client that also sends the header k: v.
func (c *client) with(k, v string) *client {
	cp := *c
	cp.header = c.header.Clone()
	if cp.header == nil {
		cp.header = http.Header{}
	}
	cp.header.Set(k, v)
	return &cp
}

func newClient(base string, concurrency int, timeout time.Duration) *client {
	tr := &http.Transport{
		MaxIdleConns:        concurrency * 2,
		MaxIdleConnsPerHost: concurrency * 2,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	return &client{base: base, http: &http.Client{Transport: tr, Timeout: timeout}}
}

// graphql sends one operation and decodes its data into out; any error in
// the response is an error.
func (c *client) graphql(ctx context.Context, query string, vars map[string]any, token string, out any) error {
	raw, err := c.post(ctx, c.base+"/graphql", body(query, vars), token)
	if err != nil {
		return err
	}
	var resp struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		return fmt.Errorf("decode response: %w: %.200s", err, raw)
	}
	if len(resp.Errors) > 0 {
		return fmt.Errorf("graphql error: %s (%v)", resp.Errors[0].Message, resp.Errors[0].Extensions)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(resp.Data, out)
}

// request builds a JSON POST of b to url, with the bearer token (unless
// empty) and the client's headers.
func (c *client) request(ctx context.Context, url string, b []byte, token string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	return req, nil
}

func (c *client) post(ctx context.Context, url string, b []byte, token string) ([]byte, error) {
	req, err := c.request(ctx, url, b, token)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return raw, fmt.Errorf("HTTP %d: %.300s", resp.StatusCode, raw)
	}
	return raw, nil
}

// The staff account bench's server creates (STAFF_EMAIL), to change stock
// while the home page is loaded.
const (
	benchStaffEmail    = "bench-staff@example.com"
	benchStaffPassword = "bench-staff-password-2026"
)

// writeStock sets the fixture variant's stock every interval until ctx
// ends, and returns how many writes succeeded and the first error.
func writeStock(ctx context.Context, c *client, fx *fixtures, interval time.Duration) (int, error) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	n := 0
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return n, nil
		case <-tick.C:
		}
		err := c.graphql(ctx, stockSetMutation, map[string]any{"v": fx.stockVariant, "w": fx.warehouse, "n": 1000 + i%2}, fx.staffToken, nil)
		if err != nil {
			if ctx.Err() != nil {
				return n, nil
			}
			return n, err
		}
		n++
	}
}

// fixtures are what the mix needs, made through the API as a client would.
type fixtures struct {
	token        string // the demo customer's access token
	staffToken   string // the bench's staff account's, for stock writes
	stockVariant string // a variant whose stock the writer changes
	warehouse    string // and the warehouse it changes it in
	// checkoutVariants are the two variants the checkout operation buys,
	// restocked to checkoutStock in every warehouse at setup.
	checkoutVariants [2]string
	slugs            []string
	categoryID       string
	categoryName     string
	cartID           string
	cartLines        int
	orders           int // in the customer's history (first 10)
	ordersPlaced     int // by this run
}

type userError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func makeFixtures(ctx context.Context, c *client) (*fixtures, error) {
	fx := &fixtures{}

	var signIn struct {
		CustomerSignIn struct {
			AccessToken string      `json:"accessToken"`
			UserErrors  []userError `json:"userErrors"`
		} `json:"customerSignIn"`
	}
	err := c.graphql(ctx, `mutation($e: String!, $p: String!) { customerSignIn(input: {email: $e, password: $p}) {
	    accessToken userErrors { code message } } }`,
		map[string]any{"e": demo.CustomerEmail, "p": demo.CustomerPassword}, "", &signIn)
	if err != nil {
		return nil, fmt.Errorf("sign in: %w", err)
	}
	if ue := signIn.CustomerSignIn.UserErrors; len(ue) > 0 || signIn.CustomerSignIn.AccessToken == "" {
		return nil, fmt.Errorf("sign in as %s: %v", demo.CustomerEmail, ue)
	}
	fx.token = signIn.CustomerSignIn.AccessToken

	// Product slugs for the product page, and variants with stock to spare
	// for the cart and the orders: the newest 100 products, in two pages
	// (a product may have 100 variants: 100 of them at once cost more than
	// the operation limit).
	type catalogPage struct {
		Products struct {
			Edges []struct {
				Node struct {
					Slug     string `json:"slug"`
					Variants []struct {
						ID                string `json:"id"`
						QuantityAvailable int    `json:"quantityAvailable"`
					} `json:"variants"`
				} `json:"node"`
			} `json:"edges"`
			PageInfo struct {
				HasNextPage bool   `json:"hasNextPage"`
				EndCursor   string `json:"endCursor"`
			} `json:"pageInfo"`
		} `json:"products"`
	}
	var catalogue catalogPage
	var after any
	for range 2 {
		var page catalogPage
		err = c.graphql(ctx, `query($after: Cursor) { products(first: 50, after: $after, sortKey: CREATED_AT, reverse: true) { edges { node {
		    slug variants { id quantityAvailable } } } pageInfo { hasNextPage endCursor } } }`, map[string]any{"after": after}, "", &page)
		if err != nil {
			return nil, fmt.Errorf("catalogue: %w", err)
		}
		catalogue.Products.Edges = append(catalogue.Products.Edges, page.Products.Edges...)
		if !page.Products.PageInfo.HasNextPage {
			break
		}
		after = page.Products.PageInfo.EndCursor
	}
	var plenty []string // one variant per product, with stock for many orders
	for _, e := range catalogue.Products.Edges {
		fx.slugs = append(fx.slugs, e.Node.Slug)
		for _, v := range e.Node.Variants {
			if v.QuantityAvailable >= 25 {
				plenty = append(plenty, v.ID)
				break
			}
		}
	}
	if len(fx.slugs) == 0 || len(plenty) < cartLines+3 {
		return nil, fmt.Errorf("the catalogue has %d products and %d well-stocked variants among the newest 100: too few", len(fx.slugs), len(plenty))
	}
	fx.stockVariant = plenty[len(plenty)-1]
	// Not in the cart fixture, the orders or the stock writes.
	fx.checkoutVariants = [2]string{plenty[cartLines], plenty[cartLines+1]}

	var staff struct {
		CustomerSignIn struct {
			AccessToken string `json:"accessToken"`
		} `json:"customerSignIn"`
	}
	if err := c.graphql(ctx, `mutation($e: String!, $p: String!) { customerSignIn(input: {email: $e, password: $p}) { accessToken } }`,
		map[string]any{"e": benchStaffEmail, "p": benchStaffPassword}, "", &staff); err != nil || staff.CustomerSignIn.AccessToken == "" {
		return nil, fmt.Errorf("staff sign-in: %v", err)
	}
	fx.staffToken = staff.CustomerSignIn.AccessToken
	var whs struct {
		Warehouses struct {
			Edges []struct {
				Node struct {
					ID string `json:"id"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"warehouses"`
	}
	if err := c.graphql(ctx, `{ warehouses(first: 100) { edges { node { id } } } }`, nil, fx.staffToken, &whs); err != nil || len(whs.Warehouses.Edges) == 0 {
		return nil, fmt.Errorf("warehouses: %v", err)
	}
	fx.warehouse = whs.Warehouses.Edges[0].Node.ID
	for _, w := range whs.Warehouses.Edges {
		for _, v := range fx.checkoutVariants {
			if err := c.graphql(ctx, stockSetMutation, map[string]any{"v": v, "w": w.Node.ID, "n": checkoutStock}, fx.staffToken, nil); err != nil {
				return nil, fmt.Errorf("restock the checkout variants: %w", err)
			}
		}
	}

	var cats struct {
		Categories struct {
			Edges []struct {
				Node struct {
					ID   string `json:"id"`
					Name string `json:"name"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"categories"`
	}
	if err := c.graphql(ctx, `{ categories(first: 1, filter: {topLevel: true}) { edges { node { id name } } } }`, nil, "", &cats); err != nil {
		return nil, fmt.Errorf("categories: %w", err)
	}
	if len(cats.Categories.Edges) == 0 {
		return nil, fmt.Errorf("no top-level category")
	}
	fx.categoryID, fx.categoryName = cats.Categories.Edges[0].Node.ID, cats.Categories.Edges[0].Node.Name

	// A guest cart with 20 lines, read by its ID as in statements_test.go.
	lines := make([]map[string]any, cartLines)
	for i := range lines {
		lines[i] = map[string]any{"variantId": plenty[i], "quantity": 1}
	}
	cartID, n, err := createCart(ctx, c, lines, "")
	if err != nil {
		return nil, fmt.Errorf("cart: %w", err)
	}
	fx.cartID, fx.cartLines = cartID, n

	// Orders: top the demo customer's history up to 10 (later runs reuse
	// those of earlier ones, so the stock stays put).
	have, err := orderCount(ctx, c, fx.token)
	if err != nil {
		return nil, err
	}
	runID := time.Now().UTC().Format("20060102T150405")
	for i := have; i < historyOrders; i++ {
		two := []map[string]any{
			{"variantId": plenty[(2*i)%len(plenty)], "quantity": 1},
			{"variantId": plenty[(2*i+1)%len(plenty)], "quantity": 1},
		}
		id, _, err := createCart(ctx, c, two, fx.token)
		if err != nil {
			return nil, fmt.Errorf("order %d: cart: %w", i+1, err)
		}
		if err := checkout(ctx, c, id, fmt.Sprintf("bench-%s-%02d", runID, i), fx.token); err != nil {
			return nil, fmt.Errorf("order %d: %w", i+1, err)
		}
		fx.ordersPlaced++
	}
	if fx.orders, err = orderCount(ctx, c, fx.token); err != nil {
		return nil, err
	}
	if fx.orders < historyOrders {
		return nil, fmt.Errorf("the demo customer has %d orders after checkout, want %d", fx.orders, historyOrders)
	}
	return fx, nil
}

func createCart(ctx context.Context, c *client, lines []map[string]any, token string) (id string, n int, err error) {
	var out struct {
		CartCreate struct {
			Cart *struct {
				ID    string `json:"id"`
				Lines []struct {
					ID string `json:"id"`
				} `json:"lines"`
			} `json:"cart"`
			UserErrors []userError `json:"userErrors"`
			Warnings   []userError `json:"warnings"`
		} `json:"cartCreate"`
	}
	err = c.graphql(ctx, `mutation($lines: [CartLineInput!]) { cartCreate(input: {lines: $lines}) {
	    cart { id lines { id } } userErrors { code message } warnings { code message } } }`,
		map[string]any{"lines": lines}, token, &out)
	if err != nil {
		return "", 0, err
	}
	p := out.CartCreate
	if len(p.UserErrors) > 0 || p.Cart == nil {
		return "", 0, fmt.Errorf("cartCreate: %v", p.UserErrors)
	}
	if len(p.Warnings) > 0 {
		return "", 0, fmt.Errorf("cartCreate warnings: %v", p.Warnings)
	}
	if len(p.Cart.Lines) != len(lines) {
		return "", 0, fmt.Errorf("cartCreate: %d lines, want %d", len(p.Cart.Lines), len(lines))
	}
	return p.Cart.ID, len(p.Cart.Lines), nil
}

func checkout(ctx context.Context, c *client, cartID, key, token string) error {
	var out struct {
		CheckoutComplete struct {
			Order *struct {
				Number string `json:"number"`
				Status string `json:"status"`
			} `json:"order"`
			UserErrors []userError `json:"userErrors"`
		} `json:"checkoutComplete"`
	}
	err := c.graphql(ctx, `mutation($cart: ID!, $key: String!) { checkoutComplete(input: {
	    cartId: $cart, email: "demo@example.com", idempotencyKey: $key,
	    shippingAddress: {firstName: "Demo", lastName: "Shopper", address1: "1 Bench Street", city: "London", zip: "SW1Y 4JH", countryCode: "GB"}
	  }) { order { number status } userErrors { code message } } }`,
		map[string]any{"cart": cartID, "key": key}, token, &out)
	if err != nil {
		return fmt.Errorf("checkoutComplete: %w", err)
	}
	p := out.CheckoutComplete
	if len(p.UserErrors) > 0 || p.Order == nil {
		return fmt.Errorf("checkoutComplete: %v", p.UserErrors)
	}
	return nil
}

func orderCount(ctx context.Context, c *client, token string) (int, error) {
	var out struct {
		Viewer *struct {
			Orders struct {
				TotalCount int `json:"totalCount"`
			} `json:"orders"`
		} `json:"viewer"`
	}
	if err := c.graphql(ctx, `{ viewer { orders(first: 1) { totalCount } } }`, nil, token, &out); err != nil {
		return 0, fmt.Errorf("order history: %w", err)
	}
	if out.Viewer == nil {
		return 0, fmt.Errorf("order history: viewer is null (token refused?)")
	}
	return out.Viewer.Orders.TotalCount, nil
}
