package catalog

import (
	"crypto/sha256"
	"testing"
)

// TestCountMemoIsBounded: the memo never holds more than its size, and a
// count is returned only under the versions it was stored with.
func TestCountMemoIsBounded(t *testing.T) {
	m := newCountMemo(8)
	v1, v2 := sha256.Sum256([]byte("one")), sha256.Sum256([]byte("two"))
	for i := range 100 {
		m.put(memoKey{root: i, hasLo: true, lo: int64(i)}, v1, i)
		if m.len() > 8 {
			t.Fatalf("after %d puts the memo holds %d counts, want at most 8", i+1, m.len())
		}
	}
	k := memoKey{root: 99, hasLo: true, lo: 99}
	if n, ok := m.get(k, v1); !ok || n != 99 {
		t.Fatalf("the last count: %d %v, want 99", n, ok)
	}
	if _, ok := m.get(k, v2); ok {
		t.Fatal("a count was returned under other versions")
	}
	m.put(k, v2, 7)
	if n, ok := m.get(k, v2); !ok || n != 7 || m.len() > 8 {
		t.Fatalf("replaced count: %d %v (memo holds %d)", n, ok, m.len())
	}
}
