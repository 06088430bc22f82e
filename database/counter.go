package database

import (
	"context"
	stdsql "database/sql"
	"errors"
	"sync/atomic"

	"entgo.io/ent/dialect"
	"github.com/prometheus/client_golang/prometheus"

	"storefront/internal/sqlhint"
)

// Statements counts the SQL statements sent to the database, in total (a
// Prometheus counter) and per context (for tests and for a request's log
// line): a list field that costs one statement per row shows up here.
var Statements = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "storefront_sql_statements_total",
	Help: "SQL statements sent to the database, by dialect.",
}, []string{"dialect"})

type countKey struct{}

// CountStatements returns a context whose statements are counted into the
// returned counter, in addition to the global metric.
func CountStatements(ctx context.Context) (context.Context, *atomic.Int64) {
	n := &atomic.Int64{}
	return context.WithValue(ctx, countKey{}, n), n
}

func count(ctx context.Context, m prometheus.Counter) {
	m.Inc()
	if n, ok := ctx.Value(countKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
}

// countingDriver counts the statements of a driver and its transactions.
// Outside transactions its statements with arguments run prepared (see
// stmtCache).
type countingDriver struct {
	dialect.Driver
	m     prometheus.Counter
	stmts *stmtCache
}

func newCountingDriver(d dialect.Driver, stmts *stmtCache) dialect.Driver {
	return &countingDriver{Driver: d, m: Statements.WithLabelValues(d.Dialect()), stmts: stmts}
}

func (d *countingDriver) Exec(ctx context.Context, query string, args, v any) error {
	count(ctx, d.m)
	if done, err := d.stmts.exec(ctx, query, args, v); done {
		return err
	}
	return d.Driver.Exec(ctx, query, args, v)
}

func (d *countingDriver) Query(ctx context.Context, query string, args, v any) error {
	count(ctx, d.m)
	// SQLite plans a statement when it is prepared, whatever the values
	// bound later, so only PostgreSQL is told to plan per call.
	if !sqlhint.PlansPerCall(ctx) || d.Dialect() != dialect.Postgres {
		if done, err := d.stmts.query(ctx, query, args, v); done {
			return err
		}
	}
	return d.Driver.Query(ctx, query, args, v)
}

func (d *countingDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return &countingTx{Tx: tx, m: d.m}, nil
}

type countingTx struct {
	dialect.Tx
	m prometheus.Counter
}

func (t *countingTx) Exec(ctx context.Context, query string, args, v any) error {
	count(ctx, t.m)
	return t.Tx.Exec(ctx, query, args, v)
}

func (t *countingTx) Query(ctx context.Context, query string, args, v any) error {
	count(ctx, t.m)
	return t.Tx.Query(ctx, query, args, v)
}

// execer is what ent's generated ExecContext (feature sql/execquery) needs
// of a driver or transaction; entsql's both have it.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error)
}

var errNoExecContext = errors.New("database: the driver has no ExecContext")

// ExecContext runs a hand-written statement (client.ExecContext), counted.
func (d *countingDriver) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	ex, ok := d.Driver.(execer)
	if !ok {
		return nil, errNoExecContext
	}
	count(ctx, d.m)
	return ex.ExecContext(ctx, query, args...)
}

// ExecContext runs a hand-written statement in the transaction, counted.
func (t *countingTx) ExecContext(ctx context.Context, query string, args ...any) (stdsql.Result, error) {
	ex, ok := t.Tx.(execer)
	if !ok {
		return nil, errNoExecContext
	}
	count(ctx, t.m)
	return ex.ExecContext(ctx, query, args...)
}
