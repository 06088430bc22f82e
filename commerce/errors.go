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

// Code classifies a domain error. The GraphQL error presenter maps each code
// to extensions.code, in one place.
type Code string

// The error codes. Internal errors are logged and never shown to clients.
const (
	Invalid         Code = "BAD_USER_INPUT"
	NotFound        Code = "NOT_FOUND"
	Unauthenticated Code = "UNAUTHENTICATED"
	Forbidden       Code = "FORBIDDEN"
	Conflict        Code = "CONFLICT"
	RateLimited     Code = "RATE_LIMITED"
	Internal        Code = "INTERNAL"
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
