//go:build linux

package graph_test

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"storefront/database/dbtest"
)

// TestLiveReplicasSurviveAPostgresRestart restarts the PostgreSQL server
// under two replicas: the subscriber on A keeps its websocket, A's
// listener reconnects and resyncs, a stock change on B afterwards reaches
// it, and A's response cache, suspended while A was deaf, answers with the
// new stock.
//
// It restarts the database server, so it runs on a throwaway cluster of
// its own: `make test-pg-restart` (part of `make test`) starts one
// (scripts/pg-restart-test.sh), points TEST_POSTGRES_URL at it and sets
// TEST_POSTGRES_RESTART to the command that restarts that cluster alone.
func TestLiveReplicasSurviveAPostgresRestart(t *testing.T) {
	restart := os.Getenv("TEST_POSTGRES_RESTART")
	if restart == "" {
		t.Skip("restarts PostgreSQL, so it runs on a throwaway cluster: make test-pg-restart (part of make test) sets TEST_POSTGRES_RESTART")
	}
	dbURL := dbtest.URL(t, "postgres")
	rp := startReplicaPair(t, dbURL, "restart")
	a, b, v, p, w, token := rp.a, rp.b, rp.v, rp.p, rp.w, rp.token

	ws := dialWSAt(t, a.base, transportWS)
	ws.init(map[string]any{"Authorization": "Bearer " + token})
	ws.subscribe("1", watchStock, stockVars(v))
	first := ws.nextStock("1")
	events := stockEvents(ws)
	pageQuery := `query($s: String) { product(slug: $s) { variants { id quantityAvailable } } }`
	quantityOnA := func() (int, string, error) {
		var r struct {
			Product struct {
				Variants []struct {
					ID                string
					QuantityAvailable int
				}
			}
		}
		x, err := tryAnonymous(a, pageQuery, map[string]any{"s": p.Slug}, &r)
		for _, pv := range r.Product.Variants {
			if pv.ID == v.GlobalID().String() {
				return pv.QuantityAvailable, x, err
			}
		}
		return -1, x, err
	}
	quantityOnA()
	if _, x, err := quantityOnA(); err != nil || x != "HIT" {
		t.Fatalf("A's product page asked twice: X-Cache %q, err %v; want HIT", x, err)
	}

	// The restart.
	began := time.Now()
	if out, err := exec.Command("sh", "-c", restart).CombinedOutput(); err != nil {
		t.Fatalf("restarting PostgreSQL (%s): %v\n%s", restart, err, out)
	}
	waitForPostgres(t, dbURL, 60*time.Second)
	t.Logf("PostgreSQL restarted and answering after %s", time.Since(began).Round(time.Millisecond))

	// B's pool reconnects: its first requests may still meet dead
	// connections, so the change is retried until B takes it.
	var quantity int
	deadline := time.Now().Add(30 * time.Second)
	for {
		var r struct {
			StockLevelSet struct {
				ProductVariant *struct{ QuantityAvailable int }
			}
		}
		err := tryQuery(b, token, setStockLevel, map[string]any{"v": v.GlobalID().String(), "w": w.GlobalID().String(), "n": 77}, &r)
		if err == nil && r.StockLevelSet.ProductVariant != nil {
			quantity = r.StockLevelSet.ProductVariant.QuantityAvailable
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("B could not change stock within 30 s of the restart: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// A's subscriber, on the same websocket as before the restart, reaches
	// the new state (from the event or from the resync after A's listener
	// came back, whichever comes first).
	state := first
	timeout := time.After(30 * time.Second)
	for state.QuantityAvailable != quantity || state.Version <= first.Version {
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatal("A closed the subscriber's websocket during the restart")
			}
			if e.Version > state.Version {
				state = e
			}
		case <-timeout:
			t.Fatalf("A's subscriber is at %+v, want %d available (version above %d)", state, quantity, first.Version)
		}
	}
	for _, want := range []string{"lost the LISTEN connection", "LISTEN connection back"} {
		if !strings.Contains(a.logs.String(), want) {
			t.Fatalf("A's log does not say %q; its log:\n%s", want, a.logs.String())
		}
	}
	// A's product page: current, not the answer cached before the restart.
	deadline = time.Now().Add(10 * time.Second)
	for {
		got, x, err := quantityOnA()
		if err == nil && got == quantity {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("A's product page shows %d (X-Cache %q, err %v), want %d", got, x, err, quantity)
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = ws.conn.CloseNow()
}

// waitForPostgres waits until a new connection to dbURL answers.
func waitForPostgres(t *testing.T, dbURL string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		db, err := sql.Open("postgres", dbURL)
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err = db.PingContext(ctx)
			cancel()
			_ = db.Close()
		}
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("PostgreSQL does not answer %s after the restart: %v", within, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// tryQuery is replica.query returning errors instead of failing.
func tryQuery(r *replica, token, query string, vars map[string]any, out any) error {
	_, err := post(r, token, query, vars, out)
	return err
}

// tryAnonymous runs a query without credentials; it returns X-Cache.
func tryAnonymous(r *replica, query string, vars map[string]any, out any) (string, error) {
	return post(r, "", query, vars, out)
}
