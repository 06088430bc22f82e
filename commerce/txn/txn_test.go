package txn_test

import (
	"context"
	stdsql "database/sql"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/lib/pq"

	"storefront/commerce/access"
	"storefront/commerce/txn"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent"
	"storefront/ent/warehouse"
)

var errBoom = errors.New("boom")

// codes returns the codes of the stored warehouses, sorted, read outside
// any transaction: what a commit left behind.
func codes(t *testing.T, c *ent.Client) []string {
	t.Helper()
	ctx := access.System(context.Background())
	got, err := c.Warehouse.Query().Order(ent.Asc(warehouse.FieldCode)).Select(warehouse.FieldCode).Strings(ctx)
	if err != nil {
		t.Fatalf("reading warehouses: %v", err)
	}
	return got
}

func create(ctx context.Context, tx *ent.Client, code string) (*ent.Warehouse, error) {
	return tx.Warehouse.Create().SetCode(code).SetName(code).Save(ctx)
}

func wantCodes(t *testing.T, c *ent.Client, want ...string) {
	t.Helper()
	if got := codes(t, c); !slices.Equal(got, want) {
		t.Errorf("stored warehouses %q, want %q", got, want)
	}
}

// TestRunCommitsOrRollsBack: writes of f are stored when f returns nil, and
// none of them when f fails after some of them succeeded; Run returns f's
// error itself.
func TestRunCommitsOrRollsBack(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fail    error
		stored  []string
		wantErr error
	}{
		{name: "commit", stored: []string{"A", "B"}},
		{name: "error rolls back every write", fail: errBoom, stored: nil, wantErr: errBoom},
		{name: "wrapped error rolls back", fail: fmt.Errorf("placing order: %w", errBoom), stored: nil, wantErr: errBoom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Run(t, func(t *testing.T, db *database.DB) {
				ctx := access.System(context.Background())
				err := txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
					if ent.TxFromContext(ctx) == nil {
						t.Error("the ctx given to f carries no transaction")
					}
					for _, code := range []string{"A", "B"} {
						if _, err := create(ctx, tx, code); err != nil {
							return err
						}
					}
					// Inside, the transaction sees its own writes.
					if n := tx.Warehouse.Query().CountX(ctx); n != 2 {
						t.Errorf("inside the transaction: %d warehouses, want 2", n)
					}
					return tc.fail
				})
				if tc.wantErr == nil && err != nil {
					t.Fatalf("Run: %v", err)
				}
				if tc.wantErr != nil {
					if !errors.Is(err, tc.wantErr) {
						t.Fatalf("Run returned %v, want an error that is %v", err, tc.wantErr)
					}
					if err != tc.fail { // Run returns f's error unchanged
						t.Errorf("Run returned %v, want f's error %v itself", err, tc.fail)
					}
				}
				wantCodes(t, db.Client, tc.stored...)
			})
		})
	}
}

// TestRunFailedWriteRollsBackEarlierWrites: a database error in the middle
// of f (a unique code taken twice) undoes the writes before it.
func TestRunFailedWriteRollsBackEarlierWrites(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		err := txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
			if _, err := create(ctx, tx, "A"); err != nil {
				return err
			}
			_, err := create(ctx, tx, "A") // unique code
			return err
		})
		if !ent.IsConstraintError(err) {
			t.Fatalf("Run returned %v, want the constraint error of the second write", err)
		}
		wantCodes(t, db.Client)
		// The transaction is over: a new one writes (on SQLite it would
		// wait for the write lock of an open one and fail).
		if err := txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
			_, err := create(ctx, tx, "B")
			return err
		}); err != nil {
			t.Fatalf("Run after the rollback: %v", err)
		}
		wantCodes(t, db.Client, "B")
	})
}

// TestRunPanicRollsBackAndRepanics: a panic in f rolls the transaction back
// and reaches the caller with its own value; hooks registered before it do
// not run, and the database is free for the next transaction.
func TestRunPanicRollsBackAndRepanics(t *testing.T) {
	type sentinel struct{ msg string }
	for _, nested := range []bool{false, true} {
		t.Run(fmt.Sprint("nested=", nested), func(t *testing.T) {
			dbtest.Run(t, func(t *testing.T, db *database.DB) {
				ctx := access.System(context.Background())
				value := &sentinel{"f panicked"}
				hooked := 0
				var recovered any
				func() {
					defer func() { recovered = recover() }()
					_ = txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
						if _, err := create(ctx, tx, "A"); err != nil {
							return err
						}
						txn.AfterCommit(ctx, func() { hooked++ })
						if !nested {
							panic(value)
						}
						// The inner Run joined the outer transaction: the
						// panic goes through it to the outermost Run.
						return txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
							if _, err := create(ctx, tx, "B"); err != nil {
								return err
							}
							panic(value)
						})
					})
					t.Error("Run returned instead of panicking")
				}()
				if recovered != value {
					t.Fatalf("recovered %#v, want f's panic value %#v", recovered, value)
				}
				if hooked != 0 {
					t.Errorf("AfterCommit hook ran %d times after a panic, want 0", hooked)
				}
				wantCodes(t, db.Client)
				if err := txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
					_, err := create(ctx, tx, "C")
					return err
				}); err != nil {
					t.Fatalf("Run after the panic: %v", err)
				}
				wantCodes(t, db.Client, "C")
			})
		})
	}
}

// TestAfterCommit: hooks run after the commit (they see the committed rows
// through the plain client), once each, in the order they were registered;
// never when the transaction rolls back or panics.
func TestAfterCommit(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail error
		want []string
	}{
		{name: "commit runs hooks in order", want: []string{"first", "second", "third"}},
		{name: "rollback runs none", fail: errBoom, want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Run(t, func(t *testing.T, db *database.DB) {
				ctx := access.System(context.Background())
				var ran []string
				err := txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
					for _, name := range []string{"first", "second", "third"} {
						txn.AfterCommit(ctx, func() {
							// Committed: visible outside the transaction.
							if got := codes(t, db.Client); !slices.Equal(got, []string{"A"}) {
								t.Errorf("hook %s: stored warehouses %q, want the committed [A]", name, got)
							}
							ran = append(ran, name)
						})
						if name == "first" {
							if _, err := create(ctx, tx, "A"); err != nil {
								return err
							}
						}
					}
					if len(ran) != 0 {
						t.Errorf("hooks %q ran before f returned", ran)
					}
					return tc.fail
				})
				if !errors.Is(err, tc.fail) || (tc.fail == nil) != (err == nil) {
					t.Fatalf("Run returned %v, want %v", err, tc.fail)
				}
				if !slices.Equal(ran, tc.want) {
					t.Errorf("hooks ran %q, want %q", ran, tc.want)
				}
			})
		})
	}
}

// TestAfterCommitConcurrent: goroutines of f may register hooks at the same
// time (run with -race); each runs exactly once after the commit.
func TestAfterCommitConcurrent(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		const n = 50
		var mu sync.Mutex
		ran := map[int]int{}
		err := txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					txn.AfterCommit(ctx, func() {
						mu.Lock()
						defer mu.Unlock()
						ran[i]++
					})
				})
			}
			wg.Wait()
			_, err := create(ctx, tx, "A")
			return err
		})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if len(ran) != n {
			t.Errorf("%d distinct hooks ran, want %d", len(ran), n)
		}
		for i, times := range ran {
			if times != 1 {
				t.Errorf("hook %d ran %d times, want 1", i, times)
			}
		}
		wantCodes(t, db.Client, "A")
	})
}

// TestAfterCommitOutsideRunPanics: as documented, registering a hook with a
// ctx that Run did not give (none, or a transaction begun by hand) panics
// instead of running the hook before any commit.
func TestAfterCommitOutsideRunPanics(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		tx, err := db.Client.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback() }()
		for name, ctx := range map[string]context.Context{
			"no transaction":            ctx,
			"transaction begun by hand": ent.NewTxContext(ctx, tx),
		} {
			ran := false
			var recovered any
			func() {
				defer func() { recovered = recover() }()
				txn.AfterCommit(ctx, func() { ran = true })
			}()
			if s, _ := recovered.(string); !strings.Contains(s, "AfterCommit outside txn.Run") {
				t.Errorf("%s: AfterCommit panicked with %#v, want the outside-Run panic", name, recovered)
			}
			if ran {
				t.Errorf("%s: the hook ran", name)
			}
		}
	})
}

// TestRunNested: a Run whose ctx is inside a transaction joins it (no
// savepoint): the inner writes are committed or rolled back with the outer
// transaction, whatever the inner f returned, and the inner hooks run only
// after the outermost commit, in registration order with the outer ones.
func TestRunNested(t *testing.T) {
	for _, tc := range []struct {
		name      string
		innerFail error
		outerFail func(inner error) error // what the outer f returns
		wantErr   error
		stored    []string
		hooks     []string
	}{
		{
			name:      "both commit",
			outerFail: func(inner error) error { return inner },
			stored:    []string{"INNER", "OUTER"},
			hooks:     []string{"outer before", "inner", "outer after"},
		},
		{
			name:      "outer fails after the inner committed nothing yet",
			outerFail: func(error) error { return errBoom },
			wantErr:   errBoom,
		},
		{
			name:      "inner fails and outer passes the error on",
			innerFail: errBoom,
			outerFail: func(inner error) error { return inner },
			wantErr:   errBoom,
		},
		{
			// Joined, not nested: the inner failure rolls back nothing by
			// itself, and its writes commit when the outer succeeds.
			name:      "inner fails and outer ignores it",
			innerFail: errBoom,
			outerFail: func(error) error { return nil },
			stored:    []string{"INNER", "OUTER"},
			hooks:     []string{"outer before", "inner", "outer after"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Run(t, func(t *testing.T, db *database.DB) {
				ctx := access.System(context.Background())
				var hooks []string
				err := txn.Run(ctx, db.Client, func(octx context.Context, otx *ent.Client) error {
					outerTx := ent.TxFromContext(octx)
					txn.AfterCommit(octx, func() { hooks = append(hooks, "outer before") })
					if _, err := create(octx, otx, "OUTER"); err != nil {
						return err
					}
					innerErr := txn.Run(octx, db.Client, func(ictx context.Context, itx *ent.Client) error {
						if got := ent.TxFromContext(ictx); got != outerTx {
							t.Errorf("inner Run has transaction %p, want the outer %p", got, outerTx)
						}
						txn.AfterCommit(ictx, func() { hooks = append(hooks, "inner") })
						if _, err := create(ictx, itx, "INNER"); err != nil {
							return err
						}
						// The inner write is in the outer transaction...
						if n := otx.Warehouse.Query().Where(warehouse.Code("INNER")).CountX(octx); n != 1 {
							t.Errorf("the outer transaction sees %d inner warehouses, want 1", n)
						}
						return tc.innerFail
					})
					if innerErr != tc.innerFail { // the joined Run returns f's error as is
						t.Errorf("inner Run returned %v, want %v", innerErr, tc.innerFail)
					}
					// ...not committed by the inner Run, and no hook ran.
					if got := codes(t, db.Client); len(got) != 0 {
						t.Errorf("after the inner Run returned, stored warehouses %q, want none before the outer commit", got)
					}
					if len(hooks) != 0 {
						t.Errorf("hooks %q ran before the outer commit", hooks)
					}
					txn.AfterCommit(octx, func() { hooks = append(hooks, "outer after") })
					return tc.outerFail(innerErr)
				})
				if tc.wantErr == nil && err != nil {
					t.Fatalf("Run: %v", err)
				}
				if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Fatalf("Run returned %v, want %v", err, tc.wantErr)
				}
				wantCodes(t, db.Client, tc.stored...)
				if !slices.Equal(hooks, tc.hooks) {
					t.Errorf("hooks ran %q, want %q", hooks, tc.hooks)
				}
			})
		})
	}
}

// TestRunBeginFails: when no transaction can begin, f is not called and the
// error says so.
func TestRunBeginFails(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx, cancel := context.WithCancel(access.System(context.Background()))
		cancel()
		called := false
		err := txn.Run(ctx, db.Client, func(context.Context, *ent.Client) error {
			called = true
			return nil
		})
		if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "txn: begin:") {
			t.Errorf("Run returned %v, want txn: begin: context canceled", err)
		}
		if called {
			t.Error("f was called without a transaction")
		}
	})
}

// TestRunCommitFails: when the commit fails (here: the context ended while
// f ran, so database/sql rolled the transaction back), Run returns the
// error, the writes are not stored, and no hook runs.
func TestRunCommitFails(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx, cancel := context.WithCancel(access.System(context.Background()))
		defer cancel()
		hooked := 0
		err := txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
			if _, err := create(ctx, tx, "A"); err != nil {
				return err
			}
			txn.AfterCommit(ctx, func() { hooked++ })
			cancel()
			return nil
		})
		if err == nil || !strings.HasPrefix(err.Error(), "txn: commit:") ||
			!(errors.Is(err, context.Canceled) || errors.Is(err, stdsql.ErrTxDone)) {
			t.Fatalf("Run returned %v, want a commit error", err)
		}
		if hooked != 0 {
			t.Errorf("AfterCommit hook ran %d times after a failed commit, want 0", hooked)
		}
		wantCodes(t, db.Client)
	})
}

// TestDetach: an entity saved in Run is bound to its transaction, and its
// edges cannot be queried once Run committed; Detach rebinds it to the
// client. Inside an outer transaction Detach leaves it bound to that one,
// which is still open; nil stays nil.
func TestDetach(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		save := func(ctx context.Context, code string) *ent.Warehouse {
			t.Helper()
			var w *ent.Warehouse
			err := txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
				var err error
				w, err = create(ctx, tx, code)
				return err
			})
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			return w
		}

		w := save(ctx, "A")
		if _, err := w.QueryStockLevels().Count(ctx); err == nil {
			t.Error("querying an edge through the committed transaction worked; the test shows nothing")
		}
		d := txn.Detach(ctx, w)
		if d == nil || d.ID != w.ID || d.Code != "A" {
			t.Fatalf("Detach returned %v, want warehouse A", d)
		}
		if n, err := d.QueryStockLevels().Count(ctx); err != nil || n != 0 {
			t.Errorf("edge of the detached warehouse: %d, %v; want 0, nil", n, err)
		}
		if err := d.Update().SetName("renamed").Exec(ctx); err != nil {
			t.Errorf("updating the detached warehouse: %v", err)
		}
		if got := db.Client.Warehouse.GetX(ctx, w.ID).Name; got != "renamed" {
			t.Errorf("name %q after updating the detached warehouse, want renamed", got)
		}

		if got := txn.Detach[ent.Warehouse](ctx, nil); got != nil {
			t.Errorf("Detach(nil) = %v, want nil", got)
		}

		// Joined: the entity stays in the outer transaction, where its
		// edges and updates work until the outer commit.
		err := txn.Run(ctx, db.Client, func(octx context.Context, otx *ent.Client) error {
			inner := txn.Detach(octx, save(octx, "B"))
			if n, err := inner.QueryStockLevels().Count(octx); err != nil || n != 0 {
				t.Errorf("edge of B inside the outer transaction: %d, %v; want 0, nil", n, err)
			}
			if err := inner.Update().SetName("in outer").Exec(octx); err != nil {
				return err
			}
			if got := codes(t, db.Client); !slices.Equal(got, []string{"A"}) {
				t.Errorf("inside the outer transaction, stored %q: B was committed early", got)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("outer Run: %v", err)
		}
		b := db.Client.Warehouse.Query().Where(warehouse.Code("B")).OnlyX(ctx)
		if b.Name != "in outer" {
			t.Errorf("B is named %q, want the update made in the outer transaction", b.Name)
		}
	})
}

// TestLockRowsSQL: the modifier adds FOR UPDATE on PostgreSQL and nothing
// on SQLite.
func TestLockRowsSQL(t *testing.T) {
	for _, tc := range []struct {
		dialect string
		lock    bool
	}{{dialect.Postgres, true}, {dialect.SQLite, false}} {
		s := entsql.Dialect(tc.dialect).Select("id").From(entsql.Table("warehouses"))
		txn.LockRows(s)
		query, _ := s.Query()
		if got := strings.HasSuffix(query, "FOR UPDATE"); got != tc.lock {
			t.Errorf("%s: %q; FOR UPDATE %v, want %v", tc.dialect, query, got, tc.lock)
		}
	}
}

// TestLockRows: a query with the modifier runs on both databases in Run and
// returns the selected rows; the statement sent locks them on PostgreSQL.
func TestLockRows(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		for _, code := range []string{"A", "B", "C"} {
			db.Client.Warehouse.Create().SetCode(code).SetName(code).SaveX(ctx)
		}
		var mu sync.Mutex
		var queries []string
		logged := ent.NewClient(ent.Driver(dialect.DebugWithContext(entsql.OpenDB(db.Dialect, db.SQL), func(_ context.Context, v ...any) {
			mu.Lock()
			defer mu.Unlock()
			queries = append(queries, fmt.Sprint(v...))
		})))
		err := txn.Run(ctx, logged, func(ctx context.Context, tx *ent.Client) error {
			q := tx.Warehouse.Query().Where(warehouse.CodeIn("A", "C")).Order(ent.Asc(warehouse.FieldCode))
			q.Modify(txn.LockRows)
			ws, err := q.All(ctx)
			if err != nil {
				return err
			}
			if len(ws) != 2 || ws[0].Code != "A" || ws[1].Code != "C" {
				t.Errorf("locked query returned %v, want A and C", ws)
			}
			one := tx.Warehouse.Query().Where(warehouse.Code("B"))
			one.Modify(txn.LockRows)
			w, err := one.Only(ctx)
			if err != nil {
				return err
			}
			return w.Update().SetName("locked and renamed").Exec(ctx)
		})
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if got := db.Client.Warehouse.Query().Where(warehouse.Code("B")).OnlyX(ctx).Name; got != "locked and renamed" {
			t.Errorf("B is named %q after the locked update", got)
		}
		mu.Lock()
		defer mu.Unlock()
		// The two queries with LockRows lock on PostgreSQL; nothing locks on
		// SQLite. (The update reads the row back without a lock.)
		selects, locking := 0, 0
		for _, q := range queries {
			if !strings.Contains(q, ".Query: query=SELECT") {
				continue
			}
			selects++
			if strings.Contains(q, "FOR UPDATE") {
				locking++
			}
		}
		want := 0
		if db.Dialect == dialect.Postgres {
			want = 2
		}
		if selects < 2 || locking != want {
			t.Errorf("%s: %d SELECTs in the transaction, %d with FOR UPDATE; want at least 2, %d: %q", db.Dialect, selects, locking, want, queries)
		}
	})
}

// TestLockRowsHoldsLockUntilCommit (PostgreSQL; SQLite has no row locks):
// while one transaction holds a row locked with LockRows, another can read
// it but not lock it (it waits, and gives up at its lock_timeout); once the
// first commits, the second locks it.
func TestLockRowsHoldsLockUntilCommit(t *testing.T) {
	db := dbtest.Open(t, "postgres")
	ctx := access.System(context.Background())
	id := db.Client.Warehouse.Create().SetCode("A").SetName("A").SaveX(ctx).ID

	// lockA runs a second, independent transaction that reads A, then
	// tries to lock it, waiting at most lock_timeout.
	lockA := func() error {
		return txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
			if _, err := tx.ExecContext(ctx, "SET LOCAL lock_timeout = '200ms'"); err != nil {
				return err
			}
			if _, err := tx.Warehouse.Get(ctx, id); err != nil {
				return fmt.Errorf("plain read: %w", err)
			}
			q := tx.Warehouse.Query().Where(warehouse.ID(id))
			q.Modify(txn.LockRows)
			_, err := q.Only(ctx)
			return err
		})
	}

	err := txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
		q := tx.Warehouse.Query().Where(warehouse.ID(id))
		q.Modify(txn.LockRows)
		if _, err := q.Only(ctx); err != nil {
			return err
		}
		// This transaction holds the lock until it returns: the other
		// one cannot take it, whatever the timing.
		err := lockA()
		var pqErr *pq.Error
		if !errors.As(err, &pqErr) || string(pqErr.Code) != "55P03" {
			t.Errorf("locking a locked row returned %v, want lock_not_available (55P03)", err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if err := lockA(); err != nil {
		t.Errorf("locking the row after the commit: %v", err)
	}
}

// TestRunGoexitRollsBack: f ending its goroutine (runtime.Goexit, which
// t.Fatal calls) rolls the transaction back: its write is not stored, and
// the next transaction begins at once (on SQLite the write lock was
// released; before the fix it was held until the process ended).
func TestRunGoexitRollsBack(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
				if _, err := create(ctx, tx, "GONE"); err != nil {
					return err
				}
				runtime.Goexit()
				return nil
			})
		}()
		<-done
		wantCodes(t, db.Client)
		short, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		err := txn.Run(short, db.Client, func(ctx context.Context, tx *ent.Client) error {
			_, err := create(ctx, tx, "NEXT")
			return err
		})
		if err != nil {
			t.Fatalf("the next transaction: %v", err)
		}
		wantCodes(t, db.Client, "NEXT")
	})
}
