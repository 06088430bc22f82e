package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"storefront/commerce/access"
)

// Cart is what a shopper is about to buy. A guest reaches it by its
// (unguessable) ID; a customer's cart is theirs alone.
type Cart struct {
	ent.Schema
}

// Mixin of the Cart.
func (Cart) Mixin() []ent.Mixin {
	return []ent.Mixin{RandomIDMixin{}, TimeMixin{}}
}

// Fields of the Cart.
func (Cart) Fields() []ent.Field {
	return []ent.Field{
		field.Int("customer_id").Optional().Nillable().
			Annotations(entgql.Skip()),
		field.Int("version").Default(1).
			Comment("Increases on every change; mutations may send the version they saw."),
		field.Enum("status").Values("ACTIVE", "COMPLETED", "MERGED").Default("ACTIVE").
			Annotations(entgql.Skip()),
		field.String("discount_code").Optional().Nillable().MaxLen(64).
			Annotations(entgql.Skip()),
	}
}

// Edges of the Cart.
func (Cart) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("lines", CartLine.Type).
			Annotations(entgql.Skip(), entsqlCascade()),
		edge.From("customer", Customer.Type).Ref("carts").Unique().Field("customer_id").
			Annotations(entgql.Skip()),
	}
}

// Indexes of the Cart.
func (Cart) Indexes() []ent.Index {
	return []ent.Index{index.Fields("customer_id", "status")}
}

// Policy of the Cart: see commerce/access.
func (Cart) Policy() ent.Policy { return access.CartPolicy() }
