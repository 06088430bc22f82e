package cart

import (
	"context"
	"fmt"

	"storefront/commerce/money"
	"storefront/commerce/pricing"
	"storefront/ent"
	"storefront/ent/cartline"
	"storefront/ent/product"
)

// PricedLine is a cart line with its current price. Variant is nil when
// the variant is no longer for sale; such a line costs nothing and blocks
// checkout.
type PricedLine struct {
	Line      *ent.CartLine
	Variant   *ent.ProductVariant
	UnitPrice int64
	Total     int64
}

// Priced is a cart priced now.
type Priced struct {
	Lines    []PricedLine
	Cost     pricing.Cost
	Currency string
	// Discount is the applied code, nil when none applies.
	Discount *ent.DiscountCode
}

// forSale returns v when its product is ACTIVE, else nil. Shoppers cannot
// see other variants anyway (the privacy rules); staff can, and may not buy
// them either.
func forSale(v *ent.ProductVariant) *ent.ProductVariant {
	if v == nil || v.Edges.Product == nil || v.Edges.Product.Status != product.StatusACTIVE {
		return nil
	}
	return v
}

// Price prices a cart from current variant prices, its discount code and
// the shop's shipping and tax rules: two statements (lines with their
// variants) plus one for a discount code. An expired or used-up code is
// left out rather than failing the cart.
func (s *Service) Price(ctx context.Context, c *ent.Cart) (*Priced, error) {
	db := s.client
	if tx := ent.TxFromContext(ctx); tx != nil {
		db = tx.Client()
	}
	lines, err := db.CartLine.Query().
		Where(cartline.CartID(c.ID)).
		WithVariant(func(q *ent.ProductVariantQuery) { q.WithProduct() }).
		Order(cartline.ByCreatedAt(), cartline.ByID()).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("cart: price: %w", err)
	}
	p := &Priced{Currency: s.Currency()}
	var pl []pricing.Line
	for _, l := range lines {
		v := forSale(l.Edges.Variant)
		line := PricedLine{Line: l, Variant: v}
		if v != nil {
			line.UnitPrice, line.Total = v.Price, v.Price*int64(l.Quantity)
			p.Currency = v.CurrencyCode
			pl = append(pl, pricing.Line{UnitPrice: v.Price, Quantity: l.Quantity})
		}
		p.Lines = append(p.Lines, line)
	}
	if c.DiscountCode != nil {
		if d, err := s.discount(ctx, db, *c.DiscountCode, nil); err == nil {
			p.Discount = d
		}
	}
	p.Cost, err = pricing.Quote(pl, PricingDiscount(p.Discount), s.rules)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// The cart's amounts as money in its currency: the fields of the API's
// CartCost, which the schema binds to these methods.

// SubtotalMoney is the sum of the lines.
func (p *Priced) SubtotalMoney() money.Money { return money.New(p.Cost.Subtotal, p.Currency) }

// DiscountMoney is what the discount code takes off.
func (p *Priced) DiscountMoney() money.Money { return money.New(p.Cost.Discount, p.Currency) }

// ShippingMoney is the shipping charge.
func (p *Priced) ShippingMoney() money.Money { return money.New(p.Cost.Shipping, p.Currency) }

// TaxMoney is the tax.
func (p *Priced) TaxMoney() money.Money { return money.New(p.Cost.Tax, p.Currency) }

// TotalMoney is what the shopper pays.
func (p *Priced) TotalMoney() money.Money { return money.New(p.Cost.Total, p.Currency) }
