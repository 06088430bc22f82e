// Package dbtest gives each test a fresh, migrated database: a SQLite file
// in the test's temporary folder, or a PostgreSQL database created for the
// test and dropped after it.
//
// PostgreSQL is reached through TEST_POSTGRES_URL (default: the local server,
// user postgres, database test). When it cannot be reached the test fails;
// set SKIP_POSTGRES=1 to skip the PostgreSQL half knowingly.
package dbtest

import (
	"context"
	"crypto/rand"
	stdsql "database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"storefront/database"
)

// Kinds are the databases every data-layer and API test runs on.
var Kinds = []string{"sqlite", "postgres"}

// DefaultPostgresURL is the server CI and developers run locally.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Run runs f as a subtest on each database kind.
func Run(t *testing.T, f func(t *testing.T, db *database.DB)) {
	t.Helper()
	for _, kind := range Kinds {
		t.Run(kind, func(t *testing.T) {
			f(t, Open(t, kind))
		})
	}
}

// Open returns a migrated database of kind ("sqlite" or "postgres") that
// lives as long as the test.
func Open(t testing.TB, kind string) *database.DB {
	t.Helper()
	u := URL(t, kind)
	db, err := database.Open(context.Background(), u, database.Options{})
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	return db
}

// URL creates an empty database of kind for the test and returns its
// DATABASE_URL; the database is removed when the test ends.
func URL(t testing.TB, kind string) string {
	t.Helper()
	switch kind {
	case "sqlite":
		return "sqlite://" + filepath.Join(t.TempDir(), "test.db")
	case "postgres":
		return postgresURL(t)
	}
	t.Fatalf("dbtest: unknown database kind %q", kind)
	return ""
}

func postgresURL(t testing.TB) string {
	t.Helper()
	if os.Getenv("SKIP_POSTGRES") == "1" {
		t.Skip("SKIP_POSTGRES=1: PostgreSQL tests skipped")
	}
	admin := os.Getenv("TEST_POSTGRES_URL")
	if admin == "" {
		admin = DefaultPostgresURL
	}
	conn, err := stdsql.Open("postgres", admin)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	defer conn.Close()
	if err := conn.Ping(); err != nil {
		t.Fatalf("dbtest: PostgreSQL is not reachable at %s (%v); start it, point TEST_POSTGRES_URL at one, or set SKIP_POSTGRES=1", database.Redact(admin), err)
	}
	buf := make([]byte, 6)
	_, _ = rand.Read(buf)
	name := "storefront_test_" + hex.EncodeToString(buf)
	if _, err := conn.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("dbtest: create database: %v", err)
	}
	t.Cleanup(func() {
		c, err := stdsql.Open("postgres", admin)
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = c.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("dbtest: TEST_POSTGRES_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}
