package inventory

import (
	"context"
	"fmt"
	"strings"

	"storefront/commerce"
	"storefront/commerce/access"
	"storefront/commerce/txn"
	"storefront/ent"
	"storefront/ent/predicate"
	"storefront/ent/productvariant"
	"storefront/ent/stocklevel"
	"storefront/ent/warehouse"
	"storefront/relay/paging"
)

// Service changes stock and warehouses. Who may call what is decided by
// the privacy rules of commerce/access: staff, or the system.
type Service struct {
	client    *ent.Client
	publisher Publisher
}

// New returns an inventory service over client that announces stock changes
// to pub (nil: to no one).
func New(client *ent.Client, pub Publisher) *Service {
	if pub == nil {
		pub = noPublisher{}
	}
	return &Service{client: client, publisher: pub}
}

// MaxOnHand bounds a stock quantity.
const MaxOnHand = 1_000_000_000

// MaxPriority bounds a warehouse's priority (0 is taken from first).
const MaxPriority = 1_000_000

// SetOnHand sets the quantity on hand of a variant in a warehouse, creating
// the stock level when there is none. It refuses a quantity below what is
// reserved there. Errors: Invalid, NotFound (variant, warehouse).
func (s *Service) SetOnHand(ctx context.Context, variantID, warehouseID, onHand int) (*ent.StockLevel, error) {
	if err := access.RequireStaff(ctx); err != nil {
		return nil, err
	}
	if onHand < 0 || onHand > MaxOnHand {
		return nil, commerce.InvalidField([]string{"input", "onHand"}, "onHand must be between 0 and %d", MaxOnHand)
	}
	var level *ent.StockLevel
	err := txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		if ok, err := tx.ProductVariant.Query().Where(productvariant.ID(variantID)).Exist(ctx); err != nil || !ok {
			return orNotFound(err, "variant", "input", "variantId")
		}
		if ok, err := tx.Warehouse.Query().Where(warehouse.ID(warehouseID)).Exist(ctx); err != nil || !ok {
			return orNotFound(err, "warehouse", "input", "warehouseId")
		}
		where := []predicate.StockLevel{stocklevel.VariantID(variantID), stocklevel.WarehouseID(warehouseID)}
		err := tx.StockLevel.Create().SetVariantID(variantID).SetWarehouseID(warehouseID).
			OnConflictColumns(stocklevel.FieldVariantID, stocklevel.FieldWarehouseID).Ignore().
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("inventory: create stock level: %w", err)
		}
		q := tx.StockLevel.Query().Where(where...)
		q.Modify(txn.LockRows)
		cur, err := q.Only(ctx)
		if err != nil {
			return fmt.Errorf("inventory: lock stock level: %w", err)
		}
		if onHand < cur.Reserved {
			return commerce.InvalidField([]string{"input", "onHand"}, "onHand cannot go below the %d units reserved for orders being paid", cur.Reserved)
		}
		if err := s.apply(ctx, tx, []delta{{level: cur, onHand: onHand - cur.OnHand}}); err != nil {
			return err
		}
		level, err = tx.StockLevel.Query().Where(where...).Only(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return txn.Detach(ctx, level), nil
}

func orNotFound(err error, what string, field ...string) error {
	if err != nil {
		return fmt.Errorf("inventory: find %s: %w", what, err)
	}
	return &commerce.Error{Code: commerce.NotFound, Message: "no such " + what, Field: field}
}

// WarehouseInput creates or changes a warehouse; nil fields are left alone
// (on create, Code and Name are required).
type WarehouseInput struct {
	Code, Name *string
	Priority   *int
}

// MaxWarehouses is the most warehouses a shop has: a variant has one stock
// level per warehouse, and the API's cost model relies on the bound.
const MaxWarehouses = 100

// CreateWarehouse adds a warehouse. Errors: Invalid (including more than
// MaxWarehouses), TAKEN (code).
func (s *Service) CreateWarehouse(ctx context.Context, in WarehouseInput) (*ent.Warehouse, error) {
	if in.Code == nil || in.Name == nil {
		return nil, commerce.InvalidField([]string{"input"}, "code and name are required")
	}
	// Staff create warehouses rarely and one at a time; two racing creates
	// could pass this count together, which the cost model tolerates.
	if n, err := s.client.Warehouse.Query().Count(ctx); err != nil {
		return nil, err
	} else if n >= MaxWarehouses {
		return nil, commerce.InvalidField([]string{"input"}, "a shop has at most %d warehouses", MaxWarehouses)
	}
	c := s.client.Warehouse.Create()
	if err := applyWarehouse(c.Mutation(), in); err != nil {
		return nil, err
	}
	w, err := c.Save(ctx)
	return w, warehouseWriteError(err)
}

// UpdateWarehouse changes a warehouse. Errors: NotFound, Invalid, TAKEN.
func (s *Service) UpdateWarehouse(ctx context.Context, id int, in WarehouseInput) (*ent.Warehouse, error) {
	u := s.client.Warehouse.UpdateOneID(id)
	if err := applyWarehouse(u.Mutation(), in); err != nil {
		return nil, err
	}
	w, err := u.Save(ctx)
	if ent.IsNotFound(err) {
		return nil, &commerce.Error{Code: commerce.NotFound, Message: "no such warehouse", Field: []string{"id"}}
	}
	return w, warehouseWriteError(err)
}

func applyWarehouse(m *ent.WarehouseMutation, in WarehouseInput) error {
	if in.Code != nil {
		code := strings.ToUpper(strings.TrimSpace(*in.Code))
		if code == "" || len(code) > 32 {
			return commerce.InvalidField([]string{"input", "code"}, "code must be 1 to 32 characters")
		}
		m.SetCode(code)
	}
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" || len([]rune(name)) > 200 {
			return commerce.InvalidField([]string{"input", "name"}, "name must be 1 to 200 characters")
		}
		m.SetName(name)
	}
	if in.Priority != nil {
		if *in.Priority < 0 || *in.Priority > MaxPriority {
			return commerce.InvalidField([]string{"input", "priority"}, "priority must be between 0 and %d", MaxPriority)
		}
		m.SetPriority(*in.Priority)
	}
	return nil
}

func warehouseWriteError(err error) error {
	if ent.IsConstraintError(err) {
		return &commerce.Error{Code: commerce.Taken, Message: "this warehouse code is already in use", Field: []string{"input", "code"}}
	}
	return err
}

// Warehouses lists warehouses in the order they were added (staff only:
// others see none).
func (s *Service) Warehouses(ctx context.Context, page paging.Page) (*ent.WarehouseConnection, error) {
	page, err := page.Normalize()
	if err != nil {
		return nil, err
	}
	if page, err = page.Bind(warehouseList); err != nil {
		return nil, err
	}
	conn, err := s.client.Warehouse.Query().Paginate(ctx, page.After, page.First, page.Before, page.Last)
	if err != nil {
		return nil, fmt.Errorf("inventory: warehouses: %w", err)
	}
	paging.Seal(warehouseList, conn.Edges, func(e *ent.WarehouseEdge) *ent.Cursor { return &e.Cursor }, &conn.PageInfo)
	return conn, nil
}

// warehouseList is the list of warehouses, in ID order.
var warehouseList = paging.List{Name: "warehouses", Sort: "ID", Value: paging.NoValue}

// StockLevels returns a variant's stock per warehouse (staff only: others
// see none).
func (s *Service) StockLevels(ctx context.Context, variantID int) ([]*ent.StockLevel, error) {
	return s.client.StockLevel.Query().
		Where(stocklevel.VariantID(variantID)).
		WithWarehouse().
		Order(stocklevel.ByWarehouseID()).
		All(ctx)
}
