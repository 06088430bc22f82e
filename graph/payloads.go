package graph

import (
	"context"
	"errors"

	"storefront/commerce"
	"storefront/commerce/identity"
	"storefront/ent"
	"storefront/graph/model"
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
