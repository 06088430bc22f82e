// Package lookup resolves Relay global IDs to the objects behind them, for
// the node and nodes fields, hiding what a shopper may not see.
package lookup

import (
	"context"
	"fmt"

	"storefront/commerce"
	"storefront/commerce/access"
	"storefront/ent"
	"storefront/relay/gid"
)

// MaxNodes bounds the IDs of one nodes call.
const MaxNodes = 100

// Service looks nodes up.
type Service struct {
	client *ent.Client
}

// New returns a lookup service over client.
func New(client *ent.Client) *Service { return &Service{client: client} }

// Node returns the object named by id, or nil when there is none the viewer
// may see: unknown type, missing row or hidden object alike, so that the
// answer does not reveal which. Hiding is done by the privacy rules of
// commerce/access, which filter the lookup query itself.
func (s *Service) Node(ctx context.Context, id gid.ID) (ent.Noder, error) {
	table, ok := ent.NodeTable(id.Type)
	if !ok {
		return nil, nil
	}
	// Naming a guest cart or order by its unguessable ID is what grants it.
	ctx = access.WithKnownIDs(ctx)
	access.Know(ctx, table, id.ID)
	n, err := s.client.Noder(ctx, id.ID, ent.WithFixedNodeType(table))
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lookup: node: %w", err)
	}
	return n, nil
}

// Nodes returns the objects named by ids, in order, with nil where Node
// would return nil. It returns a commerce.Invalid error for more than
// MaxNodes IDs.
func (s *Service) Nodes(ctx context.Context, ids []*gid.ID) ([]ent.Noder, error) {
	if len(ids) > MaxNodes {
		return nil, commerce.InvalidField([]string{"ids"}, "at most %d IDs per call, got %d", MaxNodes, len(ids))
	}
	out := make([]ent.Noder, len(ids))
	for i, id := range ids {
		if id == nil {
			continue
		}
		n, err := s.Node(ctx, *id)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}
