package identity

import (
	"context"
	"fmt"
	"strings"

	"storefront/commerce"
	"storefront/commerce/country"
	"storefront/commerce/txn"
	"storefront/ent"
	"storefront/ent/address"
)

// MaxAddresses bounds one customer's address book.
const MaxAddresses = 50

// AddressInput is a mailing address as a client sends it.
type AddressInput struct {
	FirstName, LastName, Address1, Address2 string
	City, Province, Zip, CountryCode, Phone string
}

// Normalize trims the fields, upper-cases the country code and checks
// required fields, lengths and that the country code is an assigned ISO
// 3166-1 alpha-2 code (commerce/country). Errors are commerce.Invalid on field+name.
func (in AddressInput) Normalize(field []string) (AddressInput, error) {
	out := AddressInput{
		FirstName: strings.TrimSpace(in.FirstName), LastName: strings.TrimSpace(in.LastName),
		Address1: strings.TrimSpace(in.Address1), Address2: strings.TrimSpace(in.Address2),
		City: strings.TrimSpace(in.City), Province: strings.TrimSpace(in.Province),
		Zip: strings.TrimSpace(in.Zip), CountryCode: country.Normalize(in.CountryCode),
		Phone: strings.TrimSpace(in.Phone),
	}
	at := func(name string) []string { return append(append([]string{}, field...), name) }
	for _, f := range []struct {
		name     string
		v        string
		required bool
		max      int
	}{
		{"firstName", out.FirstName, false, 100}, {"lastName", out.LastName, false, 100},
		{"address1", out.Address1, true, 200}, {"address2", out.Address2, false, 200},
		{"city", out.City, true, 100}, {"province", out.Province, false, 100},
		{"zip", out.Zip, false, 20}, {"phone", out.Phone, false, 32},
	} {
		if f.required && f.v == "" {
			return out, commerce.InvalidField(at(f.name), "%s is required", f.name)
		}
		if len([]rune(f.v)) > f.max {
			return out, commerce.InvalidField(at(f.name), "%s is longer than %d characters", f.name, f.max)
		}
	}
	if !country.Valid(out.CountryCode) {
		return out, commerce.InvalidField(at("countryCode"), "countryCode must be an assigned ISO 3166-1 alpha-2 country code such as US or PL")
	}
	return out, nil
}

// AddAddress adds an address to the viewer's book, and makes it the
// default when asked or when it is the first. Errors: Unauthenticated,
// Invalid, Conflict (book full).
func (s *Service) AddAddress(ctx context.Context, in AddressInput, makeDefault bool) (*ent.Address, error) {
	me, err := s.Me(ctx)
	if err != nil {
		return nil, err
	}
	in, err = in.Normalize([]string{"address"})
	if err != nil {
		return nil, err
	}
	var a *ent.Address
	err = txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		n, err := tx.Address.Query().Where(address.CustomerID(me.ID)).Count(ctx)
		if err != nil {
			return err
		}
		if n >= MaxAddresses {
			return commerce.Errorf(commerce.Conflict, "an address book holds at most %d addresses", MaxAddresses)
		}
		a, err = setAddress(tx.Address.Create().SetCustomerID(me.ID), in).Save(ctx)
		if err != nil {
			return err
		}
		if makeDefault || n == 0 {
			return tx.Customer.UpdateOneID(me.ID).SetDefaultAddressID(a.ID).Exec(ctx)
		}
		return nil
	})
	return txn.Detach(ctx, a), err
}

type addressSetter[T any] interface {
	SetFirstName(string) T
	SetLastName(string) T
	SetAddress1(string) T
	SetAddress2(string) T
	SetCity(string) T
	SetProvince(string) T
	SetZip(string) T
	SetCountryCode(string) T
	SetPhone(string) T
}

func setAddress[T addressSetter[T]](m T, in AddressInput) T {
	return m.SetFirstName(in.FirstName).SetLastName(in.LastName).
		SetAddress1(in.Address1).SetAddress2(in.Address2).
		SetCity(in.City).SetProvince(in.Province).SetZip(in.Zip).
		SetCountryCode(in.CountryCode).SetPhone(in.Phone)
}

// UpdateAddress replaces an address of the viewer's book. Errors:
// Unauthenticated, Invalid, NotFound (no such address of theirs).
func (s *Service) UpdateAddress(ctx context.Context, id int, in AddressInput) (*ent.Address, error) {
	me, err := s.Me(ctx)
	if err != nil {
		return nil, err
	}
	in, err = in.Normalize([]string{"address"})
	if err != nil {
		return nil, err
	}
	// The viewer's own book, staff included (staff may see every book).
	a, err := setAddress(s.client.Address.UpdateOneID(id).Where(address.CustomerID(me.ID)), in).Save(ctx)
	if ent.IsNotFound(err) {
		return nil, errNoAddress
	}
	if err != nil {
		return nil, fmt.Errorf("identity: update address: %w", err)
	}
	return a, nil
}

var errNoAddress = &commerce.Error{Code: commerce.NotFound, Message: "no such address in your address book", Field: []string{"id"}}

// DeleteAddress removes an address from the viewer's book; a default
// address stops being the default. Errors: Unauthenticated, NotFound.
func (s *Service) DeleteAddress(ctx context.Context, id int) error {
	me, err := s.Me(ctx)
	if err != nil {
		return err
	}
	return txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		if me.DefaultAddressID != nil && *me.DefaultAddressID == id {
			if err := tx.Customer.UpdateOneID(me.ID).ClearDefaultAddress().Exec(ctx); err != nil {
				return err
			}
		}
		n, err := tx.Address.Delete().Where(address.ID(id), address.CustomerID(me.ID)).Exec(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return errNoAddress
		}
		return nil
	})
}

// SetDefaultAddress makes one of the viewer's addresses the default.
// Errors: Unauthenticated, NotFound.
func (s *Service) SetDefaultAddress(ctx context.Context, id int) (*ent.Customer, error) {
	me, err := s.Me(ctx)
	if err != nil {
		return nil, err
	}
	ok, err := s.client.Address.Query().Where(address.ID(id), address.CustomerID(me.ID)).Exist(ctx)
	if err != nil {
		return nil, fmt.Errorf("identity: find address: %w", err)
	}
	if !ok {
		return nil, errNoAddress
	}
	return s.client.Customer.UpdateOneID(me.ID).SetDefaultAddressID(id).Save(ctx)
}

// UpdateName changes the viewer's display name. Errors: Unauthenticated,
// Invalid.
func (s *Service) UpdateName(ctx context.Context, name string) (*ent.Customer, error) {
	me, err := s.Me(ctx)
	if err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if len([]rune(name)) > 200 {
		return nil, commerce.InvalidField([]string{"input", "name"}, "name is longer than 200 characters")
	}
	return s.client.Customer.UpdateOneID(me.ID).SetName(name).Save(ctx)
}
