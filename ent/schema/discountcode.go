package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"

	"storefront/commerce/access"
)

// DiscountCode is a code a shopper types at checkout for a reduction.
type DiscountCode struct {
	ent.Schema
}

// Mixin of the DiscountCode.
func (DiscountCode) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}}
}

// Fields of the DiscountCode.
func (DiscountCode) Fields() []ent.Field {
	return []ent.Field{
		field.String("code").Unique().NotEmpty().MaxLen(64).Comment("Upper case."),
		field.Enum("kind").Values("PERCENTAGE", "FIXED_AMOUNT"),
		field.Int64("value").Min(1).
			Comment("Basis points for PERCENTAGE (1000 = 10%), minor units for FIXED_AMOUNT."),
		field.Int64("min_subtotal").Default(0).Min(0),
		field.Time("starts_at").Optional().Nillable(),
		field.Time("ends_at").Optional().Nillable(),
		field.Int("usage_limit").Optional().Nillable().Min(0),
		field.Int("used_count").Default(0).Min(0),
		field.Bool("active").Default(true),
	}
}

// Policy of the DiscountCode: see commerce/access.
func (DiscountCode) Policy() ent.Policy { return access.DiscountCodePolicy() }

// Annotations of the DiscountCode. The database refuses more uses than the
// limit, whatever the code path.
func (DiscountCode) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.Skip(entgql.SkipAll),
		entsql.Checks(map[string]string{
			"discount_usage_within_limit": "usage_limit IS NULL OR used_count <= usage_limit",
		}),
	}
}
