// Package ratelimit limits the rate of events per key (a client address, an
// account, ...) with token buckets, in bounded memory.
package ratelimit

import (
	"container/list"
	"crypto/sha256"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// defaultMaxKeys is the number of keys a Limiter keeps unless WithMaxKeys
// says otherwise.
const defaultMaxKeys = 100_000

// maxKeyLen is the longest key stored as is; longer keys are stored as their
// SHA-256 hash, so that memory is bounded however long the keys a client
// chooses.
const maxKeyLen = 64

// Limiter is a set of token buckets, one per key. Each holds up to burst
// tokens, starts full and gains one token per interval `every`; each allowed
// event takes one token.
//
// A key idle for as long as its bucket takes to refill from empty to full
// (burst × every) is forgotten, which loses nothing: a new bucket starts
// full. At most MaxKeys keys are kept: when a new key would exceed that, the
// key idle the longest is forgotten first, so a client cycling through keys
// cannot exhaust memory (at worst, it resets the bucket of the least recently
// active key; choose MaxKeys well above the number of keys active within
// burst × every).
//
// A Limiter is safe for concurrent use.
type Limiter struct {
	now     func() time.Time
	every   time.Duration
	limit   rate.Limit
	burst   int
	idle    time.Duration // burst × every: the time to refill fully
	maxKeys int

	mu   sync.Mutex
	keys map[string]*list.Element // values are *bucket
	lru  list.List                // of *bucket, most recently used first
}

type bucket struct {
	key  string
	lim  *rate.Limiter
	last time.Time // of the last Allow
}

// Option configures a Limiter.
type Option func(*Limiter)

// WithClock makes the Limiter read the time from now instead of time.Now.
// now is called with the Limiter's lock held.
func WithClock(now func() time.Time) Option {
	return func(l *Limiter) { l.now = now }
}

// WithMaxKeys bounds the number of keys the Limiter keeps (default
// 100_000). New panics if n < 1.
func WithMaxKeys(n int) Option {
	return func(l *Limiter) { l.maxKeys = n }
}

// Rate describes a token bucket as configuration: Burst events at once,
// then one more every Every. The zero Rate means "the default" to the
// packages that take one.
type Rate struct {
	Burst int
	Every time.Duration
}

// Or returns r, or def if r is the zero Rate.
func (r Rate) Or(def Rate) Rate {
	if r == (Rate{}) {
		return def
	}
	return r
}

// Limiter returns a new Limiter for r (New(r.Every, r.Burst, opts...)).
func (r Rate) Limiter(opts ...Option) *Limiter { return New(r.Every, r.Burst, opts...) }

// New returns a Limiter that allows burst events per key at once and then one
// more every `every` (rate.Every(every)). It panics (a programming error) if
// every is not positive, burst is less than 1, or WithMaxKeys gave less
// than 1.
func New(every time.Duration, burst int, opts ...Option) *Limiter {
	if every <= 0 {
		panic("ratelimit: every must be positive")
	}
	if burst < 1 {
		panic("ratelimit: burst must be at least 1")
	}
	l := &Limiter{
		now:     time.Now,
		every:   every,
		limit:   rate.Every(every),
		burst:   burst,
		idle:    time.Duration(math.MaxInt64),
		maxKeys: defaultMaxKeys,
		keys:    make(map[string]*list.Element),
	}
	if every <= time.Duration(math.MaxInt64)/time.Duration(burst) {
		l.idle = every * time.Duration(burst)
	}
	for _, opt := range opts {
		opt(l)
	}
	if l.maxKeys < 1 {
		panic("ratelimit: max keys must be at least 1")
	}
	if l.now == nil {
		panic("ratelimit: nil clock")
	}
	return l
}

// Allow takes one token from key's bucket and reports whether there was one:
// true means the event may proceed, false that it is over the limit.
func (l *Limiter) Allow(key string) bool {
	_, ok := l.Take(key, 1)
	return ok
}

// Take takes n tokens from key's bucket (n above the burst counts as the
// burst: an event that costs more than a full bucket is allowed when the
// bucket is full). It reports whether they were there, and if not, how long
// until they will be; nothing is taken then.
func (l *Limiter) Take(key string, n int) (time.Duration, bool) {
	n = min(max(n, 1), l.burst)
	key = storedKey(key)
	l.mu.Lock()
	defer l.mu.Unlock()
	// Read the clock under the lock, so that the buckets see time in order.
	now := l.now()
	l.forgetIdle(now)
	e, ok := l.keys[key]
	if ok {
		l.lru.MoveToFront(e)
	} else {
		if len(l.keys) >= l.maxKeys {
			l.remove(l.lru.Back())
		}
		e = l.lru.PushFront(&bucket{key: key, lim: rate.NewLimiter(l.limit, l.burst)})
		l.keys[key] = e
	}
	b := e.Value.(*bucket)
	b.last = now
	if b.lim.AllowN(now, n) {
		return 0, true
	}
	missing := float64(n) - b.lim.TokensAt(now)
	return time.Duration(math.Ceil(missing * float64(l.every))), false
}

// Reset forgets key, so that its bucket is full again: for a limit that
// counts failures, after a success.
func (l *Limiter) Reset(key string) {
	key = storedKey(key)
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.keys[key]; ok {
		l.remove(e)
	}
}

// RetryAfter reports how long from now until key's bucket holds a token, so
// that Allow(key) would be true: 0 if it does already (including for a key
// never seen or forgotten). It takes no token and does not count as activity
// on key.
func (l *Limiter) RetryAfter(key string) time.Duration {
	key = storedKey(key)
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	e, ok := l.keys[key]
	if !ok {
		return 0
	}
	tokens := e.Value.(*bucket).lim.TokensAt(now)
	if tokens >= 1 {
		return 0
	}
	// Round up, so that a client waiting this long is not refused.
	return time.Duration(math.Ceil((1 - tokens) * float64(l.every)))
}

// forgetIdle forgets the keys idle for at least l.idle, whose buckets are
// full again. Keys are kept in order of last use, so it stops at the first
// key still active; each key is removed once, so the cost is amortised O(1).
func (l *Limiter) forgetIdle(now time.Time) {
	for e := l.lru.Back(); e != nil; e = l.lru.Back() {
		if now.Sub(e.Value.(*bucket).last) < l.idle {
			return
		}
		l.remove(e)
	}
}

func (l *Limiter) remove(e *list.Element) {
	delete(l.keys, l.lru.Remove(e).(*bucket).key)
}

// storedKey returns the key to store for key: key itself, or, if it is
// longer than maxKeyLen bytes, a marked SHA-256 hash of it.
func storedKey(key string) string {
	if len(key) <= maxKeyLen {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "\x00sha256:" + string(sum[:])
}
