package ratelimit

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"storefront/internal/fakeclock"
)

func newClock() *fakeclock.Clock { return fakeclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) }

// allowN calls Allow n times and returns how many were allowed.
func allowN(l *Limiter, key string, n int) int {
	allowed := 0
	for range n {
		if l.Allow(key) {
			allowed++
		}
	}
	return allowed
}

func TestBurst(t *testing.T) {
	for _, tc := range []struct {
		every time.Duration
		burst int
	}{
		{time.Second, 1},
		{time.Second, 3},
		{time.Minute, 10},
		{100 * time.Millisecond, 100},
		{time.Nanosecond, 5},
	} {
		t.Run(fmt.Sprintf("%v×%d", tc.every, tc.burst), func(t *testing.T) {
			c := newClock()
			l := New(tc.every, tc.burst, WithClock(c.Now))
			if got := allowN(l, "k", tc.burst+5); got != tc.burst {
				t.Errorf("allowed %d of %d events at once, want burst %d", got, tc.burst+5, tc.burst)
			}
			if l.Allow("k") {
				t.Error("allowed an event beyond the burst")
			}
		})
	}
}

func TestRefill(t *testing.T) {
	c := newClock()
	l := New(time.Second, 3, WithClock(c.Now))
	steps := []struct {
		advance time.Duration
		tries   int
		want    int
	}{
		{0, 5, 3},                      // burst
		{999 * time.Millisecond, 1, 0}, // not yet a token
		{time.Millisecond, 2, 1},       // one token after `every`
		{500 * time.Millisecond, 1, 0}, // half a token
		{500 * time.Millisecond, 2, 1}, // a whole one
		{2 * time.Second, 3, 2},        // two more
		{10 * time.Second, 5, 3},       // full, capped at burst
		{time.Second + time.Nanosecond, 1, 1},
	}
	for i, s := range steps {
		c.Advance(s.advance)
		if got := allowN(l, "k", s.tries); got != s.want {
			t.Fatalf("step %d (+%v): allowed %d of %d, want %d", i, s.advance, got, s.tries, s.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	c := newClock()
	l := New(time.Minute, 2, WithClock(c.Now))
	near := func(got, want time.Duration) bool { return got >= want && got-want < time.Microsecond }

	if got := l.RetryAfter("k"); got != 0 {
		t.Errorf("RetryAfter(unknown key) = %v, want 0", got)
	}
	l.Allow("k")
	if got := l.RetryAfter("k"); got != 0 {
		t.Errorf("RetryAfter with a token left = %v, want 0", got)
	}
	l.Allow("k")
	for range 3 { // RetryAfter takes no token
		if got := l.RetryAfter("k"); got != time.Minute {
			t.Errorf("RetryAfter when empty = %v, want 1m", got)
		}
	}
	c.Advance(15 * time.Second)
	if got := l.RetryAfter("k"); !near(got, 45*time.Second) {
		t.Errorf("RetryAfter 15s later = %v, want 45s", got)
	}
	c.Advance(l.RetryAfter("k"))
	if got := l.RetryAfter("k"); got != 0 {
		t.Errorf("RetryAfter after waiting = %v, want 0", got)
	}
	if !l.Allow("k") {
		t.Error("Allow refused after waiting RetryAfter")
	}
	if got := l.RetryAfter("other"); got != 0 {
		t.Errorf("RetryAfter(other key) = %v, want 0", got)
	}
}

func TestKeysIndependent(t *testing.T) {
	c := newClock()
	l := New(time.Hour, 2, WithClock(c.Now))
	for _, tc := range []struct {
		key   string
		tries int
		want  int
	}{
		{"a", 5, 2},
		{"b", 1, 1},
		{"a", 1, 0},
		{"b", 5, 1},
		{"c", 5, 2},
		{"", 5, 2},
		{"A", 5, 2},
	} {
		if got := allowN(l, tc.key, tc.tries); got != tc.want {
			t.Errorf("key %q: allowed %d of %d, want %d", tc.key, got, tc.tries, tc.want)
		}
	}
}

func TestLongKeys(t *testing.T) {
	c := newClock()
	l := New(time.Hour, 1, WithClock(c.Now))
	a := strings.Repeat("x", 1<<20) + "a"
	b := strings.Repeat("x", 1<<20) + "b"
	if !l.Allow(a) || l.Allow(a) {
		t.Error("long key a: want one event allowed")
	}
	if !l.Allow(b) {
		t.Error("long key b shares a's bucket")
	}
	if !l.Allow(strings.Repeat("x", 64)) {
		t.Error("64-byte key shares a bucket")
	}
	for k := range l.keys {
		if len(k) > maxKeyLen {
			t.Errorf("stored a %d-byte key", len(k))
		}
	}
}

func TestForgetsIdleKeys(t *testing.T) {
	c := newClock()
	l := New(time.Second, 3, WithClock(c.Now)) // refills fully in 3s
	allowN(l, "a", 3)
	c.Advance(time.Second)
	allowN(l, "b", 3)
	c.Advance(2*time.Second - time.Nanosecond)
	l.Allow("c")
	if len(l.keys) != 3 {
		t.Fatalf("kept %d keys just before a refilled, want 3", len(l.keys))
	}
	c.Advance(time.Nanosecond)
	l.Allow("c")
	if _, ok := l.keys["a"]; ok || len(l.keys) != 2 {
		t.Errorf("kept keys %v after a refilled, want b and c", keys(l))
	}
	// b is not refilled yet: still one token short.
	if got := allowN(l, "b", 5); got != 2 {
		t.Errorf("b: allowed %d, want 2", got)
	}
	// a was forgotten with a full bucket, which a new bucket reproduces.
	if got := allowN(l, "a", 5); got != 3 {
		t.Errorf("a: allowed %d, want 3", got)
	}
	c.Advance(time.Hour)
	l.Allow("z")
	if len(l.keys) != 1 {
		t.Errorf("kept keys %v an hour later, want z only", keys(l))
	}
}

func keys(l *Limiter) []string {
	var ks []string
	for e := l.lru.Front(); e != nil; e = e.Next() {
		ks = append(ks, e.Value.(*bucket).key)
	}
	return ks
}

func TestMaxKeys(t *testing.T) {
	c := newClock()
	l := New(time.Hour, 1, WithClock(c.Now), WithMaxKeys(3))
	for _, tc := range []struct {
		key     string
		allowed bool
		kept    string // keys kept afterwards, most recently used first
	}{
		{"a", true, "a"},
		{"b", true, "b a"},
		{"c", true, "c b a"},
		{"a", false, "a c b"}, // a used again: now the most recent
		{"d", true, "d a c"},  // b, idle the longest, is evicted
		{"a", false, "a d c"}, // a kept its empty bucket
		{"b", true, "b a d"},  // b starts afresh; c evicted
		{"c", true, "c b a"},  // d evicted
		{"d", true, "d c b"},  // a evicted
		{"b", false, "b d c"},
	} {
		c.Advance(time.Second)
		if got := l.Allow(tc.key); got != tc.allowed {
			t.Errorf("Allow(%q) = %v, want %v", tc.key, got, tc.allowed)
		}
		if got := strings.Join(keys(l), " "); got != tc.kept {
			t.Errorf("after Allow(%q): keys %q, want %q", tc.key, got, tc.kept)
		}
		if len(l.keys) != l.lru.Len() {
			t.Fatalf("map has %d keys, list %d", len(l.keys), l.lru.Len())
		}
	}
}

func TestMaxKeysBound(t *testing.T) {
	c := newClock()
	l := New(time.Hour, 5, WithClock(c.Now), WithMaxKeys(100))
	for i := range 10_000 {
		if !l.Allow(fmt.Sprint("attacker-", i)) {
			t.Fatalf("new key %d refused", i)
		}
		if len(l.keys) > 100 || l.lru.Len() > 100 {
			t.Fatalf("after %d keys: %d kept, want at most 100", i+1, len(l.keys))
		}
	}
}

func TestDefaults(t *testing.T) {
	l := New(time.Hour, 1)
	if l.maxKeys != 100_000 {
		t.Errorf("default max keys = %d, want 100000", l.maxKeys)
	}
	if !l.Allow("k") || l.Allow("k") {
		t.Error("real clock: want exactly one event allowed")
	}
	if got := l.RetryAfter("k"); got <= 59*time.Minute || got > time.Hour {
		t.Errorf("RetryAfter = %v, want about 1h", got)
	}
	// A huge every × burst must not overflow.
	if l := New(time.Duration(1<<62), 1<<40); !l.Allow("k") || l.idle <= 0 {
		t.Errorf("huge every × burst: idle = %v", l.idle)
	}
}

func TestNewPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		new  func()
	}{
		{"zero every", func() { New(0, 1) }},
		{"negative every", func() { New(-time.Second, 1) }},
		{"zero burst", func() { New(time.Second, 0) }},
		{"zero max keys", func() { New(time.Second, 1, WithMaxKeys(0)) }},
		{"nil clock", func() { New(time.Second, 1, WithClock(nil)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("New did not panic")
				}
			}()
			tc.new()
		})
	}
}

func TestConcurrent(t *testing.T) {
	const (
		burst      = 50
		goroutines = 64
		tries      = 200
	)
	c := newClock() // frozen: no refill during the test
	// l holds "hot" and 9 other keys, under its bound: nothing is evicted,
	// so "hot" must allow exactly burst events in all.
	l := New(time.Second, burst, WithClock(c.Now), WithMaxKeys(10))
	// churn is under constant eviction.
	churn := New(time.Second, 1, WithClock(c.Now), WithMaxKeys(5))
	var hot atomic.Int64
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range tries {
				if l.Allow("hot") {
					hot.Add(1)
				}
				l.Allow(fmt.Sprint("cold-", g%3, "-", i%3))
				l.RetryAfter("hot")
				churn.Allow(fmt.Sprint(g, "-", i))
				churn.RetryAfter(fmt.Sprint(g, "-", i-1))
			}
		})
	}
	wg.Wait()
	if got := hot.Load(); got != burst {
		t.Errorf("allowed %d events for one key in a frozen clock, want exactly burst = %d", got, burst)
	}
	if len(l.keys) != 10 {
		t.Errorf("kept %d keys, want 10", len(l.keys))
	}
	if len(churn.keys) != 5 || churn.lru.Len() != 5 {
		t.Errorf("churn kept %d keys (list %d), want 5", len(churn.keys), churn.lru.Len())
	}
}

// TestTake: events that cost several tokens take them all or none, and the
// wait says when they will be there.
func TestTake(t *testing.T) {
	now := time.Unix(0, 0)
	l := New(time.Second, 10, WithClock(func() time.Time { return now }))
	if _, ok := l.Take("k", 6); !ok {
		t.Fatal("6 of 10: refused")
	}
	wait, ok := l.Take("k", 6)
	if ok || wait != 2*time.Second {
		t.Fatalf("6 more of 4 left: ok=%v wait=%s, want refused and 2s", ok, wait)
	}
	now = now.Add(2 * time.Second)
	if _, ok := l.Take("k", 6); !ok {
		t.Fatal("after the wait: refused")
	}
	// More than the burst counts as the burst.
	now = now.Add(10 * time.Second)
	if _, ok := l.Take("k", 1000); !ok {
		t.Fatal("a full bucket refused an event bigger than the burst")
	}
	if wait, ok := l.Take("k", 1000); ok || wait != 10*time.Second {
		t.Fatalf("an empty bucket: ok=%v wait=%s", ok, wait)
	}
}
