package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"storefront/commerce/access"
	"storefront/ent/schematype"
)

// OrderLine is one variant of an order, with the titles, SKU and price it
// had at checkout, and the warehouses its stock came from.
type OrderLine struct {
	ent.Schema
}

// Fields of the OrderLine.
func (OrderLine) Fields() []ent.Field {
	return []ent.Field{
		field.Int("order_id").Immutable(),
		field.Int("variant_id").Immutable(),
		field.String("product_title").Immutable(),
		field.String("variant_title").Immutable(),
		field.String("sku").Immutable(),
		field.Int64("unit_price").Immutable(),
		field.Int("quantity").Immutable(),
		field.Int64("line_total").Immutable(),
		field.JSON("allocations", []schematype.Allocation{}).Immutable().
			Comment("Where the stock was taken from, to return it on cancellation."),
	}
}

// Edges of the OrderLine.
func (OrderLine) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("lines").Unique().Required().Immutable().Field("order_id"),
		edge.To("variant", ProductVariant.Type).Unique().Required().Immutable().Field("variant_id"),
	}
}

// Indexes of the OrderLine: an order page loads them by order (loaders batch
// the orders of a page into one IN list).
func (OrderLine) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id")}
}

// Policy of the OrderLine: see commerce/access.
func (OrderLine) Policy() ent.Policy { return access.OrderLinePolicy() }

// Annotations of the OrderLine.
func (OrderLine) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
