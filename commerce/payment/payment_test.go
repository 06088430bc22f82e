package payment

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"testing"

	"storefront/commerce"
)

var idPattern = regexp.MustCompile(`^pay_[0-9a-f]{16}$`)

func req(amount int64, token, key string) AuthorizeRequest {
	return AuthorizeRequest{Amount: amount, Currency: "EUR", Token: token, IdempotencyKey: key, Reference: "R-1"}
}

// authorize authorizes 12.50 EUR on tok_visa, failing the test on error.
func authorize(t *testing.T, s *Simulated) Authorization {
	t.Helper()
	a, err := s.Authorize(t.Context(), req(1250, TokenVisa, ""))
	if err != nil {
		t.Fatalf("Authorize: %v", err)
	}
	return a
}

func wantEntry(t *testing.T, s *Simulated, id string, want Entry) {
	t.Helper()
	got, ok := s.Ledger()[id]
	if !ok {
		t.Fatalf("no ledger entry for %s", id)
	}
	if got != want {
		t.Errorf("ledger[%s] = %+v, want %+v", id, got, want)
	}
}

func wantCode(t *testing.T, what string, err error, code commerce.Code) {
	t.Helper()
	if got := commerce.ErrorCode(err); err == nil || got != code {
		t.Errorf("%s: error %v (code %s), want code %s", what, err, got, code)
	}
}

func TestHappyPath(t *testing.T) {
	s := NewSimulated()
	ctx := t.Context()
	for _, token := range []string{TokenVisa, ""} {
		a, err := s.Authorize(ctx, req(1250, token, ""))
		if err != nil {
			t.Fatalf("Authorize(token %q): %v", token, err)
		}
		if !idPattern.MatchString(a.ID) || a.Amount != 1250 || a.Currency != "EUR" {
			t.Fatalf("Authorize = %+v, want pay_<16 hex>, 1250 EUR", a)
		}
		wantEntry(t, s, a.ID, Entry{State: StateAuthorized, Amount: 1250, Currency: "EUR"})
		if err := s.Capture(ctx, a.ID); err != nil {
			t.Fatalf("Capture: %v", err)
		}
		wantEntry(t, s, a.ID, Entry{State: StateCaptured, Amount: 1250, Currency: "EUR", Captures: 1})
		if err := s.Refund(ctx, a.ID); err != nil {
			t.Fatalf("Refund: %v", err)
		}
		wantEntry(t, s, a.ID, Entry{State: StateRefunded, Amount: 1250, Currency: "EUR", Captures: 1, Refunds: 1})
	}
	if n := len(s.Ledger()); n != 2 {
		t.Errorf("ledger has %d entries, want 2", n)
	}
}

func TestVoid(t *testing.T) {
	s := NewSimulated()
	ctx := t.Context()
	a := authorize(t, s)
	if err := s.Void(ctx, a.ID); err != nil {
		t.Fatalf("Void: %v", err)
	}
	if err := s.Void(ctx, a.ID); err != nil {
		t.Errorf("second Void: %v, want a no-op", err)
	}
	wantEntry(t, s, a.ID, Entry{State: StateVoided, Amount: 1250, Currency: "EUR"})
	wantCode(t, "Capture after Void", s.Capture(ctx, a.ID), commerce.Conflict)
	wantCode(t, "Refund after Void", s.Refund(ctx, a.ID), commerce.Conflict)
	wantEntry(t, s, a.ID, Entry{State: StateVoided, Amount: 1250, Currency: "EUR"})

	b := authorize(t, s)
	if err := s.Capture(ctx, b.ID); err != nil {
		t.Fatalf("Capture: %v", err)
	}
	wantCode(t, "Void after Capture", s.Void(ctx, b.ID), commerce.Conflict)
	if err := s.Refund(ctx, b.ID); err != nil {
		t.Fatalf("Refund: %v", err)
	}
	wantCode(t, "Void after Refund", s.Void(ctx, b.ID), commerce.Conflict)
	wantEntry(t, s, b.ID, Entry{State: StateRefunded, Amount: 1250, Currency: "EUR", Captures: 1, Refunds: 1})
}

func TestDecline(t *testing.T) {
	s := NewSimulated()
	_, err := s.Authorize(t.Context(), req(1250, TokenDeclined, ""))
	if !errors.Is(err, ErrDeclined) || commerce.ErrorCode(err) != "PAYMENT_DECLINED" {
		t.Fatalf("Authorize(tok_declined) error = %v, want ErrDeclined", err)
	}

	s.DeclineAll = true
	for _, token := range []string{TokenVisa, ""} {
		if _, err := s.Authorize(t.Context(), req(1250, token, "")); !errors.Is(err, ErrDeclined) {
			t.Errorf("DeclineAll: Authorize(%q) error = %v, want ErrDeclined", token, err)
		}
	}
	// DeclineAll does not hide invalid requests.
	_, err = s.Authorize(t.Context(), req(1250, "tok_nope", ""))
	wantCode(t, "DeclineAll with an unknown token", err, commerce.Invalid)
	if n := len(s.Ledger()); n != 0 {
		t.Errorf("declined payments left %d ledger entries, want 0", n)
	}
}

func TestInvalidRequests(t *testing.T) {
	s := NewSimulated()
	for _, tc := range []struct {
		name string
		r    AuthorizeRequest
	}{
		{"unknown token", req(1250, "tok_mastercard", "")},
		{"unknown token with a key", req(1250, "tok_unknown", "k1")},
		{"zero amount", req(0, TokenVisa, "")},
		{"negative amount", req(-1, TokenVisa, "")},
		{"no currency", AuthorizeRequest{Amount: 1, Token: TokenVisa}},
		{"lower-case currency", AuthorizeRequest{Amount: 1, Currency: "eur", Token: TokenVisa}},
		{"unassigned currency", AuthorizeRequest{Amount: 1, Currency: "ABC", Token: TokenVisa}},
		{"withdrawn currency", AuthorizeRequest{Amount: 1, Currency: "DEM", Token: TokenVisa}},
	} {
		_, err := s.Authorize(t.Context(), tc.r)
		wantCode(t, tc.name, err, commerce.Invalid)
	}
	_, err := s.Authorize(t.Context(), req(1250, "tok_bogus", ""))
	if err == nil || err.Error() != "unknown payment token" {
		t.Errorf("unknown token: error %v, want %q", err, "unknown payment token")
	}
	if n := len(s.Ledger()); n != 0 {
		t.Errorf("invalid requests left %d ledger entries, want 0", n)
	}
	// An invalid request is not remembered under its key.
	if _, err := s.Authorize(t.Context(), req(1250, TokenVisa, "k1")); err != nil {
		t.Errorf("valid retry after an invalid request with the same key: %v", err)
	}
}

func TestIdempotentAuthorize(t *testing.T) {
	s := NewSimulated()
	ctx := t.Context()
	first, err := s.Authorize(ctx, req(1250, TokenVisa, "order-1"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Authorize(ctx, req(1250, TokenVisa, "order-1"))
	if err != nil || again != first {
		t.Fatalf("retry = %+v, %v; want %+v", again, err, first)
	}
	if n := len(s.Ledger()); n != 1 {
		t.Fatalf("ledger has %d entries after a retry, want 1", n)
	}
	// The retry returns the first result even after the payment moved on.
	if err := s.Capture(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	if again, err := s.Authorize(ctx, req(1250, TokenVisa, "order-1")); err != nil || again != first {
		t.Fatalf("retry after capture = %+v, %v; want %+v", again, err, first)
	}

	// The same key for a different request is a conflict, not a silent reuse.
	changed := req(1300, TokenVisa, "order-1")
	_, err = s.Authorize(ctx, changed)
	wantCode(t, "same key, different amount", err, commerce.Conflict)

	// Another key, or no key, authorizes again.
	other, err := s.Authorize(ctx, req(1250, TokenVisa, "order-2"))
	if err != nil || other.ID == first.ID {
		t.Fatalf("another key = %+v, %v; want a new authorization", other, err)
	}
	a1, _ := s.Authorize(ctx, req(1250, TokenVisa, ""))
	a2, _ := s.Authorize(ctx, req(1250, TokenVisa, ""))
	if a1.ID == a2.ID {
		t.Fatalf("two requests without a key share ID %s", a1.ID)
	}
	if n := len(s.Ledger()); n != 4 {
		t.Fatalf("ledger has %d entries, want 4", n)
	}

	// A decline is a result too: its retry is declined without a new try.
	if _, err := s.Authorize(ctx, req(1250, TokenDeclined, "order-3")); !errors.Is(err, ErrDeclined) {
		t.Fatalf("first try: %v, want ErrDeclined", err)
	}
	if _, err := s.Authorize(ctx, req(1250, TokenDeclined, "order-3")); !errors.Is(err, ErrDeclined) {
		t.Fatalf("retry: %v, want ErrDeclined", err)
	}
}

func TestConcurrentIdempotentAuthorize(t *testing.T) {
	s := NewSimulated()
	var wg sync.WaitGroup
	ids := make([]string, 50)
	for i := range ids {
		wg.Go(func() {
			a, err := s.Authorize(t.Context(), req(1250, TokenVisa, "order-1"))
			if err != nil {
				t.Error(err)
			}
			ids[i] = a.ID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("concurrent retries returned IDs %s and %s", ids[0], id)
		}
	}
	if n := len(s.Ledger()); n != 1 {
		t.Fatalf("ledger has %d entries, want 1", n)
	}
}

func TestDoubleCaptureAndRefund(t *testing.T) {
	s := NewSimulated()
	ctx := t.Context()
	a := authorize(t, s)
	for i := range 3 {
		if err := s.Capture(ctx, a.ID); err != nil {
			t.Fatalf("Capture #%d: %v", i+1, err)
		}
	}
	wantEntry(t, s, a.ID, Entry{State: StateCaptured, Amount: 1250, Currency: "EUR", Captures: 1})
	for i := range 3 {
		if err := s.Refund(ctx, a.ID); err != nil {
			t.Fatalf("Refund #%d: %v", i+1, err)
		}
	}
	// Capture after refund is a no-op too: it was captured.
	if err := s.Capture(ctx, a.ID); err != nil {
		t.Fatalf("Capture after Refund: %v", err)
	}
	wantEntry(t, s, a.ID, Entry{State: StateRefunded, Amount: 1250, Currency: "EUR", Captures: 1, Refunds: 1})
}

func TestIllegalMoves(t *testing.T) {
	s := NewSimulated()
	ctx := t.Context()
	a := authorize(t, s)
	wantCode(t, "Refund before Capture", s.Refund(ctx, a.ID), commerce.Conflict)
	wantEntry(t, s, a.ID, Entry{State: StateAuthorized, Amount: 1250, Currency: "EUR"})
	for _, id := range []string{"pay_0000000000000000", "", "nonsense"} {
		wantCode(t, "Capture of unknown "+id, s.Capture(ctx, id), commerce.Conflict)
		wantCode(t, "Void of unknown "+id, s.Void(ctx, id), commerce.Conflict)
		wantCode(t, "Refund of unknown "+id, s.Refund(ctx, id), commerce.Conflict)
	}
}

func TestConcurrentRefunds(t *testing.T) {
	s := NewSimulated()
	a := authorize(t, s)
	if err := s.Capture(t.Context(), a.ID); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if err := s.Refund(t.Context(), a.ID); err != nil {
				t.Error(err)
			}
			s.Ledger() // read concurrently with the writes
		})
	}
	wg.Wait()
	wantEntry(t, s, a.ID, Entry{State: StateRefunded, Amount: 1250, Currency: "EUR", Captures: 1, Refunds: 1})
}

func TestCanceledContext(t *testing.T) {
	s := NewSimulated()
	a := authorize(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Authorize(ctx, req(1250, TokenVisa, "")); !errors.Is(err, context.Canceled) {
		t.Errorf("Authorize: %v, want context.Canceled", err)
	}
	if err := s.Capture(ctx, a.ID); !errors.Is(err, context.Canceled) {
		t.Errorf("Capture: %v, want context.Canceled", err)
	}
	wantEntry(t, s, a.ID, Entry{State: StateAuthorized, Amount: 1250, Currency: "EUR"})
}

func TestZeroValueAndLedgerSnapshot(t *testing.T) {
	var s Simulated // the zero value works
	if n := len(s.Ledger()); n != 0 {
		t.Fatalf("empty ledger has %d entries", n)
	}
	a := authorize(t, &s)
	l := s.Ledger()
	l[a.ID] = Entry{State: StateRefunded}
	delete(l, a.ID)
	wantEntry(t, &s, a.ID, Entry{State: StateAuthorized, Amount: 1250, Currency: "EUR"})
}
