package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"storefront/commerce"
)

// noIntrospection refuses, before execution, operations that ask for
// __schema or __type when introspection is off: a validation error the
// client can read, where gqlgen would fail the field with an uncoded error
// (which then shows as INTERNAL). __typename stays allowed.
type noIntrospection struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = noIntrospection{}

func (noIntrospection) ExtensionName() string { return "NoIntrospection" }

func (noIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

func (noIntrospection) MutateOperationContext(_ context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if opCtx.Operation == nil {
		return nil
	}
	if f := introspectionField(opCtx.Operation.SelectionSet, map[string]bool{}); f != nil {
		err := gqlerror.ErrorPosf(f.Position, "introspection is disabled")
		errcode.Set(err, string(commerce.GraphQLValidationFailed))
		return err
	}
	return nil
}

// introspectionField finds a __schema or __type field in set, through
// fragments (each visited once).
func introspectionField(set ast.SelectionSet, seen map[string]bool) *ast.Field {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				return s
			}
			if f := introspectionField(s.SelectionSet, seen); f != nil {
				return f
			}
		case *ast.InlineFragment:
			if f := introspectionField(s.SelectionSet, seen); f != nil {
				return f
			}
		case *ast.FragmentSpread:
			if seen[s.Name] || s.Definition == nil {
				continue
			}
			seen[s.Name] = true
			if f := introspectionField(s.Definition.SelectionSet, seen); f != nil {
				return f
			}
		}
	}
	return nil
}
