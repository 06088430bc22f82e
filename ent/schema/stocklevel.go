package schema

import (
	"storefront/commerce/access"

	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// StockLevel is the stock of one variant in one warehouse. What a shopper
// can buy is the sum over warehouses of on_hand - reserved.
type StockLevel struct {
	ent.Schema
}

// Fields of the StockLevel.
func (StockLevel) Fields() []ent.Field {
	return []ent.Field{
		field.Int("variant_id").Immutable(),
		field.Int("warehouse_id").Immutable(),
		field.Int("on_hand").Default(0).Min(0),
		field.Int("reserved").Default(0).Min(0),
		field.Time("updated_at").Default(time.Now).UpdateDefault(time.Now),
	}
}

// Edges of the StockLevel.
func (StockLevel) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("variant", ProductVariant.Type).
			Ref("stock_levels").Unique().Required().Immutable().Field("variant_id"),
		edge.From("warehouse", Warehouse.Type).
			Ref("stock_levels").Unique().Required().Immutable().Field("warehouse_id"),
	}
}

// Indexes of the StockLevel.
func (StockLevel) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("variant_id", "warehouse_id").Unique(),
		index.Fields("warehouse_id"),
	}
}

// Annotations of the StockLevel. The database itself refuses negative stock,
// whatever code path writes it.
func (StockLevel) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipAll),
		entsql.Checks(map[string]string{
			"stock_on_hand_non_negative":  "on_hand >= 0",
			"stock_reserved_non_negative": "reserved >= 0",
		}),
	}
}

// Policy of the StockLevel: see commerce/access.
func (StockLevel) Policy() ent.Policy { return access.StockLevelPolicy() }
