package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"storefront/commerce/access"
)

// OrderEvent is one step of an order's status history.
type OrderEvent struct {
	ent.Schema
}

// Fields of the OrderEvent.
func (OrderEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Int("order_id").Immutable(),
		field.String("status").Immutable(),
		field.String("note").Default("").Immutable(),
		field.Time("created_at").Immutable().Default(time.Now),
	}
}

// Edges of the OrderEvent.
func (OrderEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("events").Unique().Required().Immutable().Field("order_id"),
	}
}

// Indexes of the OrderEvent: an order page loads them by order (loaders batch
// the orders of a page into one IN list).
func (OrderEvent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id")}
}

// Policy of the OrderEvent: see commerce/access.
func (OrderEvent) Policy() ent.Policy { return access.OrderEventPolicy() }

// Annotations of the OrderEvent.
func (OrderEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
