// Package viewer carries who is asking through the context: an anonymous
// shopper, a signed-in customer or a staff member. It imports nothing from
// the project, so that ent privacy rules, the domain and the transports can
// all read it.
package viewer

import "context"

// Role is what a signed-in account may do.
type Role string

// The roles. The zero Role is an anonymous shopper.
const (
	Anonymous Role = ""
	Customer  Role = "CUSTOMER"
	Staff     Role = "STAFF"
)

// Viewer is the identity of one request.
type Viewer struct {
	// CustomerID is the signed-in account, 0 when anonymous.
	CustomerID int
	Role       Role
	// SessionID is the sign-in session of the access token.
	SessionID int
	// TokenError is set when a token was presented but refused (expired,
	// tampered, revoked): the request runs anonymously, and anything that
	// needs a signed-in viewer reports this error instead of a generic one.
	TokenError error
	// ClientIP is the address rate limits count against.
	ClientIP string
	// UserAgent names the client program, recorded on new sessions.
	UserAgent string
}

// SignedIn reports whether the viewer is a customer or staff member.
func (v Viewer) SignedIn() bool { return v.CustomerID != 0 }

// IsStaff reports whether the viewer is a staff member.
func (v Viewer) IsStaff() bool { return v.CustomerID != 0 && v.Role == Staff }

type ctxKey struct{}

// NewContext returns ctx carrying v.
func NewContext(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// FromContext returns the viewer of ctx; an anonymous viewer when none.
func FromContext(ctx context.Context) Viewer {
	v, _ := ctx.Value(ctxKey{}).(Viewer)
	return v
}
