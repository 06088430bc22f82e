package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"storefront/commerce/access"
)

// Customer is a shopper's account, or a staff member's (role STAFF).
type Customer struct {
	ent.Schema
}

// Mixin of the Customer.
func (Customer) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}}
}

// Fields of the Customer.
func (Customer) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").Unique().NotEmpty().MaxLen(254).
			Comment("Normalised: trimmed and lower-cased."),
		field.String("name").Default("").MaxRuneLen(200),
		field.String("password_hash").Sensitive().NotEmpty().
			Annotations(entgql.Skip()),
		field.Enum("role").Values("CUSTOMER", "STAFF").Default("CUSTOMER"),
		field.Int("default_address_id").Optional().Nillable().
			Annotations(entgql.Skip()),
	}
}

// Edges of the Customer.
func (Customer) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("addresses", Address.Type).
			Annotations(entsqlCascade()),
		edge.To("default_address", Address.Type).
			Unique().Field("default_address_id"),
		edge.To("sessions", Session.Type).
			Annotations(entgql.Skip(), entsqlCascade()),
		edge.To("carts", Cart.Type).
			Annotations(entgql.Skip()),
		// Exposed as a paginated connection in schema/order.graphql.
		edge.To("orders", Order.Type).
			Annotations(entgql.Skip()),
	}
}

// Policy of the Customer.
func (Customer) Policy() ent.Policy { return access.CustomerPolicy() }

// Annotations of the Customer.
func (Customer) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
