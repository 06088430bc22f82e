package inventory_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"storefront/commerce"
	"storefront/commerce/access"
	"storefront/commerce/inventory"
	"storefront/commerce/txn"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent"
	"storefront/ent/product"
	"storefront/ent/schematype"
	"storefront/ent/stocklevel"
)

type recorder struct {
	mu     sync.Mutex
	events []inventory.Event
}

func (r *recorder) Publish(e []inventory.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e...)
}

func (r *recorder) all() []inventory.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]inventory.Event(nil), r.events...)
}

// world: one variant with 5 units in warehouse A (priority 0) and 3 in B
// (priority 1).
func world(t *testing.T, db *database.DB) (ctx context.Context, variant *ent.ProductVariant, a, b *ent.Warehouse) {
	ctx = access.System(context.Background())
	c := db.Client
	p := c.Product.Create().SetTitle("P").SetSlug("p").SetStatus(product.StatusACTIVE).SaveX(ctx)
	variant = c.ProductVariant.Create().SetProduct(p).SetSku("V").SetPrice(100).SaveX(ctx)
	a = c.Warehouse.Create().SetCode("A").SetName("A").SetPriority(0).SaveX(ctx)
	b = c.Warehouse.Create().SetCode("B").SetName("B").SetPriority(1).SaveX(ctx)
	c.StockLevel.Create().SetVariant(variant).SetWarehouse(a).SetOnHand(5).SaveX(ctx)
	c.StockLevel.Create().SetVariant(variant).SetWarehouse(b).SetOnHand(3).SaveX(ctx)
	return ctx, variant, a, b
}

func TestTakeReturnAndEvents(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx, v, a, b := world(t, db)
		rec := &recorder{}
		inv := inventory.New(db.Client, rec)

		// 7 units: 5 from A (priority 0), then 2 from B.
		err := txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
			alloc, err := inv.Take(ctx, tx, []inventory.Request{{VariantID: v.ID, Quantity: 7}})
			if err != nil {
				return err
			}
			got := alloc[v.ID]
			if len(got) != 2 || got[0].WarehouseID != a.ID || got[0].Quantity != 5 || got[1].WarehouseID != b.ID || got[1].Quantity != 2 {
				t.Errorf("allocations = %+v", got)
			}
			if len(rec.all()) != 0 {
				t.Error("an event was published before the commit")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		ev := rec.all()
		if len(ev) != 1 || ev[0].VariantID != v.ID || ev[0].ProductID != v.ProductID || ev[0].QuantityAvailable != 1 || ev[0].Version != 1 || !ev[0].AvailableForSale() {
			t.Fatalf("events after the commit = %+v", ev)
		}

		// Asking for more than is left fails, changes nothing, announces nothing.
		err = txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
			_, err := inv.Take(ctx, tx, []inventory.Request{{VariantID: v.ID, Quantity: 2}})
			return err
		})
		if commerce.ErrorCode(err) != inventory.OutOfStock {
			t.Fatalf("taking 2 of 1: %v", err)
		}
		// A rollback after a successful take announces nothing either.
		errBoom := errors.New("boom")
		err = txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
			if _, err := inv.Take(ctx, tx, []inventory.Request{{VariantID: v.ID, Quantity: 1}}); err != nil {
				return err
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) || len(rec.all()) != 1 {
			t.Fatalf("rollback: err %v, %d events", err, len(rec.all()))
		}
		if n := db.Client.StockLevel.Query().Where(stocklevel.VariantID(v.ID)).Aggregate(ent.Sum(stocklevel.FieldOnHand)).IntX(ctx); n != 1 {
			t.Fatalf("on hand after the rollback = %d, want 1", n)
		}

		// Staff sets stock: an event with the next version.
		if _, err := inv.SetOnHand(ctx, v.ID, b.ID, 10); err != nil {
			t.Fatal(err)
		}
		ev = rec.all()
		if last := ev[len(ev)-1]; last.QuantityAvailable != 10 || last.Version != 2 {
			t.Fatalf("after SetOnHand: %+v", last)
		}
		// Return puts units back where they came from.
		err = txn.Run(ctx, db.Client, func(ctx context.Context, tx *ent.Client) error {
			return inv.Return(ctx, tx, map[int][]schematype.Allocation{v.ID: {{WarehouseID: a.ID, Quantity: 5}}})
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := db.Client.StockLevel.Query().Where(stocklevel.VariantID(v.ID), stocklevel.WarehouseID(a.ID)).OnlyX(ctx).OnHand; got != 5 {
			t.Fatalf("warehouse A after return = %d", got)
		}
		if last := rec.all()[len(rec.all())-1]; last.QuantityAvailable != 15 || last.Version != 3 {
			t.Fatalf("after Return: %+v", last)
		}
	})
}

// TestWarehouseBound: a shop has at most MaxWarehouses warehouses (a
// variant's stockLevels list is priced with that bound).
func TestWarehouseBound(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		ctx := access.System(t.Context())
		ws := make([]*ent.WarehouseCreate, inventory.MaxWarehouses)
		for i := range ws {
			ws[i] = db.Client.Warehouse.Create().SetCode(fmt.Sprintf("W%d", i)).SetName("W").SetPriority(i)
		}
		db.Client.Warehouse.CreateBulk(ws...).ExecX(ctx)
		code, name := "ONE-MORE", "One more"
		_, err := inventory.New(db.Client, nil).CreateWarehouse(ctx, inventory.WarehouseInput{Code: &code, Name: &name})
		if commerce.ErrorCode(err) != commerce.Invalid {
			t.Fatalf("warehouse number %d: want Invalid, got %v", inventory.MaxWarehouses+1, err)
		}
	})
}
