package schema

import (
	"storefront/commerce/access"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"storefront/ent/schematype"
)

// ProductVariant is one purchasable version of a product (a size, a
// colour), with its own SKU, price and stock.
type ProductVariant struct {
	ent.Schema
}

// Mixin of the ProductVariant.
func (ProductVariant) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}}
}

// Fields of the ProductVariant.
func (ProductVariant) Fields() []ent.Field {
	return []ent.Field{
		field.Int("product_id").Immutable().
			Annotations(entgql.Skip()),
		field.String("sku").Unique().NotEmpty().MaxLen(64),
		field.String("title").Default("").MaxRuneLen(255),
		field.JSON("options", []schematype.SelectedOption{}).
			Default([]schematype.SelectedOption{}).
			Annotations(entgql.Skip()),
		// Prices are integer minor units of currency_code (cents for USD).
		field.Int64("price").Min(0).
			Annotations(entgql.Skip()),
		field.Int64("compare_at_price").Optional().Nillable().Min(0).
			Annotations(entgql.Skip()),
		field.String("currency_code").Default("USD").MinLen(3).MaxLen(3).
			Annotations(entgql.Skip()),
		field.Int64("stock_version").Default(0).
			Comment("Increases with every stock change of the variant; inventory events carry it.").
			Annotations(entgql.Skip()),
		// Stored availability, kept by commerce/inventory (the stock
		// function apply, and hooks for stock written any other way) in the
		// transaction of every stock change: the sum over warehouses of
		// max(on_hand - reserved, 0). Not clamped; the API reports it
		// through inventory.Reported.
		field.Int("available").Default(0).
			Comment("Sum over warehouses of max(on_hand - reserved, 0), kept by commerce/inventory.").
			Annotations(entgql.Skip()),
		field.Int("position").Default(0).
			Comment("Order among the product's variants, smallest first.").
			Annotations(entgql.Skip()),
	}
}

// Edges of the ProductVariant.
func (ProductVariant) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("product", Product.Type).
			Ref("variants").Unique().Required().Immutable().Field("product_id"),
		edge.To("stock_levels", StockLevel.Type).
			Annotations(entgql.Skip()),
	}
}

// Indexes of the ProductVariant.
func (ProductVariant) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("product_id", "position"),
	}
}

// Policy of the ProductVariant: see commerce/access.
func (ProductVariant) Policy() ent.Policy { return access.ProductVariantPolicy() }
