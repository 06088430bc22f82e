package respcache

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func k(i int) key { var out key; copy(out[:], fmt.Sprint(i)); return out }

func TestEntriesExpire(t *testing.T) {
	c := New(Options{TTL: time.Second})
	now := time.Unix(1000, 0)
	c.now = func() time.Time { return now }
	c.put(k(1), c.gen.Load(), json.RawMessage(`{"a":1}`))
	if _, ok := c.get(k(1), c.gen.Load()); !ok {
		t.Fatal("fresh entry missing")
	}
	now = now.Add(1001 * time.Millisecond)
	if _, ok := c.get(k(1), c.gen.Load()); ok || c.Len() != 0 || c.size != 0 {
		t.Fatalf("expired entry served (len %d, size %d)", c.Len(), c.size)
	}
}

func TestAnswerComputedAcrossAChangeIsNotKept(t *testing.T) {
	c := New(Options{})
	gen := c.gen.Load() // the request starts
	c.Invalidate()      // a write commits meanwhile
	c.put(k(1), gen, json.RawMessage(`{"old":true}`))
	if c.Len() != 0 {
		t.Fatal("an answer that may predate a change was kept")
	}
	c.put(k(1), c.gen.Load(), json.RawMessage(`{"new":true}`))
	c.Invalidate()
	if _, ok := c.get(k(1), c.gen.Load()); ok || c.Len() != 0 {
		t.Fatal("Invalidate left an entry")
	}
}

func TestSuspended(t *testing.T) {
	c := New(Options{})
	c.put(k(1), c.gen.Load(), json.RawMessage(`1`))
	c.Suspend()
	c.put(k(2), c.gen.Load(), json.RawMessage(`2`))
	if _, ok := c.get(k(1), c.gen.Load()); ok || c.Len() != 0 {
		t.Fatal("a suspended cache served or stored")
	}
	c.Resume()
	c.put(k(3), c.gen.Load(), json.RawMessage(`3`))
	if _, ok := c.get(k(3), c.gen.Load()); !ok {
		t.Fatal("a resumed cache did not store")
	}
}

func TestSizeBound(t *testing.T) {
	c := New(Options{MaxBytes: 1600})
	body := json.RawMessage(make([]byte, 100))
	for i := range 100 {
		c.put(k(i), c.gen.Load(), body)
		if c.size > 1600 {
			t.Fatalf("after %d entries: %d bytes held, limit 1600", i+1, c.size)
		}
	}
	if c.Len() != 16 {
		t.Fatalf("%d entries, want 16", c.Len())
	}
	c.put(k(1000), c.gen.Load(), json.RawMessage(make([]byte, 101))) // over a sixteenth: not kept
	if _, ok := c.get(k(1000), c.gen.Load()); ok {
		t.Fatal("an entry larger than a sixteenth of the cache was kept")
	}
}

// TestMiddlewareStoredAnswer: a kept answer is served to the same request
// only, as the same bytes with their length, and never to another request
// whose hash happens to be the same.
func TestMiddlewareStoredAnswer(t *testing.T) {
	c := New(Options{})
	computed := 0
	h := c.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		computed++
		b, _ := io.ReadAll(r.Body)
		requestFrom(r.Context()).keep(c.gen.Load())
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":` + string(b) + `}`))
	}))
	send := func(body string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	first := send(`{"q":1}`)
	again := send(`{"q":1}`)
	if computed != 1 || again.Header().Get("X-Cache") != "HIT" || again.Body.String() != first.Body.String() ||
		again.Header().Get("Content-Length") != strconv.Itoa(first.Body.Len()) || again.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("computed %d times; again: %v %q", computed, again.Header(), again.Body)
	}
	if other := send(`{"q":2}`); computed != 2 || other.Body.String() != `{"data":{"q":2}}` {
		t.Fatalf("another body: computed %d times, %q", computed, other.Body)
	}
	// A request of the same hash is still another request.
	k := c.answerKey("", "application/json", []byte(`{"q":1}`))
	if _, ok := c.answer(k, "", "application/json", []byte(`{"q":3}`)); ok {
		t.Fatal("a stored answer was served to another request of the same hash")
	}
	c.Invalidate()
	if send(`{"q":1}`); computed != 3 || c.size != len(`{"q":1}`)+len("application/json")+len(`{"data":{"q":1}}`) {
		t.Fatalf("after a change: computed %d times, %d bytes held", computed, c.size)
	}
}
