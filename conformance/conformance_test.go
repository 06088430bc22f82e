package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"storefront/database"
	"storefront/database/dbtest"
	"storefront/internal/apitest"
)

// auditTimeout bounds one run of audit.mjs.
const auditTimeout = 2 * time.Minute

// docPath lists the accepted warnings, each with its reason.
const docPath = "../docs/GRAPHQL-HTTP.md"

// result is one audit result as printed by audit.mjs.
type result struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Status      string `json:"status"`
	Reason      string `json:"reason"`
	HTTPStatus  int    `json:"httpStatus"`
	ContentType string `json:"contentType"`
}

func (r result) String() string {
	s := r.ID + " " + r.Name
	if r.Reason != "" {
		s += ": " + r.Reason
	}
	if r.HTTPStatus != 0 {
		s += " (got HTTP " + strconv.Itoa(r.HTTPStatus)
		if r.ContentType != "" {
			s += ", " + r.ContentType
		}
		s += ")"
	}
	return s
}

// TestGraphQLOverHTTP runs graphql-http's server audits against the real
// handler on each database: every failed MUST audit fails the test, every
// failed SHOULD audit is logged and must be documented in docs/GRAPHQL-HTTP.md.
func TestGraphQLOverHTTP(t *testing.T) {
	node, dir := prerequisites(t)
	doc, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatalf("reading %s (it lists the accepted warnings): %v", docPath, err)
	}

	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		srv := httptest.NewServer(apitest.New(t, db).Handler)
		t.Cleanup(srv.Close)

		results := runAudits(t, node, dir, srv.URL+"/graphql")
		counts := map[string]int{}
		for _, r := range results {
			counts[r.Status]++
			switch r.Status {
			case "ok":
			case "error":
				t.Errorf("MUST audit failed: %s", r)
			case "warn":
				t.Logf("warning: %s", r)
				if !bytes.Contains(doc, []byte(r.ID)) {
					t.Errorf("warning %s (%s) is not listed in %s: fix it or document why it is accepted", r.ID, r.Name, docPath)
				}
			case "notice":
				t.Logf("notice (MAY): %s", r)
			default:
				t.Errorf("audit %s %s: unknown status %q", r.ID, r.Name, r.Status)
			}
		}
		t.Logf("graphql-http audits: %d ok, %d warn, %d error, %d notice (of %d)",
			counts["ok"], counts["warn"], counts["error"], counts["notice"], len(results))
	})
}

// prerequisites returns the node executable and the absolute path of this
// folder, failing (never skipping) when the audits cannot run.
func prerequisites(t *testing.T) (node, dir string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not on PATH (%v): the GraphQL-over-HTTP audits need Node.js 18 or later (with npm: `npm ci --prefix conformance`)", err)
	}
	dir, err = filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	want := pinnedVersion(t, filepath.Join(dir, "package.json"))
	installed := filepath.Join(dir, "node_modules", "graphql-http", "package.json")
	b, err := os.ReadFile(installed)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("graphql-http is not installed in conformance/node_modules: run `npm ci --prefix conformance` from the repository root")
	}
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		t.Fatalf("%s: %v", installed, err)
	}
	if pkg.Version != want {
		t.Fatalf("conformance/node_modules has graphql-http %s but package.json pins %s: run `npm ci --prefix conformance` from the repository root", pkg.Version, want)
	}
	return node, dir
}

// pinnedVersion reads the graphql-http version pinned in package.json.
func pinnedVersion(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	v := pkg.Dependencies["graphql-http"]
	if v == "" {
		t.Fatalf("%s does not depend on graphql-http", path)
	}
	return v
}

// runAudits runs audit.mjs against url and decodes its one JSON line.
func runAudits(t *testing.T, node, dir, url string) []result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), auditTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "audit.mjs", url)
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			t.Fatalf("node audit.mjs did not finish within %s: %v\nstderr:\n%s", auditTimeout, err, stderr.String())
		}
		t.Fatalf("node audit.mjs %s: %v\nstderr:\n%s\nstdout:\n%s", url, err, stderr.String(), stdout.String())
	}
	if s := strings.TrimSpace(stderr.String()); s != "" {
		t.Logf("audit.mjs stderr:\n%s", s)
	}
	var results []result
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &results); err != nil {
		t.Fatalf("audit.mjs output is not a JSON array of results: %v\n%s", err, stdout.String())
	}
	if len(results) == 0 {
		t.Fatal("audit.mjs reported no audit results")
	}
	return results
}
