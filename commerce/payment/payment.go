// Package payment takes payments through a Provider: authorize an amount,
// then capture it, void it, or refund it once captured. Amounts are int64
// minor units (see commerce/money). Simulated is the built-in provider for
// development and tests.
package payment

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"

	"storefront/commerce"
	"storefront/commerce/money"
)

// Provider takes payments. Implementations must be safe for concurrent use and idempotent per key.
type Provider interface {
	// Authorize holds amount on the payment method named by token; idempotencyKey makes a retry return the first result.
	Authorize(ctx context.Context, r AuthorizeRequest) (Authorization, error)
	// Capture takes the authorized money. Capturing twice is a no-op that returns nil.
	Capture(ctx context.Context, authorizationID string) error
	// Void releases an authorization that was not captured.
	Void(ctx context.Context, authorizationID string) error
	// Refund returns captured money in full. Refunding twice is a no-op that returns nil (never pays out twice).
	Refund(ctx context.Context, authorizationID string) error
}

// AuthorizeRequest asks a Provider to hold Amount minor units of Currency on
// the payment method named by Token.
type AuthorizeRequest struct {
	Amount   int64  // minor units; must be > 0
	Currency string // ISO 4217 code, such as "EUR"
	Token    string // names the payment method, as the client obtained it from the provider
	// IdempotencyKey makes a retried request return the first result instead
	// of authorizing again; "" means no idempotency.
	IdempotencyKey string
	Reference      string // the caller's reference, e.g. the order number
}

// Authorization is money held on a payment method, to capture or void later.
type Authorization struct {
	ID       string
	Amount   int64
	Currency string
}

// ErrDeclined: the payment method was refused; the client may try another (commerce.PaymentDeclined).
// Providers return it as is, so errors.Is(err, ErrDeclined) holds.
var ErrDeclined = &commerce.Error{Code: commerce.PaymentDeclined, Message: "the payment was declined"}

// The states of an authorization, as Entry.State reports them.
const (
	StateAuthorized = "authorized"
	StateCaptured   = "captured"
	StateVoided     = "voided"
	StateRefunded   = "refunded"
)

// Tokens that Simulated understands.
const (
	TokenVisa     = "tok_visa"     // authorizes ("" does too)
	TokenDeclined = "tok_declined" // is declined
)

// Entry is the ledger line of one authorization of a Simulated provider.
type Entry struct {
	State    string // StateAuthorized, StateCaptured, StateVoided or StateRefunded
	Amount   int64
	Currency string
	// Captures and Refunds count the calls that changed something: at most 1
	// each, whatever the retries.
	Captures, Refunds int
}

// Simulated is the built-in provider for development and tests. Tokens: "tok_visa" (and "" = default) succeed; "tok_declined" is declined; any other token is invalid (commerce.Invalid "unknown payment token"). DeclineAll makes every authorization fail (configurable, e.g. from an env var by the caller).
//
// One authorization moves authorized → captured → refunded, or authorized →
// voided. Repeating the move already made (capture of a captured or refunded
// authorization, refund of a refunded one, void of a voided one) is a no-op
// that returns nil. Any other move, or an unknown authorization ID, returns
// a commerce.Conflict error and changes nothing.
//
// A Simulated is safe for concurrent use; set DeclineAll before sharing it.
// The zero value is ready to use, as is NewSimulated().
// Every method first returns ctx.Err() if ctx is already done, doing
// nothing.
type Simulated struct {
	// DeclineAll makes every Authorize return ErrDeclined (after validating
	// the request).
	DeclineAll bool

	mu    sync.Mutex
	auths map[string]*Entry  // by authorization ID
	keys  map[string]outcome // by idempotency key
}

// outcome is the first result of an Authorize with an idempotency key.
type outcome struct {
	req  AuthorizeRequest
	auth Authorization
	err  error
}

var _ Provider = (*Simulated)(nil)

// NewSimulated returns a Simulated provider with no authorizations that
// accepts valid tokens.
func NewSimulated() *Simulated {
	return &Simulated{}
}

// Authorize holds r.Amount of r.Currency on the card named by r.Token and
// returns a new authorization with a random ID ("pay_" and 16 hex digits).
//
// Errors: commerce.Invalid for an amount not above 0, a currency that is not
// three upper-case letters, or an unknown token ("unknown payment token");
// ErrDeclined for "tok_declined" or when DeclineAll is set.
//
// With a non-empty IdempotencyKey, the first result (an authorization or
// ErrDeclined) is remembered and a retry with the same key returns it again
// without creating a second authorization. A retry must repeat the request:
// the same key with a different amount, currency, token or reference returns
// a commerce.Conflict error, so that a changed order is never paid with an
// authorization of the old amount. Invalid requests are not remembered.
func (s *Simulated) Authorize(ctx context.Context, r AuthorizeRequest) (Authorization, error) {
	if err := ctx.Err(); err != nil {
		return Authorization{}, err
	}
	if err := validate(r); err != nil {
		return Authorization{}, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if r.IdempotencyKey != "" {
		if o, ok := s.keys[r.IdempotencyKey]; ok {
			if o.req != r {
				return Authorization{}, commerce.Errorf(commerce.Conflict, "the idempotency key was already used for a different payment request")
			}
			return o.auth, o.err
		}
	}

	var (
		auth Authorization
		err  error
	)
	if s.DeclineAll || r.Token == TokenDeclined {
		err = ErrDeclined
	} else {
		auth = Authorization{ID: s.newID(), Amount: r.Amount, Currency: r.Currency}
		if s.auths == nil {
			s.auths = make(map[string]*Entry)
		}
		s.auths[auth.ID] = &Entry{State: StateAuthorized, Amount: r.Amount, Currency: r.Currency}
	}
	if r.IdempotencyKey != "" {
		if s.keys == nil {
			s.keys = make(map[string]outcome)
		}
		s.keys[r.IdempotencyKey] = outcome{req: r, auth: auth, err: err}
	}
	return auth, err
}

func validate(r AuthorizeRequest) error {
	if r.Amount <= 0 {
		return commerce.InvalidField([]string{"amount"}, "the amount to pay must be above 0")
	}
	if !money.ValidCurrency(r.Currency) {
		return commerce.InvalidField([]string{"currency"}, "%q is not an active ISO 4217 currency code such as EUR", r.Currency)
	}
	switch r.Token {
	case "", TokenVisa, TokenDeclined:
		return nil
	}
	return commerce.InvalidField([]string{"token"}, "unknown payment token")
}

// newID returns a fresh authorization ID; s.mu must be held.
func (s *Simulated) newID() string {
	var b [8]byte
	for {
		rand.Read(b[:]) // never fails (crypto/rand panics rather)
		id := "pay_" + hex.EncodeToString(b[:])
		if _, taken := s.auths[id]; !taken {
			return id
		}
	}
}

// Capture takes the money of an authorized payment. Capturing a payment
// already captured (or since refunded) is a no-op that returns nil. It
// returns a commerce.Conflict error for an unknown ID or a voided
// authorization.
func (s *Simulated) Capture(ctx context.Context, authorizationID string) error {
	return s.move(ctx, authorizationID, func(r *Entry) error {
		switch r.State {
		case StateAuthorized:
			r.State = StateCaptured
			r.Captures++
		case StateCaptured, StateRefunded:
		default:
			return commerce.Errorf(commerce.Conflict, "the payment was %s and cannot be captured", r.State)
		}
		return nil
	})
}

// Void releases an authorization that was not captured. Voiding it twice is
// a no-op that returns nil. It returns a commerce.Conflict error for an
// unknown ID or a captured or refunded payment (refund it instead).
func (s *Simulated) Void(ctx context.Context, authorizationID string) error {
	return s.move(ctx, authorizationID, func(r *Entry) error {
		switch r.State {
		case StateAuthorized:
			r.State = StateVoided
		case StateVoided:
		default:
			return commerce.Errorf(commerce.Conflict, "the payment was %s and cannot be voided; refund it instead", r.State)
		}
		return nil
	})
}

// Refund returns the captured money in full. Refunding twice is a no-op
// that returns nil: the money is paid back exactly once. It returns a
// commerce.Conflict error for an unknown ID or a payment that was not
// captured (void an authorization instead).
func (s *Simulated) Refund(ctx context.Context, authorizationID string) error {
	return s.move(ctx, authorizationID, func(r *Entry) error {
		switch r.State {
		case StateCaptured:
			r.State = StateRefunded
			r.Refunds++
		case StateRefunded:
		default:
			return commerce.Errorf(commerce.Conflict, "the payment was %s, not captured, and cannot be refunded", r.State)
		}
		return nil
	})
}

// move applies f to the ledger entry of id, under the lock.
func (s *Simulated) move(ctx context.Context, id string, f func(*Entry) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.auths[id]
	if !ok {
		return commerce.Errorf(commerce.Conflict, "no payment authorization %q", id)
	}
	return f(r)
}

// Ledger returns a snapshot per authorization ID: state (authorized, captured, voided, refunded), amount, and counts of capture/refund calls that changed something — so tests can assert "refunded exactly once".
// Declined authorizations have no entry. The map is the caller's to keep.
func (s *Simulated) Ledger() map[string]Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]Entry, len(s.auths))
	for id, r := range s.auths {
		m[id] = *r
	}
	return m
}
