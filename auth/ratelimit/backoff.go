package ratelimit

import (
	"container/list"
	"sync"
	"time"
)

// BackoffConfig describes a Backoff.
type BackoffConfig struct {
	// Free is the number of failures a key may have before it slows down.
	Free int
	// Base is the delay after failure Free+1; each further failure doubles
	// it, up to Max.
	Base, Max time.Duration
	// Forget is how long after its last failure a key is forgotten
	// (default 15 minutes). It must exceed Max, so that no delay is
	// forgotten before it ends: a shorter one is raised to twice Max.
	Forget time.Duration
	// MaxKeys bounds the keys kept (default 100_000); when a new key would
	// exceed it, the key whose last failure is the oldest is forgotten.
	MaxKeys int
	// Now is the clock (default time.Now); it is called with the lock held.
	Now func() time.Time
}

// Backoff slows the attempts on a key down once it has had many failures,
// without ever refusing it for longer than Max: after Free failures, each
// further failure makes the next attempt on the key wait Base, then twice
// as long, and so on, capped at Max.
//
// An attempt is counted as a failure when it starts (Try or Count), so that
// concurrent attempts see each other; one that turns out to succeed is
// taken back with Forgive.
//
// A Backoff is safe for concurrent use.
type Backoff struct {
	cfg BackoffConfig

	mu   sync.Mutex
	keys map[string]*list.Element // values are *backoffEntry
	lru  list.List                // of *backoffEntry, latest failure first
}

type backoffEntry struct {
	key      string
	failures int
	last     time.Time // of the latest failure
	next     time.Time // the earliest time Try lets an attempt start
}

// NewBackoff returns a Backoff. It panics (a programming error) if Free is
// negative, Base or Max is not positive, or Base exceeds Max.
func NewBackoff(cfg BackoffConfig) *Backoff {
	if cfg.Free < 0 || cfg.Base <= 0 || cfg.Max < cfg.Base {
		panic("ratelimit: backoff needs Free >= 0 and 0 < Base <= Max")
	}
	if cfg.Forget == 0 {
		cfg.Forget = 15 * time.Minute
	}
	if cfg.Forget <= cfg.Max {
		cfg.Forget = 2 * cfg.Max
	}
	if cfg.MaxKeys == 0 {
		cfg.MaxKeys = defaultMaxKeys
	}
	if cfg.MaxKeys < 1 {
		panic("ratelimit: max keys must be at least 1")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Backoff{cfg: cfg, keys: make(map[string]*list.Element)}
}

// Try starts an attempt on key: if key's delay is over, it counts the
// attempt as a failure and returns 0; otherwise it counts nothing and
// returns how long is left (at most Max).
func (b *Backoff) Try(key string) time.Duration {
	key = storedKey(key)
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.cfg.Now()
	b.forgetIdle(now)
	if e, ok := b.keys[key]; ok {
		if next := e.Value.(*backoffEntry).next; now.Before(next) {
			return next.Sub(now)
		}
	}
	b.count(key, now)
	return 0
}

// Count counts an attempt on key as a failure whatever its delay: for an
// attempt that another rule let through.
func (b *Backoff) Count(key string) {
	key = storedKey(key)
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.cfg.Now()
	b.forgetIdle(now)
	b.count(key, now)
}

// Forgive takes back one counted failure of key, for an attempt that
// succeeded. The delay already set stays.
func (b *Backoff) Forgive(key string) {
	key = storedKey(key)
	b.mu.Lock()
	defer b.mu.Unlock()
	if e, ok := b.keys[key]; ok {
		if en := e.Value.(*backoffEntry); en.failures > 0 {
			en.failures--
		}
	}
}

// Wait reports how long until Try would let an attempt on key start (0 if
// it would now), counting nothing.
func (b *Backoff) Wait(key string) time.Duration {
	key = storedKey(key)
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.cfg.Now()
	e, ok := b.keys[key]
	if !ok || now.Sub(e.Value.(*backoffEntry).last) >= b.cfg.Forget {
		return 0
	}
	return max(e.Value.(*backoffEntry).next.Sub(now), 0)
}

// Failures reports the failures counted for key and not yet forgotten.
func (b *Backoff) Failures(key string) int {
	key = storedKey(key)
	b.mu.Lock()
	defer b.mu.Unlock()
	e, ok := b.keys[key]
	if !ok || b.cfg.Now().Sub(e.Value.(*backoffEntry).last) >= b.cfg.Forget {
		return 0
	}
	return e.Value.(*backoffEntry).failures
}

// count records a failure of key at now; b.mu is held.
func (b *Backoff) count(key string, now time.Time) {
	e, ok := b.keys[key]
	if ok {
		b.lru.MoveToFront(e)
	} else {
		if len(b.keys) >= b.cfg.MaxKeys {
			b.remove(b.lru.Back())
		}
		e = b.lru.PushFront(&backoffEntry{key: key})
		b.keys[key] = e
	}
	en := e.Value.(*backoffEntry)
	en.failures++
	en.last = now
	if over := en.failures - b.cfg.Free; over > 0 {
		if next := now.Add(b.delay(over)); next.After(en.next) {
			en.next = next
		}
	}
}

// delay is the wait after the n-th failure beyond Free (n >= 1).
func (b *Backoff) delay(n int) time.Duration {
	d := b.cfg.Base
	for i := 1; i < n && d < b.cfg.Max; i++ {
		d *= 2
	}
	return min(d, b.cfg.Max)
}

// forgetIdle forgets the keys whose latest failure is Forget old; they are
// kept in order of their latest failure, so it stops at the first recent one.
func (b *Backoff) forgetIdle(now time.Time) {
	for e := b.lru.Back(); e != nil; e = b.lru.Back() {
		if now.Sub(e.Value.(*backoffEntry).last) < b.cfg.Forget {
			return
		}
		b.remove(e)
	}
}

func (b *Backoff) remove(e *list.Element) {
	delete(b.keys, b.lru.Remove(e).(*backoffEntry).key)
}
