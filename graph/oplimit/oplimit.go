// Package oplimit bounds the work one GraphQL operation can ask for, before
// any of it is done.
//
// Two checks run on every operation:
//
//   - Before validation, on the parsed document: depth, the number of field
//     selections once fragments are expanded, the fields one selection set
//     holds (what field-merging validation compares pairwise), aliases and
//     root fields, and every string value (no NUL, valid UTF-8, bounded
//     length) of the document and of the variables. Each fragment is
//     measured once, so the check costs time in proportion to the text.
//   - After validation, with the variables: the cost. Every field costs 1;
//     a list multiplies its children by the longest it can be (connections
//     by first or last, plain lists by a declared Bound that the domain
//     enforces).
//
// Refusals are GraphQL errors with extensions.code, codes of the one
// vocabulary in storefront/commerce (DEPTH_LIMIT_EXCEEDED,
// COMPLEXITY_LIMIT_EXCEEDED, SELECTION_LIMIT_EXCEEDED, ALIAS_LIMIT_EXCEEDED,
// ROOT_FIELD_LIMIT_EXCEEDED, BAD_USER_INPUT) and, for cost, extensions.cost
// with the requested cost and the limit. Accepted operations report their
// cost in the response's extensions.cost.
package oplimit

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"storefront/commerce"
)

// Limits bound one operation. Zero values take the defaults.
type Limits struct {
	// MaxCost is the highest cost an operation may have (default 20,000).
	MaxCost int
	// MaxDepth is the deepest field nesting (default 12; introspection's
	// ofType chains do not count).
	MaxDepth int
	// MaxSelections is the most field selections a document may have
	// once its fragments are expanded (default 2,000).
	MaxSelections int
	// MaxFieldsPerSet is the most fields one selection set may hold with
	// the fragments spread into it (default 200).
	MaxFieldsPerSet int
	// MaxAliases is the most aliased fields (default 50).
	MaxAliases int
	// MaxRootFields is the most root fields of one operation (default 30).
	MaxRootFields int
	// MaxStringBytes is the longest string value, in bytes (default 65,536).
	MaxStringBytes int
	// TokenLimit is the parser's token limit (default 15,000); the server's
	// must be the same.
	TokenLimit int
	// Timeout bounds the execution of a query or mutation (default 5 s;
	// subscriptions are not bounded): its context is cancelled then, which
	// stops database work, and the fields not done answer TIMEOUT.
	Timeout time.Duration
	// MaxResponseBytes bounds the data of one answer (default 8 MiB); a
	// larger one is replaced by a RESPONSE_TOO_LARGE error.
	MaxResponseBytes int
}

func (l *Limits) defaults() {
	set := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	set(&l.MaxCost, 20000)
	set(&l.MaxDepth, 12)
	set(&l.MaxSelections, 2000)
	set(&l.MaxFieldsPerSet, 200)
	set(&l.MaxAliases, 50)
	set(&l.MaxRootFields, 30)
	set(&l.MaxStringBytes, 64<<10)
	set(&l.TokenLimit, 15000)
	set(&l.MaxResponseBytes, 8<<20)
	if l.Timeout <= 0 {
		l.Timeout = 5 * time.Second
	}
}

// Known says whether a query text is one the server already parsed and
// validated (gqlgen's query cache): its shape was checked then.
type Known func(ctx context.Context, query string) bool

// Extension is the gqlgen handler extension that enforces Limits. Add it
// after the persisted-query extensions, so that it sees the query text.
type Extension struct {
	limits Limits
	spec   Model
	known  Known
	model  *costModel
	// Charge, when set, is called with the cost of each accepted operation
	// before it runs; an error refuses it (a per-client budget).
	Charge func(ctx context.Context, cost int) error
}

var (
	_ graphql.HandlerExtension          = (*Extension)(nil)
	_ graphql.OperationParameterMutator = (*Extension)(nil)
	_ graphql.OperationContextMutator   = (*Extension)(nil)
	_ graphql.ResponseInterceptor       = (*Extension)(nil)
)

// New returns the extension; known may be nil.
func New(limits Limits, model Model, known Known) *Extension {
	limits.defaults()
	if model.Paging.Max <= 0 {
		model.Paging.Max = 100
	}
	if model.Paging.Default <= 0 {
		model.Paging.Default = min(20, model.Paging.Max)
	}
	return &Extension{limits: limits, spec: model, known: known}
}

// Limits returns the limits in force.
func (e *Extension) Limits() Limits { return e.limits }

// ExtensionName implements graphql.HandlerExtension.
func (e *Extension) ExtensionName() string { return "OperationLimits" }

// Validate builds the cost model; it fails when a list field of the schema
// has no declared bound.
func (e *Extension) Validate(schema graphql.ExecutableSchema) error {
	m, err := newCostModel(schema.Schema(), e.spec)
	if err != nil {
		return err
	}
	e.model = m
	return nil
}

// MutateOperationParameters checks the document's shape and every string
// value before gqlgen validates the document.
func (e *Extension) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if err := e.checkVariables(p.Variables); err != nil {
		return err
	}
	if p.Query == "" || (e.known != nil && e.known(ctx, p.Query)) {
		return nil
	}
	if !utf8.ValidString(p.Query) {
		return coded(commerce.Invalid, "the document is not valid UTF-8")
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, e.limits.TokenLimit)
	if err != nil {
		return nil // gqlgen parses it again and reports the error
	}
	if err := e.checkLiterals(doc); err != nil {
		return err
	}
	s := measure(doc)
	l := e.limits
	switch {
	case s.merged > int64(l.MaxFieldsPerSet):
		return coded(commerce.SelectionLimitExceeded, "a selection set holds %s fields with its fragments; the limit is %d", count(s.merged), l.MaxFieldsPerSet)
	case s.expanded > int64(l.MaxSelections):
		return coded(commerce.SelectionLimitExceeded, "the operation selects %s fields once its fragments are expanded; the limit is %d", count(s.expanded), l.MaxSelections)
	case s.depth > l.MaxDepth:
		return coded(commerce.DepthLimitExceeded, "the operation is %d levels deep; the limit is %d", s.depth, l.MaxDepth)
	case s.aliases > int64(l.MaxAliases):
		return coded(commerce.AliasLimitExceeded, "the operation has %s aliased fields; the limit is %d", count(s.aliases), l.MaxAliases)
	case s.rootFields > int64(l.MaxRootFields):
		return coded(commerce.RootFieldLimitExceeded, "the operation has %s root fields; the limit is %d", count(s.rootFields), l.MaxRootFields)
	}
	return nil
}

type costKey struct{}

type costInfo struct{ requested, limit int }

// MutateOperationContext prices the validated operation and refuses it when
// it costs more than the limit; then charges the client's budget.
func (e *Extension) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation == nil || e.model == nil {
		return nil
	}
	c := e.model.cost(op.Operation, op.Variables, int64(e.limits.MaxCost))
	info := costInfo{requested: int(min(c, int64(1<<31-1))), limit: e.limits.MaxCost}
	if c > int64(e.limits.MaxCost) {
		err := coded(commerce.ComplexityLimitExceeded, "the operation costs %s; the limit is %d", count(c), e.limits.MaxCost)
		err.Extensions["cost"] = info.ext()
		return err
	}
	if e.Charge != nil {
		if err := e.Charge(ctx, info.requested); err != nil {
			return presentable(err)
		}
	}
	op.Stats.SetExtension("oplimit.cost", info)
	return nil
}

// InterceptResponse runs a query or mutation under the deadline, bounds
// the size of its answer and reports its cost in extensions.cost.
func (e *Extension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if !graphql.HasOperationContext(ctx) {
		return next(ctx)
	}
	op := graphql.GetOperationContext(ctx)
	if op.Operation != nil && op.Operation.Operation != ast.Subscription {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.limits.Timeout)
		defer cancel()
	}
	resp := next(ctx)
	if resp == nil {
		return resp
	}
	if len(resp.Data) > e.limits.MaxResponseBytes {
		resp.Data = []byte("null")
		resp.Errors = append(gqlerror.List{coded(commerce.ResponseTooLarge, "the answer is larger than %d bytes; ask for fewer fields or a smaller page", e.limits.MaxResponseBytes)}, resp.Errors...)
	}
	info, ok := op.Stats.GetExtension("oplimit.cost").(costInfo)
	if !ok {
		return resp
	}
	if resp.Extensions == nil {
		resp.Extensions = map[string]any{}
	}
	resp.Extensions["cost"] = info.ext()
	return resp
}

// CostOf is what extensions.cost reports for an accepted operation, or nil
// (for an answer served without running it, such as a cached one).
func CostOf(op *graphql.OperationContext) map[string]any {
	if op == nil {
		return nil
	}
	if info, ok := op.Stats.GetExtension("oplimit.cost").(costInfo); ok {
		return info.ext()
	}
	return nil
}

func (c costInfo) ext() map[string]any {
	return map[string]any{"requested": c.requested, "limit": c.limit}
}

// checkVariables refuses NUL, invalid UTF-8 and over-long strings anywhere
// in the variables, naming the path of the value at fault.
func (e *Extension) checkVariables(vars map[string]any) *gqlerror.Error {
	for name, v := range vars {
		if path, why := e.badValue(v, []string{name}); why != "" {
			err := coded(commerce.Invalid, "variable $%s: %s", strings.Join(path, "."), why)
			err.Extensions["field"] = path
			return err
		}
	}
	return nil
}

func (e *Extension) badValue(v any, path []string) ([]string, string) {
	switch v := v.(type) {
	case string:
		return path, e.badString(v)
	case []any:
		for i, x := range v {
			if p, why := e.badValue(x, append(path, fmt.Sprint(i))); why != "" {
				return p, why
			}
		}
	case map[string]any:
		for k, x := range v {
			if why := e.badString(k); why != "" {
				return path, "an object key " + why
			}
			if p, why := e.badValue(x, append(path, k)); why != "" {
				return p, why
			}
		}
	}
	return nil, ""
}

func (e *Extension) badString(s string) string {
	switch {
	case len(s) > e.limits.MaxStringBytes:
		return fmt.Sprintf("a string of %d bytes is longer than the limit of %d", len(s), e.limits.MaxStringBytes)
	case strings.IndexByte(s, 0) >= 0:
		return "strings may not contain the NUL character"
	case !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError):
		// encoding/json turns invalid UTF-8 and lone surrogates into
		// U+FFFD: refuse it rather than store a replacement.
		return "strings must be valid UTF-8"
	}
	return ""
}

// checkLiterals applies the string rules to every value written in the
// document.
func (e *Extension) checkLiterals(doc *ast.QueryDocument) *gqlerror.Error {
	var bad *gqlerror.Error
	var walkValue func(v *ast.Value)
	walkValue = func(v *ast.Value) {
		if v == nil || bad != nil {
			return
		}
		if v.Kind == ast.StringValue || v.Kind == ast.BlockValue {
			if why := e.badString(v.Raw); why != "" {
				bad = coded(commerce.Invalid, "%s", why)
				if v.Position != nil {
					bad.Locations = []gqlerror.Location{{Line: v.Position.Line, Column: v.Position.Column}}
				}
			}
		}
		for _, c := range v.Children {
			walkValue(c.Value)
		}
	}
	walkDirs := func(ds ast.DirectiveList) {
		for _, d := range ds {
			for _, a := range d.Arguments {
				walkValue(a.Value)
			}
		}
	}
	var walkSet func(sel ast.SelectionSet)
	walkSet = func(sel ast.SelectionSet) {
		for _, x := range sel {
			switch x := x.(type) {
			case *ast.Field:
				for _, a := range x.Arguments {
					walkValue(a.Value)
				}
				walkDirs(x.Directives)
				walkSet(x.SelectionSet)
			case *ast.InlineFragment:
				walkDirs(x.Directives)
				walkSet(x.SelectionSet)
			case *ast.FragmentSpread:
				walkDirs(x.Directives)
			}
		}
	}
	for _, op := range doc.Operations {
		for _, v := range op.VariableDefinitions {
			walkValue(v.DefaultValue)
		}
		walkDirs(op.Directives)
		walkSet(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		walkDirs(f.Directives)
		walkSet(f.SelectionSet)
	}
	return bad
}

func coded(code commerce.Code, format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...), Extensions: map[string]any{"code": string(code)}}
}

// presentable turns a Charge error into a GraphQL error; gqlgen runs the
// error presenter on it, which adds the domain error's code.
func presentable(err error) *gqlerror.Error {
	if g, ok := err.(*gqlerror.Error); ok {
		return g
	}
	return &gqlerror.Error{Message: err.Error(), Err: err}
}

// count prints a saturated count as "more than 2^40".
func count(n int64) string {
	if n >= saturate {
		return "more than 1,099,511,627,776"
	}
	return fmt.Sprint(n)
}
