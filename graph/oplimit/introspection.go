package oplimit

import (
	"github.com/vektah/gqlparser/v2/ast"
)

// Introspection answers are bounded by the schema, but a product of the
// longest lists (types × fields × args × ...) overestimates a real
// introspection query a hundredfold while a recursive one
// (types { fields { type { possibleTypes { fields ... } } } }) really is
// huge. So introspection is priced exactly: the selection is walked over
// the schema itself, counting the fields the answer would hold, and the
// walk stops as soon as the count passes the limit.

type introWalk struct {
	schema *ast.Schema
	vars   map[string]any
	budget int64 // stop counting past it
	total  int64
}

// introType is a __Type: a wrapper (list, non-null) or a named type.
type introType struct {
	ref *ast.Type       // nil for a named type reached by name
	def *ast.Definition // the named type, for a named ref
}

func (w *introWalk) typeOf(ref *ast.Type) introType {
	if ref == nil {
		return introType{}
	}
	if ref.NonNull || ref.Elem != nil {
		return introType{ref: ref}
	}
	return introType{def: w.schema.Types[ref.NamedType]}
}

// over reports whether the walk has passed its budget.
func (w *introWalk) over() bool { return w.total > w.budget }

// selections calls f for every field of sel, fragments seen through.
func selections(sel ast.SelectionSet, f func(*ast.Field)) {
	for _, x := range sel {
		switch x := x.(type) {
		case *ast.Field:
			f(x)
		case *ast.InlineFragment:
			selections(x.SelectionSet, f)
		case *ast.FragmentSpread:
			if x.Definition != nil {
				selections(x.Definition.SelectionSet, f)
			}
		}
	}
}

// schemaField prices a root __schema or __type field.
func (w *introWalk) root(f *ast.Field) {
	w.total++
	switch f.Name {
	case "__schema":
		w.schemaObj(f.SelectionSet)
	case "__type":
		name, _ := f.ArgumentMap(w.vars)["name"].(string)
		if d := w.schema.Types[name]; d != nil {
			w.typeObj(f.SelectionSet, introType{def: d})
		}
	}
}

func (w *introWalk) schemaObj(sel ast.SelectionSet) {
	selections(sel, func(f *ast.Field) {
		if w.over() {
			return
		}
		w.total++
		switch f.Name {
		case "types":
			for _, d := range w.schema.Types {
				w.typeObj(f.SelectionSet, introType{def: d})
			}
		case "queryType":
			w.typeObj(f.SelectionSet, introType{def: w.schema.Query})
		case "mutationType":
			w.typeObj(f.SelectionSet, introType{def: w.schema.Mutation})
		case "subscriptionType":
			w.typeObj(f.SelectionSet, introType{def: w.schema.Subscription})
		case "directives":
			for _, d := range w.schema.Directives {
				w.directiveObj(f.SelectionSet, d)
			}
		}
	})
}

func (w *introWalk) typeObj(sel ast.SelectionSet, t introType) {
	if t.ref == nil && t.def == nil {
		return // null: nothing below is resolved
	}
	selections(sel, func(f *ast.Field) {
		if w.over() {
			return
		}
		w.total++
		if t.ref != nil {
			if f.Name == "ofType" {
				inner := *t.ref
				if inner.NonNull {
					inner.NonNull = false
					w.typeObj(f.SelectionSet, w.typeOf(&inner))
				} else {
					w.typeObj(f.SelectionSet, w.typeOf(t.ref.Elem))
				}
			}
			return // a wrapper has no fields, interfaces, ...
		}
		d := t.def
		switch f.Name {
		case "fields":
			for _, fd := range d.Fields {
				if d.Kind == ast.Object || d.Kind == ast.Interface {
					w.fieldObj(f.SelectionSet, fd)
				}
			}
		case "inputFields":
			if d.Kind == ast.InputObject {
				for _, fd := range d.Fields {
					w.inputObj(f.SelectionSet, fd.Type)
				}
			}
		case "interfaces":
			for _, name := range d.Interfaces {
				w.typeObj(f.SelectionSet, introType{def: w.schema.Types[name]})
			}
		case "possibleTypes":
			if d.IsAbstractType() {
				for _, p := range w.schema.GetPossibleTypes(d) {
					w.typeObj(f.SelectionSet, introType{def: p})
				}
			}
		case "enumValues":
			for range d.EnumValues {
				w.leaves(f.SelectionSet)
			}
		}
	})
}

func (w *introWalk) fieldObj(sel ast.SelectionSet, fd *ast.FieldDefinition) {
	selections(sel, func(f *ast.Field) {
		if w.over() {
			return
		}
		w.total++
		switch f.Name {
		case "args":
			for _, a := range fd.Arguments {
				w.inputObj(f.SelectionSet, a.Type)
			}
		case "type":
			w.typeObj(f.SelectionSet, w.typeOf(fd.Type))
		}
	})
}

func (w *introWalk) inputObj(sel ast.SelectionSet, typ *ast.Type) {
	selections(sel, func(f *ast.Field) {
		if w.over() {
			return
		}
		w.total++
		if f.Name == "type" {
			w.typeObj(f.SelectionSet, w.typeOf(typ))
		}
	})
}

func (w *introWalk) directiveObj(sel ast.SelectionSet, d *ast.DirectiveDefinition) {
	selections(sel, func(f *ast.Field) {
		if w.over() {
			return
		}
		w.total++
		if f.Name == "args" {
			for _, a := range d.Arguments {
				w.inputObj(f.SelectionSet, a.Type)
			}
		}
	})
}

// leaves counts the fields of an object whose fields are all scalars.
func (w *introWalk) leaves(sel ast.SelectionSet) {
	selections(sel, func(*ast.Field) { w.total++ })
}
