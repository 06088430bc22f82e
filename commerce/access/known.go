package access

import (
	"context"
	"sync"
)

// Guest carts and guest orders have unguessable IDs, and knowing the ID is
// the right to use the object. The rules must not show such objects to
// everyone who lists them, though: they show a guest object only when the
// operation named it by ID. The set of IDs an operation named lives in its
// context; it is mutable so that objects loaded below a field (cart lines
// below cart(id)) see what the field recorded.

type knownKey struct{}

type knownIDs struct {
	mu  sync.Mutex
	ids map[string]map[int]bool
}

// WithKnownIDs returns ctx with an empty set of named IDs, or ctx itself
// when it has one. The GraphQL handler installs one per operation.
func WithKnownIDs(ctx context.Context) context.Context {
	if _, ok := ctx.Value(knownKey{}).(*knownIDs); ok {
		return ctx
	}
	return context.WithValue(ctx, knownKey{}, &knownIDs{ids: map[string]map[int]bool{}})
}

// Know records that the operation named the object of table by its ID. It
// panics when ctx has no set (a wiring bug: call WithKnownIDs first).
func Know(ctx context.Context, table string, id int) {
	k, ok := ctx.Value(knownKey{}).(*knownIDs)
	if !ok {
		panic("access: Know without WithKnownIDs")
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ids[table] == nil {
		k.ids[table] = map[int]bool{}
	}
	k.ids[table][id] = true
}

func known(ctx context.Context, table string) []int {
	k, ok := ctx.Value(knownKey{}).(*knownIDs)
	if !ok {
		return nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	out := make([]int, 0, len(k.ids[table]))
	for id := range k.ids[table] {
		out = append(out, id)
	}
	return out
}
