// Package fastexec is the runtime of the direct writer that
// internal/gqlgenerate adds to gqlgen's executor (graph/generated,
// fastexec.generated.go).
//
// gqlgen marshals every object through a field set, a field context and a
// derived context per field, a closure per scalar value and a goroutine per
// list element. The direct writer answers the same selection by writing the
// JSON of a whole subtree into one buffer, reading struct fields, context-free
// methods and the resolvers named as pure (see internal/gqlgenerate) in order.
// Everything else (a resolver that may wait for a loader, a field with
// arguments, an interface, an error, a null in a non-null position) is handed
// back to gqlgen's own code for that one field ("delegated"), with the field
// contexts of its path built on demand, so that errors, paths, null
// propagation and the loaders' batching stay gqlgen's.
//
// A State is one subtree being written; it is not safe for concurrent use.
package fastexec

import (
	"context"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

var disabled atomic.Bool

// Enabled reports whether the direct writer is on (it is, unless a test
// turned it off to compare the two executors' answers byte for byte).
func Enabled() bool { return !disabled.Load() }

// SetEnabled switches the direct writer on or off, for tests.
func SetEnabled(on bool) { disabled.Store(!on) }

// Results of writing one field's value.
const (
	// OK: the value was written.
	OK int8 = iota
	// Invalid: the value is null where the schema says non-null below it
	// (the error is already recorded, by gqlgen's code for the field that
	// failed): the enclosing value becomes null, as in gqlgen.
	Invalid
	// Delegate: the direct writer cannot answer this value (an error to
	// record, a null to report, a list to resolve concurrently); the caller
	// drops what was written for the field and runs gqlgen's code for it.
	Delegate
)

// State is the buffer, the path and the collected fields of one subtree.
type State struct {
	oc    *graphql.OperationContext
	base  context.Context
	buf   []byte
	path  []elem
	ctxs  []context.Context
	plans []plan
	// resolvers holds the resolver of each object type, by the slot the
	// generated code gives the type.
	resolvers []any
	// ready are the fields the operation marked ready (MarkReady).
	ready *readyFields
}

type readyKey struct{}

// readyFields are the fields of an operation's document whose resolvers
// will not wait (see MarkReady).
type readyFields struct {
	mu     sync.RWMutex
	fields map[*ast.Field]struct{}
}

// WithReadyFields returns a context in which MarkReady can record fields,
// for one response.
func WithReadyFields(ctx context.Context) context.Context {
	return context.WithValue(ctx, readyKey{}, &readyFields{})
}

// MarkReady records that field's resolver will not wait for any object it
// is asked for in this response: the loader it reads was primed for every
// object the field is selected on (graph/prime.go does it for the order
// pages). The direct writer then calls the resolver itself, in order,
// instead of handing the field, and the list around it, to gqlgen's
// concurrent code. A field marked by mistake still gets a right answer; its
// loader would only batch per object instead of per list.
func MarkReady(ctx context.Context, field *ast.Field) {
	r, ok := ctx.Value(readyKey{}).(*readyFields)
	if !ok || field == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fields == nil {
		r.fields = map[*ast.Field]struct{}{}
	}
	r.fields[field] = struct{}{}
}

// Ready reports whether the operation marked field ready.
func (s *State) Ready(field *ast.Field) bool {
	if s.ready == nil {
		return false
	}
	s.ready.mu.RLock()
	defer s.ready.mu.RUnlock()
	_, ok := s.ready.fields[field]
	return ok
}

// elem is one step of the path below the subtree's root: a field of an
// object (field != nil) or an index in a list.
type elem struct {
	object string
	field  *graphql.CollectedField
	index  int
}

// plan caches the collected fields of one field's selection, so that the
// elements of a list collect their fields once.
type plan struct {
	key    *graphql.CollectedField
	fields []graphql.CollectedField
}

var states = sync.Pool{New: func() any { return &State{buf: make([]byte, 0, 4096)} }}

// maxKept bounds the buffer a pooled State keeps between requests.
const maxKept = 256 << 10

// Begin starts a subtree whose root object is marshalled in ctx (which
// holds the root's field context).
func Begin(ctx context.Context, oc *graphql.OperationContext) *State {
	s := states.Get().(*State)
	s.oc, s.base = oc, ctx
	s.ready, _ = ctx.Value(readyKey{}).(*readyFields)
	return s
}

// Release returns s to the pool without a result.
func (s *State) Release() {
	s.oc, s.base, s.ready = nil, nil, nil
	s.buf = s.buf[:0]
	if cap(s.buf) > maxKept {
		s.buf = make([]byte, 0, 4096)
	}
	clear(s.path)
	s.path = s.path[:0]
	clear(s.ctxs)
	s.ctxs = s.ctxs[:0]
	clear(s.plans)
	s.plans = s.plans[:0]
	clear(s.resolvers)
	states.Put(s)
}

// Finish returns the JSON written and releases s.
func (s *State) Finish() graphql.Marshaler {
	out := Raw(append(make([]byte, 0, len(s.buf)), s.buf...))
	s.Release()
	return out
}

// Raw is JSON written by the direct writer.
type Raw []byte

// MarshalGQL writes r.
func (r Raw) MarshalGQL(w io.Writer) { _, _ = w.Write(r) }

// Fields returns the collected fields of f's selection on an object with
// the given implementors, collected once per State.
func (s *State) Fields(f *graphql.CollectedField, implementors []string) []graphql.CollectedField {
	for i := range s.plans {
		if s.plans[i].key == f {
			return s.plans[i].fields
		}
	}
	fields := graphql.CollectFields(s.oc, f.Selections, implementors)
	s.plans = append(s.plans, plan{key: f, fields: fields})
	return fields
}

// Deferred reports whether one of fields is deferred (the direct writer
// leaves @defer to gqlgen).
func Deferred(fields []graphql.CollectedField) bool {
	for i := range fields {
		if fields[i].IsDeferred() {
			return true
		}
	}
	return false
}

// Push enters field f of an object of type object.
func (s *State) Push(object string, f *graphql.CollectedField) {
	s.path = append(s.path, elem{object: object, field: f})
}

// PushIndex enters element i of a list.
func (s *State) PushIndex(i int) { s.path = append(s.path, elem{index: i}) }

// Pop leaves the last Push or PushIndex.
func (s *State) Pop() {
	s.path = s.path[:len(s.path)-1]
	if len(s.ctxs) > len(s.path) {
		s.ctxs[len(s.path)] = nil
		s.ctxs = s.ctxs[:len(s.path)]
	}
}

// Ctx is the context gqlgen's code for a field of the current object
// expects: the subtree's root context with a field context for every step
// of the path, built only when a field is delegated (and kept for its
// siblings).
func (s *State) Ctx() context.Context {
	for len(s.ctxs) < len(s.path) {
		parent := s.base
		if n := len(s.ctxs); n > 0 {
			parent = s.ctxs[n-1]
		}
		e := &s.path[len(s.ctxs)]
		var fc *graphql.FieldContext
		if e.field == nil {
			idx := e.index
			fc = &graphql.FieldContext{Index: &idx}
		} else {
			fc = &graphql.FieldContext{Object: e.object, Field: *e.field, IsMethod: true}
		}
		s.ctxs = append(s.ctxs, graphql.WithFieldContext(parent, fc))
	}
	if len(s.path) == 0 {
		return s.base
	}
	return s.ctxs[len(s.path)-1]
}

// How Written decides that a delegated field nulls its object, as gqlgen's
// object marshallers do.
const (
	// CheckNone: a nullable field resolved in place never does.
	CheckNone int8 = iota
	// CheckNull: a non-null field does when its value is null.
	CheckNull
	// CheckRequired: a nullable field resolved concurrently does when it
	// answers graphql.RequiredNull.
	CheckRequired
)

// Written writes gqlgen's answer for a delegated field; false when it nulls
// the enclosing object (see CheckNull, CheckRequired).
func (s *State) Written(m graphql.Marshaler, check int8) bool {
	if m == nil {
		m = graphql.Null
	}
	m.MarshalGQL(s)
	switch check {
	case CheckNull:
		return m != graphql.Null
	case CheckRequired:
		return m != graphql.RequiredNull
	}
	return true
}

// Resolver is the resolver kept in slot k, or nil.
func (s *State) Resolver(k int) any {
	if k < len(s.resolvers) {
		return s.resolvers[k]
	}
	return nil
}

// SetResolver keeps r in slot k.
func (s *State) SetResolver(k int, r any) {
	for len(s.resolvers) <= k {
		s.resolvers = append(s.resolvers, nil)
	}
	s.resolvers[k] = r
}

// Buf is the JSON written so far, for a value's AppendGQL (see SetBuf).
func (s *State) Buf() []byte { return s.buf }

// SetBuf replaces the JSON written with b, which extends Buf().
func (s *State) SetBuf(b []byte) { s.buf = b }

// Mark is the length written so far, for Truncate.
func (s *State) Mark() int { return len(s.buf) }

// Truncate drops what was written after mark.
func (s *State) Truncate(mark int) { s.buf = s.buf[:mark] }

// Write appends p (State is the io.Writer that Marshalers write to).
func (s *State) Write(p []byte) (int, error) {
	s.buf = append(s.buf, p...)
	return len(p), nil
}

// WriteString appends str.
func (s *State) WriteString(str string) (int, error) {
	s.buf = append(s.buf, str...)
	return len(str), nil
}

// Byte appends one byte of JSON syntax.
func (s *State) Byte(c byte) { s.buf = append(s.buf, c) }

// Key writes the key of the i-th field of an object: alias is a GraphQL
// name, which needs no escaping.
func (s *State) Key(i int, alias string) {
	if i > 0 {
		s.buf = append(s.buf, ',')
	}
	s.buf = append(s.buf, '"')
	s.buf = append(s.buf, alias...)
	s.buf = append(s.buf, '"', ':')
}

// Null writes null.
func (s *State) Null() { s.buf = append(s.buf, "null"...) }

// Bool writes b as graphql.MarshalBoolean does.
func (s *State) Bool(b bool) { s.buf = strconv.AppendBool(s.buf, b) }

// Int writes i as graphql.MarshalInt and MarshalInt64 do.
func (s *State) Int(i int64) { s.buf = strconv.AppendInt(s.buf, i, 10) }

// Float writes f as graphql.MarshalFloat does (fmt's %g).
func (s *State) Float(f float64) { s.buf = strconv.AppendFloat(s.buf, f, 'g', -1, 64) }

// Time writes t as graphql.MarshalTime does (t is not zero).
func (s *State) Time(t time.Time) {
	s.buf = append(s.buf, '"')
	s.buf = t.AppendFormat(s.buf, time.RFC3339Nano)
	s.buf = append(s.buf, '"')
}

const hex = "0123456789ABCDEF" // upper case, as gqlgen writes them

// Str writes str quoted exactly as graphql.MarshalString does: only '"',
// '\\' and control characters are escaped, every other byte is copied
// (bytes of multi-byte UTF-8 sequences are all >= 0x80).
func (s *State) Str(str string) {
	b := append(s.buf, '"')
	start := 0
	for i := 0; i < len(str); i++ {
		c := str[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, str[start:i]...)
		switch c {
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		case '\n':
			b = append(b, '\\', 'n')
		case '\\':
			b = append(b, '\\', '\\')
		case '"':
			b = append(b, '\\', '"')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, str[start:]...)
	s.buf = append(b, '"')
}
