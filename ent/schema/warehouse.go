package schema

import (
	"storefront/commerce/access"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
)

// Warehouse is a place that holds stock.
type Warehouse struct {
	ent.Schema
}

// Fields of the Warehouse.
func (Warehouse) Fields() []ent.Field {
	return []ent.Field{
		field.String("code").Unique().NotEmpty().MaxLen(32),
		field.String("name").NotEmpty().MaxRuneLen(200),
		field.Int("priority").Default(0).
			Comment("Checkout takes stock from the lowest priority first.").
			Annotations(entgql.Skip()),
	}
}

// Edges of the Warehouse.
func (Warehouse) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("stock_levels", StockLevel.Type).
			Annotations(entgql.Skip()),
	}
}

// Annotations of the Warehouse.
func (Warehouse) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
	}
}

// Policy of the Warehouse: see commerce/access.
func (Warehouse) Policy() ent.Policy { return access.WarehousePolicy() }
