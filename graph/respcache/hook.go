package respcache

import (
	"context"

	"storefront/ent"
)

// catalogTypes are the entities whose changes can change a cached answer.
var catalogTypes = map[string]bool{
	ent.TypeProduct: true, ent.TypeProductVariant: true, ent.TypeCategory: true,
	ent.TypeWarehouse: true, ent.TypeStockLevel: true,
}

// Hook is an ent hook that calls changed after every write to a catalogue
// entity has committed: at once outside a transaction, at the commit inside
// one (never when it rolls back). Install it on the client that writes:
// client.Use(respcache.Hook(cache.Invalidate)).
func Hook(changed func()) ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			if !catalogTypes[m.Type()] {
				return next.Mutate(ctx, m)
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return v, err
			}
			if inTx, ok := m.(interface{ Tx() (*ent.Tx, error) }); ok {
				if tx, terr := inTx.Tx(); terr == nil && tx != nil {
					tx.OnCommit(func(commit ent.Committer) ent.Committer {
						return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
							err := commit.Commit(ctx, tx)
							if err == nil {
								changed()
							}
							return err
						})
					})
					return v, nil
				}
			}
			changed()
			return v, nil
		})
	}
}
