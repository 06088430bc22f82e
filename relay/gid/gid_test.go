package gid

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"storefront/commerce"
)

func TestRoundTrip(t *testing.T) {
	for _, g := range []ID{{"Product", 1}, {"ProductVariant", 4294967297}, {"Category", 42}} {
		s := g.String()
		if strings.ContainsAny(s, "+/=") {
			t.Fatalf("%v encodes to %q, not URL-safe", g, s)
		}
		back, err := Parse(s)
		if err != nil || back != g {
			t.Fatalf("Parse(%q) = %v, %v; want %v", s, back, err, g)
		}
	}
	if New("Product", 42).String() != "UHJvZHVjdDo0Mg" {
		t.Fatalf("encoding changed: %s; IDs held by clients would break", New("Product", 42))
	}
}

func TestParseRejects(t *testing.T) {
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, s := range []string{
		"", "!!!", "UHJvZHVjdA", // "Product" without a colon
		enc("Product:"), enc(":1"), enc("Product:0"), enc("Product:-1"), enc("Product:01"),
		enc("Product:1x"), enc("Pro duct:1"), enc("Product:99999999999999999999"),
		New("Product", 1).String() + "==",
	} {
		if _, err := Parse(s); commerce.ErrorCode(err) != commerce.Invalid {
			t.Errorf("Parse(%q) error = %v, want Invalid", s, err)
		}
	}
	if _, err := ParseAs(New("Category", 3).String(), "Product"); commerce.ErrorCode(err) != commerce.Invalid {
		t.Errorf("ParseAs with the wrong type: %v", err)
	}
	var g ID
	if err := g.UnmarshalGQL(12); commerce.ErrorCode(err) != commerce.Invalid {
		t.Errorf("UnmarshalGQL(int) = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("UHJvZHVjdDo0Mg")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		g, err := Parse(s)
		if err != nil {
			return
		}
		if again, err := Parse(g.String()); err != nil || again != g {
			t.Fatalf("%q parsed to %v but its encoding does not round-trip", s, g)
		}
	})
}

func TestAppendGQLIsMarshalGQL(t *testing.T) {
	for _, id := range []ID{New("Product", 1), New("ProductVariant", 1<<40), New("CartLine", 0), New("a-very-long-type-name-that-does-not-fit-in-the-array-on-the-stack", -7)} {
		var w bytes.Buffer
		id.MarshalGQL(&w)
		if got := string(id.AppendGQL([]byte("x"))); got != "x"+w.String() {
			t.Errorf("%v: AppendGQL %s, MarshalGQL %s", id, got, w.String())
		}
	}
	b := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() { b = New("Product", 123).AppendGQL(b[:0]) }); n != 0 {
		t.Errorf("AppendGQL allocates %v times", n)
	}
}
