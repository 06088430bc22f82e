// Package commerce holds the shop's domain: the error vocabulary shared by
// every domain package lives here, the rules live in the sub-packages
// (catalog, inventory, money, ...). Nothing under commerce imports graph.
package commerce

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Code classifies an error. The GraphQL error presenter maps a domain
// error's code to extensions.code, in one place; the transport layers
// (httpserver, graph's HTTP transports, graph/oplimit) answer with the
// codes of this file too. A code is part of the API: clients compare the
// strings, so a constant's value never changes once it has shipped, and
// schema/common.graphql, customer.graphql and cart.graphql list them.
//
// This file is the one vocabulary: no other non-test Go file spells a code
// as a string literal (errors_test.go checks it). Two codes are gqlgen's
// own, set by its executor: GraphQLParseFailed equals
// github.com/99designs/gqlgen/graphql/errcode.ParseFailed and
// GraphQLValidationFailed equals errcode.ValidationFailed (graph's tests
// check both; commerce does not import gqlgen). PersistedQueryNotFound is
// also what gqlgen's automatic persisted queries answer for an unknown hash.
type Code string

// The error codes, as extensions.code of a GraphQL error or the code of a
// userError. Internal errors are logged and never shown to clients.
const (
	// Request and transport: the request was refused before (or instead
	// of) running its operation.

	// BadRequest: the HTTP request is malformed (undecodable JSON body or URL parameters, a batch, an unsupported websocket upgrade).
	BadRequest Code = "BAD_REQUEST"
	// MethodNotAllowed: an HTTP method other than GET and POST, or a mutation or subscription sent over GET (HTTP 405).
	MethodNotAllowed Code = "METHOD_NOT_ALLOWED"
	// UnsupportedMediaType: a POST body that is not application/json (HTTP 415).
	UnsupportedMediaType Code = "UNSUPPORTED_MEDIA_TYPE"
	// PayloadTooLarge: the request body is over the size limit (HTTP 413).
	PayloadTooLarge Code = "PAYLOAD_TOO_LARGE"
	// RequestTimeout: the request body did not arrive within the body read timeout (HTTP 408).
	RequestTimeout Code = "REQUEST_TIMEOUT"
	// GraphQLParseFailed: the document is not valid GraphQL syntax (gqlgen's errcode.ParseFailed).
	GraphQLParseFailed Code = "GRAPHQL_PARSE_FAILED"
	// GraphQLValidationFailed: the document does not validate, has no (such) operation, its variables do not fit, or it asks for introspection when that is off (gqlgen's errcode.ValidationFailed).
	GraphQLValidationFailed Code = "GRAPHQL_VALIDATION_FAILED"
	// PersistedQueryNotFound: a persisted query hash that the server does not know (send the query text with it, or register it as a trusted document).
	PersistedQueryNotFound Code = "PERSISTED_QUERY_NOT_FOUND"
	// TrustedDocumentRequired: the server runs only trusted documents and the request named none.
	TrustedDocumentRequired Code = "TRUSTED_DOCUMENT_REQUIRED"

	// Operation limits (graph/oplimit): the operation asks for too much.

	// DepthLimitExceeded: the operation nests fields deeper than the limit.
	DepthLimitExceeded Code = "DEPTH_LIMIT_EXCEEDED"
	// ComplexityLimitExceeded: the operation's cost is over the limit (extensions.cost tells both).
	ComplexityLimitExceeded Code = "COMPLEXITY_LIMIT_EXCEEDED"
	// SelectionLimitExceeded: too many field selections once fragments are expanded, or in one selection set.
	SelectionLimitExceeded Code = "SELECTION_LIMIT_EXCEEDED"
	// AliasLimitExceeded: the operation has more aliased fields than the limit.
	AliasLimitExceeded Code = "ALIAS_LIMIT_EXCEEDED"
	// RootFieldLimitExceeded: the operation has more root fields than the limit.
	RootFieldLimitExceeded Code = "ROOT_FIELD_LIMIT_EXCEEDED"
	// ResponseTooLarge: the answer would be larger than the response limit; ask for less.
	ResponseTooLarge Code = "RESPONSE_TOO_LARGE"
	// Timeout: the operation was cancelled or ran past its deadline; the fields not done carry it.
	Timeout Code = "TIMEOUT"

	// Authentication and permission.

	// Unauthenticated: sign in first, or the access token presented was refused (invalid, expired, session ended).
	Unauthenticated Code = "UNAUTHENTICATED"
	// Forbidden: the signed-in viewer may not do this.
	Forbidden Code = "FORBIDDEN"
	// InvalidCredentials: a wrong email or password at sign-in, or a wrong current password (a userError).
	InvalidCredentials Code = "INVALID_CREDENTIALS"
	// RateLimited: a per-client budget or limit is spent; retry after extensions.retryAfterSeconds (and Retry-After).
	RateLimited Code = "RATE_LIMITED"

	// Input: the user can correct the request.

	// Invalid: an argument or input field is wrong; extensions.field (or UserError.field) names it.
	Invalid Code = "BAD_USER_INPUT"
	// NotFound: the object named does not exist or the viewer may not see it.
	NotFound Code = "NOT_FOUND"
	// Taken: a unique value (email, slug, SKU, warehouse code) is already in use.
	Taken Code = "TAKEN"

	// Domain: the shop's rules refused the change.

	// Conflict: the object changed meanwhile or is in a state that does not allow the change (expectedVersion, order status, idempotency key).
	Conflict Code = "CONFLICT"
	// OutOfStock: fewer units are available than asked (a userError of checkout; as a cart warning, none are left); inventory.OutOfStock is the same code.
	OutOfStock Code = "OUT_OF_STOCK"
	// NotEnoughStock: a cart warning: the cart holds more units than are available (CartWarning.availableQuantity).
	NotEnoughStock Code = "NOT_ENOUGH_STOCK"
	// LineLimit: a cart warning of a guest-cart merge: units (or lines) past a cart's limits (999 per line, 100 lines) were left out.
	LineLimit Code = "LINE_LIMIT"
	// PaymentDeclined: the payment method was refused; the client may try another.
	PaymentDeclined Code = "PAYMENT_DECLINED"

	// Internal: an unexpected failure, logged with the request id that extensions.requestId shows.
	Internal Code = "INTERNAL"
)

// Error is a domain error whose message is safe to show to a client.
type Error struct {
	Code    Code
	Message string
	// Field optionally names the input field at fault, as a path.
	Field []string
	// RetryAfter, on a RateLimited error, is how long the client should
	// wait before trying again (extensions.retryAfterSeconds and the HTTP
	// Retry-After header).
	RetryAfter time.Duration
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with a formatted, client-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidField returns an Invalid error that names the input field at fault.
func InvalidField(field []string, format string, args ...any) *Error {
	return &Error{Code: Invalid, Message: fmt.Sprintf(format, args...), Field: field}
}

// RateLimitedFor returns a RateLimited error that tells the client to wait
// at least wait (rounded up to whole seconds, at least one) before retrying.
func RateLimitedFor(wait time.Duration, format string, args ...any) *Error {
	return &Error{Code: RateLimited, Message: fmt.Sprintf(format, args...), RetryAfter: max(wait, time.Second)}
}

// RetryAfterSeconds is e.RetryAfter in whole seconds, rounded up; 0 when
// e carries no wait.
func (e *Error) RetryAfterSeconds() int {
	if e.RetryAfter <= 0 {
		return 0
	}
	return int(math.Ceil(e.RetryAfter.Seconds()))
}

// ErrorCode returns the code of err: the code of the first *Error in its
// chain, or Internal when there is none.
func ErrorCode(err error) Code {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return Internal
}
