package graph

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"storefront/auth/authtoken"
	"storefront/commerce"
	"storefront/commerce/identity"
	"storefront/commerce/viewer"
	"storefront/ent"
	"storefront/graph/wstransport"
	"storefront/internal/requestid"
)

// authenticate puts the viewer of an HTTP request in its context: anonymous
// without an Authorization header, the token's customer with a valid
// bearer token, and anonymous-with-TokenError with a refused one (so that
// public data still loads and customerRefreshToken still works, while
// anything that needs a signed-in viewer says why it failed).
func authenticate(ids *identity.Service, logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := viewer.Viewer{ClientIP: clientIP(r), UserAgent: r.UserAgent()}
		ctx := r.Context()
		if h := r.Header.Get("Authorization"); h != "" {
			var (
				err error
				c   *ent.Customer
			)
			v, c, err = viewerFromToken(r.Context(), ids, h, v)
			ctx = identity.WithSignedIn(ctx, c)
			if err != nil {
				logger.ErrorContext(r.Context(), "auth: checking a token failed", "request_id", requestid.From(r.Context()), "err", err)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = w.Write([]byte(unavailableJSON))
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(viewer.NewContext(ctx, v)))
	})
}

// unavailableJSON is the answer when a token cannot be checked (the
// database is down): the request cannot run as anyone.
const unavailableJSON = `{"errors":[{"message":"service unavailable","extensions":{"code":"` + string(commerce.Internal) + `"}}]}`

// viewerFromToken checks an Authorization value ("Bearer <token>"), and
// returns the account it reads with the session. A refused token yields
// base with TokenError set; only an infrastructure failure is returned as
// an error.
func viewerFromToken(ctx context.Context, ids *identity.Service, header string, base viewer.Viewer) (viewer.Viewer, *ent.Customer, error) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(header), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		base.TokenError = authtoken.ErrInvalid
		return base, nil, nil
	}
	v, c, err := ids.AuthenticateCustomer(ctx, strings.TrimSpace(token))
	if identity.IsTokenError(err) {
		base.TokenError = err
		return base, nil, nil
	}
	if err != nil {
		return base, nil, err
	}
	v.ClientIP, v.UserAgent = base.ClientIP, base.UserAgent
	return v, c, nil
}

// websocketInit authenticates a websocket connection from the
// connection_init payload ({"Authorization": "Bearer <token>"}), since
// browsers cannot set headers on a websocket. A refused token closes the
// connection (graphql-transport-ws: 4403 Forbidden).
func websocketInit(ids *identity.Service) transport.WebsocketInitFunc {
	return func(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
		h := payload.Authorization()
		if h == "" {
			return ctx, nil, nil
		}
		v, _, err := viewerFromToken(ctx, ids, h, viewer.FromContext(ctx))
		if err != nil {
			return ctx, nil, err
		}
		if v.TokenError != nil {
			return wstransport.Refuse(ctx, v.TokenError.Error()), nil, v.TokenError
		}
		return viewer.NewContext(ctx, v), nil, nil
	}
}

// clientIP is the peer address of the request (httpserver replaces it with
// the forwarded one when proxy headers are trusted).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
