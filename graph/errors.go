package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"storefront/commerce"
	"storefront/commerce/viewer"
	"storefront/ent"
	"storefront/ent/privacy"
	"storefront/internal/requestid"
)

// presentError is the one place where errors become GraphQL errors. Domain
// errors keep their message and get their code in extensions.code; errors
// that gqlgen already coded (parse, validation) keep theirs; anything else
// is internal: logged with the request id, shown as a generic message.
func presentError(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if e, ok := errors.AsType[*commerce.Error](err); ok {
			gqlErr.Message = e.Message
			setCode(gqlErr, string(e.Code))
			if len(e.Field) > 0 {
				gqlErr.Extensions["field"] = e.Field
			}
			if secs := e.RetryAfterSeconds(); secs > 0 {
				gqlErr.Extensions["retryAfterSeconds"] = secs
				retryAfter(ctx, secs)
			}
			return gqlErr
		}
		if _, coded := gqlErr.Extensions["code"]; coded {
			return gqlErr
		}
		// gqlgen's own request-level errors (an undecodable body, no query)
		// have neither a path nor a cause: the request was malformed.
		if ge, ok := err.(*gqlerror.Error); ok && len(ge.Path) == 0 && ge.Err == nil {
			gqlErr.Message = truncate(ge.Message, 200)
			setCode(gqlErr, "BAD_REQUEST")
			return gqlErr
		}
		switch {
		case errors.Is(err, privacy.Deny):
			denied(ctx, gqlErr)
			return gqlErr
		case ent.IsNotFound(err):
			gqlErr.Message = "not found"
			setCode(gqlErr, string(commerce.NotFound))
			return gqlErr
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			gqlErr.Message = "the request was cancelled or took too long"
			setCode(gqlErr, "TIMEOUT")
			return gqlErr
		}
		id := requestid.From(ctx)
		logger.ErrorContext(ctx, "graphql: internal error", "request_id", id, "path", gqlErr.Path.String(), "err", err)
		gqlErr.Message = internalMessage(id)
		setCode(gqlErr, string(commerce.Internal))
		gqlErr.Extensions["requestId"] = id
		return gqlErr
	}
}

// denied explains a refusal by the access rules: the anonymous are asked to
// sign in (or told why their token was refused), the signed-in are refused.
func denied(ctx context.Context, e *gqlerror.Error) {
	v := viewer.FromContext(ctx)
	switch {
	case v.TokenError != nil:
		e.Message = v.TokenError.Error()
		setCode(e, string(commerce.Unauthenticated))
	case !v.SignedIn():
		e.Message = "sign in to do this"
		setCode(e, string(commerce.Unauthenticated))
	default:
		e.Message = "you are not allowed to do this"
		setCode(e, string(commerce.Forbidden))
	}
}

func internalMessage(id string) string {
	if id == "" {
		return "internal server error"
	}
	return fmt.Sprintf("internal server error (request id %s)", id)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

func setCode(e *gqlerror.Error, code string) {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = code
}

// recoverPanic turns a panic in a resolver into an internal error instead of
// killing the process; the stack goes to the log, not to the client.
func recoverPanic(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		logger.ErrorContext(ctx, "graphql: panic in resolver", "request_id", requestid.From(ctx), "panic", fmt.Sprint(p), "stack", stack())
		return errPanic
	}
}

var errPanic = errors.New("panic in resolver")
