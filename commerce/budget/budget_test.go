package budget

import (
	"context"
	"errors"
	"testing"
	"time"

	"storefront/commerce"
	"storefront/commerce/viewer"
)

func TestClient(t *testing.T) {
	if got := Client(viewer.Viewer{ClientIP: "192.0.2.1"}); got != "address:192.0.2.1" {
		t.Errorf("guest: %q", got)
	}
	if got := Client(viewer.Viewer{CustomerID: 7, ClientIP: "192.0.2.1"}); got != "customer:7" {
		t.Errorf("customer: %q", got)
	}
}

func TestNilLimitsLimitNothing(t *testing.T) {
	var l *Limits
	ctx := context.Background()
	for range 1000 {
		if l.CartCreate(ctx) != nil || l.DiscountByClient(ctx) != nil || l.DiscountOnCart(1) != nil || l.Checkout(ctx) != nil {
			t.Fatal("a nil *Limits refused")
		}
	}
}

func TestDefaultsAndRefusal(t *testing.T) {
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	l := New(Config{Now: func() time.Time { return now }})
	ctx := viewer.NewContext(context.Background(), viewer.Viewer{ClientIP: "198.51.100.4"})
	count := func(f func() error) (allowed int, last error) {
		for range 100 {
			if err := f(); err != nil {
				return allowed, err
			}
			allowed++
		}
		return allowed, nil
	}
	for _, tc := range []struct {
		name  string
		f     func() error
		burst int
		wait  int
	}{
		{"carts", func() error { return l.CartCreate(ctx) }, 30, 2},
		{"discounts per client", func() error { return l.DiscountByClient(ctx) }, 30, 10},
		{"discounts per cart", func() error { return l.DiscountOnCart(42) }, 10, 30},
		{"checkouts", func() error { return l.Checkout(ctx) }, 10, 6},
	} {
		n, err := count(tc.f)
		e, ok := errors.AsType[*commerce.Error](err)
		if n != tc.burst || !ok || e.Code != commerce.RateLimited || e.RetryAfterSeconds() != tc.wait {
			t.Errorf("%s: %d allowed, then %v; want %d, then RATE_LIMITED for %d s", tc.name, n, err, tc.burst, tc.wait)
		}
	}
	if l.DiscountOnCart(43) != nil {
		t.Error("carts share a budget")
	}
	other := viewer.NewContext(context.Background(), viewer.Viewer{ClientIP: "198.51.100.5"})
	if l.Checkout(other) != nil {
		t.Error("clients share a budget")
	}
}
