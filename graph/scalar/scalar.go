// Package scalar holds the GraphQL scalars whose wire format the project
// chooses itself: Int64 as a string, and Relay cursors with a clear error.
package scalar

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/99designs/gqlgen/graphql"

	"storefront/commerce"
	"storefront/ent"
)

// MarshalInt64 writes v as a JSON string of decimal digits.
func MarshalInt64(v int64) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, `"`+strconv.FormatInt(v, 10)+`"`)
	})
}

// UnmarshalInt64 reads a string of decimal digits or an integer.
func UnmarshalInt64(v any) (int64, error) {
	switch v := v.(type) {
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, commerce.Errorf(commerce.Invalid, "%q is not a 64-bit integer", v)
		}
		return n, nil
	case json.Number:
		n, err := v.Int64()
		if err != nil {
			return 0, commerce.Errorf(commerce.Invalid, "%s is not a 64-bit integer", v)
		}
		return n, nil
	case int64:
		return v, nil
	case int:
		return int64(v), nil
	default:
		return 0, commerce.Errorf(commerce.Invalid, "an Int64 must be a string of digits, got %T", v)
	}
}

// MarshalCursor writes a pagination cursor.
func MarshalCursor(c ent.Cursor) graphql.Marshaler {
	return graphql.WriterFunc(c.MarshalGQL)
}

// UnmarshalCursor reads a cursor that this server issued. Anything else is a
// commerce.Invalid error rather than an internal one.
func UnmarshalCursor(v any) (ent.Cursor, error) {
	var c ent.Cursor
	if err := c.UnmarshalGQL(v); err != nil {
		return c, commerce.Errorf(commerce.Invalid, "invalid cursor: %s", describe(v))
	}
	return c, nil
}

func describe(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return strconv.Quote(s)
}
