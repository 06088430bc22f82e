package graph_test

import (
	"context"
	"fmt"
	"storefront/commerce/access"
	"testing"
	"time"

	"storefront/ent"
	"storefront/ent/product"
	"storefront/ent/schematype"
)

// catalogue is a small, fully known catalogue for API tests.
type catalogue struct {
	electronics, audio, headphones, fashion, shoes *ent.Category
	active                                         []*ent.Product // in ID order
	draft, archived                                *ent.Product
	variants                                       map[int][]*ent.ProductVariant // by product ID
}

// Titles are not in ID order, so that sorting by title is visible.
var fixtureTitles = []string{
	"Quartz Watch", "Bamboo Toothbrush", "Leather Wallet", "USB-C Charger", "Yoga Mat",
	"Denim Jacket", "Espresso Cup", "Headlamp", "Wool Scarf", "Ceramic Vase",
	"Kettle", "Phone Stand", "Ice Tray", "Notebook", "Sunglasses",
	"Running Shoes", "Garden Gloves", "Apron", "Travel Pillow", "Zip Hoodie",
}

// fixturePrice is the base price of the i-th product, in cents: not in ID
// order either.
func fixturePrice(i int) int64 { return int64((i*7)%20+1) * 100 }

func seedCatalogue(t testing.TB, c *ent.Client) *catalogue {
	t.Helper()
	ctx := access.System(context.Background())
	cat := &catalogue{variants: map[int][]*ent.ProductVariant{}}
	mk := func(name, slug string, parent *ent.Category, pos int) *ent.Category {
		q := c.Category.Create().SetName(name).SetSlug(slug).SetPosition(pos)
		if parent != nil {
			q.SetParent(parent)
		}
		return q.SaveX(ctx)
	}
	cat.electronics = mk("Electronics", "electronics", nil, 0)
	cat.audio = mk("Audio", "audio", cat.electronics, 0)
	cat.headphones = mk("Headphones", "headphones", cat.audio, 0)
	cat.fashion = mk("Fashion", "fashion", nil, 1)
	cat.shoes = mk("Shoes", "shoes", cat.fashion, 0)
	w1 := c.Warehouse.Create().SetCode("W1").SetName("One").SetPriority(0).SaveX(ctx)
	w2 := c.Warehouse.Create().SetCode("W2").SetName("Two").SetPriority(1).SaveX(ctx)

	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cats := []*ent.Category{cat.headphones, cat.audio, cat.shoes, cat.electronics}
	for i, title := range fixtureTitles {
		price := fixturePrice(i)
		p := c.Product.Create().
			SetTitle(title).
			SetSlug(fmt.Sprintf("p-%02d", i)).
			SetStatus(product.StatusACTIVE).
			SetCategory(cats[i%4]).
			SetImages([]schematype.Image{{URL: fmt.Sprintf("https://img.example/%d.jpg", i), AltText: title}}).
			SetMinPrice(price).SetMaxPrice(price + 50).SetCurrencyCode("USD").
			SetCreatedAt(base.Add(time.Duration(i) * time.Hour)).
			SaveX(ctx)
		cat.active = append(cat.active, p)
		for j, vp := range []int64{price, price + 50} {
			v := c.ProductVariant.Create().
				SetProduct(p).
				SetSku(fmt.Sprintf("SKU-%02d-%d", i, j)).
				SetTitle([]string{"Small", "Large"}[j]).
				SetOptions([]schematype.SelectedOption{{Name: "Size", Value: []string{"S", "L"}[j]}}).
				SetPrice(vp).SetCurrencyCode("USD").SetPosition(j).
				SaveX(ctx)
			if j == 0 {
				v = c.ProductVariant.UpdateOne(v).SetCompareAtPrice(vp * 2).SaveX(ctx)
			}
			cat.variants[p.ID] = append(cat.variants[p.ID], v)
			// Even products: the small variant has 3+2 on hand, 1 reserved: 4
			// available. Odd products are sold out.
			onHand1, onHand2, reserved := 0, 0, 0
			if i%2 == 0 && j == 0 {
				onHand1, onHand2, reserved = 3, 2, 1
			}
			c.StockLevel.Create().SetVariant(v).SetWarehouse(w1).SetOnHand(onHand1).SetReserved(reserved).SaveX(ctx)
			c.StockLevel.Create().SetVariant(v).SetWarehouse(w2).SetOnHand(onHand2).SaveX(ctx)
		}
	}
	hidden := func(title string, status product.Status) *ent.Product {
		p := c.Product.Create().SetTitle(title).SetSlug(title).SetStatus(status).
			SetCategory(cat.audio).SetMinPrice(100).SetMaxPrice(100).SaveX(ctx)
		v := c.ProductVariant.Create().SetProduct(p).SetSku("SKU-" + title).SetPrice(100).SaveX(ctx)
		c.StockLevel.Create().SetVariant(v).SetWarehouse(w1).SetOnHand(10).SaveX(ctx)
		cat.variants[p.ID] = []*ent.ProductVariant{v}
		return p
	}
	cat.draft = hidden("draft-product", product.StatusDRAFT)
	cat.archived = hidden("archived-product", product.StatusARCHIVED)
	return cat
}

func sysCtx() context.Context { return access.System(context.Background()) }
