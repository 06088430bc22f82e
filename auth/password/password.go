// Package password hashes and verifies customer passwords with argon2id and
// enforces the minimum password policy.
//
// Hashes are stored in the PHC string format, which records the parameters
// they were made with, so the parameters can be raised over time: Verify
// reports when a stored hash was made with parameters other than the current
// ones, and the caller re-hashes the password it has just verified.
package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"storefront/commerce"
)

// Params are the argon2id cost parameters.
type Params struct {
	Memory      uint32 // memory cost in KiB
	Iterations  uint32 // number of passes over the memory
	Parallelism uint8  // number of lanes
	SaltLen     uint32 // salt length in bytes
	KeyLen      uint32 // derived key length in bytes
}

// DefaultParams are the parameters new hashes are made with: 64 MiB, three
// passes, two lanes (RFC 9106's second recommendation, with fewer lanes).
var DefaultParams = Params{Memory: 64 * 1024, Iterations: 3, Parallelism: 2, SaltLen: 16, KeyLen: 32}

// Bounds on parameters, for new hashes and for stored ones alike. The upper
// bounds keep a corrupted or planted hash from costing unbounded memory or
// time; the lower bounds are RFC 9106's minimums (salt, memory) or a sane
// floor (key).
const (
	maxMemory     = 1 << 20 // KiB, 1 GiB
	maxIterations = 100
	minSaltLen    = 8
	maxSaltLen    = 1024
	minKeyLen     = 16
	maxKeyLen     = 1024
)

// Policy limits, in runes.
const (
	minLength = 8
	maxLength = 128
)

// validate reports whether p are parameters this package will hash or verify
// with.
func (p Params) validate() error {
	switch {
	case p.Parallelism < 1:
		return errors.New("parallelism must be at least 1")
	case p.Memory < 8*uint32(p.Parallelism):
		return fmt.Errorf("memory must be at least 8 KiB per lane (%d KiB)", 8*uint32(p.Parallelism))
	case p.Memory > maxMemory:
		return fmt.Errorf("memory must be at most %d KiB", maxMemory)
	case p.Iterations < 1 || p.Iterations > maxIterations:
		return fmt.Errorf("iterations must be between 1 and %d", maxIterations)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("salt length must be between %d and %d bytes", minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("key length must be between %d and %d bytes", minKeyLen, maxKeyLen)
	}
	return nil
}

// Hash derives an argon2id key from password with a fresh random salt and
// returns it in PHC format, recording the parameters:
//
//	$argon2id$v=19$m=65536,t=3,p=2$<salt>$<key>
//
// with salt and key in unpadded standard base64. It returns a (plain, not
// client-facing) error only when p is out of bounds: parallelism below 1,
// memory below 8 KiB per lane or above 1 GiB, iterations outside 1..100,
// salt length outside 8..1024 or key length outside 16..1024 bytes.
func Hash(password string, p Params) (string, error) {
	if err := p.validate(); err != nil {
		return "", fmt.Errorf("password: invalid params: %w", err)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: reading salt: %w", err)
	}
	key, err := derive(password, salt, p)
	if err != nil {
		return "", err
	}
	return encode(p, salt, key), nil
}

func encode(p Params, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Iterations, p.Parallelism,
		base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(key))
}

// errMalformed is the error for a stored hash that cannot be used. Its
// messages never include the hash itself.
func errMalformed(format string, args ...any) error {
	return fmt.Errorf("password: malformed hash: "+format, args...)
}

// decode parses a PHC argon2id string. The parameters it returns have
// SaltLen and KeyLen set from the decoded salt and key, and are within the
// bounds Hash accepts.
func decode(encoded string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return p, nil, nil, errMalformed("want 5 $-separated fields")
	}
	if parts[1] != "argon2id" {
		return p, nil, nil, errMalformed("algorithm is not argon2id")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, errMalformed("unsupported version")
	}
	ps := strings.Split(parts[3], ",")
	if len(ps) != 3 {
		return p, nil, nil, errMalformed("want parameters m,t,p")
	}
	m, err1 := parseParam(ps[0], "m=", 32)
	t, err2 := parseParam(ps[1], "t=", 32)
	par, err3 := parseParam(ps[2], "p=", 8)
	if err := errors.Join(err1, err2, err3); err != nil {
		return p, nil, nil, err
	}
	enc := base64.RawStdEncoding.Strict()
	salt, err = enc.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, errMalformed("salt is not unpadded base64")
	}
	key, err = enc.DecodeString(parts[5])
	if err != nil {
		return p, nil, nil, errMalformed("key is not unpadded base64")
	}
	p = Params{
		Memory:      uint32(m),
		Iterations:  uint32(t),
		Parallelism: uint8(par),
		SaltLen:     uint32(min(len(salt), maxSaltLen+1)),
		KeyLen:      uint32(min(len(key), maxKeyLen+1)),
	}
	if err := p.validate(); err != nil {
		return p, nil, nil, errMalformed("parameters refused: %v", err)
	}
	return p, salt, key, nil
}

func parseParam(s, prefix string, bits int) (uint64, error) {
	v, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return 0, errMalformed("want parameter %q", strings.TrimSuffix(prefix, "="))
	}
	n, err := strconv.ParseUint(v, 10, bits)
	if err != nil {
		return 0, errMalformed("parameter %q is not a number in range", strings.TrimSuffix(prefix, "="))
	}
	return n, nil
}

// Verify reports whether password matches the PHC string encoded, comparing
// keys in constant time, and, when it matches, whether the hash should be
// replaced by a new Hash(password, current) because it was made with
// parameters (memory, iterations, parallelism, salt or key length) other than
// current. needsRehash is false whenever ok is false.
//
// A hash that is not a well-formed argon2id v=19 PHC string, or whose
// parameters are out of the bounds Hash accepts (such as memory above 1 GiB,
// more than 100 iterations or a key longer than 1024 bytes), is refused with
// a plain error (a server-side fault, not a client one) without deriving any
// key; the error does not include the hash.
func Verify(password, encoded string, current Params) (ok, needsRehash bool, err error) {
	p, salt, key, err := decode(encoded)
	if err != nil {
		return false, false, err
	}
	got, err := derive(password, salt, p)
	if err != nil {
		return false, false, err
	}
	if subtle.ConstantTimeCompare(got, key) != 1 {
		return false, false, nil
	}
	return true, p != current, nil
}

// DummyVerify spends the time a Verify of password against a hash made with
// p would, and discards the result. Call it when no account matches the
// login, with the params Verify would see, so that response time does not
// reveal whether an account exists. Out-of-bounds p are replaced by
// DefaultParams. It returns ErrBusy when Verify would have.
func DummyVerify(password string, p Params) error {
	if p.validate() != nil {
		p = DefaultParams
	}
	salt := make([]byte, p.SaltLen)
	want := make([]byte, p.KeyLen)
	got, err := derive(password, salt, p)
	if err != nil {
		return err
	}
	subtle.ConstantTimeCompare(got, want)
	return nil
}

// ErrBusy is returned when no hashing slot came free within MaxWait.
var ErrBusy = errors.New("password: too many password checks at once")

// MaxWait is how long a hash waits for a slot.
var MaxWait = 10 * time.Second

// slots bounds the argon2id derivations running at once: each holds
// Params.Memory (64 MiB by default), so unbounded concurrent sign-ins
// would exhaust memory. As many as the CPUs can run (at least two).
var slots = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)))

func derive(password string, salt []byte, p Params) ([]byte, error) {
	t := time.NewTimer(MaxWait)
	defer t.Stop()
	select {
	case slots <- struct{}{}:
	case <-t.C:
		return nil, ErrBusy
	}
	defer func() { <-slots }()
	return idKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLen), nil
}

// idKey is argon2.IDKey; tests count the derivations running at once.
var idKey = argon2.IDKey

// CheckPolicy enforces the minimum password policy. A password must be valid
// UTF-8; be at least 8 and at most 128 characters (runes) long;
// not consist only of whitespace; not equal the email address or its local
// part (case-insensitively); and not be one of the most common passwords
// (case-insensitively). It returns nil or a commerce.InvalidField error on
// field (for example []string{"input", "password"}) whose message says which
// rule failed, and never echoes the password.
func CheckPolicy(password, email string, field []string) error {
	if !utf8.ValidString(password) {
		return commerce.InvalidField(field, "password must be valid UTF-8 text")
	}
	n := utf8.RuneCountInString(password)
	if n < minLength {
		return commerce.InvalidField(field, "password must be at least %d characters long", minLength)
	}
	if n > maxLength {
		return commerce.InvalidField(field, "password must be at most %d characters long", maxLength)
	}
	if strings.TrimSpace(password) == "" {
		return commerce.InvalidField(field, "password must not be only whitespace")
	}
	if email = strings.TrimSpace(email); email != "" {
		local := email
		if i := strings.LastIndexByte(email, '@'); i >= 0 {
			local = email[:i]
		}
		if strings.EqualFold(password, email) || (local != "" && strings.EqualFold(password, local)) {
			return commerce.InvalidField(field, "password must not be your email address")
		}
	}
	if isCommon(strings.ToLower(password)) {
		return commerce.InvalidField(field, "password is too common; choose a less predictable one")
	}
	return nil
}

// isCommon reports whether the lower-cased password s is one of the most
// common passwords of at least minLength characters.
func isCommon(s string) bool {
	switch s {
	case "password", "password1", "password123", "passw0rd",
		"12345678", "123456789", "1234567890", "87654321",
		"11111111", "00000000", "abc12345", "abcd1234",
		"qwertyui", "qwertyuiop", "qwerty123", "1q2w3e4r", "1qaz2wsx",
		"asdfghjk", "iloveyou", "sunshine", "princess", "football",
		"baseball", "welcome1", "trustno1", "superman", "letmein1", "admin123":
		return true
	}
	return false
}
