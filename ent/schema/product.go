package schema

import (
	"storefront/commerce/access"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"storefront/ent/schematype"
)

// Product is what a shopper browses: a title, pictures and one or more
// purchasable variants.
type Product struct {
	ent.Schema
}

// Mixin of the Product.
func (Product) Mixin() []ent.Mixin {
	return []ent.Mixin{TimeMixin{}}
}

// Fields of the Product.
func (Product) Fields() []ent.Field {
	return []ent.Field{
		field.String("title").NotEmpty().MaxRuneLen(255).
			Annotations(entgql.OrderField("TITLE")),
		field.String("slug").Unique().NotEmpty().MaxLen(255),
		field.Text("description").Default(""),
		field.JSON("images", []schematype.Image{}).
			Default([]schematype.Image{}).
			Annotations(entgql.Skip()),
		field.Enum("status").
			Values("DRAFT", "ACTIVE", "ARCHIVED").
			Default("DRAFT").
			Comment("Only ACTIVE products are shown to shoppers."),
		field.Int("category_id").Optional().Nillable().
			Annotations(entgql.Skip()),
		// The price range of the variants, in minor units, kept current by
		// the catalog package whenever variants change. Denormalised so that
		// sorting by price and showing a price range cost no extra query.
		field.Int64("min_price").Default(0).
			Annotations(entgql.OrderField("PRICE"), entgql.Skip(entgql.SkipType)),
		field.Int64("max_price").Default(0).
			Annotations(entgql.Skip()),
		field.String("currency_code").Default("USD").MinLen(3).MaxLen(3).
			Annotations(entgql.Skip()),
		// At least one variant with available > 0, kept by
		// commerce/inventory with the variants' stored availability, so that
		// listings filter and count on an index instead of summing stock.
		field.Bool("in_stock").Default(false).
			Comment("At least one variant has stock available for sale; kept by commerce/inventory.").
			Annotations(entgql.Skip()),
	}
}

// Edges of the Product.
func (Product) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("category", Category.Type).
			Ref("products").Unique().Field("category_id"),
		edge.To("variants", ProductVariant.Type),
	}
}

// Indexes of the Product.
func (Product) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("status", "created_at"),
		index.Fields("status", "min_price"),
		index.Fields("status", "title"),
		index.Fields("category_id", "status"),
		// Listings of in-stock products: a category page (category_id IN
		// the subtree) counts and pages within a price range on the first;
		// a page across categories (or a category page, filtering by the
		// subtree) walks the second in price order. Both end with id
		// (SQLite's indexes hold the rowid anyway): ent counts COUNT(id),
		// so the count of a category page is an index-only scan on
		// PostgreSQL, and a page in price order is in the order of the
		// second, ties by id included, so PostgreSQL reads about as many
		// entries as it returns instead of whole groups of equal prices
		// for an incremental sort (33 entries for 25 at 100,000 products,
		// against 625). max_price, after id so that it changes no order,
		// lets a price filter (max_price >= min AND min_price <= max) be
		// decided from the index: without it a category page with a price
		// range fetched every candidate row to read max_price (a count of
		// 19,571 products: 64 ms on SQLite, 8 ms with it). The second ends
		// with category_id too, so that a page with a price range finds
		// its rows' IDs from the index alone (catalog's late row lookup).
		index.Fields("status", "in_stock", "category_id", "min_price", "id", "max_price"),
		index.Fields("status", "in_stock", "min_price", "id", "max_price", "category_id"),
		// A list in ID order: on SQLite an index on status alone is in
		// rowid order, so products(first: 50) reads 50 entries instead of
		// sorting every active product (the planner chose (status, title)
		// and a temporary B-tree).
		index.Fields("status"),
	}
}

// Annotations of the Product.
func (Product) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
	}
}

// Policy of the Product: see commerce/access.
func (Product) Policy() ent.Policy { return access.ProductPolicy() }
