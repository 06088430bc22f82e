package conformance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"storefront/commerce/access"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent"
	"storefront/ent/customer"
	"storefront/ent/product"
	"storefront/internal/apitest"
)

// clientTimeout bounds one run of graphqlws.mjs.
const clientTimeout = 90 * time.Second

// TestGraphQLWSClient runs the real graphql-ws client (npm graphql-ws with
// ws, pinned in package.json) against the real handler on each database: it
// subscribes to a variant's stock, gets the current state, then the change
// the test makes once the script says it has the current state; and its
// cartChanged subscription to another customer's cart is refused.
func TestGraphQLWSClient(t *testing.T) {
	node, dir := wsPrerequisites(t)

	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api := apitest.New(t, db)
		srv := httptest.NewServer(api.Handler)
		t.Cleanup(srv.Close)
		v, w := seedVariant(t, db.Client)

		ctx := access.System(context.Background())
		if _, err := api.Identity.EnsureAccount(ctx, "boss@example.com", "staff password 1", "Boss", customer.RoleSTAFF); err != nil {
			t.Fatal(err)
		}
		boss := api.As(api.SignIn(t, "boss@example.com", "staff password 1").AccessToken)
		owner := api.SignUp(t, "kim@example.com", "a long enough password")
		spy := api.SignUp(t, "lee@example.com", "a long enough password")
		var mine struct {
			CartCreate struct{ Cart *struct{ ID string } }
		}
		api.As(owner.AccessToken).Query(t, `mutation { cartCreate { cart { id } } }`, nil, &mine)
		if mine.CartCreate.Cart == nil {
			t.Fatal("cartCreate for the owner gave no cart")
		}

		config, err := json.Marshal(map[string]string{
			"token":     owner.AccessToken,
			"variantId": v.GlobalID().String(),
			"spyToken":  spy.AccessToken,
			"cartId":    mine.CartCreate.Cart.ID,
		})
		if err != nil {
			t.Fatal(err)
		}
		run := startScript(t, node, dir, "ws"+strings.TrimPrefix(srv.URL, "http")+"/graphql", string(config))

		type event struct {
			VariantID         string `json:"variantId"`
			QuantityAvailable int    `json:"quantityAvailable"`
			AvailableForSale  bool   `json:"availableForSale"`
			Version           int    `json:"version"`
		}
		var step struct {
			Step   string `json:"step"`
			Event  *event `json:"event"`
			Errors []struct {
				Message    string         `json:"message"`
				Extensions map[string]any `json:"extensions"`
			} `json:"errors"`
			Data json.RawMessage `json:"data"`
		}
		next := func(want string) {
			t.Helper()
			line, ok := run.line()
			if !ok {
				t.Fatalf("graphqlws.mjs ended before %q: %v\nstderr:\n%s", want, run.wait(), run.stderr())
			}
			t.Logf("graphqlws.mjs: %s", line)
			step.Event, step.Errors, step.Data = nil, nil, nil
			if err := json.Unmarshal([]byte(line), &step); err != nil || step.Step != want {
				t.Fatalf("graphqlws.mjs printed %q, want step %q (%v)\nstderr:\n%s", line, want, err, run.stderr())
			}
		}

		next("current")
		first := *step.Event
		if first.VariantID != v.GlobalID().String() || first.QuantityAvailable != 5 || !first.AvailableForSale {
			t.Fatalf("current state: %+v", first)
		}
		var set struct {
			StockLevelSet struct {
				ProductVariant *struct{ QuantityAvailable int }
			}
		}
		boss.Query(t, `mutation($v: ID!, $w: ID!) { stockLevelSet(input: {variantId: $v, warehouseId: $w, onHand: 2}) { productVariant { quantityAvailable } } }`,
			apitest.Vars{"v": v.GlobalID().String(), "w": w.GlobalID().String()}, &set)
		if set.StockLevelSet.ProductVariant == nil || set.StockLevelSet.ProductVariant.QuantityAvailable != 2 {
			t.Fatalf("stockLevelSet: %+v", set)
		}
		next("change")
		if e := *step.Event; e.QuantityAvailable != 2 || e.Version <= first.Version {
			t.Fatalf("change: %+v (current state %+v)", e, first)
		}

		next("cart")
		if len(step.Errors) == 0 || (len(step.Data) > 0 && string(step.Data) != "null") {
			t.Fatalf("another customer's cart: errors %+v, data %s", step.Errors, step.Data)
		}
		if code, _ := step.Errors[0].Extensions["code"].(string); code != "NOT_FOUND" {
			t.Fatalf("another customer's cart: %+v, want NOT_FOUND", step.Errors)
		}
		next("done")
		if err := run.wait(); err != nil {
			t.Fatalf("graphqlws.mjs: %v\nstderr:\n%s", err, run.stderr())
		}
	})
}

// seedVariant creates an active product with one variant, 5 on hand in
// one warehouse.
func seedVariant(t *testing.T, c *ent.Client) (*ent.ProductVariant, *ent.Warehouse) {
	t.Helper()
	ctx := access.System(context.Background())
	cat := c.Category.Create().SetName("Lamps").SetSlug("lamps").SetPosition(0).SaveX(ctx)
	p := c.Product.Create().SetTitle("Desk Lamp").SetSlug("desk-lamp").SetStatus(product.StatusACTIVE).
		SetCategory(cat).SetMinPrice(1500).SetMaxPrice(1500).SetCurrencyCode("USD").SaveX(ctx)
	v := c.ProductVariant.Create().SetProduct(p).SetSku("LAMP-1").SetPrice(1500).SetCurrencyCode("USD").SaveX(ctx)
	w := c.Warehouse.Create().SetCode("W1").SetName("One").SetPriority(0).SaveX(ctx)
	c.StockLevel.Create().SetVariant(v).SetWarehouse(w).SetOnHand(5).SaveX(ctx)
	return v, w
}

// wsPrerequisites returns the node executable and this folder, failing
// (never skipping) when graphql-ws or ws is missing or not the pinned
// version.
func wsPrerequisites(t *testing.T) (node, dir string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not on PATH (%v): the graphql-ws client check needs Node.js 20 or later (with npm: `npm ci --prefix conformance`)", err)
	}
	dir, err = filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		t.Fatalf("package.json: %v", err)
	}
	for _, name := range []string{"graphql-ws", "ws"} {
		want := pkg.Dependencies[name]
		if want == "" {
			t.Fatalf("package.json does not depend on %s", name)
		}
		b, err := os.ReadFile(filepath.Join(dir, "node_modules", name, "package.json"))
		if errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s is not installed in conformance/node_modules: run `npm ci --prefix conformance` from the repository root", name)
		}
		if err != nil {
			t.Fatal(err)
		}
		var installed struct {
			Version string `json:"version"`
		}
		if err := json.Unmarshal(b, &installed); err != nil {
			t.Fatalf("node_modules/%s/package.json: %v", name, err)
		}
		if installed.Version != want {
			t.Fatalf("conformance/node_modules has %s %s but package.json pins %s: run `npm ci --prefix conformance` from the repository root", name, installed.Version, want)
		}
	}
	return node, dir
}

// script is a running graphqlws.mjs whose stdout is read line by line.
type script struct {
	cmd    *exec.Cmd
	lines  chan string
	errBuf *lockedBuffer
	once   sync.Once
	err    error
}

func startScript(t *testing.T, node, dir, url, config string) *script {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), clientTimeout)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, node, "graphqlws.mjs", url, config)
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	s := &script{cmd: cmd, lines: make(chan string, 16), errBuf: &lockedBuffer{}}
	cmd.Stderr = s.errBuf
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("node graphqlws.mjs: %v", err)
	}
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { _ = s.wait() })
	return s
}

// line returns the next line of stdout, or false once it has ended (or
// nothing came within clientTimeout).
func (s *script) line() (string, bool) {
	select {
	case l, ok := <-s.lines:
		return l, ok
	case <-time.After(clientTimeout):
		return "", false
	}
}

// wait waits for the script to exit (killing it after clientTimeout).
func (s *script) wait() error {
	s.once.Do(func() {
		for range s.lines { // drain, so that the script never blocks on stdout
		}
		s.err = s.cmd.Wait()
		if s.err != nil && s.cmd.ProcessState != nil && !s.cmd.ProcessState.Exited() {
			s.err = fmt.Errorf("%w (killed after %s?)", s.err, clientTimeout)
		}
	})
	return s.err
}

func (s *script) stderr() string { return s.errBuf.String() }

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
