package graph_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"storefront/database/dbtest"
	"storefront/internal/apitest"
)

// FuzzGraphQLEndpoint sends documents and variables to the real handler on
// both databases: whatever arrives, the answer is GraphQL JSON below 500
// whose every error has an extensions.code, and no panic escapes. `go
// test` replays the seeds (the hostile suite's bodies and
// testdata/fuzz/FuzzGraphQLEndpoint); `go test -fuzz FuzzGraphQLEndpoint
// ./graph/` searches further.
func FuzzGraphQLEndpoint(f *testing.F) {
	for _, tc := range hostileCases() {
		m, ok := tc.Body.(map[string]any)
		if !ok {
			continue
		}
		q, _ := m["query"].(string)
		vars, _ := json.Marshal(m["variables"])
		f.Add(q, string(vars))
	}
	f.Add(`{ products(first: 3) { edges { node { id title } } } }`, `null`)
	f.Add(`query($s: String) { product(slug: $s) { id variants { sku } } }`, `{"s": "p-00"}`)
	f.Add(`mutation($i: CartInput!) { cartCreate(input: $i) { cart { id } userErrors { code } } }`, `{"i": {"lines": [{"variantId": "x", "quantity": -1}]}}`)
	var apis []*apitest.API
	for _, kind := range dbtest.Kinds {
		db := dbtest.Open(f, kind)
		seedCatalogue(f, db.Client)
		apis = append(apis, apitest.New(f, db, func(c *apitest.Config) { c.Graph.ClientCostPerMinute = -1 }))
	}
	f.Fuzz(func(t *testing.T, query, variables string) {
		body := []byte(`{"query":` + jsonString(query) + `,"variables":` + variables + `}`)
		if !json.Valid(body) {
			// Variables that are not JSON: send the document alone, and
			// the raw text as a body of its own.
			body = []byte(`{"query":` + jsonString(query) + `}`)
			for _, api := range apis {
				checkAnswer(t, api, []byte(variables))
			}
		}
		for _, api := range apis {
			checkAnswer(t, api, body)
		}
	})
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func checkAnswer(t *testing.T, api *apitest.API, body []byte) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cache-Control", "no-cache")
	status, raw := api.Do(req)
	if status >= 500 {
		t.Fatalf("status %d for %q: %s", status, body, raw)
	}
	var resp struct {
		Errors []apitest.Error `json:"errors"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatalf("status %d, not JSON for %q: %q", status, body, raw)
	}
	for _, e := range resp.Errors {
		if e.Code() == "" {
			t.Fatalf("an error without extensions.code for %q: %s", body, raw)
		}
	}
}
