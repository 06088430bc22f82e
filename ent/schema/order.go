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

// Order is a completed checkout: prices, titles and SKUs are snapshots
// taken then, so later catalogue changes do not rewrite history.
type Order struct {
	ent.Schema
}

// Mixin of the Order.
func (Order) Mixin() []ent.Mixin {
	return []ent.Mixin{RandomIDMixin{}, TimeMixin{}}
}

// Fields of the Order.
func (Order) Fields() []ent.Field {
	return []ent.Field{
		field.String("number").Unique().NotEmpty().
			Comment("Short, readable on the phone: SF-XXXX-XXXX without look-alike letters.").
			Annotations(entgql.OrderField("NUMBER")),
		field.Int("customer_id").Optional().Nillable().Immutable().
			Annotations(entgql.Skip()),
		field.Int("cart_id").Immutable().
			Annotations(entgql.Skip()),
		field.String("email").NotEmpty().MaxLen(254),
		field.Enum("status").
			Values("PENDING_PAYMENT", "PAID", "FULFILLED", "DELIVERED", "CANCELLED").
			Default("PENDING_PAYMENT"),
		field.String("currency_code").MinLen(3).MaxLen(3).Annotations(entgql.Skip()),
		field.Int64("subtotal").Annotations(entgql.Skip()),
		field.Int64("discount").Default(0).Annotations(entgql.Skip()),
		field.Int64("shipping").Default(0).Annotations(entgql.Skip()),
		field.Int64("tax").Default(0).Annotations(entgql.Skip()),
		field.Int64("total").Annotations(entgql.Skip()),
		field.String("discount_code").Optional().Nillable().Annotations(entgql.Skip()),
		field.JSON("shipping_address", schematype.MailingAddress{}).Annotations(entgql.Skip()),
		field.String("payment_id").Optional().Nillable().Annotations(entgql.Skip()),
		field.String("idempotency_key").Optional().Nillable().Unique().MaxLen(128).
			Annotations(entgql.Skip()),
	}
}

// Edges of the Order.
func (Order) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("lines", OrderLine.Type).Annotations(entgql.Skip(), entsqlCascade()),
		edge.To("events", OrderEvent.Type).Annotations(entgql.Skip(), entsqlCascade()),
		edge.From("customer", Customer.Type).Ref("orders").Unique().Immutable().Field("customer_id").
			Annotations(entgql.Skip()),
	}
}

// Indexes of the Order.
func (Order) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id", "created_at"),
		index.Fields("status", "created_at"),
	}
}

// Policy of the Order: see commerce/access.
func (Order) Policy() ent.Policy { return access.OrderPolicy() }

// Annotations of the Order.
func (Order) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
