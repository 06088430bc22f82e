package main

import (
	"strings"
	"testing"
)

// entScanValues is the shape ent v0.14.6 generates, with a default case,
// a case of several columns and a foreign key.
const entScanValues = `package ent

import "database/sql"

type Thing struct{}

// scanValues returns the types for scanning values from sql.Rows.
func (*Thing) scanValues(columns []string) ([]any, error) {
	values := make([]any, len(columns))
	for i := range columns {
		switch columns[i] {
		case thing.FieldData:
			values[i] = new([]byte)
		case thing.FieldID, thing.FieldCount:
			values[i] = new(sql.NullInt64)
		case thing.ForeignKeys[0]: // owner_id
			values[i] = new(sql.NullInt64)
		default:
			values[i] = new(sql.UnknownType)
		}
	}
	return values, nil
}
`

func TestRewriteOneAllocationPerRow(t *testing.T) {
	out, n, err := rewrite("thing.go", []byte(entScanValues))
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("rewrote %d functions, want 1", n)
	}
	got := string(out)
	for _, want := range []string{
		marker,
		"values [4]any",
		"f0     []byte",
		"f1     sql.NullInt64",
		"f2     sql.NullInt64",
		"f3     sql.NullInt64",
		"case thing.FieldID:\n\t\t\tvalues[i] = &row.f1",
		"case thing.FieldCount:\n\t\t\tvalues[i] = &row.f2",
		"case thing.ForeignKeys[0]:\n\t\t\tvalues[i] = &row.f3",
		"default:\n\t\t\tvalues[i] = new(sql.UnknownType)",
		"values = make([]any, len(columns))",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rewrite lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "new(sql.NullInt64)") || strings.Contains(got, "new([]byte)") {
		t.Errorf("a per-column allocation is left:\n%s", got)
	}

	again, n, err := rewrite("thing.go", out)
	if err != nil || n != 1 || string(again) != got {
		t.Errorf("second run: %d functions, err %v, changed %v", n, err, string(again) != got)
	}
}

func TestRewriteRefusesAnotherShape(t *testing.T) {
	changed := strings.Replace(entScanValues, "return values, nil", "return values, errNope", 1)
	if _, _, err := rewrite("thing.go", []byte(changed)); err == nil || !strings.Contains(err.Error(), "Thing") {
		t.Fatalf("err = %v, want an error naming Thing", err)
	}
}
