package main

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"testing"
)

// appends recognises exactly AppendGQL([]byte) []byte, on the value or the
// pointer.
func TestAppends(t *testing.T) {
	src := `package p
type ID struct{ n int }
func (ID) AppendGQL(b []byte) []byte { return b }
type Ptr struct{}
func (*Ptr) AppendGQL(b []byte) []byte { return b }
type Wrong struct{}
func (Wrong) AppendGQL(b []byte) string { return "" }
type None struct{}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := (&types.Config{Importer: importer.Default()}).Check("p", fset, []*ast.File{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"ID": true, "Ptr": true, "Wrong": false, "None": false} {
		typ := pkg.Scope().Lookup(name).Type()
		if got := appends(typ); got != want {
			t.Errorf("appends(%s) = %v, want %v", name, got, want)
		}
	}
}

func TestNewPluginLists(t *testing.T) {
	p := newPlugin(" Product.priceRange, ,Cart.cost", "Product.category")
	for _, f := range []string{"Product.priceRange", "Cart.cost", "Product.category"} {
		if !p.inline[f] {
			t.Errorf("%s is not inline", f)
		}
	}
	if len(p.inline) != 3 {
		t.Errorf("inline = %v", p.inline)
	}
}
