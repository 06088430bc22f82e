package cart

import (
	"context"
	"fmt"

	"storefront/commerce"
	"storefront/commerce/access"
	"storefront/commerce/inventory"
	"storefront/commerce/txn"
	"storefront/commerce/viewer"
	"storefront/ent"
	entcart "storefront/ent/cart"
	"storefront/ent/cartline"
)

// MergeAfterSignIn merges a guest cart into the cart of the customer who
// has just signed in (v, from the new session: the request itself is
// still anonymous), as that customer, and prices the result as them.
// Errors: those of MergeGuestCart.
func (s *Service) MergeAfterSignIn(ctx context.Context, v viewer.Viewer, guestCartID int) (*Result, *Priced, error) {
	asCustomer := viewer.NewContext(ctx, v)
	res, err := s.MergeGuestCart(asCustomer, guestCartID)
	if err != nil || res == nil {
		return nil, nil, err
	}
	priced, err := s.Price(asCustomer, res.Cart)
	if err != nil {
		return nil, nil, err
	}
	return res, priced, nil
}

// MergeGuestCart moves a guest cart into the signed-in customer's active
// cart (creating one when they have none): quantities of the same variant
// are summed, then held to what is available and to MaxQuantity, and lines
// beyond MaxLines are dropped, each with a warning. The guest cart is then
// closed (MERGED). Errors: Unauthenticated, NotFound.
func (s *Service) MergeGuestCart(ctx context.Context, guestCartID int) (*Result, error) {
	v := viewer.FromContext(ctx)
	if !v.SignedIn() {
		return nil, commerce.Errorf(commerce.Unauthenticated, "sign in to merge a cart")
	}
	ctx = access.WithKnownIDs(ctx)
	access.Know(ctx, entcart.Table, guestCartID)
	var res *Result
	err := txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		q := tx.Cart.Query().Where(entcart.ID(guestCartID)).WithLines()
		q.Modify(txn.LockRows)
		guest, err := q.Only(ctx)
		if ent.IsNotFound(err) {
			return errNoCart
		}
		if err != nil {
			return err
		}
		if guest.CustomerID != nil && *guest.CustomerID != v.CustomerID {
			// Only a guest cart (or one's own) merges; staff see others'
			// carts but do not take them.
			return errNoCart
		}
		if guest.Status != entcart.StatusACTIVE {
			return errClosed
		}
		// The customer's newest open cart, read inside this transaction.
		target, err := tx.Cart.Query().
			Where(entcart.CustomerID(v.CustomerID), entcart.StatusEQ(entcart.StatusACTIVE)).
			Order(ent.Desc(entcart.FieldUpdatedAt), ent.Desc(entcart.FieldID)).
			First(ctx)
		if ent.IsNotFound(err) {
			target, err = nil, nil
		}
		if err != nil {
			return err
		}
		if target == nil || target.ID == guest.ID {
			// Adopt the guest cart as it is.
			s.Changed(ctx, guest.ID)
			if err := tx.Cart.UpdateOneID(guest.ID).SetCustomerID(v.CustomerID).AddVersion(1).Exec(access.System(ctx)); err != nil {
				return fmt.Errorf("cart: adopt: %w", err)
			}
			res, err = s.result(ctx, tx, guest.ID, nil)
			return err
		}
		existing, err := tx.CartLine.Query().Where(cartline.CartID(target.ID)).All(ctx)
		if err != nil {
			return err
		}
		qty := map[int]int{}
		var order []int
		for _, l := range existing {
			qty[l.VariantID] = l.Quantity
		}
		for _, l := range guest.Edges.Lines {
			if _, ok := qty[l.VariantID]; !ok {
				order = append(order, l.VariantID)
			}
			qty[l.VariantID] += l.Quantity
		}
		ids := make([]int, 0, len(qty))
		for id := range qty {
			ids = append(ids, id)
		}
		avail, err := inventory.VariantQuantities(ctx, tx, ids)
		if err != nil {
			return err
		}
		var warnings []Warning
		lines := len(existing)
		for _, l := range existing {
			want := qty[l.VariantID]
			n := min(want, max(avail[l.VariantID], l.Quantity), MaxQuantity)
			if n != l.Quantity {
				if err := tx.CartLine.UpdateOne(l).SetQuantity(n).Exec(ctx); err != nil {
					return err
				}
			}
			if n < want {
				// Also when the customer's line already held all there is:
				// the guest's units are left out, and the shopper is told.
				warnings = append(warnings, heldBack(l.VariantID, want, n, avail[l.VariantID]))
			}
		}
		for _, vid := range order {
			want := qty[vid]
			n := min(want, avail[vid], MaxQuantity)
			if n < want {
				warnings = append(warnings, heldBack(vid, want, n, avail[vid]))
			}
			if n == 0 {
				continue
			}
			if lines >= MaxLines {
				warnings = append(warnings, Warning{Code: string(commerce.LineLimit), VariantID: vid, AvailableQuantity: avail[vid],
					Message: fmt.Sprintf("not merged: a cart holds at most %d lines", MaxLines)})
				continue
			}
			if err := tx.CartLine.Create().SetCartID(target.ID).SetVariantID(vid).SetQuantity(n).Exec(ctx); err != nil {
				return fmt.Errorf("cart: merge line: %w", err)
			}
			lines++
		}
		s.Changed(ctx, guest.ID)
		s.Changed(ctx, target.ID)
		if err := tx.Cart.UpdateOneID(guest.ID).SetStatus(entcart.StatusMERGED).AddVersion(1).Exec(ctx); err != nil {
			return fmt.Errorf("cart: close guest cart: %w", err)
		}
		if err := tx.Cart.UpdateOneID(target.ID).AddVersion(1).Exec(ctx); err != nil {
			return err
		}
		res, err = s.result(ctx, tx, target.ID, nil)
		if res != nil {
			res.Warnings = append(res.Warnings, warnings...)
		}
		return err
	})
	return s.detach(ctx, res), err
}

// heldBack is the warning of a line merged short: by stock, or by the
// line limit when the stock would have allowed more.
func heldBack(variantID, want, got, available int) Warning {
	if got == MaxQuantity && available > got {
		return Warning{
			Code: string(commerce.LineLimit), VariantID: variantID, AvailableQuantity: available,
			Message: fmt.Sprintf("merged %d of the %d wanted: a line holds at most %d", got, want, MaxQuantity),
		}
	}
	return Warning{
		Code: string(commerce.NotEnoughStock), VariantID: variantID, AvailableQuantity: available,
		Message: fmt.Sprintf("merged %d of the %d wanted: only %d available", got, want, available),
	}
}
