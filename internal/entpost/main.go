// Command entpost rewrites one pattern of the code ent v0.14 generates
// (ent/), where it allocates per column per row for nothing. `make
// generate` runs it after entc; it is deterministic and idempotent (a
// second run changes nothing), so scripts/check-generated.sh still
// compares a fresh generation with the tree.
//
//	go run ./internal/entpost ent
//
// The rewrite: every entity's scanValues gives database/sql one
// destination per selected column, and ent allocates each of them on its
// own (new(sql.NullString), new(sql.NullInt64), ...) plus the slice that
// holds them: for a page of 50 products of 8 columns, 450 allocations,
// a quarter of a computed home page's. entpost declares the destinations
// of one row as the fields of one struct, allocated once per row, and the
// slice as an array in it, so a row costs one allocation. Nothing else
// changes: the same destination types, in the same switch, read by the
// same assignValues. A column that appears twice in one statement gets
// the same destination twice; database/sql scans the columns in order, so
// the destination ends with the last occurrence's value, which is also
// the value ent's assignValues would have kept (it assigns each
// occurrence in turn). A column the switch does not know (one a modifier
// added) keeps ent's own new(sql.UnknownType), and a row of more columns
// than the array holds gets ent's make([]any, n).
package main

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: entpost <ent directory>")
		os.Exit(2)
	}
	n, err := rewriteDir(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "entpost:", err)
		os.Exit(1)
	}
	if n == 0 {
		// ent changed what it generates: say so rather than do nothing.
		fmt.Fprintln(os.Stderr, "entpost: no scanValues function found to rewrite")
		os.Exit(1)
	}
}

// marker is the first line of a rewritten body: a second run sees it and
// leaves the function alone.
const marker = "// entpost: the destinations of one row in one allocation."

// rewriteDir rewrites the .go files of dir (not its subdirectories) and
// returns how many scanValues functions it rewrote or found rewritten.
func rewriteDir(dir string) (int, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return 0, err
	}
	sort.Strings(files)
	total := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		out, n, err := rewrite(f, src)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", f, err)
		}
		total += n
		if !bytes.Equal(out, src) {
			if err := os.WriteFile(f, out, 0o644); err != nil {
				return 0, err
			}
		}
	}
	return total, nil
}

// rewrite returns src with its scanValues functions rewritten, and how
// many it rewrote or found already rewritten.
func rewrite(name string, src []byte) ([]byte, int, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	if err != nil {
		return nil, 0, err
	}
	type edit struct {
		from, to int
		text     string
	}
	var edits []edit
	count := 0
	for _, d := range file.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "scanValues" || fn.Recv == nil || fn.Body == nil {
			continue
		}
		count++
		body := string(src[fset.Position(fn.Body.Lbrace).Offset:fset.Position(fn.Body.Rbrace).Offset])
		if strings.Contains(body, marker) {
			continue
		}
		text, err := newBody(fset, src, fn)
		if err != nil {
			return nil, 0, fmt.Errorf("scanValues of %s: %w", recvName(fn), err)
		}
		edits = append(edits, edit{fset.Position(fn.Body.Lbrace).Offset, fset.Position(fn.Body.Rbrace).Offset + 1, text})
	}
	if len(edits) == 0 {
		return src, count, nil
	}
	var b bytes.Buffer
	last := 0
	for _, e := range edits {
		b.Write(src[last:e.from])
		b.WriteString(e.text)
		last = e.to
	}
	b.Write(src[last:])
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, 0, fmt.Errorf("formatting the rewrite: %w", err)
	}
	return out, count, nil
}

func recvName(fn *ast.FuncDecl) string {
	if len(fn.Recv.List) == 1 {
		if star, ok := fn.Recv.List[0].Type.(*ast.StarExpr); ok {
			if id, ok := star.X.(*ast.Ident); ok {
				return id.Name
			}
		}
	}
	return "?"
}

// newBody checks that fn is ent's scanValues, statement by statement, and
// returns its new body. Any other shape is an error: ent's templates
// changed, and the rewrite must be looked at again.
//
// ent's body:
//
//	values := make([]any, len(columns))
//	for i := range columns {
//		switch columns[i] {
//		case pkg.FieldA, pkg.FieldB:
//			values[i] = new(T)
//		...
//		default:
//			values[i] = new(sql.UnknownType)
//		}
//	}
//	return values, nil
func newBody(fset *token.FileSet, src []byte, fn *ast.FuncDecl) (string, error) {
	text := func(n ast.Node) string {
		return string(src[fset.Position(n.Pos()).Offset:fset.Position(n.End()).Offset])
	}
	stmts := fn.Body.List
	if len(stmts) != 3 || text(stmts[0]) != "values := make([]any, len(columns))" || text(stmts[2]) != "return values, nil" {
		return "", errors.New("not the make/range/return shape of ent's template")
	}
	loop, ok := stmts[1].(*ast.RangeStmt)
	if !ok || len(loop.Body.List) != 1 {
		return "", errors.New("no range over the columns")
	}
	sw, ok := loop.Body.List[0].(*ast.SwitchStmt)
	if !ok || sw.Tag == nil || text(sw.Tag) != "columns[i]" {
		return "", errors.New("no switch on columns[i]")
	}
	var (
		fields []string // "fN T"
		cases  strings.Builder
		slots  int
	)
	for _, s := range sw.Body.List {
		cc := s.(*ast.CaseClause)
		if len(cc.Body) != 1 {
			return "", errors.New("a case of more than one statement")
		}
		as, ok := cc.Body[0].(*ast.AssignStmt)
		if !ok || len(as.Lhs) != 1 || len(as.Rhs) != 1 || text(as.Lhs[0]) != "values[i]" || as.Tok != token.ASSIGN {
			return "", errors.New("a case that is not values[i] = ...")
		}
		typ, isNew := newType(as.Rhs[0], text)
		if len(cc.List) == 0 || !isNew || typ == "sql.UnknownType" {
			// The default case, and anything not a plain new(T): as ent wrote it.
			cases.WriteString(caseHead(cc, text))
			cases.WriteString("\nvalues[i] = " + text(as.Rhs[0]) + "\n")
			slots += len(cc.List)
			continue
		}
		for _, col := range cc.List {
			f := fmt.Sprintf("f%d", len(fields))
			fields = append(fields, f+" "+typ)
			fmt.Fprintf(&cases, "case %s:\nvalues[i] = &row.%s\n", text(col), f)
			slots++
		}
	}
	if len(fields) == 0 {
		return "", errors.New("no column with a new(T) destination")
	}
	var b strings.Builder
	b.WriteString("{\n" + marker + "\n")
	b.WriteString("// A row of more columns than it holds gets its own slice.\n")
	fmt.Fprintf(&b, "row := new(struct {\nvalues [%d]any\n%s\n})\n", slots, strings.Join(fields, "\n"))
	b.WriteString("var values []any\n")
	b.WriteString("if len(columns) <= len(row.values) {\nvalues = row.values[:len(columns)]\n} else {\nvalues = make([]any, len(columns))\n}\n")
	b.WriteString("for i := range columns {\nswitch columns[i] {\n")
	b.WriteString(cases.String())
	b.WriteString("}\n}\nreturn values, nil\n}")
	return b.String(), nil
}

// newType returns T when e is new(T).
func newType(e ast.Expr, text func(ast.Node) string) (string, bool) {
	call, ok := e.(*ast.CallExpr)
	if !ok || len(call.Args) != 1 {
		return "", false
	}
	if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "new" {
		return "", false
	}
	return text(call.Args[0]), true
}

func caseHead(cc *ast.CaseClause, text func(ast.Node) string) string {
	if len(cc.List) == 0 {
		return "default:"
	}
	cols := make([]string, len(cc.List))
	for i, c := range cc.List {
		cols[i] = text(c)
	}
	return "case " + strings.Join(cols, ", ") + ":"
}
