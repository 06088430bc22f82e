package graph_test

import (
	"testing"

	"storefront/commerce/access"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent/customer"
	"storefront/internal/apitest"
)

// staff signs a staff account in.
func staff(t *testing.T, api *apitest.API) *apitest.API {
	t.Helper()
	if _, err := api.Identity.EnsureAccount(t.Context(), "boss@example.com", "staff password 1", "Boss", customer.RoleSTAFF); err != nil {
		t.Fatal(err)
	}
	return api.As(api.SignIn(t, "boss@example.com", "staff password 1").AccessToken)
}

type userErrs []struct {
	Field []string
	Code  string
}

func TestStaffManagesCatalogue(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api := apitest.New(t, db)
		boss := staff(t, api)

		var cat struct {
			CategoryCreate struct {
				Category   *struct{ ID, Slug string }
				UserErrors userErrs
			}
		}
		boss.Query(t, `mutation { categoryCreate(input: {name: "Garden Tools"}) { category { id slug } userErrors { field code } } }`, nil, &cat)
		if cat.CategoryCreate.Category == nil || cat.CategoryCreate.Category.Slug != "garden-tools" {
			t.Fatalf("categoryCreate: %+v", cat)
		}
		catID := cat.CategoryCreate.Category.ID
		var child struct {
			CategoryCreate struct{ Category *struct{ ID string } }
		}
		boss.Query(t, `mutation($p: ID) { categoryCreate(input: {name: "Rakes", parentId: $p}) { category { id } } }`, apitest.Vars{"p": catID}, &child)
		// A category cannot move below its own child.
		var cyc struct {
			CategoryUpdate struct{ UserErrors userErrs }
		}
		boss.Query(t, `mutation($id: ID!, $p: ID) { categoryUpdate(id: $id, input: {parentId: $p}) { userErrors { field code } } }`,
			apitest.Vars{"id": catID, "p": child.CategoryCreate.Category.ID}, &cyc)
		if len(cyc.CategoryUpdate.UserErrors) != 1 || cyc.CategoryUpdate.UserErrors[0].Code != "BAD_USER_INPUT" {
			t.Fatalf("category cycle: %+v", cyc)
		}

		var prod struct {
			ProductCreate struct {
				Product *struct {
					ID, Slug, Status string
				}
				UserErrors userErrs
			}
		}
		boss.Query(t, `mutation($c: ID) { productCreate(input: {title: "Steel Rake", categoryId: $c, images: [{url: "https://img.example/rake.jpg", altText: "A rake"}]}) { product { id slug status } userErrors { field code } } }`,
			apitest.Vars{"c": child.CategoryCreate.Category.ID}, &prod)
		p := prod.ProductCreate.Product
		if p == nil || p.Slug != "steel-rake" || p.Status != "DRAFT" {
			t.Fatalf("productCreate: %+v", prod)
		}
		const addVariant = `mutation($p: ID!, $sku: String!, $price: String!, $cmp: String) {
		  productVariantCreate(input: {productId: $p, sku: $sku, price: $price, compareAtPrice: $cmp, selectedOptions: [{name: "Size", value: "L"}]}) {
		    productVariant { id sku price { amount } product { priceRange { minVariantPrice { amount } maxVariantPrice { amount } } } }
		    userErrors { field code } } }`
		type variantResp struct {
			ProductVariantCreate struct {
				ProductVariant *struct {
					ID, Sku string
					Price   struct{ Amount string }
					Product struct {
						PriceRange struct {
							MinVariantPrice, MaxVariantPrice struct{ Amount string }
						}
					}
				}
				UserErrors userErrs
			}
		}
		var v1, v2, dup, bad variantResp
		boss.Query(t, addVariant, apitest.Vars{"p": p.ID, "sku": "RAKE-L", "price": "19.99", "cmp": "24.99"}, &v1)
		boss.Query(t, addVariant, apitest.Vars{"p": p.ID, "sku": "RAKE-XL", "price": "9.5"}, &v2)
		if v2.ProductVariantCreate.ProductVariant == nil {
			t.Fatalf("second variant: %+v", v2)
		}
		if pr := v2.ProductVariantCreate.ProductVariant.Product.PriceRange; pr.MinVariantPrice.Amount != "9.50" || pr.MaxVariantPrice.Amount != "19.99" {
			t.Fatalf("price range after two variants: %+v", pr)
		}
		boss.Query(t, addVariant, apitest.Vars{"p": p.ID, "sku": "RAKE-L", "price": "1"}, &dup)
		if ue := dup.ProductVariantCreate.UserErrors; len(ue) != 1 || ue[0].Code != "TAKEN" {
			t.Fatalf("duplicate SKU: %+v", dup)
		}
		boss.Query(t, addVariant, apitest.Vars{"p": p.ID, "sku": "RAKE-S", "price": "5.00", "cmp": "4.00"}, &bad)
		if ue := bad.ProductVariantCreate.UserErrors; len(ue) != 1 || ue[0].Field[1] != "compareAtPrice" {
			t.Fatalf("compareAtPrice below price: %+v", bad)
		}

		// A price change moves the range; the draft is invisible to shoppers
		// until it is activated.
		var upd struct {
			ProductVariantUpdate struct {
				ProductVariant *struct {
					Product struct {
						PriceRange struct{ MaxVariantPrice struct{ Amount string } }
					}
				}
			}
		}
		boss.Query(t, `mutation($id: ID!) { productVariantUpdate(id: $id, input: {price: "29.99"}) { productVariant { product { priceRange { maxVariantPrice { amount } } } } } }`,
			apitest.Vars{"id": v1.ProductVariantCreate.ProductVariant.ID}, &upd)
		if got := upd.ProductVariantUpdate.ProductVariant.Product.PriceRange.MaxVariantPrice.Amount; got != "29.99" {
			t.Fatalf("max price after update = %s", got)
		}
		var anon productDetailResp
		api.Query(t, productDetail, apitest.Vars{"slug": "steel-rake"}, &anon)
		if anon.Product != nil {
			t.Fatal("shoppers see a draft")
		}
		boss.Query(t, `mutation($id: ID!) { productUpdate(id: $id, input: {status: ACTIVE}) { product { status } } }`, apitest.Vars{"id": p.ID}, &struct{}{})
		api.Query(t, productDetail, apitest.Vars{"slug": "steel-rake"}, &anon)
		if anon.Product == nil || len(anon.Product.Variants) != 2 || anon.Product.AvailableForSale {
			t.Fatalf("after activation: %+v", anon.Product)
		}

		// Stock: a warehouse, then stock that shoppers see as a total.
		var wh struct {
			WarehouseCreate struct {
				Warehouse *struct {
					ID, Code string
				}
			}
		}
		boss.Query(t, `mutation { warehouseCreate(input: {code: "de-ber", name: "Berlin", priority: 1}) { warehouse { id code } } }`, nil, &wh)
		if wh.WarehouseCreate.Warehouse == nil || wh.WarehouseCreate.Warehouse.Code != "DE-BER" {
			t.Fatalf("warehouseCreate: %+v", wh)
		}
		const setStock = `mutation($v: ID!, $w: ID!, $n: Int!) { stockLevelSet(input: {variantId: $v, warehouseId: $w, onHand: $n}) {
		  stockLevel { onHand reserved available warehouse { code } } productVariant { quantityAvailable } userErrors { field code } } }`
		var st struct {
			StockLevelSet struct {
				StockLevel *struct {
					OnHand, Reserved, Available int
					Warehouse                   struct{ Code string }
				}
				ProductVariant *struct{ QuantityAvailable int }
				UserErrors     userErrs
			}
		}
		vid := v1.ProductVariantCreate.ProductVariant.ID
		boss.Query(t, setStock, apitest.Vars{"v": vid, "w": wh.WarehouseCreate.Warehouse.ID, "n": 7}, &st)
		if st.StockLevelSet.StockLevel == nil || st.StockLevelSet.StockLevel.Available != 7 || st.StockLevelSet.ProductVariant.QuantityAvailable != 7 || st.StockLevelSet.StockLevel.Warehouse.Code != "DE-BER" {
			t.Fatalf("stockLevelSet: %+v", st)
		}
		api.Query(t, productDetail, apitest.Vars{"slug": "steel-rake"}, &anon)
		if !anon.Product.AvailableForSale {
			t.Fatal("shoppers do not see the new stock")
		}
		for _, n := range []int{-1, 1_000_000_001} {
			boss.Query(t, setStock, apitest.Vars{"v": vid, "w": wh.WarehouseCreate.Warehouse.ID, "n": n}, &st)
			if ue := st.StockLevelSet.UserErrors; len(ue) != 1 || ue[0].Code != "BAD_USER_INPUT" {
				t.Fatalf("onHand %d: %+v", n, st)
			}
		}
		// Reserved units cannot be taken away.
		lvl := db.Client.StockLevel.Query().OnlyX(access.System(t.Context()))
		db.Client.StockLevel.UpdateOne(lvl).SetReserved(5).ExecX(access.System(t.Context()))
		boss.Query(t, setStock, apitest.Vars{"v": vid, "w": wh.WarehouseCreate.Warehouse.ID, "n": 4}, &st)
		if ue := st.StockLevelSet.UserErrors; len(ue) != 1 || ue[0].Field[1] != "onHand" {
			t.Fatalf("onHand below reserved: %+v", st)
		}
		// A product ID where a variant ID belongs is an input error.
		boss.Query(t, setStock, apitest.Vars{"v": p.ID, "w": wh.WarehouseCreate.Warehouse.ID, "n": 1}, &st)
		if ue := st.StockLevelSet.UserErrors; len(ue) != 1 || ue[0].Code != "BAD_USER_INPUT" {
			t.Fatalf("product ID as variant ID: %+v", st)
		}
	})
}
