package commerce_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"storefront/commerce"
)

// pendingLiterals are code literals outside errors.go that are known and
// waiting to be replaced by the constants, per file (slash path from the
// repository root). Do not add to it: use the constants of errors.go.
// An entry that no longer matches fails the test, so that it is removed.
var pendingLiterals = map[string][]string{}

// TestCodesAreDeclaredOnce keeps the error vocabulary in one place: no
// non-test Go file other than errors.go spells an error code as a string
// literal ("BAD_REQUEST", or a JSON text holding "code":"BAD_REQUEST"); it
// uses the constants instead. Generated code (ent/, graph/generated/) is
// not checked.
func TestCodesAreDeclaredOnce(t *testing.T) {
	codes := declaredCodes(t)
	root := repoRoot(t)
	found := map[string][]string{} // file -> codes met
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			switch {
			case rel == ".":
				return nil
			case strings.HasPrefix(d.Name(), "."), d.Name() == "testdata", d.Name() == "node_modules", d.Name() == "vendor",
				rel == "ent", rel == "graph/generated":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") || rel == "commerce/errors.go" {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Errorf("%s: %v", fset.Position(lit.Pos()), err)
				return true
			}
			for _, c := range literalCodes(s, codes) {
				found[rel] = append(found[rel], c)
				if !slices.Contains(pendingLiterals[rel], c) {
					t.Errorf("%s: the string literal %s spells the error code %s; use commerce.%s (commerce/errors.go)", fset.Position(lit.Pos()), lit.Value, c, codes[c])
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for file, pending := range pendingLiterals {
		for _, c := range pending {
			if !slices.Contains(found[file], c) {
				t.Errorf("%s no longer spells %q: remove it from pendingLiterals", file, c)
			}
		}
	}
}

// jsonCode finds a code written inside a JSON text.
var jsonCode = regexp.MustCompile(`"code"\s*:\s*"([A-Z_]+)"`)

// literalCodes are the codes that the value of a string literal spells:
// itself, or the codes of the JSON it holds.
func literalCodes(s string, codes map[string]string) []string {
	if _, ok := codes[s]; ok {
		return []string{s}
	}
	var out []string
	for _, m := range jsonCode.FindAllStringSubmatch(s, -1) {
		if _, ok := codes[m[1]]; ok {
			out = append(out, m[1])
		}
	}
	return out
}

// declaredCodes parses errors.go: the value -> name of every constant of
// type Code.
func declaredCodes(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	for _, decl := range f.Decls {
		gen, ok := decl.(*ast.GenDecl)
		if !ok || gen.Tok != token.CONST {
			continue
		}
		for _, spec := range gen.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
				continue
			}
			for i, name := range vs.Names {
				if i >= len(vs.Values) {
					t.Fatalf("errors.go: %s has no value of its own", name.Name)
				}
				lit, ok := vs.Values[i].(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					t.Fatalf("errors.go: %s is not a string literal", name.Name)
				}
				v, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				if prev, dup := codes[v]; dup {
					t.Errorf("errors.go: %s and %s are both %q", prev, name.Name, v)
				}
				codes[v] = name.Name
			}
		}
	}
	// The parse found the constants the package compiles with.
	for _, c := range []commerce.Code{commerce.Invalid, commerce.Internal, commerce.BadRequest, commerce.OutOfStock} {
		if _, ok := codes[string(c)]; !ok {
			t.Fatalf("errors.go: %q not found among the parsed codes %v", c, codes)
		}
	}
	return codes
}

// TestSchemaListsEveryCode: the SDL tells clients every code they can
// meet, so each code of errors.go is named in the hand-written schema.
func TestSchemaListsEveryCode(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot(t), "schema", "*.graphql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("schema files: %v %v", files, err)
	}
	var sdl strings.Builder
	for _, f := range files {
		if filepath.Base(f) == "ent.graphql" { // generated
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sdl.Write(b)
	}
	for code, name := range declaredCodes(t) {
		if !regexp.MustCompile(`\b` + code + `\b`).MatchString(sdl.String()) {
			t.Errorf("commerce.%s (%s) is not described in schema/*.graphql", name, code)
		}
	}
}

// repoRoot is the folder of go.mod above the package.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the package")
		}
		dir = parent
	}
}
