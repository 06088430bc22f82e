// Package checkout turns a cart into an order in one transaction: it
// re-prices the cart, spends the discount code, takes the stock, snapshots
// titles, SKUs and prices on the order lines, and records the idempotency
// key, so that a retried request returns the same order instead of a
// second one. Payment is taken after the commit.
package checkout

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"regexp"
	"time"

	"storefront/commerce"
	"storefront/commerce/access"
	"storefront/commerce/budget"
	"storefront/commerce/cart"
	"storefront/commerce/identity"
	"storefront/commerce/inventory"
	"storefront/commerce/orders"
	"storefront/commerce/txn"
	"storefront/commerce/viewer"
	"storefront/ent"
	entcart "storefront/ent/cart"
	"storefront/ent/discountcode"
	"storefront/ent/order"
	"storefront/ent/schematype"
)

// KeyTTL is how long an idempotency key names its order.
const KeyTTL = 24 * time.Hour

// Service completes checkouts.
type Service struct {
	client    *ent.Client
	carts     *cart.Service
	inventory *inventory.Service
	orders    *orders.Service
	now       func() time.Time
	budget    *budget.Limits
}

// New returns a checkout service.
func New(client *ent.Client, carts *cart.Service, inv *inventory.Service, ords *orders.Service) *Service {
	return &Service{client: client, carts: carts, inventory: inv, orders: ords, now: time.Now}
}

// WithBudget makes the service spend the viewer's budget of checkout
// attempts (nil: no limit). It returns s.
func (s *Service) WithBudget(b *budget.Limits) *Service {
	s.budget = b
	return s
}

// Input is what checkoutComplete takes.
type Input struct {
	CartID          int
	Email           string
	ShippingAddress identity.AddressInput
	IdempotencyKey  string
	// PaymentToken names the payment method for the provider ("" takes the
	// provider's default).
	PaymentToken string
}

// Result is the order, and the payment error when the order was placed but
// its payment was declined (the order then waits for payment).
type Result struct {
	Order        *ent.Order
	PaymentError error
}

var keyPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{8,128}$`)

// Complete places the order for a cart. The same idempotency key sent again
// (within KeyTTL) returns the same order; sent with another cart it is an
// error. Errors: RateLimited (checkout attempts per client; a replay is
// not one), Invalid (input, an empty cart, a variant no longer for
// sale, a discount code that ran out), NotFound (cart), Conflict (a request
// with the same key is in flight, or the cart was already checked out),
// OUT_OF_STOCK.
func (s *Service) Complete(ctx context.Context, in Input) (*Result, error) {
	if !keyPattern.MatchString(in.IdempotencyKey) {
		return nil, commerce.InvalidField([]string{"input", "idempotencyKey"}, "idempotencyKey must be 8 to 128 letters, digits or _.:- (a UUID will do)")
	}
	email, err := identity.NormalizeEmail(in.Email, []string{"input", "email"})
	if err != nil {
		return nil, err
	}
	addr, err := in.ShippingAddress.Normalize([]string{"input", "shippingAddress"})
	if err != nil {
		return nil, err
	}
	ctx = access.WithKnownIDs(ctx)
	access.Know(ctx, entcart.Table, in.CartID)
	if o, err := s.replay(ctx, in); o != nil || err != nil {
		return &Result{Order: o}, err
	}
	// A replay (above) is free: a client retrying a checkout that went
	// through, as it should when the answer was lost, is never refused.
	// Every other attempt that reaches the database spends the budget.
	if err := s.budget.Checkout(ctx); err != nil {
		return nil, err
	}

	var placed *ent.Order
	err = txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		// Locking the cart serialises checkouts of one cart.
		q := tx.Cart.Query().Where(entcart.ID(in.CartID))
		q.Modify(txn.LockRows)
		c, err := q.Only(ctx)
		if ent.IsNotFound(err) {
			return &commerce.Error{Code: commerce.NotFound, Message: "no such cart", Field: []string{"input", "cartId"}}
		}
		if err != nil {
			return err
		}
		if c.Status != entcart.StatusACTIVE {
			return errCheckedOut
		}
		priced, err := s.carts.Price(ctx, c)
		if err != nil {
			return err
		}
		if len(priced.Lines) == 0 {
			return commerce.InvalidField([]string{"input", "cartId"}, "the cart is empty")
		}
		sys := access.System(ctx)
		var reqs []inventory.Request
		for _, l := range priced.Lines {
			if l.Variant == nil {
				return commerce.InvalidField([]string{"input", "cartId"}, "a product in the cart is no longer for sale; remove it and try again")
			}
			reqs = append(reqs, inventory.Request{VariantID: l.Variant.ID, Quantity: l.Line.Quantity})
		}
		if c.DiscountCode != nil {
			if err := s.spendDiscount(sys, tx, *c.DiscountCode, priced); err != nil {
				return err
			}
		}
		alloc, err := s.inventory.Take(sys, tx, reqs)
		if err != nil {
			return err
		}
		placed, err = s.createOrder(sys, tx, c, priced, alloc, email, addr, in.IdempotencyKey)
		if err != nil {
			return err
		}
		s.carts.Changed(ctx, c.ID)
		return tx.Cart.UpdateOneID(c.ID).SetStatus(entcart.StatusCOMPLETED).AddVersion(1).Exec(sys)
	})
	if errors.Is(err, errCheckedOut) {
		// The cart was checked out while this request waited for its lock,
		// perhaps by a request with this very key (a retry sent while the
		// first was still running): a retry returns that order.
		if o, rerr := s.replay(ctx, in); o != nil || rerr != nil {
			return &Result{Order: o}, rerr
		}
		return nil, err
	}
	if ent.IsConstraintError(err) {
		// Another request with the same key won the race: answer with its
		// order, or ask to retry while it is still running.
		if o, rerr := s.replay(ctx, in); o != nil || rerr != nil {
			return &Result{Order: o}, rerr
		}
		return nil, commerce.Errorf(commerce.Conflict, "a checkout with this idempotency key is in progress; retry shortly")
	}
	if err != nil {
		return nil, err
	}
	res := &Result{Order: txn.Detach(ctx, placed)}
	if paid, err := s.orders.Pay(ctx, placed.ID, in.PaymentToken); err == nil {
		res.Order = paid
	} else {
		res.PaymentError = err
	}
	return res, nil
}

// errCheckedOut refuses a cart that is no longer open.
var errCheckedOut = commerce.Errorf(commerce.Conflict, "this cart has already been checked out")

// replay returns the order an idempotency key already named, if any. A key
// older than KeyTTL is released for reuse.
func (s *Service) replay(ctx context.Context, in Input) (*ent.Order, error) {
	sys := access.System(ctx)
	o, err := s.client.Order.Query().Where(order.IdempotencyKey(in.IdempotencyKey)).Only(sys)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if s.now().Sub(o.CreatedAt) > KeyTTL {
		return nil, s.client.Order.UpdateOneID(o.ID).ClearIdempotencyKey().Exec(sys)
	}
	if o.CartID != in.CartID {
		return nil, commerce.InvalidField([]string{"input", "idempotencyKey"}, "this idempotency key was used for another cart; use a new key per checkout")
	}
	// The caller named the cart, so it may see the order of that cart.
	access.Know(ctx, order.Table, o.ID)
	return s.client.Order.Get(ctx, o.ID)
}

// spendDiscount counts one use of the cart's code with a guarded update, so
// that no interleaving of checkouts uses it more often than its limit. A
// code that no longer applies (used up, expired, deactivated, deleted) is
// refused rather than left out: the shopper chose it, so the order must not
// silently cost the full price. (Cart pricing leaves such a code out, so
// without this check the outcome of a checkout racing the last use of a
// code would depend on timing and on the database.) A valid code that the
// cart does not qualify for (minimum subtotal) is not spent.
func (s *Service) spendDiscount(ctx context.Context, tx *ent.Client, code string, priced *cart.Priced) error {
	field := []string{"input", "cartId"}
	if priced.Discount == nil {
		return s.unusableDiscount(ctx, tx, code, field)
	}
	if !priced.Cost.DiscountApplied {
		return nil
	}
	d := priced.Discount
	if err := cart.Usable(d, s.now()); err != nil {
		return commerce.InvalidField(field, "%s; remove it and try again", err.Error())
	}
	u := tx.DiscountCode.Update().Where(discountcode.ID(d.ID))
	if d.UsageLimit != nil {
		u.Where(discountcode.UsedCountLT(*d.UsageLimit))
	}
	n, err := u.AddUsedCount(1).Save(ctx)
	if err != nil {
		return fmt.Errorf("checkout: spend discount: %w", err)
	}
	if n == 0 {
		return commerce.InvalidField(field, "discount code %s has been used up; remove it and try again", code)
	}
	return nil
}

// unusableDiscount explains why the cart's code no longer applies.
func (s *Service) unusableDiscount(ctx context.Context, tx *ent.Client, code string, field []string) error {
	d, err := tx.DiscountCode.Query().Where(discountcode.Code(code)).Only(ctx)
	if ent.IsNotFound(err) {
		return commerce.InvalidField(field, "discount code %s no longer exists; remove it and try again", code)
	}
	if err != nil {
		return fmt.Errorf("checkout: discount: %w", err)
	}
	if err := cart.Usable(d, s.now()); err != nil {
		return commerce.InvalidField(field, "%s; remove it and try again", err.Error())
	}
	// It became usable again after the cart was priced: the shopper can
	// simply retry.
	return commerce.Errorf(commerce.Conflict, "discount code %s changed meanwhile; try again", code)
}

func (s *Service) createOrder(ctx context.Context, tx *ent.Client, c *ent.Cart, priced *cart.Priced, alloc map[int][]schematype.Allocation, email string, addr identity.AddressInput, key string) (*ent.Order, error) {
	v := viewer.FromContext(ctx)
	cost := priced.Cost
	create := tx.Order.Create().
		SetNumber(orderNumber()).
		SetCartID(c.ID).
		SetEmail(email).
		SetCurrencyCode(priced.Currency).
		SetSubtotal(cost.Subtotal).SetDiscount(cost.Discount).SetShipping(cost.Shipping).
		SetTax(cost.Tax).SetTotal(cost.Total).
		SetShippingAddress(schematype.MailingAddress{
			FirstName: addr.FirstName, LastName: addr.LastName, Address1: addr.Address1, Address2: addr.Address2,
			City: addr.City, Province: addr.Province, Zip: addr.Zip, CountryCode: addr.CountryCode, Phone: addr.Phone,
		}).
		SetIdempotencyKey(key)
	if c.CustomerID != nil {
		create.SetCustomerID(*c.CustomerID)
	} else if v.SignedIn() {
		create.SetCustomerID(v.CustomerID)
	}
	if priced.Discount != nil && cost.DiscountApplied {
		create.SetDiscountCode(priced.Discount.Code)
	}
	o, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	access.Know(ctx, order.Table, o.ID)
	lines := make([]*ent.OrderLineCreate, 0, len(priced.Lines))
	products := map[int]string{}
	for _, l := range priced.Lines {
		title, ok := products[l.Variant.ProductID]
		if !ok {
			p, err := tx.Product.Get(ctx, l.Variant.ProductID)
			if err != nil {
				return nil, err
			}
			title, products[l.Variant.ProductID] = p.Title, p.Title
		}
		lines = append(lines, tx.OrderLine.Create().
			SetOrderID(o.ID).SetVariantID(l.Variant.ID).
			SetProductTitle(title).SetVariantTitle(l.Variant.Title).SetSku(l.Variant.Sku).
			SetUnitPrice(l.UnitPrice).SetQuantity(l.Line.Quantity).SetLineTotal(l.Total).
			SetAllocations(alloc[l.Variant.ID]))
		// A variant on two lines is impossible (one line per variant), so
		// each variant's allocations belong to its one line.
	}
	if err := tx.OrderLine.CreateBulk(lines...).Exec(ctx); err != nil {
		return nil, err
	}
	if err := tx.OrderEvent.Create().SetOrderID(o.ID).SetStatus(string(order.StatusPENDING_PAYMENT)).SetNote("order placed").Exec(ctx); err != nil {
		return nil, err
	}
	return o, nil
}

// orderNumber is short and easy to read out: SF-XXXX-XXXX from an alphabet
// without look-alikes (no 0/O, 1/I/L). Collisions are refused by the
// unique index and surface as a retryable conflict.
func orderNumber() string {
	const alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	out := []byte("SF-XXXX-XXXX")
	j := 0
	for i := range out {
		if out[i] == 'X' {
			out[i] = alphabet[int(b[j])%len(alphabet)]
			j++
		}
	}
	return string(out)
}
