package schema

import (
	"storefront/commerce/access"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Category is a node of the catalogue tree. A product belongs to one
// category; filtering by a category includes its descendants.
type Category struct {
	ent.Schema
}

// Fields of the Category.
func (Category) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxRuneLen(200).
			Annotations(entgql.OrderField("NAME")),
		field.String("slug").Unique().NotEmpty().MaxLen(200),
		field.Text("description").Default(""),
		field.Int("position").Default(0).
			Comment("Order among siblings, smallest first.").
			Annotations(entgql.Skip()),
		field.Int("parent_id").Optional().Nillable().
			Annotations(entgql.Skip()),
		// Kept by the hook of commerce/catalog (catalog.Hooks) on every
		// category write, in its transaction; filled by database.Migrate.
		field.String("path").Default("").
			Comment(`The IDs from the top of the tree down to this category, as "/1/7/29/": a category's subtree is the categories whose path starts with its own.`).
			Annotations(entgql.Skip()),
		// Kept by triggers on products (commerce/catalog/counts.go) in the
		// transaction of every product write; filled by database.Migrate.
		field.Int("active_products").Default(0).
			Comment("ACTIVE products whose category is this one (not its descendants).").
			Annotations(entgql.Skip()),
		field.Int("in_stock_products").Default(0).
			Comment("ACTIVE products in stock whose category is this one (not its descendants).").
			Annotations(entgql.Skip()),
		// Kept by the same triggers: raised by every write that can change
		// which of the category's products a listing filter keeps.
		field.Int64("listing_version").Default(0).
			Comment("Raised by every write that can change a count of this category's ACTIVE products under some filter (membership, status, stock flag, price range); a remembered count of a subtree holds while its categories' versions are unchanged.").
			Annotations(entgql.Skip()),
	}
}

// Edges of the Category.
func (Category) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("children", Category.Type).
			From("parent").Unique().Field("parent_id"),
		// Exposed as a paginated, filterable connection in schema/catalog.graphql.
		edge.To("products", Product.Type).
			Annotations(entgql.Skip()),
	}
}

// Indexes of the Category.
func (Category) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("parent_id", "position"),
	}
}

// Annotations of the Category.
func (Category) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
	}
}

// Policy of the Category: see commerce/access.
func (Category) Policy() ent.Policy { return access.CatalogPolicy() }
