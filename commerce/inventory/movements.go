package inventory

import (
	"context"
	"fmt"
	"slices"

	"storefront/commerce"
	"storefront/commerce/txn"
	"storefront/ent"
	"storefront/ent/productvariant"
	"storefront/ent/schematype"
	"storefront/ent/stocklevel"
	"storefront/ent/warehouse"
)

// Event says that the stock of a variant changed. Version increases with
// every change of that variant, so a client can drop stale events.
type Event struct {
	VariantID, ProductID int
	// QuantityAvailable is as Reported: at most MaxReportedQuantity.
	QuantityAvailable int
	Version           int64
}

// AvailableForSale reports whether the variant can be bought.
func (e Event) AvailableForSale() bool { return e.QuantityAvailable > 0 }

// Publisher receives inventory events after the transaction that changed
// the stock committed. It must not block.
type Publisher interface {
	Publish(events []Event)
}

type noPublisher struct{}

func (noPublisher) Publish([]Event) {}

// Request asks for a quantity of a variant.
type Request struct {
	VariantID, Quantity int
}

// OutOfStock is the code of the error Take returns when a variant has
// fewer units available than asked.
const OutOfStock = commerce.OutOfStock

// Take removes stock for reqs inside the transaction of ctx, taking each
// variant's units from its warehouses in order of priority (lowest first,
// then lowest ID), and returns where the units came from, per variant.
// Rows are locked in (variant, warehouse) order, so concurrent checkouts
// never deadlock, and each is served only from stock that is really there:
// stock never goes below zero, whatever the interleaving. Errors:
// OutOfStock, naming the variant's SKU and what is available.
func (s *Service) Take(ctx context.Context, tx *ent.Client, reqs []Request) (map[int][]schematype.Allocation, error) {
	want := map[int]int{}
	for _, r := range reqs {
		want[r.VariantID] += r.Quantity
	}
	levels, err := lockLevels(ctx, tx, keys(want))
	if err != nil {
		return nil, err
	}
	prio, err := warehousePriorities(ctx, tx, levels)
	if err != nil {
		return nil, err
	}
	byVariant := map[int][]*ent.StockLevel{}
	for _, l := range levels {
		byVariant[l.VariantID] = append(byVariant[l.VariantID], l)
	}
	out := map[int][]schematype.Allocation{}
	var deltas []delta
	for _, vid := range keys(want) {
		ls := byVariant[vid]
		slices.SortFunc(ls, func(a, b *ent.StockLevel) int {
			if prio[a.WarehouseID] != prio[b.WarehouseID] {
				return prio[a.WarehouseID] - prio[b.WarehouseID]
			}
			return a.WarehouseID - b.WarehouseID
		})
		need, avail := want[vid], 0
		for _, l := range ls {
			avail += Sellable(l.OnHand, l.Reserved)
		}
		if avail < need {
			sku, _ := tx.ProductVariant.Query().Where(productvariant.ID(vid)).Select(productvariant.FieldSku).String(ctx)
			return nil, commerce.Errorf(OutOfStock, "not enough stock of %s: %d available, %d requested", sku, Reported(avail), need)
		}
		for _, l := range ls {
			n := min(need, Sellable(l.OnHand, l.Reserved))
			if n == 0 {
				continue
			}
			out[vid] = append(out[vid], schematype.Allocation{WarehouseID: l.WarehouseID, Quantity: n})
			deltas = append(deltas, delta{level: l, onHand: -n})
			need -= n
			if need == 0 {
				break
			}
		}
	}
	return out, s.apply(ctx, tx, deltas)
}

// Return puts stock back where Take took it from, inside the transaction
// of ctx.
func (s *Service) Return(ctx context.Context, tx *ent.Client, allocations map[int][]schematype.Allocation) error {
	levels, err := lockLevels(ctx, tx, keys(allocations))
	if err != nil {
		return err
	}
	at := map[[2]int]*ent.StockLevel{}
	for _, l := range levels {
		at[[2]int{l.VariantID, l.WarehouseID}] = l
	}
	var deltas []delta
	for _, vid := range keys(allocations) {
		for _, a := range allocations[vid] {
			l := at[[2]int{vid, a.WarehouseID}]
			if l == nil {
				return fmt.Errorf("inventory: return to a missing stock level (variant %d, warehouse %d)", vid, a.WarehouseID)
			}
			deltas = append(deltas, delta{level: l, onHand: a.Quantity})
		}
	}
	return s.apply(ctx, tx, deltas)
}

type delta struct {
	level  *ent.StockLevel
	onHand int
}

// apply is the one place where stock changes: it writes the new quantities
// with a guard against going below zero, bumps the version of each variant,
// stores the variants' availability and their products' in-stock flags in
// the same transaction, and publishes the variants' new availability after
// the commit.
func (s *Service) apply(ctx context.Context, tx *ent.Client, deltas []delta) error {
	writeCtx := context.WithValue(ctx, applyKey{}, true) // apply stores availability itself
	// change is, per variant, how much its available quantity changes:
	// the sum over its levels of max(on_hand - reserved, 0) after, less
	// before (the levels are locked, so their values are current).
	change := map[int]int{}
	onHand := map[int]int{}
	for _, d := range deltas {
		n, err := tx.StockLevel.Update().
			Where(stocklevel.ID(d.level.ID), stocklevel.OnHandGTE(-d.onHand)).
			AddOnHand(d.onHand).
			Save(writeCtx)
		if err != nil {
			return fmt.Errorf("inventory: change stock: %w", err)
		}
		if n == 0 {
			return commerce.Errorf(commerce.Conflict, "stock changed meanwhile; try again")
		}
		before, ok := onHand[d.level.ID]
		if !ok {
			before = d.level.OnHand
		}
		after := before + d.onHand
		onHand[d.level.ID] = after
		change[d.level.VariantID] += Sellable(after, d.level.Reserved) - Sellable(before, d.level.Reserved)
	}
	if len(change) == 0 {
		return nil
	}
	ids := keys(change)
	// The stored availability moves by the change (an increment, which
	// PostgreSQL re-applies to the latest row when it waits for the
	// variant's lock, so concurrent movements of one variant add up), and
	// is read back with the versions for the events.
	if err := addAvailable(ctx, tx, change); err != nil {
		return err
	}
	events, raw, err := snapshot(ctx, tx, ids)
	if err != nil {
		return err
	}
	// A product's flag changes only when one of its variants went from
	// none available to some, or back; only then are its products locked
	// (after the variants: the lock order is stock levels, variants,
	// products) and their flags recomputed in a statement that starts
	// after the locks, so it sees every sibling committed before.
	var crossed []int
	for _, id := range ids {
		now, seen := raw[id]
		if !seen || (now > 0) != (now-change[id] > 0) {
			crossed = append(crossed, id)
		}
	}
	if len(crossed) > 0 {
		if err := refreshProductsOf(ctx, tx, crossed); err != nil {
			return err
		}
	}
	pub := s.publisher
	txn.AfterCommit(ctx, func() { pub.Publish(events) })
	return nil
}

// Snapshot reads the stored availability and version of variants (those
// the viewer of ctx may see) as events, in one statement: for the events
// of a change inside its transaction, and for the current state a
// subscriber receives first.
func Snapshot(ctx context.Context, tx *ent.Client, ids []int) ([]Event, error) {
	events, _, err := snapshot(ctx, tx, ids)
	return events, err
}

// snapshot is Snapshot, also returning the stored (unclamped) available
// quantity per variant.
func snapshot(ctx context.Context, tx *ent.Client, ids []int) ([]Event, map[int]int, error) {
	vs, err := tx.ProductVariant.Query().
		Where(productvariant.IDIn(ids...)).
		Select(productvariant.FieldID, productvariant.FieldProductID, productvariant.FieldStockVersion, productvariant.FieldAvailable).
		All(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("inventory: read versions: %w", err)
	}
	events := make([]Event, 0, len(vs))
	raw := make(map[int]int, len(vs))
	for _, v := range vs {
		events = append(events, Event{VariantID: v.ID, ProductID: v.ProductID, QuantityAvailable: Reported(v.Available), Version: v.StockVersion})
		raw[v.ID] = v.Available
	}
	slices.SortFunc(events, func(a, b Event) int { return a.VariantID - b.VariantID })
	return events, raw, nil
}

// lockLevels loads the stock levels of variants, locked (on PostgreSQL) in
// (variant, warehouse) order.
func lockLevels(ctx context.Context, tx *ent.Client, variantIDs []int) ([]*ent.StockLevel, error) {
	q := tx.StockLevel.Query().
		Where(stocklevel.VariantIDIn(variantIDs...)).
		Order(stocklevel.ByVariantID(), stocklevel.ByWarehouseID())
	q.Modify(txn.LockRows)
	levels, err := q.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("inventory: lock stock: %w", err)
	}
	return levels, nil
}

func warehousePriorities(ctx context.Context, tx *ent.Client, levels []*ent.StockLevel) (map[int]int, error) {
	ids := map[int]bool{}
	for _, l := range levels {
		ids[l.WarehouseID] = true
	}
	ws, err := tx.Warehouse.Query().Where(warehouse.IDIn(keys(ids)...)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("inventory: warehouses: %w", err)
	}
	out := map[int]int{}
	for _, w := range ws {
		out[w.ID] = w.Priority
	}
	return out, nil
}

func keys[V any](m map[int]V) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
