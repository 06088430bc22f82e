package graph_test

import (
	"strings"
	"testing"

	"storefront/database"
	"storefront/database/dbtest"
	"storefront/internal/apitest"
)

// TestProductionMode: with introspection off and suggestions disabled (as
// PRODUCTION sets them), __schema and __type are refused and a misspelt
// field gets no "Did you mean"; by default both are there.
func TestProductionMode(t *testing.T) {
	const misspelt = `{ products(first: 1) { totalCont } }`
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		t.Run("production", func(t *testing.T) {
			api := apitest.New(t, db, func(c *apitest.Config) {
				c.Graph.Introspection = false
				c.Graph.DisableSuggestions = true
			})
			for _, q := range []string{
				`{ __schema { queryType { name } } }`,
				`{ __type(name: "Product") { name } }`,
				`query { ...F } fragment F on Query { ... on Query { __schema { types { name } } } }`,
			} {
				errs, data := api.Errors(t, q, nil)
				if string(data) != "" && string(data) != "null" {
					t.Fatalf("%s answered: %s", q, data)
				}
				if len(errs) != 1 || errs[0].Message != "introspection is disabled" || errs[0].Code() != "GRAPHQL_VALIDATION_FAILED" {
					t.Fatalf("%s: %+v", q, errs)
				}
			}
			e := api.ExpectCode(t, "GRAPHQL_VALIDATION_FAILED", misspelt, nil)
			if strings.Contains(e.Message, "Did you mean") || strings.Contains(e.Message, "totalCount") {
				t.Fatalf("suggestion in production: %q", e.Message)
			}
			// Ordinary queries, __typename included, still work.
			var out struct {
				Typename string `json:"__typename"`
			}
			api.Query(t, `{ __typename }`, nil, &out)
			if out.Typename != "Query" {
				t.Fatalf("__typename %q", out.Typename)
			}
		})
		t.Run("default", func(t *testing.T) {
			api := apitest.New(t, db)
			var out struct {
				Schema struct{ QueryType struct{ Name string } } `json:"__schema"`
			}
			api.Query(t, `{ __schema { queryType { name } } }`, nil, &out)
			if out.Schema.QueryType.Name != "Query" {
				t.Fatalf("__schema: %+v", out)
			}
			e := api.ExpectCode(t, "GRAPHQL_VALIDATION_FAILED", misspelt, nil)
			if !strings.Contains(e.Message, `Did you mean "totalCount"`) {
				t.Fatalf("no suggestion by default: %q", e.Message)
			}
		})
	})
}
