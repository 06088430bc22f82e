package oplimit

import (
	"github.com/vektah/gqlparser/v2/ast"
)

// shape is what the structural check measures on a parsed, not yet
// validated document. Every number is computed with each fragment measured
// once (memoised), so that a document whose fragments spread each other
// many times costs time in proportion to its text, not to its expansion.
type shape struct {
	// depth is the deepest field nesting, fragments seen through.
	depth int
	// expanded is the number of field selections once every fragment is
	// expanded where it is spread (no list multipliers).
	expanded int64
	// merged is the largest number of fields that one selection set holds
	// once the fragments spread into it are inlined: the number that field
	// merging validation compares pairwise.
	merged int64
	// aliases counts fields whose response name differs from their name,
	// as expanded.
	aliases int64
	// rootFields is the largest number of root fields of one operation, as
	// expanded.
	rootFields int64
}

// saturate is where the counts stop growing, far above any limit: an
// expansion of 2^40 fields needs no exact count to be refused.
const saturate = int64(1) << 40

func add(a, b int64) int64 {
	if s := a + b; s < saturate {
		return s
	}
	return saturate
}

// setShape is the measure of one selection set.
type setShape struct {
	depth    int   // of the deepest field below (a set of scalars: 1)
	expanded int64 // fields, fragments expanded, nested sets included
	flat     int64 // fields of this set itself once spreads are inlined
	merged   int64 // the largest flat count of this set or any set below
	aliases  int64 // aliased fields, fragments expanded
}

type measurer struct {
	doc   *ast.QueryDocument
	memo  map[string]*setShape
	busy  map[string]bool // fragments being measured: a spread cycle
	frags map[string]*ast.FragmentDefinition
}

// measure computes the shape of every operation and fragment of doc.
func measure(doc *ast.QueryDocument) shape {
	m := &measurer{doc: doc, memo: map[string]*setShape{}, busy: map[string]bool{}, frags: map[string]*ast.FragmentDefinition{}}
	for _, f := range doc.Fragments {
		if _, dup := m.frags[f.Name]; !dup {
			m.frags[f.Name] = f
		}
	}
	var out shape
	take := func(s *setShape) {
		out.depth = max(out.depth, s.depth)
		out.expanded = max(out.expanded, s.expanded)
		out.merged = max(out.merged, s.merged)
		out.aliases = max(out.aliases, s.aliases)
	}
	for _, op := range doc.Operations {
		s := m.set(op.SelectionSet)
		take(s)
		out.rootFields = max(out.rootFields, s.flat)
	}
	// Fragments no operation uses are validated all the same.
	for _, f := range doc.Fragments {
		take(m.fragment(f.Name))
	}
	return out
}

func (m *measurer) fragment(name string) *setShape {
	if s, ok := m.memo[name]; ok {
		return s
	}
	f, ok := m.frags[name]
	if !ok || m.busy[name] {
		// Unknown fragments and cycles are validation errors; they add
		// nothing here.
		return &setShape{}
	}
	m.busy[name] = true
	s := m.set(f.SelectionSet)
	delete(m.busy, name)
	m.memo[name] = s
	return s
}

// set measures a selection set. Introspection's ofType chains (whose length
// the schema bounds: a list of non-null of a named type) do not count
// towards depth; no type of the schema itself has such a field.
func (m *measurer) set(sel ast.SelectionSet) *setShape {
	s := &setShape{}
	for _, x := range sel {
		switch x := x.(type) {
		case *ast.Field:
			s.flat = add(s.flat, 1)
			s.expanded = add(s.expanded, 1)
			if x.Alias != "" && x.Alias != x.Name {
				s.aliases = add(s.aliases, 1)
			}
			if len(x.SelectionSet) == 0 {
				s.depth = max(s.depth, 1)
				continue
			}
			c := m.set(x.SelectionSet)
			step := 1
			if x.Name == "ofType" {
				step = 0
			}
			s.depth = max(s.depth, c.depth+step)
			s.expanded = add(s.expanded, c.expanded)
			s.aliases = add(s.aliases, c.aliases)
			s.merged = max(s.merged, c.merged)
		case *ast.InlineFragment:
			c := m.set(x.SelectionSet)
			s.merge(c)
		case *ast.FragmentSpread:
			s.merge(m.fragment(x.Name))
		}
	}
	s.merged = max(s.merged, s.flat)
	return s
}

// merge adds a fragment's fields to the set it is spread into.
func (s *setShape) merge(c *setShape) {
	s.depth = max(s.depth, c.depth)
	s.expanded = add(s.expanded, c.expanded)
	s.flat = add(s.flat, c.flat)
	s.aliases = add(s.aliases, c.aliases)
	s.merged = max(s.merged, c.merged)
}
