// Package txn runs domain work in one database transaction: begin, run,
// roll back on any error or panic, commit. Domain services call it instead
// of handling transactions by hand.
package txn

import (
	"context"
	"fmt"

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
