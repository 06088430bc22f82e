// Package authtoken issues and checks the tokens that authenticate customers:
// short-lived access tokens (JWTs signed with HMAC-SHA256 under a key id, so
// keys can be rotated) and opaque refresh tokens, of which only a hash is
// stored.
package authtoken

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"storefront/commerce"
)

const (
	// issuer and audience are the iss and aud of every access token.
	issuer   = "storefront"
	audience = "storefront"
	// leeway is the clock skew tolerated on exp, iat (and nbf, if present).
	leeway = 30 * time.Second
	// minSecretLen is the shortest HMAC key ParseKeyring accepts, in bytes.
	minSecretLen = 32
	// maxKidLen is the longest key id.
	maxKidLen = 32
	// maxTokenLen bounds the work Verify does on a presented token; the
	// tokens Sign makes are a few hundred bytes.
	maxTokenLen = 4096
)

// ErrExpired is the error Verify returns for an access token that is
// authentic and well-formed but expired: the client should refresh it.
var ErrExpired = &commerce.Error{Code: commerce.Unauthenticated, Message: "access token expired"}

// ErrInvalid is the error Verify returns for every other rejected access
// token. It deliberately says nothing about why.
var ErrInvalid = &commerce.Error{Code: commerce.Unauthenticated, Message: "invalid access token"}

// key is one HMAC key and its id.
type key struct {
	id     string
	secret []byte
}

// Keyring holds HMAC-SHA256 keys by key id. The first key signs; every key
// verifies. To rotate, put the new key first and keep the old one until the
// last token it signed has expired. A Keyring is immutable and safe for
// concurrent use.
type Keyring struct {
	keys []key
}

// ParseKeyring reads a keyring from a spec of the form
// "kid1:secret1,kid2:secret2" (blanks around each entry are ignored; a secret
// may contain ':' but not ','). Each key id must be 1 to 32 characters from
// [A-Za-z0-9_-] and unique, and each secret at least 32 bytes. The first key
// signs. Errors are plain (configuration) errors and never include a secret.
func ParseKeyring(spec string) (*Keyring, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, errors.New("authtoken: empty keyring spec")
	}
	var k Keyring
	for i, entry := range strings.Split(spec, ",") {
		kid, secret, ok := strings.Cut(strings.TrimSpace(entry), ":")
		if !ok {
			return nil, fmt.Errorf("authtoken: keyring entry %d: want kid:secret", i+1)
		}
		if !validKid(kid) {
			return nil, fmt.Errorf("authtoken: keyring entry %d: key id must be 1 to %d characters from [A-Za-z0-9_-]", i+1, maxKidLen)
		}
		if len(secret) < minSecretLen {
			return nil, fmt.Errorf("authtoken: keyring entry %d (key id %q): secret must be at least %d bytes", i+1, kid, minSecretLen)
		}
		if k.lookup(kid) != nil {
			return nil, fmt.Errorf("authtoken: keyring entry %d: duplicate key id %q", i+1, kid)
		}
		k.keys = append(k.keys, key{id: kid, secret: []byte(secret)})
	}
	return &k, nil
}

func validKid(kid string) bool {
	if len(kid) < 1 || len(kid) > maxKidLen {
		return false
	}
	for _, c := range []byte(kid) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// RandomKeyring returns a keyring of one random 32-byte key under a random
// key id, for development when no secret is configured. Tokens it signs do
// not survive a restart and are not accepted by other processes.
func RandomKeyring() *Keyring {
	id := make([]byte, 6)
	secret := make([]byte, minSecretLen)
	// crypto/rand.Read never returns an error (it crashes the program if
	// the system's source of randomness fails).
	_, _ = rand.Read(id)
	_, _ = rand.Read(secret)
	return &Keyring{keys: []key{{id: "dev-" + hex.EncodeToString(id), secret: secret}}}
}

// lookup returns the key with id kid, or nil.
func (k *Keyring) lookup(kid string) *key {
	for i := range k.keys {
		if k.keys[i].id == kid {
			return &k.keys[i]
		}
	}
	return nil
}

// Claims are what an access token asserts. Times have one-second precision
// in a token: Sign truncates them.
type Claims struct {
	CustomerID int
	SessionID  int
	Role       string
	IssuedAt   time.Time
	ExpiresAt  time.Time
}

// Sign returns c as a compact JWT signed with the keyring's first key. The
// header is {"alg":"HS256","kid":<first key id>,"typ":"JWT"}; the payload
// has iss and aud "storefront", sub the decimal customer id (a string), iat
// and exp (Unix seconds), sid the session id (a number) and role.
//
// It returns a plain (programming) error when the keyring is empty, when
// CustomerID or SessionID is not positive, or when IssuedAt or ExpiresAt is
// zero or ExpiresAt is not at least a second after IssuedAt.
func (k *Keyring) Sign(c Claims) (string, error) {
	if k == nil || len(k.keys) == 0 {
		return "", errors.New("authtoken: empty keyring")
	}
	if c.CustomerID <= 0 || c.SessionID <= 0 {
		return "", errors.New("authtoken: customer and session ids must be positive")
	}
	if c.IssuedAt.IsZero() || c.ExpiresAt.IsZero() {
		return "", errors.New("authtoken: issued-at and expiry times are required")
	}
	iat, exp := c.IssuedAt.Unix(), c.ExpiresAt.Unix()
	if exp <= iat {
		return "", errors.New("authtoken: token must expire after it is issued")
	}
	signer := k.keys[0]
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss":  issuer,
		"aud":  audience,
		"sub":  strconv.Itoa(c.CustomerID),
		"iat":  iat,
		"exp":  exp,
		"sid":  c.SessionID,
		"role": c.Role,
	})
	t.Header["kid"] = signer.id
	s, err := t.SignedString(signer.secret)
	if err != nil {
		return "", fmt.Errorf("authtoken: signing: %w", err)
	}
	return s, nil
}

// tokenClaims is the payload Verify decodes. Decoding fails (and the token is
// invalid) when sub is not a string or sid not an integer.
type tokenClaims struct {
	jwt.RegisteredClaims
	SessionID *int64 `json:"sid"`
	Role      string `json:"role"`
}

// Verify checks an access token at time now and returns its claims. The
// token must be a compact JWT whose header names algorithm HS256 (any other,
// including "none", RS256, ES256, HS384 and HS512, is refused, so a token
// "signed" with an RSA public key is never checked against that key) and
// the key id of a key in the ring, and whose HMAC-SHA256 signature under that
// key is valid. Its payload must have iss and aud "storefront"; exp, required,
// not more than 30s in the past; iat, required, not more than 30s in the
// future; nbf, if present, not more than 30s in the future; sub a positive
// decimal customer id; and sid a positive integer. role is optional.
//
// It returns ErrExpired for a token that is authentic and was valid at the
// moment it expired, and ErrInvalid for every other refusal. Both are
// *commerce.Error with code commerce.Unauthenticated; compare with errors.Is.
func (k *Keyring) Verify(token string, now time.Time) (Claims, error) {
	c, exp, err := k.verify(token, now)
	if err == nil {
		return c, nil
	}
	// A claims-validation error, such as expiry, is only reported after the
	// signature has been verified with a key from the ring.
	if exp.IsZero() || !errors.Is(err, jwt.ErrTokenExpired) {
		return Claims{}, ErrInvalid
	}
	// Authentic but expired: was it otherwise valid? Check it again as of
	// the instant it expired.
	if _, _, err := k.verify(token, exp); err != nil {
		return Claims{}, ErrInvalid
	}
	return Claims{}, ErrExpired
}

// verify parses and checks token as of now. When the error is a claims
// error, exp is the token's expiry, if it has one.
func (k *Keyring) verify(token string, now time.Time) (c Claims, exp time.Time, err error) {
	if k == nil || len(token) > maxTokenLen {
		return Claims{}, time.Time{}, ErrInvalid
	}
	var tc tokenClaims
	_, err = jwt.ParseWithClaims(token, &tc, k.keyFunc,
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	if tc.ExpiresAt != nil {
		exp = tc.ExpiresAt.Time
	}
	if err != nil {
		return Claims{}, exp, err
	}
	// The library checks iat only when present.
	if tc.IssuedAt == nil {
		return Claims{}, exp, ErrInvalid
	}
	customer, ok := parseID(tc.Subject)
	if !ok || tc.SessionID == nil || *tc.SessionID <= 0 || int64(int(*tc.SessionID)) != *tc.SessionID {
		return Claims{}, exp, ErrInvalid
	}
	return Claims{
		CustomerID: customer,
		SessionID:  int(*tc.SessionID),
		Role:       tc.Role,
		IssuedAt:   tc.IssuedAt.Time,
		ExpiresAt:  tc.ExpiresAt.Time,
	}, exp, nil
}

// keyFunc returns the secret of the ring's key named by the token's kid. The
// parser has already refused any algorithm but HS256; the check here is a
// second line of defence.
func (k *Keyring) keyFunc(t *jwt.Token) (any, error) {
	if t.Method != jwt.SigningMethodHS256 {
		return nil, ErrInvalid
	}
	kid, ok := t.Header["kid"].(string)
	if !ok {
		return nil, ErrInvalid
	}
	key := k.lookup(kid)
	if key == nil {
		return nil, ErrInvalid
	}
	return key.secret, nil
}

// parseID parses a positive decimal id in canonical form (no sign, no
// leading zeros).
func parseID(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || strconv.Itoa(n) != s {
		return 0, false
	}
	return n, true
}

// refreshTokenLen is the number of random bytes in a refresh token.
const refreshTokenLen = 32

// NewRefreshToken returns a new opaque refresh token (32 random bytes,
// unpadded base64url, 43 characters) to hand to the client, and its
// HashRefreshToken hash, the only thing to store.
func NewRefreshToken() (token string, hash []byte) {
	b := make([]byte, refreshTokenLen)
	// crypto/rand.Read never returns an error.
	_, _ = rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashRefreshToken(token)
}

// HashRefreshToken returns the SHA-256 hash of a presented refresh token, to
// look up the stored hash by. It accepts any string; an unknown token simply
// hashes to a value that matches nothing. Being a hash of 256 random bits, it
// needs no salt or slow hashing.
func HashRefreshToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
