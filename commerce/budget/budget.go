// Package budget holds the per-client budgets of the shopping actions a
// client could abuse: creating carts, trying discount codes (which could
// otherwise be guessed) and checking out. A client is the signed-in
// customer, or else the client address. Each refusal is a RATE_LIMITED
// error that says how long to wait (commerce.RateLimitedFor).
package budget

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"storefront/auth/ratelimit"
	"storefront/commerce"
	"storefront/commerce/viewer"
)

// Config sets the budgets; zero fields take the values of Defaults.
type Config struct {
	// CartsPerClient counts cartCreate calls (default 30 at once, then one
	// per 2 s).
	CartsPerClient ratelimit.Rate
	// DiscountsPerCart and DiscountsPerClient count discount code attempts,
	// valid or not, on one cart (default 10, then one per 30 s) and by one
	// client over all its carts (default 30, then one per 10 s). Removing
	// a code is not an attempt.
	DiscountsPerCart, DiscountsPerClient ratelimit.Rate
	// CheckoutsPerClient counts checkout attempts (default 10, then one
	// per 6 s). A retry that replays an order already placed with the same
	// idempotency key is not an attempt.
	CheckoutsPerClient ratelimit.Rate
	// MaxKeys bounds the keys each budget keeps (default 100_000).
	MaxKeys int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Defaults are the budgets of a zero Config.
var Defaults = Config{
	CartsPerClient:     ratelimit.Rate{Burst: 30, Every: 2 * time.Second},
	DiscountsPerCart:   ratelimit.Rate{Burst: 10, Every: 30 * time.Second},
	DiscountsPerClient: ratelimit.Rate{Burst: 30, Every: 10 * time.Second},
	CheckoutsPerClient: ratelimit.Rate{Burst: 10, Every: 6 * time.Second},
	MaxKeys:            100_000,
}

// Limits applies a Config. A nil *Limits limits nothing.
type Limits struct {
	carts, discountsPerCart, discountsPerClient, checkouts *ratelimit.Limiter
}

// New returns the limits of cfg.
func New(cfg Config) *Limits {
	d := Defaults
	if cfg.MaxKeys == 0 {
		cfg.MaxKeys = d.MaxKeys
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	opts := []ratelimit.Option{ratelimit.WithClock(cfg.Now), ratelimit.WithMaxKeys(cfg.MaxKeys)}
	return &Limits{
		carts:              cfg.CartsPerClient.Or(d.CartsPerClient).Limiter(opts...),
		discountsPerCart:   cfg.DiscountsPerCart.Or(d.DiscountsPerCart).Limiter(opts...),
		discountsPerClient: cfg.DiscountsPerClient.Or(d.DiscountsPerClient).Limiter(opts...),
		checkouts:          cfg.CheckoutsPerClient.Or(d.CheckoutsPerClient).Limiter(opts...),
	}
}

// Client is the key a viewer's budgets count against: the customer when
// signed in (wherever they connect from), else the client address.
func Client(v viewer.Viewer) string {
	if v.SignedIn() {
		return "customer:" + strconv.Itoa(v.CustomerID)
	}
	return "address:" + v.ClientIP
}

// CartCreate spends one cart creation of the viewer of ctx.
func (l *Limits) CartCreate(ctx context.Context) error {
	if l == nil {
		return nil
	}
	return spend(l.carts, Client(viewer.FromContext(ctx)), "too many carts created")
}

// DiscountByClient spends one discount code attempt of the viewer of ctx.
func (l *Limits) DiscountByClient(ctx context.Context) error {
	if l == nil {
		return nil
	}
	return spend(l.discountsPerClient, Client(viewer.FromContext(ctx)), "too many discount code attempts")
}

// DiscountOnCart spends one discount code attempt on a cart. Call it only
// for a cart the viewer may see, so that no one can spend another
// shopper's budget.
func (l *Limits) DiscountOnCart(cartID int) error {
	if l == nil {
		return nil
	}
	return spend(l.discountsPerCart, strconv.Itoa(cartID), "too many discount code attempts on this cart")
}

// Checkout spends one checkout attempt of the viewer of ctx.
func (l *Limits) Checkout(ctx context.Context) error {
	if l == nil {
		return nil
	}
	return spend(l.checkouts, Client(viewer.FromContext(ctx)), "too many checkout attempts")
}

func spend(l *ratelimit.Limiter, key, what string) error {
	if l.Allow(key) {
		return nil
	}
	e := commerce.RateLimitedFor(l.RetryAfter(key), "")
	e.Message = fmt.Sprintf("%s; try again in %ds", what, e.RetryAfterSeconds())
	return e
}
