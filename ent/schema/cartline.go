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

// CartLine is a variant and a quantity in a cart; one line per variant.
type CartLine struct {
	ent.Schema
}

// Fields of the CartLine.
func (CartLine) Fields() []ent.Field {
	return []ent.Field{
		field.Int("cart_id").Immutable(),
		field.Int("variant_id").Immutable(),
		field.Int("quantity").Min(1).Max(999),
		field.Time("created_at").Immutable().Default(time.Now),
	}
}

// Edges of the CartLine.
func (CartLine) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("cart", Cart.Type).Ref("lines").Unique().Required().Immutable().Field("cart_id"),
		edge.To("variant", ProductVariant.Type).Unique().Required().Immutable().Field("variant_id"),
	}
}

// Indexes of the CartLine.
func (CartLine) Indexes() []ent.Index {
	return []ent.Index{index.Fields("cart_id", "variant_id").Unique()}
}

// Policy of the CartLine: see commerce/access.
func (CartLine) Policy() ent.Policy { return access.CartLinePolicy() }

// Annotations of the CartLine.
func (CartLine) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
