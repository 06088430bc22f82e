package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"storefront/commerce/access"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent"
	"storefront/ent/order"
	"storefront/ent/product"
	"storefront/ent/schematype"
	"storefront/internal/apitest"
)

// The storefront operations of the benchmark mix, with the number of SQL
// statements each costs whatever the page size: field collection loads an
// edge for a whole page in one IN query, and the computed fields are primed
// once per page (graph/prime.go).
var statementBudget = []struct {
	name  string
	query string
	// want is the number of statements, stated so that a change shows up.
	want int64
	// why lists them.
	why string
}{
	{"home page", `query($n: Int) { products(first: $n, sortKey: CREATED_AT, reverse: true) { edges { node {
	    id title category { name } priceRange { minVariantPrice { amount currencyCode } } availableForSale } } } }`,
		2, "products (availableForSale is their stored in_stock); their categories"},
	{"category page", `query($n: Int, $c: ID) { products(first: $n, sortKey: PRICE, filter: {categoryId: $c, inStock: true}) {
	    totalCount edges { node { title priceRange { minVariantPrice { amount } } availableForSale } } pageInfo { hasNextPage endCursor } } }`,
		2, "products (category subtree from the stored paths, the stored in_stock flag); count"},
	{"product pages with variants and stock", `query($n: Int) { products(first: $n) { edges { node { title
	    variants { sku price { amount } compareAtPrice { amount } quantityAvailable availableForSale selectedOptions { name value } } } } } }`,
		2, "products; variants (quantityAvailable is their stored available)"},
	{"cart", `query($id: ID!) { cart(id: $id) { id version totalQuantity
	    lines { id quantity variant { sku product { title } } cost { unitPrice { amount } total { amount } } }
	    cost { subtotal { amount } shipping { amount } total { amount } } } }`,
		4, "cart; its lines; their variants; their products (the cart is priced from the row the cart field read)"},
	{"order history", `query($n: Int) { viewer { email orders(first: $n) { edges { node { number status createdAt
	    totalPrice { amount } lines { sku quantity unitPrice { amount } variant { title } } statusHistory { status } } } } } }`,
		5, "session check (which reads the viewer too); orders; lines; variants (their products are not asked for); status histories"},
}

// maxItems caps the page size of operations whose lists of lists would
// cost more than the operation limit (20,000) at 50: a product can have 100
// variants (about 1,400 per product here), an order 100 lines (about 600).
var maxItems = map[string]int{"product pages with variants and stock": 10, "order history": 25}

func TestStatementsPerRequest(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, cat := setup(t, db)
		ctx := access.System(context.Background())
		addProducts(t, db.Client, cat, 40) // 60 active products
		acc := api.SignUp(t, "buyer@example.com", "a long enough password")
		me := api.As(acc.AccessToken)
		customerID, _ := claimsOf(t, acc.AccessToken)

		for _, op := range statementBudget {
			t.Run(op.name, func(t *testing.T) {
				for _, n := range []int{1, 10, 50} {
					if n > maxItems[op.name] && maxItems[op.name] > 0 {
						n = maxItems[op.name]
					}
					vars := apitest.Vars{"n": n, "c": cat.electronics.GlobalID().String()}
					as := api
					switch op.name {
					case "cart":
						vars["id"] = cartWithLines(t, db.Client, ctx, n)
					case "order history":
						ordersFor(t, db.Client, ctx, customerID, n)
						as = me
					}
					if got := as.Statements(t, op.query, vars); got != op.want {
						t.Errorf("%d items: %d statements, want %d (%s)", n, got, op.want, op.why)
					}
				}
			})
		}
	})
}

func addProducts(t testing.TB, c *ent.Client, cat *catalogue, n int) {
	ctx := access.System(context.Background())
	for i := range n {
		p := c.Product.Create().SetTitle(fmt.Sprintf("Extra %02d", i)).SetSlug(fmt.Sprintf("extra-%02d", i)).
			SetStatus(product.StatusACTIVE).SetCategory(cat.headphones).SetMinPrice(500).SetMaxPrice(500).
			SetImages([]schematype.Image{}).SaveX(ctx)
		for j := range 3 {
			v := c.ProductVariant.Create().SetProduct(p).SetSku(fmt.Sprintf("X-%02d-%d", i, j)).SetPrice(500).SaveX(ctx)
			w := c.Warehouse.Query().FirstX(ctx)
			c.StockLevel.Create().SetVariant(v).SetWarehouse(w).SetOnHand(9).ExecX(ctx)
		}
	}
}

// cartWithLines makes a guest cart with n lines of distinct variants.
func cartWithLines(t testing.TB, c *ent.Client, ctx context.Context, n int) string {
	vs := c.ProductVariant.Query().Limit(n).AllX(ctx)
	if len(vs) < n {
		t.Fatalf("only %d variants", len(vs))
	}
	crt := c.Cart.Create().SaveX(ctx)
	for _, v := range vs {
		c.CartLine.Create().SetCart(crt).SetVariant(v).SetQuantity(1).ExecX(ctx)
	}
	return crt.GlobalID().String()
}

// ordersFor gives the customer exactly n orders of two lines each.
func ordersFor(t testing.TB, c *ent.Client, ctx context.Context, customerID, n int) {
	c.Order.Delete().Where(order.CustomerID(customerID)).ExecX(ctx)
	vs := c.ProductVariant.Query().Limit(2).AllX(ctx)
	for i := range n {
		o := c.Order.Create().SetNumber(fmt.Sprintf("T-%d-%d-%d", customerID, n, i)).SetCustomerID(customerID).SetCartID(i + 1).
			SetEmail("buyer@example.com").SetCurrencyCode("USD").SetSubtotal(200).SetTotal(200).
			SetShippingAddress(schematype.MailingAddress{Address1: "1 Main St", City: "X", CountryCode: "US"}).
			SetCreatedAt(time.Now().Add(time.Duration(i) * time.Second)).SaveX(ctx)
		for _, v := range vs {
			c.OrderLine.Create().SetOrder(o).SetVariant(v).SetProductTitle("P").SetVariantTitle("V").SetSku(v.Sku).
				SetUnitPrice(100).SetQuantity(1).SetLineTotal(100).SetAllocations([]schematype.Allocation{}).ExecX(ctx)
		}
		c.OrderEvent.Create().SetOrder(o).SetStatus("PENDING_PAYMENT").ExecX(ctx)
	}
}

// TestLoaderIsolation: loaders are made per response, so two customers
// asking at the same time never see each other's cached rows.
func TestLoaderIsolation(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api, _ := setup(t, db)
		ctx := access.System(context.Background())
		type who struct {
			api   *apitest.API
			email string
		}
		var people []who
		for _, email := range []string{"one@example.com", "two@example.com"} {
			acc := api.SignUp(t, email, "a long enough password")
			id, _ := claimsOf(t, acc.AccessToken)
			ordersFor(t, db.Client, ctx, id, 3)
			people = append(people, who{api.As(acc.AccessToken), email})
		}
		const q = `{ viewer { email orders(first: 10) { edges { node { email lines { sku } } } } } }`
		type resp struct {
			Viewer struct {
				Email  string
				Orders struct {
					Edges []struct{ Node struct{ Email string } }
				}
			}
		}
		errs := make(chan string, 40)
		done := make(chan struct{})
		for i := range 40 {
			p := people[i%2]
			go func() {
				defer func() { done <- struct{}{} }()
				status, body := p.api.Post(t, map[string]any{"query": q}, nil)
				var r struct{ Data resp }
				if status != 200 || json.Unmarshal(body, &r) != nil {
					errs <- fmt.Sprintf("status %d: %.200s", status, body)
					return
				}
				if r.Data.Viewer.Email != p.email || len(r.Data.Viewer.Orders.Edges) != 3 {
					errs <- fmt.Sprintf("%s got %+v", p.email, r.Data.Viewer)
				}
			}()
		}
		for range 40 {
			<-done
		}
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	})
}
