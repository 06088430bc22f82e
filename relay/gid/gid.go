// Package gid encodes and decodes the opaque global IDs of the GraphQL API.
//
// A global ID names a type and a row, "Product:42", and is sent to clients
// as unpadded URL-safe base64 so that it can travel in URLs unchanged.
// Clients must treat it as opaque; the server decodes it to find the table.
package gid

import (
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
	"strings"

	"storefront/commerce"
)

// ID is a decoded global ID: the GraphQL type name and the row's primary key.
type ID struct {
	Type string
	ID   int
}

// The GraphQL types whose global IDs the API reads in arguments or writes
// outside ent's generated GlobalID methods.
const (
	TypeAddress        = "Address"
	TypeCart           = "Cart"
	TypeCartLine       = "CartLine"
	TypeCategory       = "Category"
	TypeOrder          = "Order"
	TypeProduct        = "Product"
	TypeProductVariant = "ProductVariant"
	TypeWarehouse      = "Warehouse"
)

// New returns the global ID of row id of GraphQL type typ.
func New(typ string, id int) ID { return ID{Type: typ, ID: id} }

// String returns the encoded, opaque form sent to clients.
func (g ID) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(g.Type + ":" + strconv.Itoa(g.ID)))
}

// Parse decodes an opaque global ID. It returns a commerce.Invalid error when
// s is not a global ID issued by this server.
func Parse(s string) (ID, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return ID{}, malformed(s)
	}
	typ, num, ok := strings.Cut(string(raw), ":")
	if !ok || typ == "" {
		return ID{}, malformed(s)
	}
	for _, r := range typ {
		if (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') {
			return ID{}, malformed(s)
		}
	}
	id, err := strconv.Atoi(num)
	if err != nil || id <= 0 || strconv.Itoa(id) != num {
		return ID{}, malformed(s)
	}
	return ID{Type: typ, ID: id}, nil
}

// ParseAs decodes s and checks that it names a row of type typ.
// It returns a commerce.Invalid error otherwise.
func ParseAs(s, typ string) (int, error) {
	g, err := Parse(s)
	if err != nil {
		return 0, err
	}
	if g.Type != typ {
		return 0, commerce.Errorf(commerce.Invalid, "ID %q is not a %s ID", s, typ)
	}
	return g.ID, nil
}

func malformed(s string) error {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return commerce.Errorf(commerce.Invalid, "malformed ID %q", s)
}

// MarshalGQL writes the ID as a GraphQL ID (a JSON string).
func (g ID) MarshalGQL(w io.Writer) {
	// The encoded form only holds base64url characters: no escaping needed.
	_, _ = io.WriteString(w, `"`+g.String()+`"`)
}

// AppendGQL appends what MarshalGQL writes to b, without allocating when b
// has room (the direct writer of internal/fastexec uses it).
func (g ID) AppendGQL(b []byte) []byte {
	var raw [64]byte
	r := append(raw[:0], g.Type...)
	r = append(r, ':')
	r = strconv.AppendInt(r, int64(g.ID), 10)
	b = append(b, '"')
	b = base64.RawURLEncoding.AppendEncode(b, r)
	return append(b, '"')
}

// UnmarshalGQL reads a GraphQL ID argument.
func (g *ID) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return commerce.Errorf(commerce.Invalid, "an ID must be a string, got %T", v)
	}
	parsed, err := Parse(s)
	if err != nil {
		return err
	}
	*g = parsed
	return nil
}

// GoString helps test failure messages.
func (g ID) GoString() string { return fmt.Sprintf("gid.ID{%s:%d}", g.Type, g.ID) }
