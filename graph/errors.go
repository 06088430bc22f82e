package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"storefront/commerce"
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
			setCode(gqlErr, e.Code)
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
			setCode(gqlErr, commerce.BadRequest)
			return gqlErr
		}
		switch {
		case errors.Is(err, privacy.Deny):
			// The access rules' denials carry their domain error (FORBIDDEN
			// or UNAUTHENTICATED, decided in commerce/access) and were
			// presented above; a bare Deny is refused without a reason.
			gqlErr.Message = "you are not allowed to do this"
			setCode(gqlErr, commerce.Forbidden)
			return gqlErr
		case ent.IsNotFound(err):
			gqlErr.Message = "not found"
			setCode(gqlErr, commerce.NotFound)
			return gqlErr
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			gqlErr.Message = "the request was cancelled or took too long"
			setCode(gqlErr, commerce.Timeout)
			return gqlErr
		}
		id := requestid.From(ctx)
		logger.ErrorContext(ctx, "graphql: internal error", "request_id", id, "path", gqlErr.Path.String(), "err", err)
		gqlErr.Message = internalMessage(id)
		setCode(gqlErr, commerce.Internal)
		gqlErr.Extensions["requestId"] = id
		return gqlErr
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

// setCode sets extensions.code. The value is a plain string, as gqlgen's
// errcode and every reader of the extensions expect.
func setCode(e *gqlerror.Error, code commerce.Code) {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = string(code)
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
