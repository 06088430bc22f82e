package identity

import (
	"fmt"
	"time"

	"storefront/auth/ratelimit"
	"storefront/commerce"
)

// SignInPolicy is the sign-in lock-out, described in docs/SECURITY.md
// ("Sign-in lock-out"). Zero fields take the values of DefaultSignInPolicy.
//
// An attempt passes, in order: the per-address bucket (every attempt from
// one client address counts), the per-(account, address) bucket (failures
// count; a success clears it), and the account's slow-down (failures from
// all addresses count). The slow-down never refuses one address for longer
// than AccountMaxDelay: each (account, address) pair may make one attempt
// per AccountMaxDelay however slowed down the account is, so an attacker
// hammering the account from elsewhere cannot keep its owner out.
type SignInPolicy struct {
	// PerAddress limits the attempts from one client address, on any
	// accounts, successful or not: it bounds the password checks one
	// address can cause (default 20 at once, then one per 3 s).
	PerAddress ratelimit.Rate
	// PerAccountAddress limits the failed attempts on one account from one
	// address (default 5, then one per minute). A successful sign-in from
	// the address clears it.
	PerAccountAddress ratelimit.Rate
	// AccountFree is how many failures an account may have, from all
	// addresses together, before attempts on it slow down (default 10).
	AccountFree int
	// AccountDelay is the wait imposed by the first failure beyond
	// AccountFree (default 1 s); each further failure doubles it, up to
	// AccountMaxDelay (default 30 s), which is also the longest any one
	// address waits for its next attempt because of the slow-down.
	AccountDelay, AccountMaxDelay time.Duration
	// AccountForget is how long after its latest failure an account's
	// failures are forgotten (default 15 minutes).
	AccountForget time.Duration
	// MaxKeys bounds the keys each limit keeps (default 100_000).
	MaxKeys int
}

// DefaultSignInPolicy is the policy of a zero SignInPolicy.
var DefaultSignInPolicy = SignInPolicy{
	PerAddress:        ratelimit.Rate{Burst: 20, Every: 3 * time.Second},
	PerAccountAddress: ratelimit.Rate{Burst: 5, Every: time.Minute},
	AccountFree:       10,
	AccountDelay:      time.Second,
	AccountMaxDelay:   30 * time.Second,
	AccountForget:     15 * time.Minute,
	MaxKeys:           100_000,
}

func (p SignInPolicy) withDefaults() SignInPolicy {
	d := DefaultSignInPolicy
	p.PerAddress = p.PerAddress.Or(d.PerAddress)
	p.PerAccountAddress = p.PerAccountAddress.Or(d.PerAccountAddress)
	if p.AccountFree == 0 {
		p.AccountFree = d.AccountFree
	}
	if p.AccountDelay == 0 {
		p.AccountDelay = d.AccountDelay
	}
	if p.AccountMaxDelay == 0 {
		p.AccountMaxDelay = max(d.AccountMaxDelay, p.AccountDelay)
	}
	if p.AccountForget == 0 {
		p.AccountForget = d.AccountForget
	}
	if p.MaxKeys == 0 {
		p.MaxKeys = d.MaxKeys
	}
	return p
}

// signInGuard applies a SignInPolicy.
type signInGuard struct {
	perAddress *ratelimit.Limiter // key: address
	perPair    *ratelimit.Limiter // key: account, address
	pass       *ratelimit.Limiter // key: account, address; one attempt per AccountMaxDelay
	account    *ratelimit.Backoff // key: account
}

func newSignInGuard(p SignInPolicy, now func() time.Time) *signInGuard {
	p = p.withDefaults()
	opts := []ratelimit.Option{ratelimit.WithClock(now), ratelimit.WithMaxKeys(p.MaxKeys)}
	return &signInGuard{
		perAddress: p.PerAddress.Limiter(opts...),
		perPair:    p.PerAccountAddress.Limiter(opts...),
		pass:       ratelimit.New(p.AccountMaxDelay, 1, opts...),
		account: ratelimit.NewBackoff(ratelimit.BackoffConfig{
			Free: p.AccountFree, Base: p.AccountDelay, Max: p.AccountMaxDelay,
			Forget: p.AccountForget, MaxKeys: p.MaxKeys, Now: now,
		}),
	}
}

// admit decides whether an attempt on account (a normalised email, whether
// or not it has an account: the answer must not tell) from address may
// check a password. If so, the caller must call done with the outcome.
// Otherwise the error is RATE_LIMITED with the wait.
//
// The attempt is counted as a failure up front and taken back on success,
// so that concurrent attempts cannot slip past a limit together.
func (g *signInGuard) admit(account, address string) (done func(succeeded bool), err error) {
	if !g.perAddress.Allow(address) {
		return nil, signInRefused(g.perAddress.RetryAfter(address))
	}
	pair := account + "\x00" + address
	if w := g.perPair.RetryAfter(pair); w > 0 {
		return nil, signInRefused(w)
	}
	// Every admitted attempt spends the pair's pass, which comes back
	// AccountMaxDelay later (it is taken here, before the slow-down is
	// asked, so that an attempt it refuses spends nothing: the bucket was
	// empty then).
	passed := g.pass.Allow(pair)
	if w := g.account.Try(account); w > 0 {
		// The account is slowed down, but this address may still make one
		// attempt per AccountMaxDelay: attempts from elsewhere, however
		// many, cannot keep it out for longer.
		if !passed {
			return nil, signInRefused(min(w, g.pass.RetryAfter(pair)))
		}
		g.account.Count(account)
	}
	if !g.perPair.Allow(pair) {
		// A concurrent attempt took the last token meanwhile.
		g.account.Forgive(account)
		return nil, signInRefused(g.perPair.RetryAfter(pair))
	}
	return func(succeeded bool) {
		if succeeded {
			g.perPair.Reset(pair)
			g.account.Forgive(account)
		}
	}, nil
}

// signInRefused is the one answer of every sign-in limit: which limit it
// was is no business of the client's.
func signInRefused(wait time.Duration) error { return refused(wait, "sign-in") }

// refused is a RATE_LIMITED error asking to wait (at least a second); the
// message rounds up, as the Retry-After header does.
func refused(wait time.Duration, what string) error {
	e := commerce.RateLimitedFor(wait, "")
	e.Message = fmt.Sprintf("too many %s attempts; try again in %ds", what, e.RetryAfterSeconds())
	return e
}
