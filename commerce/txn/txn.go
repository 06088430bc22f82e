// Package txn runs domain work in one database transaction: begin, run,
// roll back on any error or panic, commit, then run what was registered to
// happen after the commit (events). Domain services call it instead of
// handling transactions by hand.
package txn

import (
	"context"
	"fmt"
	"sync"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"storefront/ent"
)

type hooksKey struct{}

type hooks struct {
	mu  sync.Mutex
	fns []func()
}

// Run runs f with a transactional client and commits when f returns nil.
// The ctx given to f carries the transaction: a Run inside f joins it (it
// has no savepoint of its own: an error of the inner f rolls back only if
// the outer f returns it), and the outermost Run commits. Functions
// registered with AfterCommit run after that commit, in the order they
// were registered, and never when the transaction rolls back. A panic in
// f, or f ending its goroutine (runtime.Goexit, as t.Fatal does), rolls
// the transaction back.
func Run(ctx context.Context, client *ent.Client, f func(ctx context.Context, tx *ent.Client) error) (err error) {
	if tx := ent.TxFromContext(ctx); tx != nil {
		return f(ctx, tx.Client())
	}
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("txn: begin: %w", err)
	}
	h := &hooks{}
	txCtx := context.WithValue(ent.NewTxContext(ctx, tx), hooksKey{}, h)
	finished := false // f returned: a commit or a rollback follows
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if !finished {
			// runtime.Goexit: recover sees nothing, and the transaction
			// would otherwise hold its connection (and SQLite's write
			// lock) for good.
			_ = tx.Rollback()
		}
	}()
	err = f(txCtx, tx.Client())
	finished = true
	if err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return fmt.Errorf("%w (and rolling back failed: %v)", err, rerr)
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("txn: commit: %w", err)
	}
	for _, fn := range h.fns {
		fn()
	}
	return nil
}

// AfterCommit registers fn to run once the transaction of ctx commits. It
// panics outside Run: events published before a commit could announce
// changes that are then rolled back.
func AfterCommit(ctx context.Context, fn func()) {
	h, ok := ctx.Value(hooksKey{}).(*hooks)
	if !ok {
		panic("txn: AfterCommit outside txn.Run")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fns = append(h.fns, fn)
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
