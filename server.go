// Command storefront serves the storefront GraphQL API.
//
// server.go reads the configuration and runs the server until SIGTERM;
// package app assembles it. Every setting is a flag whose default comes
// from an environment variable; see README.md for the list.
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

	"storefront/app"
)

func main() {
	cfg, err := app.LoadConfig(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "storefront:", err)
		os.Exit(2)
	}
	logger := app.NewLogger(cfg)
	slog.SetDefault(logger)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = app.Serve(ctx, cfg, logger)
	stop()
	if err != nil {
		logger.Error("storefront stopped", "err", err)
		os.Exit(1)
	}
}
