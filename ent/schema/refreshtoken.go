package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"storefront/commerce/access"
)

// RefreshToken is one refresh token of a session, stored as a SHA-256 hash.
// It is used once: refreshing marks it used and issues the next one; a used
// token presented again means it leaked, and the session is revoked.
type RefreshToken struct {
	ent.Schema
}

// Fields of the RefreshToken.
func (RefreshToken) Fields() []ent.Field {
	return []ent.Field{
		field.Int("session_id").Immutable(),
		field.Bytes("token_hash").Unique().Immutable().Sensitive(),
		field.Time("created_at").Immutable().Default(time.Now),
		field.Time("used_at").Optional().Nillable(),
	}
}

// Edges of the RefreshToken.
func (RefreshToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("session", Session.Type).
			Ref("refresh_tokens").Unique().Required().Immutable().Field("session_id"),
	}
}

// Policy of the RefreshToken: only the identity service, in a system context.
func (RefreshToken) Policy() ent.Policy { return access.SystemOnly() }

// Annotations of the RefreshToken.
func (RefreshToken) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
