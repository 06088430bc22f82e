package oplimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"storefront/commerce"
)

// Trusted runs only registered operations (trusted documents, a persisted
// query safelist): a request names a document by the SHA-256 of its text
// (extensions.persistedQuery.sha256Hash, as Apollo Client's persisted
// query link sends it), or sends a text whose hash is registered. Anything
// else is refused before parsing. Use it instead of automatic persisted
// queries, which would let any client register a document.
type Trusted struct {
	docs map[string]string // hex SHA-256 -> document
}

var _ graphql.OperationParameterMutator = (*Trusted)(nil)

// NewTrusted returns the extension over docs (hex SHA-256 -> text); each
// hash is checked against its text.
func NewTrusted(docs map[string]string) (*Trusted, error) {
	out := make(map[string]string, len(docs))
	for h, q := range docs {
		if got := hashOf(q); got != strings.ToLower(h) {
			return nil, fmt.Errorf("trusted documents: the document registered as %s hashes to %s", h, got)
		}
		out[strings.ToLower(h)] = q
	}
	return &Trusted{docs: out}, nil
}

func hashOf(q string) string {
	sum := sha256.Sum256([]byte(q))
	return hex.EncodeToString(sum[:])
}

// ExtensionName implements graphql.HandlerExtension.
func (t *Trusted) ExtensionName() string { return "TrustedDocuments" }

// Validate implements graphql.HandlerExtension.
func (t *Trusted) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters fills in the registered text, or refuses.
func (t *Trusted) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	var hash string
	if pq, ok := p.Extensions["persistedQuery"].(map[string]any); ok {
		hash, _ = pq["sha256Hash"].(string)
	}
	if hash != "" {
		q, ok := t.docs[strings.ToLower(hash)]
		if !ok {
			return coded(commerce.PersistedQueryNotFound, "no trusted document has this hash")
		}
		if p.Query != "" && p.Query != q {
			return coded(commerce.Invalid, "the query does not match the trusted document of this hash")
		}
		p.Query = q
		return nil
	}
	if p.Query != "" {
		if _, ok := t.docs[hashOf(p.Query)]; ok {
			return nil
		}
	}
	return coded(commerce.TrustedDocumentRequired, "this server runs only trusted documents: send extensions.persistedQuery.sha256Hash of a registered operation")
}

// LoadTrustedDocuments reads a manifest: either Apollo's persisted query
// manifest ({"format": "apollo-persisted-query-manifest", "operations":
// [{"id": HASH, "body": TEXT}, ...]}) or a plain JSON object of HASH: TEXT.
func LoadTrustedDocuments(path string) (map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("trusted documents: %w", err)
	}
	var apollo struct {
		Format     string `json:"format"`
		Operations []struct {
			ID   string `json:"id"`
			Body string `json:"body"`
		} `json:"operations"`
	}
	if err := json.Unmarshal(raw, &apollo); err == nil && apollo.Format != "" {
		out := make(map[string]string, len(apollo.Operations))
		for _, op := range apollo.Operations {
			out[op.ID] = op.Body
		}
		return out, nil
	}
	var plain map[string]string
	if err := json.Unmarshal(raw, &plain); err != nil {
		return nil, fmt.Errorf("trusted documents: %s is neither a persisted query manifest nor an object of hash to document: %w", path, err)
	}
	return plain, nil
}
