// Command gqlpost rewrites the executor gqlgen generates (graph/generated)
// where gqlgen v0.17.98 pays per object and per field for what nothing uses.
// `make generate` runs it after `go tool gqlgen generate`; it is
// deterministic and idempotent (a second run changes nothing), so
// scripts/check-generated.sh still compares a fresh generation with the tree.
//
//	go run ./internal/gqlpost graph/generated
//
// The rewrites, each confined to a pattern gqlgen emits, and each falling
// back to gqlgen's own code when its condition does not hold:
//
//   - @defer bookkeeping only when deferred: every object marshaller starts
//     with graphql.NewDeferredGroup(ctx), which builds the object's path (an
//     allocation per path element), a field set and a map, for @defer, on
//     every object of every operation. newDeferredGroup builds it only when
//     one of the object's collected fields is deferred; otherwise it returns
//     the empty group, which ResolveConcurrently never touches (it reads the
//     group only for a deferred field) and which defers nothing.
//   - Lists marshalled in order when nothing under them can block:
//     graphql.MarshalSliceConcurrently starts a goroutine per element. An
//     element whose selection holds no resolver or context-taking method
//     (fields gqlgen itself runs concurrently), at any depth, cannot wait
//     for anything, so marshalSlice runs such lists in the calling goroutine,
//     with the same field context per element and the same panic guard.
//     Lists whose selection reaches such a field, or an interface or union
//     (whose concrete fields are not known before marshalling), or a deferred
//     field, keep gqlgen's concurrent marshalling: a loader must see the keys
//     of the whole list at once to batch them.
//   - Resolvers named by -inline (Type.field), which compute from their
//     parent alone and never wait (no loader, no I/O), run in the object's
//     goroutine like a struct field instead of being dispatched
//     concurrently, and do not make a list concurrent; a deferred one keeps
//     gqlgen's code.
//   - Resolvers named by -inline-wait, which read a loader primed for the
//     page or an edge loaded with the parent, also run in the object's
//     goroutine, one after the other, but keep their lists concurrent: when
//     one does wait, every element of the list waits in its own goroutine,
//     so the loader still batches the keys of the whole list. This saves
//     the goroutine FieldSet.Dispatch starts per further concurrent field of
//     an object; two such fields that both wait take two loader rounds
//     instead of one.
//   - An object none of whose fields is dispatched (no ResolveConcurrently
//     in its marshaller) is its own field set (newObject): one allocation
//     instead of gqlgen's field set, its values and the writer.
//   - Objects written without a map: graphql.FieldSet.MarshalGQL allocates a
//     map of the aliases written (against duplicates) and two iterator
//     closures per object. objectFields writes the same JSON from the
//     collected fields and their values, checking duplicates by a scan.
//   - Scalar fields read inline: a field that reads a struct field or calls a
//     context-free method of the model (`return obj.Title, nil`), of a
//     non-pointer Go type, with a marshaller that cannot fail (a scalar
//     marshaller that never returns null, or a value that is its own
//     Marshaler such as an enum), is marshalled directly, without a field
//     context, a derived context and the resolver middleware. This holds only
//     while the server has no field middleware: graph.NewHandler refuses
//     extensions that intercept fields, and sets nothing with AroundFields.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"storefront/internal/purefields"
)

func main() {
	inline := flag.String("inline", defaultInline, "comma-separated Type.field resolvers that never block (no loader, no I/O): run in the object's goroutine")
	inlineWait := flag.String("inline-wait", defaultInlineWait, "comma-separated Type.field resolvers that may wait (a loader, an edge query): run in the object's goroutine, their lists stay concurrent")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: gqlpost [-inline Type.field,...] DIR (the gqlgen exec dir, e.g. graph/generated)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	setInline(*inline, *inlineWait)
	if err := run(flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "gqlpost:", err)
		os.Exit(1)
	}
}

// defaultInline and defaultInlineWait are storefront's lists (see
// internal/purefields): resolvers that compute from their parent alone, and
// fields that read an edge loaded with the parent.
const (
	defaultInline     = purefields.Pure
	defaultInlineWait = purefields.Edge
)

// inlineResolvers are the Type.field resolvers named by -inline (true) and
// -inline-wait (false).
var inlineResolvers = map[string]bool{}

func setInline(inline, wait string) {
	clear(inlineResolvers)
	for _, list := range []struct {
		names     string
		neverWait bool
	}{{inline, true}, {wait, false}} {
		for _, f := range strings.Split(list.names, ",") {
			if f = strings.TrimSpace(f); f != "" {
				inlineResolvers[f] = list.neverWait
			}
		}
	}
}

// helperFile is written by gqlpost next to gqlgen's files.
const helperFile = "gqlpost.generated.go"

// fastFile is the direct writer internal/gqlgenerate writes next to
// gqlgen's files; gqlpost hooks its entry points (fastEntry_T) into the
// object marshallers.
const fastFile = "fastexec.generated.go"

var fastEntryRE = regexp.MustCompile(`(?m)^func \(ec \*executionContext\) fastEntry_(\w+)\(`)

func run(dir string) error {
	names, err := filepath.Glob(filepath.Join(dir, "*.generated.go"))
	if err != nil {
		return err
	}
	sort.Strings(names)
	clear(fastEntries)
	files := map[string][]byte{}
	var all bytes.Buffer
	pkg := ""
	for _, name := range names {
		if filepath.Base(name) == helperFile {
			continue
		}
		if filepath.Base(name) == fastFile {
			fast, err := os.ReadFile(name)
			if err != nil {
				return err
			}
			for _, m := range fastEntryRE.FindAllSubmatch(fast, -1) {
				fastEntries[string(m[1])] = true
			}
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		if m := packageRE.FindSubmatch(src); m != nil && pkg == "" {
			pkg = string(m[1])
		}
		files[name] = src
		all.Write(src)
		all.WriteByte('\n')
	}
	if len(files) == 0 {
		return fmt.Errorf("no *.generated.go files in %s", dir)
	}
	s := analyse(all.String())
	for f := range inlineResolvers {
		typ, field, _ := strings.Cut(f, ".")
		if !s.resolvedConcurrently(typ, field) {
			return fmt.Errorf("-inline %s: no such field resolved concurrently", f)
		}
	}
	for _, name := range names {
		src, ok := files[name]
		if !ok {
			continue
		}
		out := rewrite(src, s)
		if !bytes.Equal(out, src) {
			if out, err = format.Source(out); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if err := os.WriteFile(name, out, 0o644); err != nil {
				return err
			}
		}
	}
	helper, err := format.Source(s.helper(pkg))
	if err != nil {
		return fmt.Errorf("%s: %w", helperFile, err)
	}
	return os.WriteFile(filepath.Join(dir, helperFile), helper, 0o644)
}

var (
	packageRE      = regexp.MustCompile(`(?m)^package (\w+)`)
	implementorsRE = regexp.MustCompile(`(?m)^var \w+Implementors = \[\]string\{([^}]*)\}\n\nfunc \(ec \*executionContext\) _(\w+)\(ctx context\.Context, sel ast\.SelectionSet, obj [^)]*\) graphql\.Marshaler \{\n`)
	caseRE         = regexp.MustCompile(`(?m)^\t\tcase "(\w+)":\n`)
	childSwitchRE  = regexp.MustCompile(`(?m)^func \(ec \*executionContext\) childFields_(\w+)\(ctx context\.Context, field graphql\.CollectedField\) \(\*graphql\.FieldContext, error\) \{\n((?:.*\n)*?)\}\n`)
	childCaseRE    = regexp.MustCompile(`case "(\w+)":\n\t\treturn ec\.(fieldContext_\w+)\(ctx, field\)`)
	fieldCtxRE     = regexp.MustCompile(`(?m)^func \(ec \*executionContext\) (fieldContext_\w+)\([^)]*\) \(fc \*graphql\.FieldContext, err error\) \{\n((?:.*\n)*?)\}\n`)
	childCallRE    = regexp.MustCompile(`return ec\.childFields_(\w+)\(ctx, field\)`)
	funcBodyRE     = regexp.MustCompile(`(?m)^func \(ec \*executionContext\) ([^\s(]+)\([^\n]*\{\n((?:.*\n)*?)\}\n`)

	deferredRE = regexp.MustCompile(`deferred := graphql\.NewDeferredGroup\(ctx\)`)
	// A list marshaller: its GraphQL element type is the name between
	// marshalN/marshalO and the 2 that starts the Go type.
	sliceRE = regexp.MustCompile(`(?m)^(func \(ec \*executionContext\) marshal[NO](\w+?)2[^\n]*\n(?:\t[^\n]*\n|\n)*?)\tret := graphql\.MarshalSliceConcurrently\(ctx, `)
	// A field read from the model; gqlgen emits exactly this shape.
	scalarFieldRE = regexp.MustCompile(`(?m)^(func \(ec \*executionContext\) _\w+\(ctx context\.Context, field graphql\.CollectedField, obj [^)]*\) \(ret graphql\.Marshaler\) \{\n)` +
		`(\treturn graphql\.ResolveField\(\n\t\tctx,\n\t\tec\.OperationContext,\n\t\tfield,\n` +
		`\t\tfunc\(ctx context\.Context, field graphql\.CollectedField\) \(\*graphql\.FieldContext, error\) \{\n\t\t\treturn ec\.(fieldContext_\w+)\(ctx, field\)\n\t\t\},\n` +
		`\t\tfunc\(ctx context\.Context\) \(any, error\) \{\n\t\t\treturn (obj\.[A-Z]\w*(?:\(\))?), nil\n\t\t\},\n` +
		`\t\tnil,\n` +
		`\t\tfunc\(ctx context\.Context, selections ast\.SelectionSet, v ([\w.]+)\) graphql\.Marshaler \{\n\t\t\treturn ec\.(marshal[^\s(]+)\(ctx, selections, v\)\n\t\t\},\n)`)
	// The end of an object marshaller (not Query, Mutation or Subscription,
	// which take no obj).
	objectFuncRE     = regexp.MustCompile(`(?m)^func \(ec \*executionContext\) _(\w+)\(ctx context\.Context, sel ast\.SelectionSet, obj [^)]*\) graphql\.Marshaler \{\n(?:\t[^\n]*\n|\n)*?\}\n`)
	concurrentCaseRE = regexp.MustCompile(`\t\tcase "(\w+)":\n(\t\t\tout\.ResolveConcurrently\(ec\.OperationContext, &deferred, i,\n\t\t\t\t(?:true|false), (true|false),\n\t\t\t\tfunc\(ctx context\.Context\) graphql\.Marshaler \{\n\t\t\t\t\treturn (ec\._\w+\(ctx, field, obj\))\n\t\t\t\t\}\)\n)`)
	objectReturnRE   = regexp.MustCompile(`(?m)^(func \(ec \*executionContext\) _\w+\(ctx context\.Context, sel ast\.SelectionSet, obj [^)]*\) graphql\.Marshaler \{\n\tfields := graphql\.CollectFields\([^\n]*\n\n\tout := graphql\.NewFieldSet\(fields\)\n(?:\t[^\n]*\n|\n)*?)\treturn out\n\}\n`)
	// Marshallers that cannot fail for a non-pointer value.
	safeMarshalRE = regexp.MustCompile(`^(?:\t_ = sel\n)?\tres := graphql\.Marshal(?:String|Boolean|Int|Int32|Int64|Uint|Uint32|Uint64|Float|ID|IntID)\(v\)\n\tif res == graphql\.Null \{\n\t\t[^\n]*\n\t\}\n\treturn res\n$|^\treturn v\n$`)
)

// schema is what the rewrites need to know of the generated executor.
type schema struct {
	// implementors per object type, as CollectFields takes them.
	implementors map[string][]string
	// concurrent lists, per object type, the fields gqlgen resolves
	// concurrently (resolvers and context-taking methods).
	concurrent map[string][]string
	// children maps type.field to the object type of the field's value;
	// "" for a field whose value has no child fields (scalars, enums);
	// "?" for interfaces and unions.
	children map[string]map[string]string
	// bodies holds the body of every executionContext method.
	bodies map[string]string
}

func analyse(src string) *schema {
	s := &schema{
		implementors: map[string][]string{},
		concurrent:   map[string][]string{},
		children:     map[string]map[string]string{},
		bodies:       map[string]string{},
	}
	for _, m := range funcBodyRE.FindAllStringSubmatch(src, -1) {
		s.bodies[m[1]] = m[2]
	}
	for _, loc := range implementorsRE.FindAllStringSubmatchIndex(src, -1) {
		typ := src[loc[4]:loc[5]]
		var impl []string
		for _, q := range strings.Split(src[loc[2]:loc[3]], ",") {
			impl = append(impl, strings.Trim(strings.TrimSpace(q), `"`))
		}
		s.implementors[typ] = impl
		body := s.bodies["_"+typ]
		cases := caseRE.FindAllStringSubmatchIndex(body, -1)
		var conc []string
		for i, c := range cases {
			end := len(body)
			if i+1 < len(cases) {
				end = cases[i+1][0]
			}
			if strings.Contains(body[c[1]:end], "ResolveConcurrently(") && !inlineResolvers[typ+"."+body[c[2]:c[3]]] {
				// Resolvers that may wait keep their lists concurrent.
				conc = append(conc, body[c[2]:c[3]])
			}
		}
		s.concurrent[typ] = conc
	}
	fieldChild := map[string]string{}
	for _, m := range fieldCtxRE.FindAllStringSubmatch(src, -1) {
		switch {
		case childCallRE.MatchString(m[2]):
			fieldChild[m[1]] = childCallRE.FindStringSubmatch(m[2])[1]
		case strings.Contains(m[2], "cannot be called on type INTERFACE"), strings.Contains(m[2], "cannot be called on type UNION"):
			fieldChild[m[1]] = "?"
		default:
			fieldChild[m[1]] = ""
		}
	}
	for _, m := range childSwitchRE.FindAllStringSubmatch(src, -1) {
		fields := map[string]string{}
		for _, c := range childCaseRE.FindAllStringSubmatch(m[2], -1) {
			child, ok := fieldChild[c[2]]
			if !ok {
				child = "?"
			}
			fields[c[1]] = child
		}
		s.children[m[1]] = fields
	}
	return s
}

// resolvedConcurrently reports whether gqlgen's code for typ dispatches
// field concurrently (before or after the -inline rewrite).
func (s *schema) resolvedConcurrently(typ, field string) bool {
	body := s.bodies["_"+typ]
	i := strings.Index(body, "\t\tcase \""+field+"\":\n")
	if i < 0 {
		return false
	}
	rest := body[i+1:]
	if j := strings.Index(rest, "\t\tcase \""); j >= 0 {
		rest = rest[:j]
	}
	return strings.Contains(rest, "ResolveConcurrently(")
}

// fastEntries are the object types that have a direct writer.
var fastEntries = map[string]bool{}

// collectRE is the first line of an object marshaller.
var collectRE = regexp.MustCompile(`\tfields := graphql\.CollectFields\(ec\.OperationContext, sel, \w+Implementors\)\n`)

func rewrite(src []byte, s *schema) []byte {
	out := deferredRE.ReplaceAll(src, []byte("deferred := newDeferredGroup(ctx, fields)"))
	out = objectFuncRE.ReplaceAllFunc(out, func(fn []byte) []byte {
		typ := string(objectFuncRE.FindSubmatch(fn)[1])
		if !bytes.Contains(fn, []byte("ResolveConcurrently(")) {
			// Nothing to dispatch: the object is its own field set.
			return bytes.Replace(fn, []byte("\tout := graphql.NewFieldSet(fields)\n"), []byte("\tout := newObject(fields)\n"), 1)
		}
		return concurrentCaseRE.ReplaceAllFunc(fn, func(m []byte) []byte {
			sub := concurrentCaseRE.FindSubmatch(m)
			if _, ok := inlineResolvers[typ+"."+string(sub[1])]; !ok {
				return m
			}
			invalid := "graphql.RequiredNull"
			if string(sub[3]) == "true" {
				invalid = "graphql.Null"
			}
			return []byte(fmt.Sprintf("\t\tcase %q:\n\t\t\tif field.IsDeferred() {\n%s\t\t\t\tbreak\n\t\t\t}\n\t\t\tout.Values[i] = %s\n\t\t\tif out.Values[i] == %s {\n\t\t\t\tatomic.AddUint32(&out.Invalids, 1)\n\t\t\t}\n",
				sub[1], sub[2], sub[4], invalid))
		})
	})
	out = sliceRE.ReplaceAllFunc(out, func(m []byte) []byte {
		sub := sliceRE.FindSubmatch(m)
		typ := string(sub[2])
		if _, ok := s.implementors[typ]; !ok {
			return m // scalars, enums, interfaces, unions: gqlgen's code
		}
		return append(append([]byte{}, sub[1]...), []byte(fmt.Sprintf("\tret := marshalSlice(ctx, sel, %q, ", typ))...)
	})
	out = objectReturnRE.ReplaceAll(out, []byte("${1}\treturn &objectFields{fields: fields, Values: out.Values}\n}\n"))
	// Last, so that the patterns above see gqlgen's code: the direct
	// writer's entry point, first thing after the fields are collected.
	out = objectFuncRE.ReplaceAllFunc(out, func(fn []byte) []byte {
		typ := string(objectFuncRE.FindSubmatch(fn)[1])
		if !fastEntries[typ] || bytes.Contains(fn, []byte("ec.fastEntry_")) {
			return fn
		}
		loc := collectRE.FindIndex(fn)
		if loc == nil {
			return fn
		}
		hook := fmt.Sprintf("\tif m := ec.fastEntry_%s(ctx, fields, obj); m != nil {\n\t\treturn m\n\t}\n", typ)
		return append(append(append([]byte{}, fn[:loc[1]]...), hook...), fn[loc[1]:]...)
	})
	out = scalarFieldRE.ReplaceAllFunc(out, func(m []byte) []byte {
		sub := scalarFieldRE.FindSubmatch(m)
		fieldCtx, expr, goType, marshal := string(sub[3]), string(sub[4]), string(sub[5]), string(sub[6])
		if !strings.Contains(s.bodies[fieldCtx], "graphql.NewScalarFieldContext(") {
			return m
		}
		if strings.Contains(goType, "*") || !safeMarshalRE.MatchString(s.bodies[marshal]) {
			return m
		}
		var b bytes.Buffer
		b.Write(sub[1])
		fmt.Fprintf(&b, "\tif inlineFields {\n\t\treturn ec.%s(ctx, field.Selections, %s)\n\t}\n", marshal, expr)
		b.Write(sub[2])
		return b.Bytes()
	})
	return out
}

func (s *schema) helper(pkg string) []byte {
	var b bytes.Buffer
	b.WriteString(`// Code generated by internal/gqlpost, DO NOT EDIT.

package ` + pkg + `

import (
	"context"
	"io"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// inlineFields lets scalar fields read from the model be marshalled without
// a field context or the resolver middleware (see internal/gqlpost). It holds
// while the server installs no field middleware.
const inlineFields = true

// newDeferredGroup is graphql.NewDeferredGroup when one of fields is
// deferred, and otherwise the empty group, which defers nothing.
func newDeferredGroup(ctx context.Context, fields []graphql.CollectedField) graphql.DeferredGroup {
	for i := range fields {
		if fields[i].IsDeferred() {
			return graphql.NewDeferredGroup(ctx)
		}
	}
	return graphql.DeferredGroup{}
}

// marshalSlice is graphql.MarshalSliceConcurrently, except that a list
// whose elements' selection cannot block (see mayBlock) is marshalled in
// order in the calling goroutine.
func marshalSlice(ctx context.Context, sel ast.SelectionSet, typ string, length int, workerLimit int64, omitPanicHandler bool, marshalElement func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	if length < 2 || mayBlock(graphql.GetOperationContext(ctx), sel, typ, 0) {
		return graphql.MarshalSliceConcurrently(ctx, length, workerLimit, omitPanicHandler, marshalElement)
	}
	ret := make(graphql.Array, length)
	fcs := make([]graphql.FieldContext, length)
	idx := make([]int, length)
	for i := range length {
		idx[i] = i
		fcs[i].Index = &idx[i]
		childCtx := graphql.WithFieldContext(ctx, &fcs[i])
		if omitPanicHandler {
			ret[i] = marshalElement(childCtx, i)
			continue
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					graphql.AddError(childCtx, graphql.Recover(childCtx, r))
					ret[i] = graphql.Null
				}
			}()
			ret[i] = marshalElement(childCtx, i)
		}()
	}
	return ret
}

// objectFields writes an object as graphql.FieldSet.MarshalGQL does: the
// fields in order, each alias once, without allocating. For an object with
// no field to dispatch it is also the field set the generated code fills
// (Values, Invalids, Dispatch), in one allocation for up to four fields.
type objectFields struct {
	fields   []graphql.CollectedField
	Values   []graphql.Marshaler
	Invalids uint32
	small    [4]graphql.Marshaler
}

// newObject is graphql.NewFieldSet for an object none of whose fields is
// resolved concurrently.
func newObject(fields []graphql.CollectedField) *objectFields {
	o := &objectFields{fields: fields}
	if len(fields) <= len(o.small) {
		o.Values = o.small[:len(fields):len(fields)]
	} else {
		o.Values = make([]graphql.Marshaler, len(fields))
	}
	return o
}

// Dispatch has nothing to run: every field was resolved in place.
func (o *objectFields) Dispatch(context.Context) {}

func (o *objectFields) MarshalGQL(w io.Writer) {
	io.WriteString(w, "{")
	first := true
	for i := range o.fields {
		alias := o.fields[i].Alias
		if written(o.fields[:i], alias) {
			continue
		}
		if !first {
			io.WriteString(w, ",")
		}
		first = false
		if plainName(alias) {
			io.WriteString(w, "\"")
			io.WriteString(w, alias)
			io.WriteString(w, "\":")
		} else {
			graphql.MarshalString(alias).MarshalGQL(w)
			io.WriteString(w, ":")
		}
		o.Values[i].MarshalGQL(w)
	}
	io.WriteString(w, "}")
}

// written reports whether alias is among fields.
func written(fields []graphql.CollectedField, alias string) bool {
	for i := range fields {
		if fields[i].Alias == alias {
			return true
		}
	}
	return false
}

// plainName reports whether s needs no escaping in a JSON string (GraphQL
// names never do).
func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

// mayBlock reports whether marshalling sel on an object of type typ may
// run a field gqlgen resolves concurrently (a resolver, or a method taking a
// context), or a deferred field, or reaches an interface or union, at any
// depth.
func mayBlock(oc *graphql.OperationContext, sel ast.SelectionSet, typ string, depth int) bool {
	impl, ok := objectImplementors[typ]
	if !ok || oc == nil || depth > 64 {
		return true
	}
	conc := concurrentFields[typ]
	children := childTypes[typ]
	for _, f := range graphql.CollectFields(oc, sel, impl) {
		if f.IsDeferred() {
			return true
		}
		for _, c := range conc {
			if c == f.Name {
				return true
			}
		}
		if len(f.Selections) == 0 {
			continue
		}
		child, ok := children[f.Name]
		switch {
		case !ok || child == "?":
			return true // an unknown field, an interface or a union
		case child == "":
			continue
		case mayBlock(oc, f.Selections, child, depth+1):
			return true
		}
	}
	return false
}

`)
	types := make([]string, 0, len(s.implementors))
	for t := range s.implementors {
		types = append(types, t)
	}
	sort.Strings(types)
	b.WriteString("// objectImplementors are the implementors of each object type.\nvar objectImplementors = map[string][]string{\n")
	for _, t := range types {
		writeStrings(&b, t, s.implementors[t])
	}
	b.WriteString("}\n\n// concurrentFields are the fields gqlgen resolves concurrently, per object type.\nvar concurrentFields = map[string][]string{\n")
	for _, t := range types {
		if len(s.concurrent[t]) > 0 {
			writeStrings(&b, t, s.concurrent[t])
		}
	}
	b.WriteString("}\n\n// childTypes gives the object type of each field's value (\"\" for scalars\n// and enums, \"?\" for interfaces and unions), per object type.\nvar childTypes = map[string]map[string]string{\n")
	for _, t := range types {
		fields := s.children[t]
		if len(fields) == 0 {
			continue
		}
		names := make([]string, 0, len(fields))
		for f := range fields {
			names = append(names, f)
		}
		sort.Strings(names)
		fmt.Fprintf(&b, "\t%q: {", t)
		for i, f := range names {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q: %q", f, fields[f])
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// writeStrings writes one entry of a generated map[string][]string.
func writeStrings(b *bytes.Buffer, key string, values []string) {
	fmt.Fprintf(b, "\t%q: {", key)
	for i, v := range values {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(b, "%q", v)
	}
	b.WriteString("},\n")
}
