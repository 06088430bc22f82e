package oplimit

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Bound declares how long a list field's answer can be, so that the cost
// model multiplies the cost of its children by a real maximum. The domain
// must enforce the bound (a product never has more variants than the bound
// says); TestEveryListIsBounded keeps the declarations complete.
type Bound struct {
	// Max is the longest the list can be, or the cap of the size an
	// argument asks for.
	Max int
	// Arg names the argument that gives the size: an Int (limit), or a list
	// whose length is the size (nodes(ids:)). Default is the size when the
	// argument is absent.
	Arg     string
	Default int
	// Children says that the size applies to the list fields of the
	// field's type (a connection's edges; a result's products), not to the
	// field itself.
	Children bool
}

// Paging is how connections are sized: a field that returns a type named
// "...Connection" costs its edges times first (or last), capped at Max, or
// Default when neither is given.
type Paging struct {
	Default, Max int
}

// Model is what the cost model knows of the schema beyond its types.
type Model struct {
	// Bounds declare the length of every plain list field, by
	// "Type.field" ("*.field" for a field of that name on every type).
	Bounds map[string]Bound
	// Weights price scalar fields that can be large (a description of up
	// to 20,000 characters) above the 1 every field costs, by "Type.field".
	Weights map[string]int
	// Paging sizes connections.
	Paging Paging
}

// costModel computes the cost of an operation against one schema.
type costModel struct {
	schema  *ast.Schema
	bounds  map[string]Bound
	weights map[string]int
	paging  Paging
}

func newCostModel(schema *ast.Schema, model Model) (*costModel, error) {
	m := &costModel{schema: schema, bounds: model.Bounds, weights: model.Weights, paging: model.Paging}
	if missing := m.unbounded(); len(missing) > 0 {
		return nil, fmt.Errorf("oplimit: list fields without a declared bound: %s", strings.Join(missing, ", "))
	}
	return m, nil
}

// unbounded lists the list fields of object types whose length nothing
// bounds: neither a declaration, nor a connection or a sized parent.
func (m *costModel) unbounded() []string {
	var out []string
	for name, t := range m.schema.Types {
		if strings.HasPrefix(name, "__") || (t.Kind != ast.Object && t.Kind != ast.Interface) {
			continue
		}
		for _, f := range t.Fields {
			if f.Type.Elem == nil || m.leaf(f.Type) {
				continue
			}
			key := name + "." + f.Name
			if _, ok := m.bound(name, f.Name); ok {
				continue
			}
			if m.sizedByParent(name) {
				continue
			}
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out
}

// sizedByParent reports whether the lists of type typ get their size from
// the field that returns typ: connections, and types returned by a field
// with a Children bound.
func (m *costModel) sizedByParent(typ string) bool {
	if strings.HasSuffix(typ, "Connection") {
		return true
	}
	for key, b := range m.bounds {
		if !b.Children {
			continue
		}
		parent, field, _ := strings.Cut(key, ".")
		if t := m.schema.Types[parent]; t != nil {
			if f := t.Fields.ForName(field); f != nil && f.Type.Name() == typ {
				return true
			}
		}
	}
	return false
}

// bound is the declared bound of typ.field, or of "*.field" (a field of that
// name on every type, such as userErrors).
func (m *costModel) bound(typ, field string) (Bound, bool) {
	if b, ok := m.bounds[typ+"."+field]; ok {
		return b, true
	}
	b, ok := m.bounds["*."+field]
	return b, ok
}

// leaf reports whether t's named type is a scalar or an enum.
func (m *costModel) leaf(t *ast.Type) bool {
	d := m.schema.Types[t.Name()]
	return d == nil || d.Kind == ast.Scalar || d.Kind == ast.Enum
}

// opCost is the cost of one validated operation with its variables.
type opCost struct {
	m     *costModel
	vars  map[string]any
	memo  map[memoKey]int64
	limit int64
}

type memoKey struct {
	fragment string
	size     int64
}

// cost returns the cost of op: every field costs 1, and a list's children
// cost as many times as the list can be long.
// Introspection is priced by walking the schema, up to limit.
func (m *costModel) cost(op *ast.OperationDefinition, vars map[string]any, limit int64) int64 {
	c := &opCost{m: m, vars: vars, memo: map[memoKey]int64{}, limit: limit}
	return c.set(op.SelectionSet, -1)
}

// set is the cost of a selection set; size, when not negative, is the
// length of the list fields of this set given by the parent (a connection's
// page size).
func (c *opCost) set(sel ast.SelectionSet, size int64) int64 {
	var total int64
	for _, x := range sel {
		switch x := x.(type) {
		case *ast.Field:
			total = add(total, c.field(x, size))
		case *ast.InlineFragment:
			total = add(total, c.set(x.SelectionSet, size))
		case *ast.FragmentSpread:
			if x.Definition == nil {
				continue
			}
			k := memoKey{x.Name, size}
			v, ok := c.memo[k]
			if !ok {
				c.memo[k] = 0 // a cycle (refused by validation) adds nothing
				v = c.set(x.Definition.SelectionSet, size)
				c.memo[k] = v
			}
			total = add(total, v)
		}
	}
	return total
}

func (c *opCost) field(f *ast.Field, inherited int64) int64 {
	parent := ""
	if f.ObjectDefinition != nil {
		parent = f.ObjectDefinition.Name
	}
	if len(f.SelectionSet) == 0 || f.Definition == nil {
		if w, ok := c.m.weights[parent+"."+f.Name]; ok {
			return int64(w)
		}
		return 1
	}
	if f.Name == "__schema" || f.Name == "__type" {
		w := &introWalk{schema: c.m.schema, vars: c.vars, budget: c.limit}
		w.root(f)
		return w.total
	}
	mult := int64(1)
	childSize := int64(-1)
	b, declared := c.m.bound(parent, f.Name)
	typ := f.Definition.Type
	switch {
	case declared && b.Children:
		childSize = c.size(f, b)
	case declared:
		mult = c.size(f, b)
	case strings.HasSuffix(typ.Name(), "Connection") && typ.Elem == nil:
		childSize = c.pageSize(f)
	case typ.Elem != nil && inherited >= 0:
		mult = inherited
	case typ.Elem != nil:
		// Unreachable while TestEveryListIsBounded holds: price an
		// undeclared list as a full page.
		mult = int64(c.m.paging.Max)
	}
	return add(1, mul(mult, c.set(f.SelectionSet, childSize)))
}

// size is the length a declared bound allows for f.
func (c *opCost) size(f *ast.Field, b Bound) int64 {
	if b.Arg == "" {
		return int64(b.Max)
	}
	n := int64(b.Default)
	if v, ok := f.ArgumentMap(c.vars)[b.Arg]; ok && v != nil {
		if l, isList := v.([]any); isList {
			n = int64(len(l))
		} else if i, isInt := toInt(v); isInt {
			n = i
		}
	}
	return min(max(n, 0), int64(b.Max))
}

// pageSize is the number of edges a connection field can return.
func (c *opCost) pageSize(f *ast.Field) int64 {
	args := f.ArgumentMap(c.vars)
	for _, name := range []string{"first", "last"} {
		if i, ok := toInt(args[name]); ok {
			return min(max(i, 0), int64(c.m.paging.Max))
		}
	}
	return int64(c.m.paging.Default)
}

func toInt(v any) (int64, bool) {
	switch v := v.(type) {
	case int:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case float64:
		return int64(v), true
	case json.Number:
		i, err := v.Int64()
		return i, err == nil
	}
	return 0, false
}

func mul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a >= saturate/b {
		return saturate
	}
	return a * b
}
