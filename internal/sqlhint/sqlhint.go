// Package sqlhint carries, in a context, what a query tells the database
// layer about itself. Domain code sets a hint without importing the
// database package; database's driver reads it.
package sqlhint

import "context"

type planPerCallKey struct{}

// PlanPerCall marks the statements run with ctx as ones whose best plan
// depends on their arguments (a price range, whose selectivity a plan made
// for unknown values misjudges): on PostgreSQL the database layer runs
// them unprepared, so that it plans each with its values, instead of a
// prepared statement that may switch to a generic plan after a few
// executions. (SQLite plans a statement when it is prepared, whatever the
// values bound later: there they stay prepared.)
func PlanPerCall(ctx context.Context) context.Context {
	return context.WithValue(ctx, planPerCallKey{}, true)
}

// PlansPerCall reports whether ctx carries PlanPerCall.
func PlansPerCall(ctx context.Context) bool {
	v, _ := ctx.Value(planPerCallKey{}).(bool)
	return v
}
