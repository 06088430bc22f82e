package database

import (
	"context"
	stdsql "database/sql"
	"sync"

	entsql "entgo.io/ent/dialect/sql"
)

// maxStatements bounds the prepared statements a server keeps: ent writes
// one SQL text per query shape (an IN list of each length is a shape of
// its own), and a shape seen after the cache is full runs unprepared.
const maxStatements = 512

// stmtCache keeps the statements that ent sends with arguments prepared,
// outside transactions: a statement is parsed once per connection instead
// of once per query. On PostgreSQL that is also one round trip instead of
// two (lib/pq sends Parse and waits for it before Bind and Execute of an
// unprepared statement with arguments); on SQLite it skips
// sqlite3_prepare. PostgreSQL plans the first executions of a prepared
// statement with their values and may then keep a generic plan
// (plan_cache_mode auto, its default), which saves the planning of each
// call: measured, the cart and the order history gained 30-50% on
// PostgreSQL over planning every call (force_custom_plan). A statement
// whose best plan depends on its values (a price range) is run
// unprepared instead, marked by sqlhint.PlanPerCall.
type stmtCache struct {
	db *stdsql.DB
	mu sync.RWMutex
	m  map[string]*stdsql.Stmt
}

func newStmtCache(db *stdsql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*stdsql.Stmt{}}
}

// stmt returns the prepared statement of query, preparing it the first
// time; nil when the cache is full or the statement cannot be prepared
// (the caller runs it unprepared, which reports any error).
func (c *stmtCache) stmt(ctx context.Context, query string) *stdsql.Stmt {
	c.mu.RLock()
	st, ok := c.m[query]
	n := len(c.m)
	c.mu.RUnlock()
	if ok || n >= maxStatements {
		return st
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[query]; ok { // prepared concurrently
		_ = st.Close()
		return prev
	}
	if len(c.m) >= maxStatements {
		_ = st.Close()
		return nil
	}
	c.m[query] = st
	return st
}

// query runs a prepared query into v (ent's *sql.Rows); false when the
// statement is not cached (then nothing ran).
func (c *stmtCache) query(ctx context.Context, query string, args, v any) (bool, error) {
	argv, ok := args.([]any)
	rows, isRows := v.(*entsql.Rows)
	if c == nil || !ok || len(argv) == 0 || !isRows {
		return false, nil
	}
	st := c.stmt(ctx, query)
	if st == nil {
		return false, nil
	}
	r, err := st.QueryContext(ctx, argv...)
	if err != nil {
		return true, err
	}
	*rows = entsql.Rows{ColumnScanner: r}
	return true, nil
}

// exec runs a prepared statement, its result into v (nil or ent's
// *sql.Result); false when the statement is not cached.
func (c *stmtCache) exec(ctx context.Context, query string, args, v any) (bool, error) {
	argv, ok := args.([]any)
	if c == nil || !ok || len(argv) == 0 {
		return false, nil
	}
	res, isResult := v.(*stdsql.Result)
	if v != nil && !isResult {
		return false, nil
	}
	st := c.stmt(ctx, query)
	if st == nil {
		return false, nil
	}
	r, err := st.ExecContext(ctx, argv...)
	if err != nil {
		return true, err
	}
	if isResult {
		*res = r
	}
	return true, nil
}
