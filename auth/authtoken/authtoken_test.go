package authtoken

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"storefront/commerce"
)

var (
	secretOld = strings.Repeat("o", 32)
	secretNew = "n3w-secret-with:colon-" + strings.Repeat("x", 20)
)

func mustRing(t *testing.T, spec string) *Keyring {
	t.Helper()
	k, err := ParseKeyring(spec)
	if err != nil {
		t.Fatalf("ParseKeyring: %v", err)
	}
	return k
}

// now is the fixed time of the tests.
var now = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func validClaims() Claims {
	return Claims{CustomerID: 42, SessionID: 7, Role: "customer", IssuedAt: now, ExpiresAt: now.Add(15 * time.Minute)}
}

// payload returns the claims Sign would put in a token for validClaims.
func payload() jwt.MapClaims {
	return jwt.MapClaims{
		"iss": "storefront", "aud": "storefront", "sub": "42",
		"iat": now.Unix(), "exp": now.Add(15 * time.Minute).Unix(),
		"sid": 7, "role": "customer",
	}
}

// signWith signs claims with any method and key, with the given kid (none if
// empty).
func signWith(t *testing.T, m jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("SignedString: %v", err)
	}
	return s
}

func b64(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeSegment(t *testing.T, seg string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSignVerifyRoundTrip(t *testing.T) {
	k := mustRing(t, "k1:"+secretOld)
	c := validClaims()
	c.IssuedAt = c.IssuedAt.Add(700 * time.Millisecond) // truncated to the second
	tok, err := k.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q: want 3 segments", tok)
	}
	h := decodeSegment(t, parts[0])
	if h["alg"] != "HS256" || h["typ"] != "JWT" || h["kid"] != "k1" || len(h) != 3 {
		t.Errorf("header = %v", h)
	}
	p := decodeSegment(t, parts[1])
	for name, want := range map[string]any{
		"iss": "storefront", "aud": "storefront", "sub": "42", "sid": 7.0, "role": "customer",
		"iat": float64(now.Unix()), "exp": float64(now.Add(15 * time.Minute).Unix()),
	} {
		if p[name] != want {
			t.Errorf("payload[%q] = %#v, want %#v", name, p[name], want)
		}
	}

	for _, at := range []time.Time{now, now.Add(-29 * time.Second), now.Add(14 * time.Minute), now.Add(15*time.Minute + 29*time.Second)} {
		got, err := k.Verify(tok, at)
		if err != nil {
			t.Fatalf("Verify at %v: %v", at, err)
		}
		want := validClaims()
		if got.CustomerID != want.CustomerID || got.SessionID != want.SessionID || got.Role != want.Role ||
			!got.IssuedAt.Equal(want.IssuedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) {
			t.Errorf("Verify at %v = %+v, want %+v", at, got, want)
		}
	}
}

func TestSignRefuses(t *testing.T) {
	k := mustRing(t, "k1:"+secretOld)
	for _, tc := range []struct {
		name string
		edit func(*Claims)
	}{
		{"zero customer", func(c *Claims) { c.CustomerID = 0 }},
		{"negative session", func(c *Claims) { c.SessionID = -1 }},
		{"zero iat", func(c *Claims) { c.IssuedAt = time.Time{} }},
		{"zero exp", func(c *Claims) { c.ExpiresAt = time.Time{} }},
		{"exp before iat", func(c *Claims) { c.ExpiresAt = c.IssuedAt.Add(-time.Second) }},
		{"exp same second as iat", func(c *Claims) { c.ExpiresAt = c.IssuedAt.Add(500 * time.Millisecond) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validClaims()
			tc.edit(&c)
			if tok, err := k.Sign(c); err == nil {
				t.Errorf("Sign(%+v) = %q, want error", c, tok)
			}
		})
	}
	if _, err := new(Keyring).Sign(validClaims()); err == nil {
		t.Error("Sign with an empty keyring succeeded")
	}
}

func TestVerifyExpiry(t *testing.T) {
	k := mustRing(t, "k1:"+secretOld)
	tok, err := k.Sign(validClaims())
	if err != nil {
		t.Fatal(err)
	}
	exp := now.Add(15 * time.Minute)
	for _, tc := range []struct {
		name string
		at   time.Time
		want error
	}{
		{"before exp", exp.Add(-time.Second), nil},
		{"at exp", exp, nil},
		{"within leeway", exp.Add(29 * time.Second), nil},
		{"at leeway", exp.Add(30 * time.Second), ErrExpired},
		{"past leeway", exp.Add(31 * time.Second), ErrExpired},
		{"long expired", exp.Add(1000 * time.Hour), ErrExpired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := k.Verify(tok, tc.at)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("Verify at exp%+v = %v, want %v", tc.at.Sub(exp), err, tc.want)
			}
		})
	}

	// Expired and otherwise invalid is invalid, not expired.
	other := mustRing(t, "k1:"+strings.Repeat("z", 32))
	forged, err := other.Sign(validClaims())
	if err != nil {
		t.Fatal(err)
	}
	late := exp.Add(time.Hour)
	if _, err := k.Verify(forged, late); !errors.Is(err, ErrInvalid) {
		t.Errorf("expired token with a bad signature: err = %v, want ErrInvalid", err)
	}
	bad := payload()
	bad["aud"] = "admin"
	if _, err := k.Verify(signWith(t, jwt.SigningMethodHS256, []byte(secretOld), "k1", bad), late); !errors.Is(err, ErrInvalid) {
		t.Errorf("expired token with a wrong aud: err = %v, want ErrInvalid", err)
	}
	bad = payload()
	delete(bad, "sid")
	if _, err := k.Verify(signWith(t, jwt.SigningMethodHS256, []byte(secretOld), "k1", bad), late); !errors.Is(err, ErrInvalid) {
		t.Errorf("expired token without sid: err = %v, want ErrInvalid", err)
	}
}

func TestVerifyErrors(t *testing.T) {
	for _, tc := range []struct {
		err  *commerce.Error
		msg  string
		code commerce.Code
	}{
		{ErrExpired, "access token expired", commerce.Unauthenticated},
		{ErrInvalid, "invalid access token", commerce.Unauthenticated},
	} {
		if tc.err.Error() != tc.msg || commerce.ErrorCode(tc.err) != tc.code {
			t.Errorf("%v: code %s, want message %q code %s", tc.err, commerce.ErrorCode(tc.err), tc.msg, tc.code)
		}
	}
}

func TestVerifyRefuses(t *testing.T) {
	k := mustRing(t, "k1:"+secretOld)
	secret := []byte(secretOld)
	good, err := k.Sign(validClaims())
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}

	with := func(edit func(jwt.MapClaims)) string {
		c := payload()
		edit(c)
		return signWith(t, jwt.SigningMethodHS256, secret, "k1", c)
	}
	tamperedPayload := func() string {
		p := decodeSegment(t, parts[1])
		p["sub"] = "1"
		return parts[0] + "." + b64(p) + "." + parts[2]
	}()
	tamperedSignature := func() string {
		sig := []byte(parts[2])
		if sig[10] == 'A' {
			sig[10] = 'B'
		} else {
			sig[10] = 'A'
		}
		return parts[0] + "." + parts[1] + "." + string(sig)
	}()
	none := func(header map[string]any) string {
		return b64(header) + "." + parts[1] + "."
	}

	for _, tc := range []struct {
		name  string
		token string
	}{
		{"empty", ""},
		{"garbage", "not.a.jwt"},
		{"two segments", parts[0] + "." + parts[1]},
		{"four segments", good + ".x"},
		{"too long", good + strings.Repeat("A", 5000)},
		{"tampered payload", tamperedPayload},
		{"tampered signature", tamperedSignature},
		{"signature removed", parts[0] + "." + parts[1] + "."},
		{"signature of another token", func() string {
			c := validClaims()
			c.CustomerID = 1
			other, err := k.Sign(c)
			if err != nil {
				t.Fatal(err)
			}
			return parts[0] + "." + parts[1] + "." + strings.Split(other, ".")[2]
		}()},
		{"alg none", none(map[string]any{"alg": "none", "typ": "JWT", "kid": "k1"})},
		{"alg None", none(map[string]any{"alg": "None", "typ": "JWT", "kid": "k1"})},
		{"alg none, no kid", none(map[string]any{"alg": "none"})},
		{"alg missing", none(map[string]any{"typ": "JWT", "kid": "k1"})},
		{"RS256", signWith(t, jwt.SigningMethodRS256, rsaKey, "k1", payload())},
		{"RS256, no kid", signWith(t, jwt.SigningMethodRS256, rsaKey, "", payload())},
		{"ES256", signWith(t, jwt.SigningMethodES256, ecKey, "k1", payload())},
		{"HS256 keyed with RSA public key PEM", signWith(t, jwt.SigningMethodHS256, publicPEM, "k1", payload())},
		{"HS256 keyed with RSA public key PEM, no kid", signWith(t, jwt.SigningMethodHS256, publicPEM, "", payload())},
		{"HS256 keyed with RSA public key DER", signWith(t, jwt.SigningMethodHS256, der, "k1", payload())},
		{"HS384 with the right key", signWith(t, jwt.SigningMethodHS384, secret, "k1", payload())},
		{"HS512 with the right key", signWith(t, jwt.SigningMethodHS512, secret, "k1", payload())},
		{"no kid", signWith(t, jwt.SigningMethodHS256, secret, "", payload())},
		{"unknown kid", signWith(t, jwt.SigningMethodHS256, secret, "k2", payload())},
		{"kid not a string", func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, payload())
			tok.Header["kid"] = 1
			s, err := tok.SignedString(secret)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}()},
		{"wrong iss", with(func(c jwt.MapClaims) { c["iss"] = "evil" })},
		{"missing iss", with(func(c jwt.MapClaims) { delete(c, "iss") })},
		{"wrong aud", with(func(c jwt.MapClaims) { c["aud"] = "admin" })},
		{"wrong aud list", with(func(c jwt.MapClaims) { c["aud"] = []string{"admin", "other"} })},
		{"missing aud", with(func(c jwt.MapClaims) { delete(c, "aud") })},
		{"missing exp", with(func(c jwt.MapClaims) { delete(c, "exp") })},
		{"exp a string", with(func(c jwt.MapClaims) { c["exp"] = "tomorrow" })},
		{"missing iat", with(func(c jwt.MapClaims) { delete(c, "iat") })},
		{"iat in the future", with(func(c jwt.MapClaims) {
			c["iat"] = now.Add(2 * time.Minute).Unix()
			c["exp"] = now.Add(17 * time.Minute).Unix()
		})},
		{"iat just beyond leeway", with(func(c jwt.MapClaims) { c["iat"] = now.Add(31 * time.Second).Unix() })},
		{"nbf in the future", with(func(c jwt.MapClaims) { c["nbf"] = now.Add(time.Minute).Unix() })},
		{"missing sub", with(func(c jwt.MapClaims) { delete(c, "sub") })},
		{"sub not numeric", with(func(c jwt.MapClaims) { c["sub"] = "alice" })},
		{"sub a number", with(func(c jwt.MapClaims) { c["sub"] = 42 })},
		{"sub zero", with(func(c jwt.MapClaims) { c["sub"] = "0" })},
		{"sub negative", with(func(c jwt.MapClaims) { c["sub"] = "-42" })},
		{"sub with sign", with(func(c jwt.MapClaims) { c["sub"] = "+42" })},
		{"sub with leading zero", with(func(c jwt.MapClaims) { c["sub"] = "042" })},
		{"sub overflows", with(func(c jwt.MapClaims) { c["sub"] = "99999999999999999999" })},
		{"missing sid", with(func(c jwt.MapClaims) { delete(c, "sid") })},
		{"sid null", with(func(c jwt.MapClaims) { c["sid"] = nil })},
		{"sid a string", with(func(c jwt.MapClaims) { c["sid"] = "7" })},
		{"sid fractional", with(func(c jwt.MapClaims) { c["sid"] = 7.5 })},
		{"sid zero", with(func(c jwt.MapClaims) { c["sid"] = 0 })},
		{"sid negative", with(func(c jwt.MapClaims) { c["sid"] = -7 })},
		{"role not a string", with(func(c jwt.MapClaims) { c["role"] = []string{"admin"} })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := k.Verify(tc.token, now)
			if err != ErrInvalid { // exactly the sentinel, no details
				t.Errorf("Verify = (%+v, %v), want ErrInvalid", c, err)
			}
			if c != (Claims{}) {
				t.Errorf("Verify returned claims %+v, want none", c)
			}
		})
	}
}

func TestVerifyAccepts(t *testing.T) {
	k := mustRing(t, "k1:"+secretOld)
	secret := []byte(secretOld)
	for _, tc := range []struct {
		name string
		edit func(jwt.MapClaims)
	}{
		{"as signed", func(jwt.MapClaims) {}},
		{"aud as a list", func(c jwt.MapClaims) { c["aud"] = []string{"other", "storefront"} }},
		{"iat within leeway", func(c jwt.MapClaims) { c["iat"] = now.Add(30 * time.Second).Unix() }},
		{"no role", func(c jwt.MapClaims) { delete(c, "role") }},
		{"nbf past", func(c jwt.MapClaims) { c["nbf"] = now.Add(-time.Minute).Unix() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := payload()
			tc.edit(c)
			got, err := k.Verify(signWith(t, jwt.SigningMethodHS256, secret, "k1", c), now)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got.CustomerID != 42 || got.SessionID != 7 {
				t.Errorf("Verify = %+v", got)
			}
		})
	}
}

func TestKeyRotation(t *testing.T) {
	old := mustRing(t, "old:"+secretOld)
	oldTok, err := old.Sign(validClaims())
	if err != nil {
		t.Fatal(err)
	}
	rotated := mustRing(t, "new:"+secretNew+", old:"+secretOld)
	newTok, err := rotated.Sign(validClaims())
	if err != nil {
		t.Fatal(err)
	}
	if kid := decodeSegment(t, strings.Split(newTok, ".")[0])["kid"]; kid != "new" {
		t.Errorf("new token kid = %v, want new", kid)
	}
	for _, tc := range []struct {
		name  string
		ring  *Keyring
		token string
		want  error
	}{
		{"old token, rotated ring", rotated, oldTok, nil},
		{"new token, rotated ring", rotated, newTok, nil},
		{"new token, old ring", old, newTok, ErrInvalid},
		{"old token, old key retired", mustRing(t, "new:"+secretNew), oldTok, ErrInvalid},
		{"old token, kid reused for another key", mustRing(t, "old:"+secretNew), oldTok, ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.ring.Verify(tc.token, now)
			if err != tc.want {
				t.Errorf("Verify = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestParseKeyring(t *testing.T) {
	long := strings.Repeat("s", 32)
	for _, tc := range []struct {
		name    string
		spec    string
		wantIDs []string // nil means an error is wanted
	}{
		{"one", "k1:" + long, []string{"k1"}},
		{"two", "k2:" + long + ",k1:" + strings.Repeat("t", 40), []string{"k2", "k1"}},
		{"blanks around entries", " a_b-C9:" + long + " , z:" + long + " ", []string{"a_b-C9", "z"}},
		{"colon in secret", "k1:" + long + ":x", []string{"k1"}},
		{"32-char kid", strings.Repeat("k", 32) + ":" + long, []string{strings.Repeat("k", 32)}},
		{"empty", "", nil},
		{"blank", "   ", nil},
		{"no colon", "k1" + long, nil},
		{"empty kid", ":" + long, nil},
		{"kid with space", "k 1:" + long, nil},
		{"kid with dot", "k.1:" + long, nil},
		{"kid with unicode", "kä:" + long, nil},
		{"33-char kid", strings.Repeat("k", 33) + ":" + long, nil},
		{"short secret", "k1:" + long[:31], nil},
		{"empty secret", "k1:", nil},
		{"short second secret", "k1:" + long + ",k2:short", nil},
		{"duplicate kid", "k1:" + long + ",k1:" + strings.Repeat("t", 32), nil},
		{"trailing comma", "k1:" + long + ",", nil},
		{"empty entry", "k1:" + long + ",,k2:" + long, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseKeyring(tc.spec)
			if tc.wantIDs == nil {
				if err == nil {
					t.Fatalf("ParseKeyring(%q) succeeded, want error", tc.spec)
				}
				if strings.Contains(err.Error(), long[:20]) {
					t.Errorf("error %q leaks the secret", err)
				}
				if _, ok := errors.AsType[*commerce.Error](err); ok {
					t.Errorf("error %v is a *commerce.Error, want a plain error", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseKeyring(%q): %v", tc.spec, err)
			}
			var ids []string
			for _, key := range k.keys {
				ids = append(ids, key.id)
			}
			if strings.Join(ids, ",") != strings.Join(tc.wantIDs, ",") {
				t.Errorf("key ids = %v, want %v", ids, tc.wantIDs)
			}
		})
	}
}

func TestRandomKeyring(t *testing.T) {
	a, b := RandomKeyring(), RandomKeyring()
	if len(a.keys) != 1 || len(a.keys[0].secret) < 32 || !validKid(a.keys[0].id) {
		t.Fatalf("RandomKeyring = %+v", a.keys)
	}
	tok, err := a.Sign(validClaims())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Verify(tok, now); err != nil {
		t.Errorf("Verify with the signing ring: %v", err)
	}
	if _, err := b.Verify(tok, now); err != ErrInvalid {
		t.Errorf("Verify with another random ring = %v, want ErrInvalid", err)
	}
}

func TestRefreshToken(t *testing.T) {
	tok, hash := NewRefreshToken()
	raw, err := base64.RawURLEncoding.Strict().DecodeString(tok)
	if err != nil || len(raw) != 32 || len(tok) != 43 {
		t.Errorf("token %q: want 32 bytes in unpadded base64url (err %v)", tok, err)
	}
	want := sha256.Sum256([]byte(tok))
	if string(hash) != string(want[:]) {
		t.Errorf("hash = %x, want sha256(token) = %x", hash, want)
	}
	if got := HashRefreshToken(tok); string(got) != string(hash) {
		t.Errorf("HashRefreshToken = %x, want %x", got, hash)
	}
	if got := HashRefreshToken(tok + "x"); string(got) == string(hash) {
		t.Error("HashRefreshToken of another token is the same")
	}
	seen := map[string]bool{}
	for range 100 {
		tok, _ := NewRefreshToken()
		if seen[tok] {
			t.Fatalf("NewRefreshToken repeated %q", tok)
		}
		seen[tok] = true
	}
}
