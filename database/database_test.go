package database_test

import (
	"context"
	"storefront/commerce/access"
	"strings"
	"sync"
	"testing"

	"entgo.io/ent/dialect"

	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent/warehouse"
)

func TestOpenRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "storefront.db", "mysql://root@localhost/db", "sqlite://", "postgres://u:secret@127.0.0.1:1/none?connect_timeout=1"} {
		_, err := database.Open(context.Background(), u, database.Options{})
		if err == nil {
			t.Fatalf("Open(%q) succeeded", u)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Fatalf("error leaks the password: %v", err)
		}
	}
}

func TestRedact(t *testing.T) {
	if got := database.Redact("postgres://shop:hunter2@db:5432/shop"); strings.Contains(got, "hunter2") {
		t.Fatalf("Redact kept the password: %s", got)
	}
	if got := database.Redact("sqlite://storefront.db"); got != "sqlite://storefront.db" {
		t.Fatalf("Redact changed a URL without password: %s", got)
	}
}

// TestSQLiteSettings checks the pragmas a server needs on every pooled
// connection, not just the first.
func TestSQLiteSettings(t *testing.T) {
	db := dbtest.Open(t, "sqlite")
	ctx := context.Background()
	for i := range 3 {
		conn, err := db.SQL.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000"} {
			var got string
			if err := conn.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("connection %d: PRAGMA %s = %s, want %s", i, pragma, got, want)
			}
		}
	}
}

// TestConcurrentWriters runs read-then-write transactions from many
// goroutines. On SQLite, deferred transactions would fail with SQLITE_BUSY
// when two readers try to upgrade to writers; BEGIN IMMEDIATE and the busy
// timeout make them queue. Every increment must land.
func TestConcurrentWriters(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(context.Background())
		w := db.Client.Warehouse.Create().SetCode("W").SetName("W").SaveX(ctx)
		const workers, rounds = 16, 10
		var wg sync.WaitGroup
		errs := make(chan error, workers*rounds)
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range rounds {
					tx, err := db.Client.Tx(ctx)
					if err != nil {
						errs <- err
						return
					}
					q := tx.Warehouse.Query().Where(warehouse.ID(w.ID))
					if db.Dialect == dialect.Postgres {
						// SQLite has no row locks: BEGIN IMMEDIATE already
						// holds the database's write lock.
						q.ForUpdate()
					}
					cur, err := q.Only(ctx)
					if err == nil {
						err = tx.Warehouse.UpdateOne(cur).SetPriority(cur.Priority + 1).Exec(ctx)
					}
					if err != nil {
						_ = tx.Rollback()
						errs <- err
						return
					}
					if err := tx.Commit(); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent writer failed: %v", err)
		}
		if got := db.Client.Warehouse.GetX(ctx, w.ID).Priority; got != workers*rounds {
			t.Fatalf("priority = %d after %d increments: lost updates", got, workers*rounds)
		}
	})
}

func TestCountStatements(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx, n := database.CountStatements(access.System(context.Background()))
		db.Client.Warehouse.Create().SetCode("C").SetName("C").SaveX(ctx)
		db.Client.Warehouse.Query().AllX(ctx)
		tx, err := db.Client.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tx.Warehouse.Query().CountX(ctx)
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if got := n.Load(); got != 3 {
			t.Fatalf("counted %d statements, want 3 (insert, select, count in a transaction)", got)
		}
	})
}

func TestPostgresSessionsRunWithoutJIT(t *testing.T) {
	db := dbtest.Open(t, "postgres")
	var jit string
	if err := db.SQL.QueryRowContext(t.Context(), "SHOW jit").Scan(&jit); err != nil {
		t.Fatal(err)
	}
	if jit != "off" {
		t.Fatalf("jit is %q in the server's sessions, want off", jit)
	}
}
