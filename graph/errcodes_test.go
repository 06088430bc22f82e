package graph_test

import (
	"testing"

	"github.com/99designs/gqlgen/graphql/errcode"

	"storefront/commerce"
)

// TestGqlgenCodesAreTheVocabulary: the codes gqlgen's executor sets are the
// ones commerce/errors.go declares for them (commerce does not import
// gqlgen, so the check is here).
func TestGqlgenCodesAreTheVocabulary(t *testing.T) {
	for ours, theirs := range map[commerce.Code]string{
		commerce.GraphQLParseFailed:      errcode.ParseFailed,
		commerce.GraphQLValidationFailed: errcode.ValidationFailed,
	} {
		if string(ours) != theirs {
			t.Errorf("commerce's %q is gqlgen's %q", ours, theirs)
		}
	}
}
