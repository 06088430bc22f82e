package graph_test

import (
	"testing"

	"storefront/database"
	"storefront/database/dbtest"
	"storefront/internal/apitest"
)

// TestStoredAvailabilityThroughTheAPI: a product made through the staff
// API is listed by a category page with inStock (and counted by its
// totalCount) exactly while one of its variants has stock, as stockLevelSet
// creates and changes its stock levels; availableForSale and
// quantityAvailable say the same.
func TestStoredAvailabilityThroughTheAPI(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api := apitest.New(t, db)
		boss := staff(t, api)
		var ids struct {
			CategoryCreate struct{ Category struct{ ID string } }
		}
		boss.Query(t, `mutation { categoryCreate(input: {name: "Lamps"}) { category { id } } }`, nil, &ids)
		cat := ids.CategoryCreate.Category.ID
		var prod struct {
			ProductCreate struct{ Product struct{ ID string } }
		}
		boss.Query(t, `mutation($c: ID) { productCreate(input: {title: "Desk Lamp", categoryId: $c, status: ACTIVE}) { product { id } } }`, apitest.Vars{"c": cat}, &prod)
		pid := prod.ProductCreate.Product.ID
		variant := func(sku string) string {
			var v struct {
				ProductVariantCreate struct{ ProductVariant struct{ ID string } }
			}
			boss.Query(t, `mutation($p: ID!, $sku: String!) { productVariantCreate(input: {productId: $p, sku: $sku, price: "20.00"}) { productVariant { id } } }`,
				apitest.Vars{"p": pid, "sku": sku}, &v)
			return v.ProductVariantCreate.ProductVariant.ID
		}
		small, large := variant("LAMP-S"), variant("LAMP-L")
		var whs [2]string
		for i, code := range []string{"A", "B"} {
			var w struct {
				WarehouseCreate struct{ Warehouse struct{ ID string } }
			}
			boss.Query(t, `mutation($c: String!) { warehouseCreate(input: {code: $c, name: $c}) { warehouse { id } } }`, apitest.Vars{"c": code}, &w)
			whs[i] = w.WarehouseCreate.Warehouse.ID
		}
		set := func(v, w string, n int) {
			t.Helper()
			var r struct {
				StockLevelSet struct{ UserErrors userErrs }
			}
			boss.Query(t, `mutation($v: ID!, $w: ID!, $n: Int!) { stockLevelSet(input: {variantId: $v, warehouseId: $w, onHand: $n}) { userErrors { field code } } }`,
				apitest.Vars{"v": v, "w": w, "n": n}, &r)
			if len(r.StockLevelSet.UserErrors) > 0 {
				t.Fatalf("stockLevelSet: %+v", r.StockLevelSet.UserErrors)
			}
		}
		expect := func(what string, listed bool, qtySmall, qtyLarge int) {
			t.Helper()
			var page struct {
				Products struct {
					TotalCount int
					Edges      []struct {
						Node struct {
							ID               string
							AvailableForSale bool
						}
					}
				}
			}
			api.Query(t, `query($c: ID) { products(first: 10, filter: {categoryId: $c, inStock: true, price: {min: "10.00", max: "30.00"}}) {
			  totalCount edges { node { id availableForSale } } } }`, apitest.Vars{"c": cat}, &page)
			wantCount := 0
			if listed {
				wantCount = 1
			}
			if page.Products.TotalCount != wantCount || len(page.Products.Edges) != wantCount {
				t.Fatalf("%s: category page with inStock: totalCount %d, %d edges; want %d", what, page.Products.TotalCount, len(page.Products.Edges), wantCount)
			}
			if listed && (page.Products.Edges[0].Node.ID != pid || !page.Products.Edges[0].Node.AvailableForSale) {
				t.Fatalf("%s: listed %+v", what, page.Products.Edges[0].Node)
			}
			var one struct {
				Product struct {
					AvailableForSale bool
					Variants         []struct {
						ID                string
						QuantityAvailable int
						AvailableForSale  bool
					}
				}
			}
			api.Query(t, `query($id: ID) { product(id: $id) { availableForSale variants { id quantityAvailable availableForSale } } }`, apitest.Vars{"id": pid}, &one)
			if one.Product.AvailableForSale != listed || len(one.Product.Variants) != 2 {
				t.Fatalf("%s: product %+v", what, one.Product)
			}
			for _, v := range one.Product.Variants {
				want := map[string]int{small: qtySmall, large: qtyLarge}[v.ID]
				if v.QuantityAvailable != want || v.AvailableForSale != (want > 0) {
					t.Fatalf("%s: variant %s: %+v, want %d available", what, v.ID, v, want)
				}
			}
		}
		expect("no stock levels", false, 0, 0)
		set(small, whs[0], 3) // creates the stock level
		expect("3 in A", true, 3, 0)
		set(small, whs[1], 2)
		set(large, whs[1], 1)
		expect("3 in A, 2 + 1 in B", true, 5, 1)
		set(small, whs[0], 0)
		set(small, whs[1], 0)
		expect("small sold out", true, 0, 1)
		set(large, whs[1], 0)
		expect("all sold out", false, 0, 0)
	})
}
