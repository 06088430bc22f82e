package live

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"storefront/commerce/inventory"
)

func ev(variant, quantity int, version int64) inventory.Event {
	return inventory.Event{VariantID: variant, ProductID: 100 + variant, QuantityAvailable: quantity, Version: version}
}

func TestStreamStartsWithTheNewerState(t *testing.T) {
	b := NewBroker()
	s, out := b.SubscribeStock(Filter{VariantIDs: []int{1, 2}}, 4, nil)
	defer s.Close()
	b.Publish([]inventory.Event{ev(1, 7, 5)}) // after subscribing, before the snapshot is sent
	select {
	case e := <-out:
		t.Fatalf("an event before Start: %+v", e)
	default:
	}
	s.Start([]inventory.Event{ev(1, 9, 4), ev(2, 3, 1)}) // the snapshot read before the event
	got := map[int]inventory.Event{}
	for range 2 {
		e := <-out
		got[e.VariantID] = *e
	}
	if got[1].Version != 5 || got[1].QuantityAvailable != 7 || got[2].QuantityAvailable != 3 {
		t.Fatalf("first state %+v: want variant 1 at version 5 (7 left), variant 2 with 3", got)
	}
	b.Publish([]inventory.Event{ev(2, 2, 2), ev(3, 1, 1)}) // 3 is not watched
	if e := <-out; e.VariantID != 2 || e.QuantityAvailable != 2 {
		t.Fatalf("change: %+v", e)
	}
	select {
	case e := <-out:
		t.Fatalf("unwatched variant delivered: %+v", e)
	case <-time.After(20 * time.Millisecond):
	}
}

// A reader that does not read never blocks a publisher, and once it reads
// it converges to the newest state of every variant.
func TestSlowStreamConverges(t *testing.T) {
	base := runtime.NumGoroutine()
	b := NewBroker()
	s, out := b.SubscribeStock(Filter{ProductIDs: []int{101, 102, 103}}, 4, nil)
	s.Start(nil)
	published := make(chan struct{})
	go func() {
		defer close(published)
		for v := int64(1); v <= 1000; v++ {
			b.Publish([]inventory.Event{ev(1, int(v), v), ev(2, int(v)*2, v), ev(3, int(v)*3, v)})
		}
	}()
	select {
	case <-published:
	case <-time.After(10 * time.Second):
		t.Fatal("publishing to a stream nobody reads blocked")
	}
	latest := map[int]int64{}
	deadline := time.After(5 * time.Second)
	for latest[1] < 1000 || latest[2] < 1000 || latest[3] < 1000 {
		select {
		case e := <-out:
			if e.Version > latest[e.VariantID] {
				latest[e.VariantID] = e.Version
			}
			if e.QuantityAvailable != int(e.Version)*e.VariantID {
				t.Fatalf("event mixes states: %+v", e)
			}
		case <-deadline:
			t.Fatalf("stuck at %v, want version 1000 of each variant", latest)
		}
	}
	s.Close()
	if _, open := <-out; open {
		// Events left in the buffer are fine; the channel must end.
		for range out {
		}
	}
	for i := 0; runtime.NumGoroutine() > base && i < 200; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		t.Fatalf("%d goroutines, %d before: the backlog drainer did not end", n, base)
	}
}

func TestStreamCloseRacesPublish(t *testing.T) {
	b := NewBroker()
	var wg sync.WaitGroup
	for i := range 50 {
		s, out := b.SubscribeStock(Filter{VariantIDs: []int{1}}, 1, nil)
		s.Start([]inventory.Event{ev(1, 0, 0)})
		wg.Go(func() {
			for v := int64(1); v <= 100; v++ {
				b.Publish([]inventory.Event{ev(1, int(v), v)})
			}
		})
		wg.Go(func() {
			if i%2 == 0 {
				<-out
			}
			s.Close()
			for range out { // closed exactly once, never sent to after
			}
		})
	}
	wg.Wait()
	if n := b.Count(); n != 0 {
		t.Fatalf("%d subscriptions left", n)
	}
}
