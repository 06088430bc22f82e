// Command seed fills an empty storefront database with the deterministic
// demo catalogue of package demo.
//
//	go run ./cmd/seed -database-url sqlite://storefront.db -products 2000 -seed 1
//
// The database is migrated first. A catalogue that already has products is
// left alone, and the command exits 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"storefront/database"
	"storefront/demo"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log, os.Args[1:]); err != nil {
		log.Error("seed failed", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: seed [flags]\n\nFills an empty storefront database with a deterministic demo catalogue.\n\n")
		fs.PrintDefaults()
	}
	// The default is resolved after parsing, so that -help never prints a
	// password from $DATABASE_URL.
	dbURL := fs.String("database-url", "", "database URL: sqlite://FILE or postgres://...\n(default $DATABASE_URL, else sqlite://storefront.db)")
	products := fs.Int("products", demo.DefaultProducts, "number of products to create")
	seed := fs.Uint64("seed", 1, "random seed; the same seed gives the same catalogue")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if *dbURL == "" {
		*dbURL = os.Getenv("DATABASE_URL")
	}
	if *dbURL == "" {
		*dbURL = "sqlite://storefront.db"
	}
	if *products <= 0 {
		return fmt.Errorf("-products must be positive, got %d", *products)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	db, err := database.Open(ctx, *dbURL, database.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}

	start := time.Now()
	seeded, stats, err := demo.SeedIfEmpty(ctx, db.Client, demo.Options{
		Products: *products,
		Seed:     *seed,
		Log:      log,
	})
	if err != nil {
		return fmt.Errorf("seed %s: %w", database.Redact(*dbURL), err)
	}
	if !seeded {
		log.Info("catalogue is not empty, nothing to do", "database", database.Redact(*dbURL))
		return nil
	}
	log.Info("demo catalogue created", "database", database.Redact(*dbURL), "stats", stats,
		"elapsed", time.Since(start).Round(time.Millisecond))
	return db.Analyze(ctx)
}
