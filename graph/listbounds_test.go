package graph

import (
	"testing"

	"storefront/graph/generated"
)

// TestEveryListIsBounded: every plain list field of the schema has a
// declared bound for the cost model (a new list field must add one, and
// its domain must enforce it), and every bound is positive.
func TestEveryListIsBounded(t *testing.T) {
	ext := operationLimits(Options{ComplexityLimit: 20000}, nil)
	if err := ext.Validate(generated.NewExecutableSchema(generated.Config{})); err != nil {
		t.Fatal(err)
	}
	for field, b := range listBounds {
		if b.Max <= 0 || b.Default > b.Max {
			t.Errorf("%s: bound %+v", field, b)
		}
	}
}
