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

// Session is one sign-in of a customer on one device: its access tokens
// carry its id, and its refresh tokens rotate within it. Revoking it signs
// the device out.
type Session struct {
	ent.Schema
}

// Fields of the Session.
func (Session) Fields() []ent.Field {
	return []ent.Field{
		field.Int("customer_id").Immutable(),
		field.Time("created_at").Immutable().Default(time.Now),
		field.Time("expires_at").Comment("Absolute end; refreshing does not extend it."),
		field.Time("revoked_at").Optional().Nillable(),
		field.String("user_agent").Default("").MaxLen(300),
	}
}

// Edges of the Session.
func (Session) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).
			Ref("sessions").Unique().Required().Immutable().Field("customer_id"),
		edge.To("refresh_tokens", RefreshToken.Type).
			Annotations(entsqlCascade()),
	}
}

// Indexes of the Session.
func (Session) Indexes() []ent.Index {
	return []ent.Index{index.Fields("customer_id")}
}

// Policy of the Session: only the identity service, in a system context.
func (Session) Policy() ent.Policy { return access.SystemOnly() }

// Annotations of the Session.
func (Session) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
