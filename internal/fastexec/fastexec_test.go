package fastexec

import (
	"bytes"
	"context"
	"math"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

func written(m graphql.Marshaler) string {
	var b bytes.Buffer
	m.MarshalGQL(&b)
	return b.String()
}

// The scalar writers write what gqlgen's marshallers write.
func TestScalarsAsGqlgen(t *testing.T) {
	s := Begin(context.Background(), nil)
	defer s.Release()
	check := func(name string, write func(), want graphql.Marshaler) {
		t.Helper()
		s.Truncate(0)
		write()
		if got, want := string(s.buf), written(want); got != want {
			t.Errorf("%s: wrote %q, gqlgen writes %q", name, got, want)
		}
	}
	for _, str := range []string{"", "plain", `quote " and \ backslash`, "tab\t cr\r lf\n", "\x00\x01\x1f\x7f", "héllo ✓ 🙂",
		"invalid \xff\xfe utf-8", "<script>&amp;</script>", "\u2028\u2029"} {
		check("string "+str, func() { s.Str(str) }, graphql.MarshalString(str))
	}
	for _, b := range []bool{true, false} {
		check("bool", func() { s.Bool(b) }, graphql.MarshalBoolean(b))
	}
	for _, i := range []int64{0, 1, -1, math.MaxInt64, math.MinInt64, 1 << 31} {
		check("int", func() { s.Int(i) }, graphql.MarshalInt64(i))
	}
	for _, f := range []float64{0, 1.5, -2.25, 1e21, 1e-7, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		check("float", func() { s.Float(f) }, graphql.MarshalFloat(f))
	}
	for _, tm := range []time.Time{time.Date(2026, 12, 1, 23, 7, 0, 123456789, time.UTC), time.Date(1999, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))} {
		check("time", func() { s.Time(tm) }, graphql.MarshalTime(tm))
	}
}

// Ctx builds the field contexts of the path, so that a delegated field's
// errors carry the path gqlgen would give them.
func TestCtxPath(t *testing.T) {
	root := &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "products"}}}
	ctx := graphql.WithFieldContext(context.Background(), root)
	s := Begin(ctx, nil)
	defer s.Release()
	edges := &graphql.CollectedField{Field: &ast.Field{Alias: "edges"}}
	node := &graphql.CollectedField{Field: &ast.Field{Alias: "n"}}
	s.Push("ProductConnection", edges)
	s.PushIndex(3)
	s.Push("ProductEdge", node)
	if got := graphql.GetFieldContext(s.Ctx()).Path().String(); got != "products.edges[3].n" {
		t.Fatalf("path %q", got)
	}
	if fc := graphql.GetFieldContext(s.Ctx()); fc.Object != "ProductEdge" || fc.Field.Alias != "n" {
		t.Fatalf("field context %+v", fc)
	}
	// Leaving and entering another element rebuilds only what changed.
	s.Pop()
	s.Pop()
	s.PushIndex(4)
	s.Push("ProductEdge", node)
	if got := graphql.GetFieldContext(s.Ctx()).Path().String(); got != "products.edges[4].n" {
		t.Fatalf("path %q", got)
	}
	s.Pop()
	s.Pop()
	s.Pop()
	if s.Ctx() != ctx {
		t.Fatal("the root's context is not the one given to Begin")
	}
}

// Written reports the nulls that null the enclosing object, as gqlgen's
// object marshallers count them.
func TestWritten(t *testing.T) {
	s := Begin(context.Background(), nil)
	defer s.Release()
	cases := []struct {
		m     graphql.Marshaler
		check int8
		valid bool
	}{
		{graphql.MarshalString("x"), CheckNull, true},
		{graphql.Null, CheckNull, false},
		{graphql.Null, CheckNone, true},
		{graphql.Null, CheckRequired, true},
		{graphql.RequiredNull, CheckRequired, false},
		{nil, CheckNull, false},
	}
	for i, c := range cases {
		if got := s.Written(c.m, c.check); got != c.valid {
			t.Errorf("case %d: valid %v, want %v", i, got, c.valid)
		}
	}
	if got := string(s.buf); got != `"x"nullnullnullnullnull` {
		t.Errorf("wrote %s", got)
	}
}

// Finish copies the answer out: the pooled buffer is reused.
func TestFinishCopies(t *testing.T) {
	s := Begin(context.Background(), nil)
	s.Str("first")
	m := s.Finish()
	s2 := Begin(context.Background(), nil)
	s2.Str("second, longer")
	defer s2.Release()
	if got := written(m); got != `"first"` {
		t.Fatalf("answer changed to %s", got)
	}
}

// A field is ready only in the response that marked it.
func TestReadyFields(t *testing.T) {
	lines, events := &ast.Field{Alias: "lines"}, &ast.Field{Alias: "statusHistory"}
	ctx := WithReadyFields(context.Background())
	MarkReady(ctx, lines)
	MarkReady(context.Background(), events) // no registry: ignored
	s := Begin(ctx, nil)
	if !s.Ready(lines) || s.Ready(events) {
		t.Fatalf("ready: lines %v, statusHistory %v", s.Ready(lines), s.Ready(events))
	}
	s.Release()
	other := Begin(WithReadyFields(context.Background()), nil)
	defer other.Release()
	if other.Ready(lines) {
		t.Fatal("a field marked in one response is ready in another")
	}
}
