package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

func TestBackoffDelaysDoubleUpToMax(t *testing.T) {
	c := newClock()
	b := NewBackoff(BackoffConfig{Free: 3, Base: time.Second, Max: 30 * time.Second, Now: c.Now})
	for i := range 3 {
		if w := b.Try("k"); w != 0 {
			t.Fatalf("free failure %d: wait %v", i+1, w)
		}
	}
	if w := b.Wait("k"); w != 0 {
		t.Fatalf("after the free failures: wait %v, want 0", w)
	}
	// Each failure beyond Free sets the next wait: 1 s, 2 s, 4 s, ... 30 s.
	for i, want := range []time.Duration{1, 2, 4, 8, 16, 30, 30, 30} {
		want *= time.Second
		if w := b.Try("k"); w != 0 {
			t.Fatalf("attempt %d after its delay: wait %v", i, w)
		}
		if w := b.Try("k"); w != want {
			t.Fatalf("right after failure %d: Try waits %v, want %v", 3+i+1, w, want)
		}
		c.Advance(want - time.Millisecond)
		if w := b.Wait("k"); w != time.Millisecond {
			t.Fatalf("1 ms before the end of the delay: wait %v", w)
		}
		c.Advance(time.Millisecond)
	}
	if got := b.Failures("k"); got != 11 {
		t.Fatalf("failures = %d, want 11 (refused tries are not counted)", got)
	}
	if w := b.Wait("other"); w != 0 || b.Failures("other") != 0 {
		t.Fatal("keys are not independent")
	}
}

func TestBackoffCountForgiveForget(t *testing.T) {
	c := newClock()
	b := NewBackoff(BackoffConfig{Free: 1, Base: time.Second, Max: 8 * time.Second, Forget: time.Minute, Now: c.Now})
	b.Try("k")
	b.Try("k") // second failure: 1 s delay
	if w := b.Try("k"); w != time.Second {
		t.Fatalf("wait %v, want 1s", w)
	}
	// Count goes through the delay and lengthens it.
	b.Count("k")
	if w := b.Wait("k"); w != 2*time.Second || b.Failures("k") != 3 {
		t.Fatalf("after Count: wait %v, failures %d", w, b.Failures("k"))
	}
	b.Forgive("k")
	if b.Failures("k") != 2 || b.Wait("k") != 2*time.Second {
		t.Fatalf("Forgive takes back one failure and keeps the delay: failures %d, wait %v", b.Failures("k"), b.Wait("k"))
	}
	c.Advance(time.Minute)
	if b.Failures("k") != 0 || b.Wait("k") != 0 {
		t.Fatal("failures are not forgotten a minute after the last one")
	}
	if w := b.Try("k"); w != 0 || b.Failures("k") != 1 {
		t.Fatalf("a forgotten key starts afresh: wait %v, failures %d", w, b.Failures("k"))
	}
}

func TestBackoffMaxKeys(t *testing.T) {
	c := newClock()
	b := NewBackoff(BackoffConfig{Free: 0, Base: time.Second, Max: time.Minute, MaxKeys: 10, Now: c.Now})
	for i := range 50 {
		b.Try(fmt.Sprint("k", i))
		c.Advance(time.Millisecond)
	}
	if n := len(b.keys); n != 10 {
		t.Fatalf("%d keys kept, want 10", n)
	}
	if b.Failures("k0") != 0 || b.Failures("k49") != 1 {
		t.Fatal("the oldest keys should be the ones forgotten")
	}
}

func TestNewBackoffPanics(t *testing.T) {
	for _, cfg := range []BackoffConfig{
		{Free: -1, Base: time.Second, Max: time.Second},
		{Base: 0, Max: time.Second},
		{Base: 2 * time.Second, Max: time.Second},
		{Base: time.Second, Max: time.Second, MaxKeys: -1},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewBackoff(%+v) did not panic", cfg)
				}
			}()
			NewBackoff(cfg)
		}()
	}
}

func TestReset(t *testing.T) {
	c := newClock()
	l := New(time.Minute, 2, WithClock(c.Now))
	l.Allow("k")
	l.Allow("k")
	if l.Allow("k") {
		t.Fatal("burst of 2 allowed a third event")
	}
	l.Reset("k")
	if got := allowN(l, "k", 3); got != 2 {
		t.Fatalf("after Reset: %d of 3 allowed, want a full bucket of 2", got)
	}
	l.Reset("never seen") // no-op
}

func TestRateOr(t *testing.T) {
	def := Rate{Burst: 5, Every: time.Minute}
	if got := (Rate{}).Or(def); got != def {
		t.Fatalf("zero Rate.Or = %+v", got)
	}
	if got := (Rate{Burst: 1, Every: time.Second}).Or(def); got != (Rate{Burst: 1, Every: time.Second}) {
		t.Fatalf("Rate.Or replaced a set rate: %+v", got)
	}
}
