// Package cart keeps shoppers' carts: lines of variants and quantities,
// priced on the server from current prices, with a version that makes
// concurrent edits from two devices safe. A guest's cart is reached by its
// unguessable ID; a customer's carts are theirs alone (commerce/access).
package cart

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"storefront/commerce"
	"storefront/commerce/access"
	"storefront/commerce/budget"
	"storefront/commerce/inventory"
	"storefront/commerce/money"
	"storefront/commerce/pricing"
	"storefront/commerce/txn"
	"storefront/commerce/viewer"
	"storefront/ent"
	entcart "storefront/ent/cart"
	"storefront/ent/cartline"
	"storefront/ent/discountcode"
	"storefront/ent/product"
	"storefront/ent/productvariant"
)

// Limits of a cart.
const (
	MaxLines    = 100
	MaxQuantity = 999
	// MaxDiscountCode is the longest discount code (as the column holds).
	MaxDiscountCode = 64
)

// Service keeps carts.
type Service struct {
	client    *ent.Client
	rules     pricing.Rules
	now       func() time.Time
	publisher Publisher
	budget    *budget.Limits
}

// Publisher is told, after the commit, that a cart changed.
type Publisher interface {
	PublishCart(cartID int)
}

type noPublisher struct{}

func (noPublisher) PublishCart(int) {}

// New returns a cart service pricing carts with rules and announcing
// changes to pub (nil: to no one).
func New(client *ent.Client, rules pricing.Rules, pub Publisher) *Service {
	if pub == nil {
		pub = noPublisher{}
	}
	return &Service{client: client, rules: rules, now: time.Now, publisher: pub}
}

// Currency is the shop's currency, in which carts are priced.
func (s *Service) Currency() string {
	if s.rules.Currency == "" {
		return money.DefaultCurrency
	}
	return s.rules.Currency
}

// WithBudget makes the service spend the viewer's budgets for cart
// creation and discount code attempts (nil: no limits). It returns s.
func (s *Service) WithBudget(b *budget.Limits) *Service {
	s.budget = b
	return s
}

// Changed announces, once the transaction of ctx commits, that a cart
// changed (for cartChanged subscribers on every device).
func (s *Service) Changed(ctx context.Context, cartID int) {
	pub := s.publisher
	txn.AfterCommit(ctx, func() { pub.PublishCart(cartID) })
}

// Rules are the shipping and tax rules carts are priced with.
func (s *Service) Rules() pricing.Rules { return s.rules }

// LineInput adds a quantity of a variant.
type LineInput struct {
	VariantID, Quantity int
}

// LineUpdate sets the quantity of a line.
type LineUpdate struct {
	LineID, Quantity int
}

// Warning is a non-blocking remark on a cart: its change was made, but the
// shopper should know something, such as that fewer units are available
// than the cart holds.
type Warning struct {
	// Code is commerce.OutOfStock or commerce.NotEnoughStock.
	Code              string
	Message           string
	VariantID         int
	AvailableQuantity int
}

// Result is a cart after a change, with its warnings.
type Result struct {
	Cart     *ent.Cart
	Warnings []Warning
}

// Errors a client can act on.
var (
	errNoCart = &commerce.Error{Code: commerce.NotFound, Message: "no such cart", Field: []string{"cartId"}}
	errClosed = &commerce.Error{Code: commerce.Conflict, Message: "this cart has been checked out or merged; start a new cart"}
)

// StaleVersion is the error of a change that was sent with an old version.
func staleVersion(current int) error {
	return &commerce.Error{Code: commerce.Conflict,
		Message: fmt.Sprintf("the cart changed meanwhile (now version %d); reload it and try again", current),
		Field:   []string{"expectedVersion"}}
}

// Create makes a cart for the viewer (or a guest cart) with lines.
// Errors: RateLimited (carts per client), Invalid (lines).
func (s *Service) Create(ctx context.Context, lines []LineInput) (*Result, error) {
	if err := s.budget.CartCreate(ctx); err != nil {
		return nil, err
	}
	ctx = access.WithKnownIDs(ctx)
	v := viewer.FromContext(ctx)
	var res *Result
	err := txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		if err := checkLines(lines, "input", "lines"); err != nil {
			return err
		}
		c := tx.Cart.Create()
		if v.SignedIn() {
			c.SetCustomerID(v.CustomerID)
		}
		cart, err := c.Save(ctx)
		if err != nil {
			return fmt.Errorf("cart: create: %w", err)
		}
		access.Know(ctx, entcart.Table, cart.ID)
		if err := s.addLines(ctx, tx, cart.ID, lines, []string{"input", "lines"}); err != nil {
			return err
		}
		res, err = s.result(ctx, tx, cart.ID, lines)
		return err
	})
	return s.detach(ctx, res), err
}

// Get returns the cart with this ID when the viewer may see it, or a
// NotFound error.
func (s *Service) Get(ctx context.Context, id int) (*ent.Cart, error) {
	ctx = access.WithKnownIDs(ctx)
	access.Know(ctx, entcart.Table, id)
	c, err := s.client.Cart.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, errNoCart
	}
	return c, err
}

// ViewerCart returns the signed-in customer's newest active cart, or nil.
func (s *Service) ViewerCart(ctx context.Context) (*ent.Cart, error) {
	v := viewer.FromContext(ctx)
	if !v.SignedIn() {
		return nil, nil
	}
	c, err := s.client.Cart.Query().
		Where(entcart.CustomerID(v.CustomerID), entcart.StatusEQ(entcart.StatusACTIVE)).
		Order(ent.Desc(entcart.FieldUpdatedAt), ent.Desc(entcart.FieldID)).
		First(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return c, err
}

// CustomerCart returns a customer's newest active cart, or nil. Only the
// customer's own session learns it: staff reading a customer get nil, as
// carts are the shopper's working state, not an account record.
func (s *Service) CustomerCart(ctx context.Context, customerID int) (*ent.Cart, error) {
	if viewer.FromContext(ctx).CustomerID != customerID {
		return nil, nil
	}
	return s.ViewerCart(ctx)
}

// AddLines adds quantities of variants; a variant already in the cart gets
// the quantities added. Errors: NotFound, Conflict (version, closed cart),
// Invalid (lines, more than MaxLines lines or MaxQuantity of a line).
func (s *Service) AddLines(ctx context.Context, cartID int, lines []LineInput, expectedVersion *int) (*Result, error) {
	return s.change(ctx, cartID, expectedVersion, func(ctx context.Context, tx *ent.Client) ([]LineInput, error) {
		if len(lines) == 0 {
			return nil, commerce.InvalidField([]string{"lines"}, "give at least one line")
		}
		if err := checkLines(lines, "lines"); err != nil {
			return nil, err
		}
		return lines, s.addLines(ctx, tx, cartID, lines, []string{"lines"})
	})
}

// UpdateLines sets the quantities of lines. Errors: as AddLines, and
// NotFound for a line of another cart.
func (s *Service) UpdateLines(ctx context.Context, cartID int, updates []LineUpdate, expectedVersion *int) (*Result, error) {
	return s.change(ctx, cartID, expectedVersion, func(ctx context.Context, tx *ent.Client) ([]LineInput, error) {
		if len(updates) == 0 || len(updates) > MaxLines {
			return nil, commerce.InvalidField([]string{"lines"}, "give 1 to %d lines", MaxLines)
		}
		var touched []LineInput
		for i, u := range updates {
			if u.Quantity < 1 || u.Quantity > MaxQuantity {
				return nil, commerce.InvalidField([]string{"lines", fmt.Sprint(i), "quantity"}, "quantity must be between 1 and %d (remove the line to drop it)", MaxQuantity)
			}
			l, err := tx.CartLine.Query().Where(cartline.ID(u.LineID), cartline.CartID(cartID)).Only(ctx)
			if ent.IsNotFound(err) {
				return nil, &commerce.Error{Code: commerce.NotFound, Message: "no such line in this cart", Field: []string{"lines", fmt.Sprint(i), "id"}}
			}
			if err != nil {
				return nil, err
			}
			if err := tx.CartLine.UpdateOne(l).SetQuantity(u.Quantity).Exec(ctx); err != nil {
				return nil, fmt.Errorf("cart: update line: %w", err)
			}
			touched = append(touched, LineInput{VariantID: l.VariantID, Quantity: u.Quantity})
		}
		return touched, nil
	})
}

// RemoveLines removes lines. Errors: NotFound, Conflict.
func (s *Service) RemoveLines(ctx context.Context, cartID int, lineIDs []int, expectedVersion *int) (*Result, error) {
	return s.change(ctx, cartID, expectedVersion, func(ctx context.Context, tx *ent.Client) ([]LineInput, error) {
		if len(lineIDs) == 0 || len(lineIDs) > MaxLines {
			return nil, commerce.InvalidField([]string{"lineIds"}, "give 1 to %d line IDs", MaxLines)
		}
		n, err := tx.CartLine.Delete().Where(cartline.CartID(cartID), cartline.IDIn(lineIDs...)).Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("cart: remove lines: %w", err)
		}
		if n != len(dedupe(lineIDs)) {
			return nil, &commerce.Error{Code: commerce.NotFound, Message: "no such line in this cart", Field: []string{"lineIds"}}
		}
		return nil, nil
	})
}

// ApplyDiscountCode sets (or, with an empty code, removes) the cart's
// discount code. An unknown, expired or used-up code is refused. Each code
// tried, valid or not, spends the client's and the cart's budgets of
// attempts, so that codes cannot be guessed. Errors: RateLimited, NotFound,
// Conflict, Invalid (code).
func (s *Service) ApplyDiscountCode(ctx context.Context, cartID int, code string, expectedVersion *int) (*Result, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if len(code) > MaxDiscountCode {
		return nil, commerce.InvalidField([]string{"code"}, "a discount code is at most %d characters", MaxDiscountCode)
	}
	if code != "" {
		if err := s.budget.DiscountByClient(ctx); err != nil {
			return nil, err
		}
	}
	return s.change(ctx, cartID, expectedVersion, func(ctx context.Context, tx *ent.Client) ([]LineInput, error) {
		u := tx.Cart.UpdateOneID(cartID)
		if code == "" {
			return nil, u.ClearDiscountCode().Exec(ctx)
		}
		// The cart's budget is spent only once the viewer is known to
		// reach the cart: no one can exhaust another shopper's.
		if err := s.budget.DiscountOnCart(cartID); err != nil {
			return nil, err
		}
		if _, err := s.discount(ctx, tx, code, []string{"code"}); err != nil {
			return nil, err
		}
		return nil, u.SetDiscountCode(code).Exec(ctx)
	})
}

// change runs f on an active cart the viewer may see, checking and bumping
// its version in the same transaction, and returns the cart with warnings
// for the variants f touched.
func (s *Service) change(ctx context.Context, cartID int, expected *int, f func(context.Context, *ent.Client) ([]LineInput, error)) (*Result, error) {
	ctx = access.WithKnownIDs(ctx)
	access.Know(ctx, entcart.Table, cartID)
	var res *Result
	err := txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		q := tx.Cart.Query().Where(entcart.ID(cartID))
		q.Modify(txn.LockRows)
		cur, err := q.Only(ctx)
		if ent.IsNotFound(err) {
			return errNoCart
		}
		if err != nil {
			return err
		}
		if cur.Status != entcart.StatusACTIVE {
			return errClosed
		}
		if expected != nil && *expected != cur.Version {
			return staleVersion(cur.Version)
		}
		touched, err := f(ctx, tx)
		if err != nil {
			return err
		}
		n, err := tx.Cart.Update().
			Where(entcart.ID(cartID), entcart.Version(cur.Version)).
			AddVersion(1).SetUpdatedAt(s.now()).
			Save(ctx)
		if err != nil {
			return fmt.Errorf("cart: bump version: %w", err)
		}
		if n == 0 {
			return staleVersion(cur.Version + 1)
		}
		s.Changed(ctx, cartID)
		res, err = s.result(ctx, tx, cartID, touched)
		return err
	})
	return s.detach(ctx, res), err
}

func (s *Service) detach(ctx context.Context, r *Result) *Result {
	if r != nil {
		r.Cart = txn.Detach(ctx, r.Cart)
	}
	return r
}

func checkLines(lines []LineInput, field ...string) error {
	if len(lines) > MaxLines {
		return commerce.InvalidField(field, "at most %d lines", MaxLines)
	}
	for i, l := range lines {
		if l.Quantity < 1 || l.Quantity > MaxQuantity {
			return commerce.InvalidField(append(append([]string{}, field...), fmt.Sprint(i), "quantity"), "quantity must be between 1 and %d", MaxQuantity)
		}
	}
	return nil
}

// addLines adds lines to a cart whose row the caller holds.
func (s *Service) addLines(ctx context.Context, tx *ent.Client, cartID int, lines []LineInput, field []string) error {
	for i, l := range lines {
		at := append(append([]string{}, field...), fmt.Sprint(i), "variantId")
		// The variant must be one a shopper may buy (an ACTIVE product's),
		// whoever asks: staff see the others, and may not buy them either.
		ok, err := tx.ProductVariant.Query().
			Where(productvariant.ID(l.VariantID), productvariant.HasProductWith(product.StatusEQ(product.StatusACTIVE))).
			Exist(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return &commerce.Error{Code: commerce.Invalid, Message: "this variant is not for sale", Field: at}
		}
		cur, err := tx.CartLine.Query().Where(cartline.CartID(cartID), cartline.VariantID(l.VariantID)).Only(ctx)
		switch {
		case ent.IsNotFound(err):
			if err := tx.CartLine.Create().SetCartID(cartID).SetVariantID(l.VariantID).SetQuantity(l.Quantity).Exec(ctx); err != nil {
				return fmt.Errorf("cart: add line: %w", err)
			}
		case err != nil:
			return err
		default:
			q := cur.Quantity + l.Quantity
			if q > MaxQuantity {
				return commerce.InvalidField(append(append([]string{}, field...), fmt.Sprint(i), "quantity"), "a line holds at most %d (it has %d)", MaxQuantity, cur.Quantity)
			}
			if err := tx.CartLine.UpdateOne(cur).SetQuantity(q).Exec(ctx); err != nil {
				return fmt.Errorf("cart: add to line: %w", err)
			}
		}
	}
	n, err := tx.CartLine.Query().Where(cartline.CartID(cartID)).Count(ctx)
	if err != nil {
		return err
	}
	if n > MaxLines {
		return commerce.InvalidField(field, "a cart holds at most %d lines", MaxLines)
	}
	return nil
}

// result reloads the cart and warns about the touched variants that have
// fewer units available than the cart now holds.
func (s *Service) result(ctx context.Context, tx *ent.Client, cartID int, touched []LineInput) (*Result, error) {
	c, err := tx.Cart.Get(ctx, cartID)
	if err != nil {
		return nil, err
	}
	res := &Result{Cart: c}
	if len(touched) == 0 {
		return res, nil
	}
	ids := make([]int, 0, len(touched))
	for _, t := range touched {
		ids = append(ids, t.VariantID)
	}
	lines, err := tx.CartLine.Query().Where(cartline.CartID(cartID), cartline.VariantIDIn(ids...)).All(ctx)
	if err != nil {
		return nil, err
	}
	avail, err := inventory.VariantQuantities(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		if a := avail[l.VariantID]; l.Quantity > a {
			w := Warning{Code: string(commerce.NotEnoughStock), VariantID: l.VariantID, AvailableQuantity: a,
				Message: fmt.Sprintf("only %d available; the cart holds %d", a, l.Quantity)}
			if a == 0 {
				w.Code, w.Message = string(commerce.OutOfStock), "this variant is out of stock"
			}
			res.Warnings = append(res.Warnings, w)
		}
	}
	return res, nil
}

// discount loads and checks an applicable discount code (in a System
// context: codes are staff data). Errors: Invalid on field.
func (s *Service) discount(ctx context.Context, tx *ent.Client, code string, field []string) (*ent.DiscountCode, error) {
	d, err := tx.DiscountCode.Query().Where(discountcode.Code(code)).Only(access.System(ctx))
	if ent.IsNotFound(err) {
		return nil, commerce.InvalidField(field, "unknown discount code %q", code)
	}
	if err != nil {
		return nil, err
	}
	if err := Usable(d, s.now()); err != nil {
		var e *commerce.Error
		if errors.As(err, &e) {
			e.Field = field
		}
		return nil, err
	}
	return d, nil
}

// Usable checks that a discount code can be used now: active, within its
// validity window, and not used up. Errors: Invalid.
func Usable(d *ent.DiscountCode, now time.Time) error {
	switch {
	case !d.Active:
		return commerce.Errorf(commerce.Invalid, "discount code %s is not active", d.Code)
	case d.StartsAt != nil && now.Before(*d.StartsAt):
		return commerce.Errorf(commerce.Invalid, "discount code %s is not valid yet", d.Code)
	case d.EndsAt != nil && !now.Before(*d.EndsAt):
		return commerce.Errorf(commerce.Invalid, "discount code %s has expired", d.Code)
	case d.UsageLimit != nil && d.UsedCount >= *d.UsageLimit:
		return commerce.Errorf(commerce.Invalid, "discount code %s has been used up", d.Code)
	}
	return nil
}

// PricingDiscount turns a discount code into the pricing rule.
func PricingDiscount(d *ent.DiscountCode) *pricing.Discount {
	if d == nil {
		return nil
	}
	return &pricing.Discount{Code: d.Code, Kind: pricing.DiscountKind(d.Kind), Value: d.Value, MinSubtotal: d.MinSubtotal}
}

func dedupe(ids []int) map[int]bool {
	m := make(map[int]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

// VariantIDs returns the variants in a cart the viewer may see.
func (s *Service) VariantIDs(ctx context.Context, cartID int) ([]int, error) {
	ctx = access.WithKnownIDs(ctx)
	access.Know(ctx, entcart.Table, cartID)
	return s.client.CartLine.Query().Where(cartline.CartID(cartID)).
		Select(cartline.FieldVariantID).Ints(ctx)
}
