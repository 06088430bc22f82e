// Package identity owns accounts and sign-in: sign-up, sign-in, refresh
// token rotation, sign-out, password changes, and turning a bearer token
// into the viewer of a request.
//
// Access tokens are short-lived JWTs naming a session; every request checks
// that the session is still live, so signing out takes effect at once.
// Refresh tokens are opaque, stored hashed, used once and rotated; a used
// token presented again revokes its session (it leaked).
package identity

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"storefront/auth/authtoken"
	"storefront/auth/password"
	"storefront/auth/ratelimit"
	"storefront/commerce"
	"storefront/commerce/access"
	"storefront/commerce/viewer"
	"storefront/ent"
	"storefront/ent/customer"
	"storefront/ent/refreshtoken"
	"storefront/ent/session"
)

// Config tunes the identity service. Zero values take the defaults.
type Config struct {
	// Keys sign and verify access tokens. Required.
	Keys *authtoken.Keyring
	// AccessTTL is the life of an access token (default 15 minutes).
	AccessTTL time.Duration
	// SessionTTL is the absolute life of a sign-in (default 30 days).
	SessionTTL time.Duration
	// Password are the argon2id parameters for new hashes.
	Password password.Params
	// Now is the clock of tokens, sessions and the limits below (default
	// time.Now).
	Now func() time.Time
	// SignIn is the sign-in lock-out policy (DefaultSignInPolicy for zero
	// fields); password changes check the current password under it too.
	SignIn SignInPolicy
	// SignUpPerAddress limits sign-ups per client address (default 10 at
	// once, then one per 30 s).
	SignUpPerAddress ratelimit.Rate
}

// Service is the identity service.
type Service struct {
	client *ent.Client
	cfg    Config
	signIn *signInGuard
	signUp *ratelimit.Limiter
}

// New returns an identity service over client.
func New(client *ent.Client, cfg Config) *Service {
	if cfg.Keys == nil {
		panic("identity: Config.Keys is required")
	}
	if cfg.AccessTTL == 0 {
		cfg.AccessTTL = 15 * time.Minute
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 30 * 24 * time.Hour
	}
	if cfg.Password == (password.Params{}) {
		cfg.Password = password.DefaultParams
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.SignIn = cfg.SignIn.withDefaults()
	cfg.SignUpPerAddress = cfg.SignUpPerAddress.Or(ratelimit.Rate{Burst: 10, Every: 30 * time.Second})
	return &Service{
		client: client, cfg: cfg,
		signIn: newSignInGuard(cfg.SignIn, cfg.Now),
		signUp: cfg.SignUpPerAddress.Limiter(ratelimit.WithClock(cfg.Now), ratelimit.WithMaxKeys(cfg.SignIn.MaxKeys)),
	}
}

// Tokens is what a successful sign-in or refresh hands to the client.
type Tokens struct {
	AccessToken          string
	AccessTokenExpiresAt time.Time
	RefreshToken         string
	// SessionExpiresAt is when the refresh token stops working at the latest.
	SessionExpiresAt time.Time
	SessionID        int
	Customer         *ent.Customer
}

// Viewer is the identity the tokens stand for, for work done in the same
// request right after signing in.
func (t *Tokens) Viewer() viewer.Viewer {
	return viewer.Viewer{CustomerID: t.Customer.ID, Role: viewer.Role(t.Customer.Role), SessionID: t.SessionID}
}

// Errors a client can act on.
var (
	// ErrInvalidCredentials answers every failed sign-in, whether or not
	// the email exists.
	ErrInvalidCredentials = &commerce.Error{Code: commerce.InvalidCredentials, Message: "invalid email or password"}
	// ErrInvalidRefreshToken answers an unknown, used, revoked or expired
	// refresh token: the client must sign in again.
	ErrInvalidRefreshToken = &commerce.Error{Code: commerce.Unauthenticated, Message: "invalid or expired refresh token; sign in again"}
	// ErrEmailTaken answers a sign-up with an email that has an account.
	ErrEmailTaken = &commerce.Error{Code: commerce.Taken, Message: "an account with this email already exists; sign in instead", Field: []string{"input", "email"}}
)

// busy answers a password check that found no free hashing slot: the
// server is saturated with password work, and the client should retry
// shortly (the same answer for every account, known or not).
func busy(err error) error {
	if errors.Is(err, password.ErrBusy) {
		return commerce.RateLimitedFor(time.Second, "the server is busy checking passwords; try again in a second")
	}
	return err
}

// NormalizeEmail trims and lower-cases an email address and checks its
// form; it returns a commerce.Invalid error on field otherwise.
func NormalizeEmail(email string, field []string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	if len(e) > 254 {
		return "", commerce.InvalidField(field, "email is longer than 254 characters")
	}
	addr, err := mail.ParseAddress(e)
	if err != nil || addr.Address != e || !strings.Contains(e[strings.LastIndex(e, "@")+1:], ".") {
		return "", commerce.InvalidField(field, "%q is not an email address", email)
	}
	return e, nil
}

func rateLimited(l *ratelimit.Limiter, key, what string) error {
	if l.Allow(key) {
		return nil
	}
	return refused(l.RetryAfter(key), what)
}

// SignUpInput is what customerCreate takes.
type SignUpInput struct {
	Email, Password, Name string
}

// SignUp creates a customer account. Errors: RateLimited (per client IP),
// Invalid (email, password policy, name), ErrEmailTaken.
func (s *Service) SignUp(ctx context.Context, in SignUpInput) (*ent.Customer, error) {
	v := viewer.FromContext(ctx)
	if err := rateLimited(s.signUp, v.ClientIP, "sign-up"); err != nil {
		return nil, err
	}
	email, err := NormalizeEmail(in.Email, []string{"input", "email"})
	if err != nil {
		return nil, err
	}
	if err := password.CheckPolicy(in.Password, email, []string{"input", "password"}); err != nil {
		return nil, err
	}
	name := strings.TrimSpace(in.Name)
	if len([]rune(name)) > 200 {
		return nil, commerce.InvalidField([]string{"input", "name"}, "name is longer than 200 characters")
	}
	hash, err := password.Hash(in.Password, s.cfg.Password)
	if err != nil {
		return nil, busy(fmt.Errorf("identity: hash: %w", err))
	}
	c, err := s.client.Customer.Create().
		SetEmail(email).SetName(name).SetPasswordHash(hash).SetRole(customer.RoleCUSTOMER).
		Save(access.System(ctx))
	if ent.IsConstraintError(err) {
		return nil, ErrEmailTaken
	}
	if err != nil {
		return nil, fmt.Errorf("identity: create customer: %w", err)
	}
	return c, nil
}

// SignIn checks credentials and opens a session. Errors: RateLimited (the
// sign-in lock-out, SignInPolicy: unknown emails count exactly as wrong
// passwords do), and ErrInvalidCredentials for an unknown email and a wrong
// password alike.
func (s *Service) SignIn(ctx context.Context, email, pass, userAgent string) (*Tokens, error) {
	v := viewer.FromContext(ctx)
	normalized := strings.ToLower(strings.TrimSpace(email))
	done, err := s.signIn.admit(normalized, v.ClientIP)
	if err != nil {
		return nil, err
	}
	t, err := s.checkAndOpen(ctx, normalized, pass, userAgent)
	done(err == nil)
	return t, err
}

// checkAndOpen checks the password of an admitted sign-in attempt and opens
// the session. An unknown email costs the same password work as a wrong
// password.
func (s *Service) checkAndOpen(ctx context.Context, normalized, pass, userAgent string) (*Tokens, error) {
	sys := access.System(ctx)
	c, err := s.client.Customer.Query().Where(customer.Email(normalized)).Only(sys)
	if ent.IsNotFound(err) {
		if err := password.DummyVerify(pass, s.cfg.Password); err != nil {
			return nil, busy(err)
		}
		return nil, ErrInvalidCredentials
	}
	if err != nil {
		return nil, fmt.Errorf("identity: find customer: %w", err)
	}
	ok, rehash, err := password.Verify(pass, c.PasswordHash, s.cfg.Password)
	if errors.Is(err, password.ErrBusy) {
		return nil, busy(err)
	}
	if err != nil {
		return nil, fmt.Errorf("identity: verify password of customer %d: %w", c.ID, err)
	}
	if !ok {
		return nil, ErrInvalidCredentials
	}
	if rehash {
		if h, err := password.Hash(pass, s.cfg.Password); err == nil {
			if c, err = c.Update().SetPasswordHash(h).Save(sys); err != nil {
				return nil, fmt.Errorf("identity: upgrade password hash: %w", err)
			}
		}
	}
	return s.openSession(ctx, c, userAgent)
}

// openSession creates a session with its first refresh token.
func (s *Service) openSession(ctx context.Context, c *ent.Customer, userAgent string) (*Tokens, error) {
	now := s.cfg.Now()
	sys := access.System(ctx)
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	sess, err := s.client.Session.Create().
		SetCustomerID(c.ID).SetExpiresAt(now.Add(s.cfg.SessionTTL)).SetUserAgent(userAgent).
		Save(sys)
	if err != nil {
		return nil, fmt.Errorf("identity: create session: %w", err)
	}
	return s.issue(ctx, c, sess)
}

// issue signs an access token and stores a new refresh token for sess.
func (s *Service) issue(ctx context.Context, c *ent.Customer, sess *ent.Session) (*Tokens, error) {
	now := s.cfg.Now()
	refresh, hash := authtoken.NewRefreshToken()
	if err := s.client.RefreshToken.Create().SetSessionID(sess.ID).SetTokenHash(hash).Exec(access.System(ctx)); err != nil {
		return nil, fmt.Errorf("identity: store refresh token: %w", err)
	}
	exp := now.Add(s.cfg.AccessTTL)
	access, err := s.cfg.Keys.Sign(authtoken.Claims{
		CustomerID: c.ID, SessionID: sess.ID, Role: string(c.Role), IssuedAt: now, ExpiresAt: exp,
	})
	if err != nil {
		return nil, fmt.Errorf("identity: sign access token: %w", err)
	}
	return &Tokens{
		AccessToken: access, AccessTokenExpiresAt: exp,
		RefreshToken: refresh, SessionExpiresAt: sess.ExpiresAt,
		SessionID: sess.ID, Customer: c,
	}, nil
}

// Refresh trades a refresh token for new tokens in the same session. The
// presented token is spent; presenting it again revokes the session.
// Errors: ErrInvalidRefreshToken.
func (s *Service) Refresh(ctx context.Context, refresh string) (*Tokens, error) {
	now := s.cfg.Now()
	sys := access.System(ctx)
	db := s.client
	tok, err := db.RefreshToken.Query().
		Where(refreshtoken.TokenHash(authtoken.HashRefreshToken(refresh))).
		WithSession(func(q *ent.SessionQuery) { q.WithCustomer() }).
		Only(sys)
	if ent.IsNotFound(err) {
		return nil, ErrInvalidRefreshToken
	}
	if err != nil {
		return nil, fmt.Errorf("identity: find refresh token: %w", err)
	}
	sess := tok.Edges.Session
	if sess.RevokedAt != nil || !now.Before(sess.ExpiresAt) {
		return nil, ErrInvalidRefreshToken
	}
	if tok.UsedAt != nil {
		// A spent token came back: whoever holds it is not the client that
		// spent it. End the session on every device that shares it.
		if err := s.revoke(ctx, sess.ID); err != nil {
			return nil, err
		}
		return nil, ErrInvalidRefreshToken
	}
	// Spend the token with a conditional update, so that of two concurrent
	// refreshes with the same token exactly one wins.
	n, err := db.RefreshToken.Update().
		Where(refreshtoken.ID(tok.ID), refreshtoken.UsedAtIsNil()).
		SetUsedAt(now).
		Save(sys)
	if err != nil {
		return nil, fmt.Errorf("identity: spend refresh token: %w", err)
	}
	if n == 0 {
		return nil, ErrInvalidRefreshToken
	}
	return s.issue(ctx, sess.Edges.Customer, sess)
}

// SignOut ends a session: the viewer's own (from the access token), or the
// one the refresh token belongs to. Errors: Unauthenticated when neither
// names a live session.
func (s *Service) SignOut(ctx context.Context, refresh *string) error {
	v := viewer.FromContext(ctx)
	if v.SignedIn() && v.SessionID != 0 {
		return s.revoke(ctx, v.SessionID)
	}
	if refresh != nil {
		tok, err := s.client.RefreshToken.Query().
			Where(refreshtoken.TokenHash(authtoken.HashRefreshToken(*refresh))).
			Only(access.System(ctx))
		if err == nil {
			return s.revoke(ctx, tok.SessionID)
		}
		if !ent.IsNotFound(err) {
			return fmt.Errorf("identity: find refresh token: %w", err)
		}
	}
	if v.TokenError != nil {
		return v.TokenError
	}
	return commerce.Errorf(commerce.Unauthenticated, "not signed in")
}

func (s *Service) revoke(ctx context.Context, sessionID int) error {
	err := s.client.Session.Update().
		Where(session.ID(sessionID), session.RevokedAtIsNil()).
		SetRevokedAt(s.cfg.Now()).
		Exec(access.System(ctx))
	if err != nil {
		return fmt.Errorf("identity: revoke session: %w", err)
	}
	return nil
}

// Authenticate turns a bearer token into a viewer: the token must verify
// and its session must be live; the role is read from the account, so a
// demotion applies at once. It returns authtoken.ErrExpired or
// authtoken.ErrInvalid (Unauthenticated) otherwise.
func (s *Service) Authenticate(ctx context.Context, bearer string) (viewer.Viewer, error) {
	v, _, err := s.AuthenticateCustomer(ctx, bearer)
	return v, err
}

// AuthenticateCustomer is Authenticate that also returns the account, read
// by the same statement that checks the session (see WithSignedIn).
func (s *Service) AuthenticateCustomer(ctx context.Context, bearer string) (viewer.Viewer, *ent.Customer, error) {
	now := s.cfg.Now()
	claims, err := s.cfg.Keys.Verify(bearer, now)
	if err != nil {
		return viewer.Viewer{}, nil, err
	}
	c, err := s.client.Customer.Query().
		Where(customer.ID(claims.CustomerID), customer.HasSessionsWith(
			session.ID(claims.SessionID), session.RevokedAtIsNil(), session.ExpiresAtGT(now))).
		Only(access.System(ctx))
	if ent.IsNotFound(err) {
		return viewer.Viewer{}, nil, errSessionEnded
	}
	if err != nil {
		return viewer.Viewer{}, nil, fmt.Errorf("identity: check session: %w", err)
	}
	return viewer.Viewer{CustomerID: claims.CustomerID, SessionID: claims.SessionID, Role: viewer.Role(c.Role)}, c, nil
}

type signedInKey struct{}

// WithSignedIn keeps the account that AuthenticateCustomer read for the
// request's token, for Viewer: a query's viewer then costs no statement of
// its own. Only for one HTTP request (a websocket connection lives longer
// than its account's state).
func WithSignedIn(ctx context.Context, c *ent.Customer) context.Context {
	if c == nil {
		return ctx
	}
	return context.WithValue(ctx, signedInKey{}, c)
}

// Viewer returns the signed-in customer as read when the request's token
// was checked (WithSignedIn), else as Me does. For the viewer field of a
// query: a mutation that changes the account reads it again with Me.
func (s *Service) Viewer(ctx context.Context) (*ent.Customer, error) {
	v := viewer.FromContext(ctx)
	if c, ok := ctx.Value(signedInKey{}).(*ent.Customer); ok && v.SignedIn() && c.ID == v.CustomerID {
		return c, nil
	}
	return s.Me(ctx)
}

var errSessionEnded = &commerce.Error{Code: commerce.Unauthenticated, Message: "this session has ended; sign in again"}

// Me returns the signed-in customer. Errors: Unauthenticated.
func (s *Service) Me(ctx context.Context) (*ent.Customer, error) {
	v := viewer.FromContext(ctx)
	if !v.SignedIn() {
		if v.TokenError != nil {
			return nil, v.TokenError
		}
		return nil, commerce.Errorf(commerce.Unauthenticated, "not signed in")
	}
	c, err := s.client.Customer.Get(ctx, v.CustomerID)
	if err != nil {
		return nil, fmt.Errorf("identity: me: %w", err)
	}
	return c, nil
}

// ChangePassword replaces the viewer's password after checking the current
// one, and ends every other session of the account. Errors:
// Unauthenticated, ErrInvalidCredentials (wrong current password), Invalid.
func (s *Service) ChangePassword(ctx context.Context, current, next string) error {
	me, err := s.Me(ctx)
	if err != nil {
		return err
	}
	done, err := s.signIn.admit(me.Email, viewer.FromContext(ctx).ClientIP)
	if err != nil {
		return err
	}
	err = s.changePassword(ctx, me, current, next)
	// Only a wrong current password is a failed attempt; a new password
	// refused by the policy proved the current one right.
	done(!errors.Is(err, errWrongCurrentPassword))
	return err
}

// errWrongCurrentPassword refuses a password change whose current password
// is wrong.
var errWrongCurrentPassword = &commerce.Error{Code: commerce.InvalidCredentials, Message: "the current password is wrong", Field: []string{"input", "currentPassword"}}

func (s *Service) changePassword(ctx context.Context, me *ent.Customer, current, next string) error {
	sys := access.System(ctx)
	full, err := s.client.Customer.Get(sys, me.ID)
	if err != nil {
		return fmt.Errorf("identity: load account: %w", err)
	}
	ok, _, err := password.Verify(current, full.PasswordHash, s.cfg.Password)
	if err != nil {
		return busy(fmt.Errorf("identity: verify password: %w", err))
	}
	if !ok {
		return errWrongCurrentPassword
	}
	if err := password.CheckPolicy(next, full.Email, []string{"input", "newPassword"}); err != nil {
		return err
	}
	hash, err := password.Hash(next, s.cfg.Password)
	if err != nil {
		return busy(fmt.Errorf("identity: hash: %w", err))
	}
	if err := full.Update().SetPasswordHash(hash).Exec(ctx); err != nil {
		return fmt.Errorf("identity: save password: %w", err)
	}
	v := viewer.FromContext(ctx)
	err = s.client.Session.Update().
		Where(session.CustomerID(me.ID), session.IDNEQ(v.SessionID), session.RevokedAtIsNil()).
		SetRevokedAt(s.cfg.Now()).
		Exec(sys)
	if err != nil {
		return fmt.Errorf("identity: end other sessions: %w", err)
	}
	return nil
}

// EnsureAccount creates the account, or updates its password, name and
// role: for STAFF_EMAIL/STAFF_PASSWORD and the demo accounts. It applies the
// password policy.
func (s *Service) EnsureAccount(ctx context.Context, email, pass, name string, role customer.Role) (*ent.Customer, error) {
	sys := access.System(ctx)
	normalized, err := NormalizeEmail(email, []string{"email"})
	if err != nil {
		return nil, err
	}
	if err := password.CheckPolicy(pass, normalized, []string{"password"}); err != nil {
		return nil, err
	}
	hash, err := password.Hash(pass, s.cfg.Password)
	if err != nil {
		return nil, err
	}
	id, err := s.client.Customer.Create().
		SetEmail(normalized).SetName(name).SetPasswordHash(hash).SetRole(role).
		OnConflictColumns(customer.FieldEmail).
		Update(func(u *ent.CustomerUpsert) { u.UpdatePasswordHash().UpdateRole().UpdateName().UpdateUpdatedAt() }).
		ID(sys)
	if err != nil {
		return nil, fmt.Errorf("identity: ensure account %s: %w", normalized, err)
	}
	return s.client.Customer.Get(sys, id)
}

// IsTokenError reports whether err is a refusal of a presented token.
func IsTokenError(err error) bool {
	return errors.Is(err, authtoken.ErrExpired) || errors.Is(err, authtoken.ErrInvalid) || errors.Is(err, errSessionEnded)
}
