package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The committed executor is gqlpost's output: running gqlpost over it again
// must change nothing (make generate runs it after every gqlgen generate).
func TestIdempotentOnTheCommittedExecutor(t *testing.T) {
	src := filepath.Join("..", "..", "graph", "generated")
	names, err := filepath.Glob(filepath.Join(src, "*.go"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no generated files in %s: %v", src, err)
	}
	dir := t.TempDir()
	before := map[string]string{}
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		before[filepath.Base(name)] = string(b)
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(name)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	setInline(defaultInline, defaultInlineWait)
	if err := run(dir); err != nil {
		t.Fatal(err)
	}
	for base, want := range before {
		got, err := os.ReadFile(filepath.Join(dir, base))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("%s changed on a second run", base)
		}
	}
}

// What each rewrite leaves in gqlgen's output.
func TestRewrites(t *testing.T) {
	src := `package generated

var thingImplementors = []string{"Thing"}

func (ec *executionContext) _Thing(ctx context.Context, sel ast.SelectionSet, obj *Thing) graphql.Marshaler {
	fields := graphql.CollectFields(ec.OperationContext, sel, thingImplementors)

	out := graphql.NewFieldSet(fields)
	deferred := graphql.NewDeferredGroup(ctx)
	for i, field := range fields {
		switch field.Name {
		case "name":
			out.Values[i] = ec._Thing_name(ctx, field, obj)
		case "parts":
			out.ResolveConcurrently(ec.OperationContext, &deferred, i,
				true, false,
				func(ctx context.Context) graphql.Marshaler {
					return ec._Thing_parts(ctx, field, obj)
				})
		}
	}
	out.Dispatch(ctx)

	return out
}

func (ec *executionContext) _Thing_name(ctx context.Context, field graphql.CollectedField, obj *Thing) (ret graphql.Marshaler) {
	return graphql.ResolveField(
		ctx,
		ec.OperationContext,
		field,
		func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
			return ec.fieldContext_Thing_name(ctx, field)
		},
		func(ctx context.Context) (any, error) {
			return obj.Name, nil
		},
		nil,
		func(ctx context.Context, selections ast.SelectionSet, v string) graphql.Marshaler {
			return ec.marshalNString2string(ctx, selections, v)
		},
		true,
		true,
	)
}

func (ec *executionContext) fieldContext_Thing_name(_ context.Context, field graphql.CollectedField) (fc *graphql.FieldContext, err error) {
	return graphql.NewScalarFieldContext("Thing", field, false, false, "String")
}

func (ec *executionContext) marshalNString2string(ctx context.Context, sel ast.SelectionSet, v string) graphql.Marshaler {
	_ = sel
	res := graphql.MarshalString(v)
	if res == graphql.Null {
		graphql.AddInvalidNullFromMarshaler(ctx, "String!")
	}
	return res
}

func (ec *executionContext) marshalOThing2ᚕᚖThing(ctx context.Context, sel ast.SelectionSet, v []*Thing) graphql.Marshaler {
	ret := graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		return ec._Thing(ctx, sel, v[i])
	})
	return ret
}
`
	setInline("", "")
	s := analyse(src)
	if got := s.concurrent["Thing"]; len(got) != 1 || got[0] != "parts" {
		t.Errorf("concurrent fields of Thing: %v", got)
	}
	out := string(rewrite([]byte(src), s))
	for _, want := range []string{
		"deferred := newDeferredGroup(ctx, fields)",
		`ret := marshalSlice(ctx, sel, "Thing", len(v), 0, false, func(`,
		"\tif inlineFields {\n\t\treturn ec.marshalNString2string(ctx, field.Selections, obj.Name)\n\t}\n\treturn graphql.ResolveField(",
		"return &objectFields{fields: fields, Values: out.Values}",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("rewritten source lacks %q:\n%s", want, out)
		}
	}
	if again := string(rewrite([]byte(out), s)); again != out {
		t.Error("a second rewrite changed the source")
	}
}
