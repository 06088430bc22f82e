// Package txn runs domain work in one database transaction: begin, run,
// roll back on any error or panic, commit. Domain services call it instead
// of handling transactions by hand.
package txn

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"storefront/ent"
)

// Run runs f with a transactional client and commits when f returns nil.
// When ctx already carries a transaction (ent.NewTxContext), f joins it and
// the owner of that transaction commits.
func Run(ctx context.Context, client *ent.Client, f func(tx *ent.Client) error) (err error) {
	if tx := ent.TxFromContext(ctx); tx != nil {
		return f(tx.Client())
	}
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("txn: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := f(tx.Client()); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return fmt.Errorf("%w (and rolling back failed: %v)", err, rerr)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("txn: commit: %w", err)
	}
	return nil
}

// LockRows is a query modifier that locks the selected rows until the end
// of the transaction: SELECT ... FOR UPDATE on PostgreSQL. SQLite has no
// row locks and needs none: its transactions begin IMMEDIATE, holding the
// database's write lock. Use it as q.Modify(txn.LockRows) before q.Only.
func LockRows(s *sql.Selector) {
	if s.Dialect() == dialect.Postgres {
		s.ForUpdate()
	}
}

// Detach makes an entity saved inside Run usable after Run committed:
// entities remember the transaction they were loaded in, and querying an
// edge through a committed transaction fails. When ctx carries an outer
// transaction (Run joined it), v is returned as it is.
func Detach[T any, P interface {
	*T
	Unwrap() P
}](ctx context.Context, v P) P {
	if v == nil || ent.TxFromContext(ctx) != nil {
		return v
	}
	return v.Unwrap()
}
