package main

import (
	"context"
	"crypto/rand"
	stdsql "database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"entgo.io/ent/dialect"

	"storefront/auth/authtoken"
	"storefront/commerce/access"
	"storefront/commerce/identity"
	"storefront/database"
	"storefront/demo"
)

func goVersion() string { return runtime.Version() }
func numCPU() int       { return runtime.NumCPU() }

func redact(u string) string { return database.Redact(u) }

// buildServer compiles the server once per run.
func buildServer(ctx context.Context, root, out string) error {
	cmd := exec.CommandContext(ctx, goTool(), "build", "-o", out, ".")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build -o %s .: %w", out, err)
	}
	return nil
}

func goTool() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}

// ensurePostgresDB checks that the PostgreSQL server of dbURL answers, and
// creates the database of dbURL when it is missing, through the "postgres"
// maintenance database.
func ensurePostgresDB(ctx context.Context, dbURL string) error {
	u, err := url.Parse(dbURL)
	if err != nil {
		return fmt.Errorf("parse %s: %w", redact(dbURL), err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return errors.New("the PostgreSQL URL names no database")
	}
	admin := *u
	admin.Path = "/postgres"
	q := admin.Query()
	if q.Get("connect_timeout") == "" {
		q.Set("connect_timeout", "3")
		admin.RawQuery = q.Encode()
	}
	db, err := stdsql.Open("postgres", admin.String())
	if err != nil {
		return err
	}
	defer db.Close()
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		return err
	}
	var exists bool
	if err := db.QueryRowContext(pctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	logf("PostgreSQL: creating database %s", name)
	_, err = db.ExecContext(pctx, `CREATE DATABASE "`+strings.ReplaceAll(name, `"`, `""`)+`"`)
	return err
}

type prepared struct {
	dialect     string
	seeded      bool
	seedTime    time.Duration
	autovacuum  string        // PostgreSQL's autovacuum setting
	analyzeTime time.Duration // of ANALYZE, on PostgreSQL
}

// prepareDatabase migrates the database, seeds the demo catalogue when it
// is empty (through package demo, in this process) and the demo accounts,
// and checks that the catalogue has the expected size.
func prepareDatabase(ctx context.Context, dbURL string, products int) (prepared, error) {
	var p prepared
	db, err := database.Open(ctx, dbURL, database.Options{})
	if err != nil {
		return p, err
	}
	defer db.Close()
	p.dialect = db.Dialect
	if err := db.Migrate(ctx); err != nil {
		return p, err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	start := time.Now()
	seeded, _, err := demo.SeedIfEmpty(ctx, db.Client, demo.Options{Products: products, Log: log})
	if err != nil {
		return p, err
	}
	if seeded {
		p.seeded, p.seedTime = true, time.Since(start)
	}
	n, err := db.Client.Product.Query().Count(access.System(ctx))
	if err != nil {
		return p, err
	}
	if n != products {
		return p, fmt.Errorf("%s holds %d products, not %d: it was not seeded by bench; drop it (dropdb storefront_bench, or delete the .db file) and run again",
			redact(dbURL), n, products)
	}
	// A PostgreSQL server in production analyses a freshly loaded table
	// within a minute (autovacuum). Without statistics the planner guesses
	// (e.g. 1,400 ACTIVE products of 97,000) and picks plans that take
	// seconds to minutes, and JIT-compiles queries it thinks are huge; and
	// without a visibility map no count can be answered from an index alone.
	// So bench measures the steady state: VACUUM (ANALYZE), every run (a
	// few seconds after a bulk load, under one afterwards).
	if db.Dialect == dialect.Postgres {
		if err := db.SQL.QueryRowContext(ctx, `SHOW autovacuum`).Scan(&p.autovacuum); err != nil {
			return p, err
		}
		t := time.Now()
		if _, err := db.SQL.ExecContext(ctx, `VACUUM (ANALYZE)`); err != nil {
			return p, fmt.Errorf("VACUUM (ANALYZE): %w", err)
		}
		p.analyzeTime = time.Since(t)
	}
	// Idempotent: creates the demo accounts, or resets their passwords.
	ids := identity.New(db.Client, identity.Config{Keys: authtoken.RandomKeyring()})
	if err := demo.SeedAccounts(ctx, ids); err != nil {
		return p, err
	}
	return p, nil
}

// server is the storefront running as a child process.
type server struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:port
	done chan struct{}
	err  error // of Wait, once done is closed
	once sync.Once
}

// startServer starts the binary on a free loopback port against dbURL and
// waits until /readyz answers 200.
func startServer(ctx context.Context, binary, dbURL string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	cmd := exec.Command(binary)
	cmd.Env = append(os.Environ(),
		"ADDR="+addr,
		"DATABASE_URL="+dbURL,
		"JWT_KEYS=bench:"+hex.EncodeToString(secret),
		"SEED_DEMO=false",
		// One load generator is one client: the per-client budget would
		// measure itself, not the server.
		"CLIENT_COST_PER_MINUTE=0",
		"LOG_LEVEL=warn",
		"PLAYGROUND=false",
		"ACCESS_TOKEN_TTL=2h", // outlives any run
		"STAFF_EMAIL="+benchStaffEmail, "STAFF_PASSWORD="+benchStaffPassword,
		// The checkout operation's shoppers each come from their own
		// address (X-Forwarded-For), so that the per-client budgets of
		// carts and checkouts hold as for real shoppers.
		"TRUSTED_PROXIES=127.0.0.1",
	)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	s := &server{cmd: cmd, base: "http://" + addr, done: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(ctx, 2*time.Minute); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *server) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/readyz", nil)
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("server exited before it was ready: %v", s.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server not ready after %s", timeout)
		}
	}
}

// Stop sends SIGTERM and waits for the server to drain and exit; after 20 s
// it kills it. It is safe to call more than once.
func (s *server) Stop() {
	s.once.Do(func() {
		select {
		case <-s.done:
			return
		default:
		}
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(20 * time.Second):
			logf("server pid %d did not stop within 20s of SIGTERM: killing it", s.cmd.Process.Pid)
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}
