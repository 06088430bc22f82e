package graph

import (
	"context"
	"errors"
	"fmt"

	"storefront/commerce"
	"storefront/commerce/cart"
	"storefront/commerce/checkout"
	"storefront/commerce/identity"
	"storefront/commerce/money"
	"storefront/ent"
	"storefront/ent/order"
	"storefront/graph/model"
	"storefront/relay/gid"
)

// userErrors splits a domain error for a mutation payload: mistakes the
// user can correct (bad input, not found, conflict, wrong credentials)
// become userErrors; authentication, permission, rate limits and internal
// failures stay top-level errors with their extensions.code.
func userErrors(err error) ([]*model.UserError, error) {
	if err == nil {
		return []*model.UserError{}, nil
	}
	e, ok := errors.AsType[*commerce.Error](err)
	if !ok {
		return nil, err
	}
	switch e.Code {
	case commerce.Unauthenticated, commerce.Forbidden, commerce.RateLimited, commerce.Internal:
		return nil, err
	}
	return []*model.UserError{{Field: e.Field, Message: e.Message, Code: string(e.Code)}}, nil
}

func tokenPayload(t *identity.Tokens, err error) (*model.CustomerTokenPayload, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	p := &model.CustomerTokenPayload{UserErrors: ue}
	if t != nil {
		p.AccessToken, p.RefreshToken = &t.AccessToken, &t.RefreshToken
		p.AccessTokenExpiresAt, p.SessionExpiresAt = &t.AccessTokenExpiresAt, &t.SessionExpiresAt
		p.Customer = t.Customer
	}
	return p, nil
}

func customerPayload(c *ent.Customer, err error) (*model.CustomerPayload, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	return &model.CustomerPayload{Customer: c, UserErrors: ue}, nil
}

func addressPayload(ctx context.Context, r *mutationResolver, a *ent.Address, err error) (*model.CustomerAddressPayload, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	p := &model.CustomerAddressPayload{Address: a, UserErrors: ue}
	if a != nil {
		if p.Customer, err = r.Identity.Me(ctx); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func addressInput(in model.MailingAddressInput) identity.AddressInput {
	return identity.AddressInput{
		FirstName: deref(in.FirstName), LastName: deref(in.LastName),
		Address1: in.Address1, Address2: deref(in.Address2),
		City: in.City, Province: deref(in.Province), Zip: deref(in.Zip),
		CountryCode: in.CountryCode, Phone: deref(in.Phone),
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func productPayload(p *ent.Product, err error) (*model.ProductPayload, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	return &model.ProductPayload{Product: p, UserErrors: ue}, nil
}

func variantPayload(v *ent.ProductVariant, err error) (*model.ProductVariantPayload, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	return &model.ProductVariantPayload{ProductVariant: v, UserErrors: ue}, nil
}

func categoryPayload(c *ent.Category, err error) (*model.CategoryPayload, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	return &model.CategoryPayload{Category: c, UserErrors: ue}, nil
}

func warehousePayload(w *ent.Warehouse, err error) (*model.WarehousePayload, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	return &model.WarehousePayload{Warehouse: w, UserErrors: ue}, nil
}

func stockPayload(ctx context.Context, r *mutationResolver, level *ent.StockLevel, err error) (*model.StockLevelSetPayload, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	p := &model.StockLevelSetPayload{StockLevel: level, UserErrors: ue}
	if level != nil {
		if p.ProductVariant, err = level.QueryVariant().Only(ctx); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// values turns an optional list of pointers into an optional list of values.
func values[T any](in []*T) *[]T {
	if in == nil {
		return nil
	}
	out := make([]T, 0, len(in))
	for _, v := range in {
		if v != nil {
			out = append(out, *v)
		}
	}
	return &out
}

func moneyOf(minor int64, currency string) *money.Money {
	m := money.New(minor, currency)
	return &m
}

func lineInputs(lines []*model.CartLineInput, field ...string) ([]cart.LineInput, error) {
	out := make([]cart.LineInput, 0, len(lines))
	for i, l := range lines {
		at := append(append([]string{}, field...), fmt.Sprint(i), "variantId")
		vid, err := idOf(&l.VariantID, "ProductVariant", at...)
		if err != nil {
			return nil, err
		}
		out = append(out, cart.LineInput{VariantID: *vid, Quantity: l.Quantity})
	}
	return out, nil
}

func cartPayload(res *cart.Result, err error) (*model.CartPayload, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	p := &model.CartPayload{UserErrors: ue, Warnings: []*model.CartWarning{}}
	if res != nil {
		p.Cart = res.Cart
		for _, w := range res.Warnings {
			id := gid.New("ProductVariant", w.VariantID)
			avail := w.AvailableQuantity
			p.Warnings = append(p.Warnings, &model.CartWarning{Code: w.Code, Message: w.Message, VariantID: &id, AvailableQuantity: &avail})
		}
	}
	return p, nil
}

func checkoutPayload(res *checkout.Result, err error) (*model.CheckoutCompletePayload, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	p := &model.CheckoutCompletePayload{UserErrors: ue}
	if res != nil {
		p.Order = res.Order
		if res.PaymentError != nil {
			more, err := userErrors(res.PaymentError)
			if err != nil {
				return nil, err
			}
			p.UserErrors = append(p.UserErrors, more...)
		}
	}
	return p, nil
}

func orderPayload(o *ent.Order, err error) (*model.OrderPayload, error) {
	ue, err := userErrors(err)
	if err != nil {
		return nil, err
	}
	return &model.OrderPayload{Order: o, UserErrors: ue}, nil
}

// move runs a staff status change of an order.
func (r *mutationResolver) move(ctx context.Context, id gid.ID, to order.Status, note string) (*model.OrderPayload, error) {
	oid, err := idOf(&id, "Order", "id")
	if err != nil {
		return orderPayload(nil, err)
	}
	return orderPayload(r.OrderService.Move(ctx, *oid, to, note))
}

// orderCurrency is the currency of a line's order (lines do not repeat it).
func (r *orderLineResolver) orderCurrency(ctx context.Context, l *ent.OrderLine) string {
	if o := l.Edges.Order; o != nil {
		return o.CurrencyCode
	}
	if c, err := l.QueryOrder().Select(order.FieldCurrencyCode).String(ctx); err == nil {
		return c
	}
	return r.Catalog.Currency // the shop's
}
