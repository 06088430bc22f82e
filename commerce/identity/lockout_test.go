package identity

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"storefront/commerce"
	"storefront/internal/fakeclock"
)

func newClock() *fakeclock.Clock { return fakeclock.New(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)) }

// try runs one attempt through the guard with the given outcome and returns
// 0 if it was admitted, or the wait of its RATE_LIMITED refusal.
func try(t *testing.T, g *signInGuard, account, address string, succeeds bool) time.Duration {
	t.Helper()
	done, err := g.admit(account, address)
	if err != nil {
		e, ok := errors.AsType[*commerce.Error](err)
		if !ok || e.Code != commerce.RateLimited || e.RetryAfter < time.Second {
			t.Fatalf("refusal %v is not RATE_LIMITED with a wait", err)
		}
		return e.RetryAfter
	}
	done(succeeds)
	return 0
}

func TestSignInPolicyDefaults(t *testing.T) {
	if got := (SignInPolicy{}).withDefaults(); got != DefaultSignInPolicy {
		t.Fatalf("zero policy = %+v", got)
	}
	d := DefaultSignInPolicy
	if d.PerAddress.Burst != 20 || d.PerAddress.Every != 3*time.Second ||
		d.PerAccountAddress.Burst != 5 || d.PerAccountAddress.Every != time.Minute ||
		d.AccountFree != 10 || d.AccountDelay != time.Second || d.AccountMaxDelay != 30*time.Second {
		t.Fatalf("defaults differ from docs/SECURITY.md: %+v", d)
	}
}

// TestLockoutPerAccountAddress: 5 failures on an account from an address,
// then one per minute; other addresses are not affected; a success clears
// the count.
func TestLockoutPerAccountAddress(t *testing.T) {
	c := newClock()
	g := newSignInGuard(SignInPolicy{}, c.Now)
	for i := range 5 {
		if w := try(t, g, "ann@example.com", "198.51.100.1", false); w != 0 {
			t.Fatalf("failure %d refused (wait %v)", i+1, w)
		}
	}
	if w := try(t, g, "ann@example.com", "198.51.100.1", true); w != time.Minute {
		t.Fatalf("6th attempt from the same address: wait %v, want 1m (even with the right password)", w)
	}
	if w := try(t, g, "ann@example.com", "198.51.100.2", true); w != 0 {
		t.Fatalf("another address is refused: wait %v", w)
	}
	c.Advance(time.Minute)
	if w := try(t, g, "ann@example.com", "198.51.100.1", false); w != 0 {
		t.Fatalf("a minute later: wait %v", w)
	}
	if w := try(t, g, "ann@example.com", "198.51.100.1", false); w != time.Minute {
		t.Fatalf("then one per minute: wait %v", w)
	}
	// A success clears the (account, address) count: 5 failures again.
	c.Advance(time.Minute)
	try(t, g, "ann@example.com", "198.51.100.1", true)
	for i := range 5 {
		if w := try(t, g, "ann@example.com", "198.51.100.1", false); w != 0 {
			t.Fatalf("after a success, failure %d refused (wait %v)", i+1, w)
		}
	}
}

// TestLockoutPerAddress: 20 attempts from an address on any accounts, then
// one per 3 s; successes count too (they cost a password check as well).
func TestLockoutPerAddress(t *testing.T) {
	c := newClock()
	g := newSignInGuard(SignInPolicy{}, c.Now)
	for i := range 20 {
		if w := try(t, g, fmt.Sprintf("user%d@example.com", i), "203.0.113.9", i%2 == 0); w != 0 {
			t.Fatalf("attempt %d refused (wait %v)", i+1, w)
		}
	}
	if w := try(t, g, "someone@example.com", "203.0.113.9", true); w != 3*time.Second {
		t.Fatalf("21st attempt: wait %v, want 3s", w)
	}
	if w := try(t, g, "someone@example.com", "203.0.113.10", true); w != 0 {
		t.Fatalf("another address: wait %v", w)
	}
	c.Advance(3 * time.Second)
	if w := try(t, g, "someone@example.com", "203.0.113.9", true); w != 0 {
		t.Fatalf("3 s later: wait %v", w)
	}
}

// TestLockoutAccountSlowsDown: failures from many addresses slow the
// account down with doubling delays; an address that made an attempt
// within the last 30 s waits for them.
func TestLockoutAccountSlowsDown(t *testing.T) {
	c := newClock()
	g := newSignInGuard(SignInPolicy{}, c.Now)
	const acct = "bob@example.com"
	// 10 free failures, one from each of 10 addresses.
	for i := range 10 {
		if w := try(t, g, acct, fmt.Sprintf("192.0.2.%d", i), false); w != 0 {
			t.Fatalf("free failure %d refused", i+1)
		}
	}
	// Address x keeps failing as soon as it is let in: it waits 1, 2, 4,
	// then 8 s.
	x := "192.0.2.200"
	if w := try(t, g, acct, x, false); w != 0 {
		t.Fatalf("11th failure refused: %v", w)
	}
	for _, want := range []time.Duration{1, 2, 4, 8} {
		want *= time.Second
		if w := try(t, g, acct, x, false); w != want {
			t.Fatalf("wait %v, want %v", w, want)
		}
		c.Advance(want)
		if w := try(t, g, acct, x, false); w != 0 {
			t.Fatalf("after the wait: refused again (%v)", w)
		}
	}
	// x has used its 5 (account, address) failures now: its own limit of
	// one per minute takes over.
	if w := try(t, g, acct, x, false); w <= 30*time.Second || w > time.Minute {
		t.Fatalf("x after 5 failures: wait %v", w)
	}
	// A new address is let in at once, even though the account is slowed
	// down (the owner from a new network); its attempt still counts.
	if w := try(t, g, acct, "192.0.2.201", false); w != 0 {
		t.Fatalf("new address refused: %v", w)
	}
	if n := g.account.Failures(acct); n != 16 {
		t.Fatalf("account failures = %d, want 16 (refusals are not failures)", n)
	}
	// Its next attempt waits for the slow-down, now 30 s (capped), or
	// less.
	if w := try(t, g, acct, "192.0.2.201", true); w != 30*time.Second {
		t.Fatalf("wait %v, want the cap of 30s", w)
	}
	// A success is taken back from the account's failures.
	c.Advance(30 * time.Second)
	if w := try(t, g, acct, "192.0.2.201", true); w != 0 {
		t.Fatalf("after 30 s: refused (%v)", w)
	}
	if n := g.account.Failures(acct); n != 16 {
		t.Fatalf("account failures after a success = %d, want 16", n)
	}
}

// TestLockoutVictimNeverLockedOut is the point of the policy: an attacker
// hammering an account from many addresses, taking every slot the moment
// it opens, cannot keep the owner out for longer than AccountMaxDelay.
func TestLockoutVictimNeverLockedOut(t *testing.T) {
	c := newClock()
	g := newSignInGuard(SignInPolicy{}, c.Now)
	const acct = "carol@example.com"
	const addresses = 100
	attackerAdmitted := 0
	attack := func() {
		for i := range addresses {
			if try(t, g, acct, fmt.Sprintf("10.0.0.%d", i), false) == 0 {
				attackerAdmitted++
			}
		}
	}
	// In the first 30 s, every 250 ms from all its addresses, the attacker
	// gets the 10 free failures, one attempt per address, and the slots
	// of the slow-down: not 5 per address, as the (account, address)
	// limits alone would allow.
	for range 120 {
		attack()
		c.Advance(250 * time.Millisecond)
	}
	if attackerAdmitted > 10+addresses+30 {
		t.Fatalf("attacker admitted %d times in 30 s from %d addresses", attackerAdmitted, addresses)
	}
	// Five more minutes of attack; the owner comes from a new address
	// each minute, mistypes once, and retries as told while the attacker
	// always goes first.
	var worst time.Duration
	for minute := range 5 {
		for range 240 {
			attack()
			c.Advance(250 * time.Millisecond)
		}
		owner := fmt.Sprintf("172.16.0.%d", minute)
		if w := try(t, g, acct, owner, false); w != 0 {
			t.Fatalf("minute %d: the owner's first attempt from a new address was refused (%v)", minute, w)
		}
		var waited time.Duration
		for {
			attack()
			w := try(t, g, acct, owner, true)
			if w == 0 {
				break
			}
			if w > 30*time.Second {
				t.Fatalf("minute %d: told to wait %v", minute, w)
			}
			waited += w
			if waited > 30*time.Second {
				t.Fatalf("minute %d: the owner waited %v, more than the 30 s cap", minute, waited)
			}
			c.Advance(w)
		}
		worst = max(worst, waited)
	}
	if worst == 0 {
		t.Fatal("the owner never had to wait: the account was not slowed down at all")
	}
	t.Logf("owner waited at most %v; attacker admitted %d times from %d addresses in 5.5 minutes", worst, attackerAdmitted, addresses)
}

// TestLockoutSameForUnknownAccounts: the guard never looks the account up,
// so an email without an account is limited exactly like one with.
func TestLockoutSameForUnknownAccounts(t *testing.T) {
	c := newClock()
	g := newSignInGuard(SignInPolicy{}, c.Now)
	var known, unknown []time.Duration
	for range 8 {
		known = append(known, try(t, g, "real@example.com", "198.51.100.7", false))
		unknown = append(unknown, try(t, g, "nobody@example.com", "198.51.100.8", false))
	}
	if fmt.Sprint(known) != fmt.Sprint(unknown) {
		t.Fatalf("waits differ:\n known:   %v\n unknown: %v", known, unknown)
	}
}

func TestLockoutConcurrentAttemptsCannotSlipThrough(t *testing.T) {
	c := newClock()
	g := newSignInGuard(SignInPolicy{}, c.Now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted := 0
	for range 50 {
		wg.Go(func() {
			done, err := g.admit("dan@example.com", "198.51.100.3")
			if err == nil {
				mu.Lock()
				admitted++
				mu.Unlock()
				done(false)
			}
		})
	}
	wg.Wait()
	if admitted != 5 {
		t.Fatalf("%d of 50 concurrent attempts admitted, want 5", admitted)
	}
}
