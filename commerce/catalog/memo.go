package catalog

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"

	"storefront/commerce/access"
	"storefront/ent"
	"storefront/ent/category"
)

// The count memo: the totalCount of a category page with a price range.
//
// The stored category counts (counts.go) answer a category page's count
// without a price range. With one, the count reads every matching entry
// of the listing index: about 20,000 for a top category of a
// 100,000-product catalogue, 3 ms of SQLite and 7 ms of PostgreSQL, where
// the rest of the page costs under 1 ms. Shoppers choose among a few
// ranges, so the same count is asked again and again.
//
// So the service remembers such counts, each with the versions of the
// subtree's categories it was counted under. Every write that can change
// which of a category's products a filter keeps raises that category's
// listing_version, in the writer's transaction (the triggers of
// counts.go). A remembered count is used only while its subtree's
// categories, and their versions, are exactly those it was counted under:
// one statement over the categories, where the count would read the
// products. The answer is the database's count, never an estimate.
//
// A count taken while another transaction writes: the versions are read
// before the count, so a write committed between the two leaves a newer
// count under older versions, and the next read, which sees the newer
// versions, counts again. Each server process has its own memo; all of
// them read the versions from the one database.

// memoSize bounds the remembered counts of a service (about 100 bytes
// each). When it is full, an arbitrary entry makes room.
const memoSize = 4096

// memoKey is a count's filter: the subtree's root, the stock flag and the
// price bounds (minor units; hasLo/hasHi say whether each is set).
type memoKey struct {
	root         int
	inStock      bool
	hasLo, hasHi bool
	lo, hi       int64
}

type memoEntry struct {
	versions [sha256.Size]byte
	count    int
}

// countMemo holds remembered counts; safe for concurrent use.
type countMemo struct {
	mu      sync.Mutex
	entries map[memoKey]memoEntry
	max     int
}

func newCountMemo(max int) *countMemo {
	return &countMemo{entries: make(map[memoKey]memoEntry), max: max}
}

func (m *countMemo) get(k memoKey, versions [sha256.Size]byte) (int, bool) {
	m.mu.Lock()
	e, ok := m.entries[k]
	m.mu.Unlock()
	if !ok || e.versions != versions {
		return 0, false
	}
	return e.count, true
}

func (m *countMemo) put(k memoKey, versions [sha256.Size]byte, count int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.entries[k]; !ok && len(m.entries) >= m.max {
		for old := range m.entries {
			delete(m.entries, old)
			break
		}
	}
	m.entries[k] = memoEntry{versions: versions, count: count}
}

func (m *countMemo) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// subtreeVersions digests the IDs and listing versions of root's subtree,
// in ID order: one statement over the categories. Any change of the
// subtree (a category moved in or out) or of a version changes it.
func subtreeVersions(ctx context.Context, client *ent.Client, root int) ([sha256.Size]byte, []int, error) {
	var rows []struct {
		ID      int   `sql:"id"`
		Version int64 `sql:"listing_version"`
	}
	err := client.Category.Query().Where(inSubtree(root)).
		Order(category.ByID()).
		Select(category.FieldID, category.FieldListingVersion).
		Scan(access.System(ctx), &rows)
	if err != nil {
		return [sha256.Size]byte{}, nil, fmt.Errorf("catalog: subtree versions: %w", err)
	}
	h := sha256.New()
	var b [16]byte
	ids := make([]int, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.ID)
		binary.LittleEndian.PutUint64(b[:8], uint64(r.ID))
		binary.LittleEndian.PutUint64(b[8:], uint64(r.Version))
		h.Write(b[:])
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum, ids, nil
}

type memoCountKey struct{}

type memoCount struct {
	client *ent.Client
	memo   *countMemo
	key    memoKey
	// subtree receives the subtree's category IDs the versions were read
	// with: the page's query then names them instead of a subquery.
	subtree *subtreeIDs
}

// withMemoCount marks ctx for ProductLists: the product query run with it
// counts the filter of key (ACTIVE, key.root's subtree, the stock flag
// and the price bounds, and nothing else), which memo may remember.
func withMemoCount(ctx context.Context, client *ent.Client, memo *countMemo, key memoKey, subtree *subtreeIDs) context.Context {
	return context.WithValue(ctx, memoCountKey{}, memoCount{client, memo, key, subtree})
}

// count answers a Count from the memo, or counts with next and remembers.
func (mc memoCount) count(ctx context.Context, next ent.Querier, q ent.Query) (ent.Value, error) {
	versions, ids, err := subtreeVersions(ctx, mc.client, mc.key.root)
	if err != nil {
		return nil, err
	}
	if mc.subtree != nil {
		mc.subtree.ids, mc.subtree.known = ids, true
	}
	if n, ok := mc.memo.get(mc.key, versions); ok {
		return n, nil
	}
	v, err := next.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	if n, ok := v.(int); ok {
		mc.memo.put(mc.key, versions, n)
	}
	return v, nil
}
