package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"storefront/commerce/access"
)

// Address is a mailing address in a customer's address book.
type Address struct {
	ent.Schema
}

// Mixin of the Address.
func (Address) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}}
}

// Fields of the Address.
func (Address) Fields() []ent.Field {
	return []ent.Field{
		field.Int("customer_id").Immutable().
			Annotations(entgql.Skip()),
		field.String("first_name").Default("").MaxRuneLen(100),
		field.String("last_name").Default("").MaxRuneLen(100),
		field.String("address1").NotEmpty().MaxRuneLen(200),
		field.String("address2").Default("").MaxRuneLen(200),
		field.String("city").NotEmpty().MaxRuneLen(100),
		field.String("province").Default("").MaxRuneLen(100),
		field.String("zip").Default("").MaxRuneLen(20),
		field.String("country_code").MinLen(2).MaxLen(2).
			Comment("ISO 3166-1 alpha-2, upper case."),
		field.String("phone").Default("").MaxRuneLen(32),
	}
}

// Edges of the Address.
func (Address) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).
			Ref("addresses").Unique().Required().Immutable().Field("customer_id").
			Annotations(entgql.Skip()),
	}
}

// Policy of the Address.
func (Address) Policy() ent.Policy { return access.AddressPolicy() }
