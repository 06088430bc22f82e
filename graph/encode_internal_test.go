package graph

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// appendResponse writes what json.Marshal writes for every kind of answer.
func TestEncodeResponseIsJSONMarshal(t *testing.T) {
	yes := true
	errs := gqlerror.List{
		{Message: "first must be <= 100 & > 0", Path: ast.Path{ast.PathName("products"), ast.PathIndex(2)},
			Locations: []gqlerror.Location{{Line: 1, Column: 3}}, Extensions: map[string]any{"code": "BAD_USER_INPUT", "field": []string{"first"}}},
		{Message: "second"},
	}
	ext := map[string]any{"cost": map[string]int{"requested": 12, "limit": 20000}, "a": "<b>"}
	for i, resp := range []*graphql.Response{
		{Data: json.RawMessage(`{"products":{"edges":[{"node":{"id":"UHJvZHVjdDox","title":"Kettle"}}]}}`)},
		{Data: json.RawMessage(`{"t":"<script>&amp;</script> \u2028 \u2029 é"}`)},
		{Data: json.RawMessage(`{"t":"a\"b\\c\u0001 spaced out"}`)},
		{Data: json.RawMessage("{\"t\":\n1}")},
		{Data: json.RawMessage(`null`), Errors: errs},
		{Errors: errs},
		{Data: json.RawMessage(`{"x":1}`), Extensions: ext},
		{Data: json.RawMessage(`{"x":1}`), Errors: errs, Extensions: ext},
		{Data: json.RawMessage(`{"x":1}`), Label: "l", Path: ast.Path{ast.PathName("a")}, HasNext: &yes},
		{},
	} {
		want, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		// Appended to what a reused buffer holds, after its start.
		got, err := appendResponse([]byte("reused"), resp)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, append([]byte("reused"), want...)) {
			t.Errorf("case %d:\n got %s\nwant reused%s", i, got, want)
		}
	}
}
