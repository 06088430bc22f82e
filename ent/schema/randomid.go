package schema

import (
	"crypto/rand"
	"encoding/binary"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
)

// RandomIDMixin gives a type random 62-bit primary keys instead of a
// sequence. Carts and orders use it: a guest reaches their cart or order by
// its ID alone, so the ID must be unguessable (and must not reveal how many
// orders the shop takes).
type RandomIDMixin struct {
	mixin.Schema
}

// Fields of the RandomIDMixin.
func (RandomIDMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Int("id").Immutable().DefaultFunc(randomID),
	}
}

func randomID() int {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("schema: no randomness for an ID: " + err.Error())
	}
	// 62 bits, never 0: positive in every database and in JavaScript-safe
	// strings (IDs travel base64-encoded, never as JSON numbers).
	return int(binary.BigEndian.Uint64(b[:])>>2) | 1
}
