package graph

import (
	"context"
	"errors"

	"storefront/commerce"
	"storefront/commerce/cart"
	"storefront/commerce/checkout"
	"storefront/commerce/identity"
	"storefront/commerce/money"
	"storefront/ent"
	"storefront/graph/model"
	"storefront/relay/gid"
)

// Domain results to GraphQL payloads: domain errors become userErrors or
// top-level errors; entities and results become payload types.

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

func moneyOf(minor int64, currency string) *money.Money {
	m := money.New(minor, currency)
	return &m
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
			id := gid.New(gid.TypeProductVariant, w.VariantID)
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

// orNil turns a NotFound error into a null result, as a single-object
// lookup field should answer for an unknown object.
func orNil[T any](v *T, err error) (*T, error) {
	if commerce.ErrorCode(err) == commerce.NotFound {
		return nil, nil
	}
	return v, err
}
