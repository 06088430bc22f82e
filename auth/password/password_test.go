package password

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"storefront/commerce"
)

// fast are cheap parameters so that tests under -race stay quick.
var fast = Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

func TestHashFormat(t *testing.T) {
	h, err := Hash("correct horse", fast)
	if err != nil {
		t.Fatal(err)
	}
	if want := "$argon2id$v=19$m=1024,t=1,p=1$"; !strings.HasPrefix(h, want) {
		t.Errorf("Hash = %q, want prefix %q", h, want)
	}
	if parts := strings.Split(h, "$"); len(parts) != 6 || len(parts[4]) != 22 || len(parts[5]) != 43 {
		t.Errorf("Hash = %q: want unpadded base64 salt (22 chars) and key (43 chars)", h)
	}
	h2, err := Hash("correct horse", fast)
	if err != nil {
		t.Fatal(err)
	}
	if h == h2 {
		t.Error("two hashes of the same password are equal: salt not random")
	}
	h3, err := Hash("x", Params{Memory: 2048, Iterations: 2, Parallelism: 4, SaltLen: 8, KeyLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	if want := "$argon2id$v=19$m=2048,t=2,p=4$"; !strings.HasPrefix(h3, want) {
		t.Errorf("Hash = %q, want prefix %q", h3, want)
	}
}

func TestHashRefusesBadParams(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Params
	}{
		{"zero", Params{}},
		{"no lanes", Params{Memory: 1024, Iterations: 1, Parallelism: 0, SaltLen: 16, KeyLen: 32}},
		{"no iterations", Params{Memory: 1024, Iterations: 0, Parallelism: 1, SaltLen: 16, KeyLen: 32}},
		{"too little memory", Params{Memory: 15, Iterations: 1, Parallelism: 2, SaltLen: 16, KeyLen: 32}},
		{"too much memory", Params{Memory: 1<<20 + 1, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}},
		{"too many iterations", Params{Memory: 1024, Iterations: 101, Parallelism: 1, SaltLen: 16, KeyLen: 32}},
		{"short salt", Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLen: 7, KeyLen: 32}},
		{"short key", Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 15}},
		{"long key", Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 1025}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if h, err := Hash("pw", tc.p); err == nil {
				t.Errorf("Hash(%+v) = %q, want error", tc.p, h)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	h, err := Hash("correct horse battery", fast)
	if err != nil {
		t.Fatal(err)
	}
	stronger := fast
	stronger.Iterations = 2
	for _, tc := range []struct {
		name       string
		password   string
		current    Params
		ok, rehash bool
	}{
		{"match", "correct horse battery", fast, true, false},
		{"wrong password", "correct horse batterY", fast, false, false},
		{"empty password", "", fast, false, false},
		{"prefix of password", "correct horse", fast, false, false},
		{"match, iterations raised", "correct horse battery", stronger, true, true},
		{"match, memory changed", "correct horse battery", Params{Memory: 2048, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, true, true},
		{"match, lanes changed", "correct horse battery", Params{Memory: 1024, Iterations: 1, Parallelism: 2, SaltLen: 16, KeyLen: 32}, true, true},
		{"match, salt length changed", "correct horse battery", Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLen: 32, KeyLen: 32}, true, true},
		{"match, key length changed", "correct horse battery", Params{Memory: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 64}, true, true},
		{"match, defaults", "correct horse battery", DefaultParams, true, true},
		{"no match, params changed", "wrong", stronger, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, rehash, err := Verify(tc.password, h, tc.current)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if ok != tc.ok || rehash != tc.rehash {
				t.Errorf("Verify = (%v, %v), want (%v, %v)", ok, rehash, tc.ok, tc.rehash)
			}
		})
	}
}

// TestDecodeRoundTrip checks that decoding a hash and encoding it again gives
// back the same string, with the params it was made with.
func TestDecodeRoundTrip(t *testing.T) {
	h, err := Hash("pw", fast)
	if err != nil {
		t.Fatal(err)
	}
	p, salt, key, err := decode(h)
	if err != nil {
		t.Fatal(err)
	}
	if p != fast {
		t.Errorf("decoded params %+v, want %+v", p, fast)
	}
	if got := encode(p, salt, key); got != h {
		t.Errorf("encode(decode(h)) = %q, want %q", got, h)
	}
}

func TestVerifyMalformed(t *testing.T) {
	h, err := Hash("pw", fast)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(h, "$") // "", argon2id, v=19, m=..,t=..,p=.., salt, key
	salt, key := parts[4], parts[5]
	join := func(ps ...string) string { return strings.Join(ps, "$") }
	for _, tc := range []struct {
		name    string
		encoded string
	}{
		{"empty", ""},
		{"garbage", "not a hash"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"},
		{"no leading $", join("argon2id", "v=19", "m=1024,t=1,p=1", salt, key)},
		{"wrong prefix", join("", "argon2", "v=19", "m=1024,t=1,p=1", salt, key)},
		{"argon2i", join("", "argon2i", "v=19", "m=1024,t=1,p=1", salt, key)},
		{"argon2d", join("", "argon2d", "v=19", "m=1024,t=1,p=1", salt, key)},
		{"uppercase algorithm", join("", "ARGON2ID", "v=19", "m=1024,t=1,p=1", salt, key)},
		{"old version", join("", "argon2id", "v=16", "m=1024,t=1,p=1", salt, key)},
		{"missing version", join("", "argon2id", "m=1024,t=1,p=1", salt, key)},
		{"missing key", join("", "argon2id", "v=19", "m=1024,t=1,p=1", salt)},
		{"missing salt and key", join("", "argon2id", "v=19", "m=1024,t=1,p=1")},
		{"extra field", h + "$x"},
		{"trailing $", h + "$"},
		{"params out of order", join("", "argon2id", "v=19", "t=1,m=1024,p=1", salt, key)},
		{"missing param", join("", "argon2id", "v=19", "m=1024,t=1", salt, key)},
		{"extra param", join("", "argon2id", "v=19", "m=1024,t=1,p=1,keyid=x", salt, key)},
		{"param not a number", join("", "argon2id", "v=19", "m=lots,t=1,p=1", salt, key)},
		{"negative param", join("", "argon2id", "v=19", "m=1024,t=-1,p=1", salt, key)},
		{"empty param", join("", "argon2id", "v=19", "m=,t=1,p=1", salt, key)},
		{"m overflows uint32", join("", "argon2id", "v=19", "m=4294967296,t=1,p=1", salt, key)},
		{"p overflows uint8", join("", "argon2id", "v=19", "m=1024,t=1,p=256", salt, key)},
		{"huge m", join("", "argon2id", "v=19", "m=4294967295,t=1,p=1", salt, key)},
		{"m just over 1 GiB", join("", "argon2id", "v=19", "m=1048577,t=1,p=1", salt, key)},
		{"huge t", join("", "argon2id", "v=19", "m=1024,t=1000000,p=1", salt, key)},
		{"t=0", join("", "argon2id", "v=19", "m=1024,t=0,p=1", salt, key)},
		{"p=0", join("", "argon2id", "v=19", "m=1024,t=1,p=0", salt, key)},
		{"m below 8p", join("", "argon2id", "v=19", "m=8,t=1,p=2", salt, key)},
		{"bad base64 salt", join("", "argon2id", "v=19", "m=1024,t=1,p=1", "!!!!"+salt[4:], key)},
		{"bad base64 key", join("", "argon2id", "v=19", "m=1024,t=1,p=1", salt, key[:10]+"*"+key[11:])},
		{"padded base64 key", join("", "argon2id", "v=19", "m=1024,t=1,p=1", salt, key+"=")},
		{"url base64 key", join("", "argon2id", "v=19", "m=1024,t=1,p=1", salt, strings.Repeat("_", 43))},
		{"empty salt", join("", "argon2id", "v=19", "m=1024,t=1,p=1", "", key)},
		{"short salt", join("", "argon2id", "v=19", "m=1024,t=1,p=1", "AAAA", key)},
		{"short key", join("", "argon2id", "v=19", "m=1024,t=1,p=1", salt, "AAAAAAAA")},
		{"huge key", join("", "argon2id", "v=19", "m=1024,t=1,p=1", salt, strings.Repeat("A", 1400))},
		{"huge salt", join("", "argon2id", "v=19", "m=1024,t=1,p=1", strings.Repeat("A", 1400), key)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, rehash, err := Verify("pw", tc.encoded, fast)
			if err == nil {
				t.Fatalf("Verify(%q) = (%v, %v, nil), want error", tc.encoded, ok, rehash)
			}
			if ok || rehash {
				t.Errorf("Verify(%q) = (%v, %v, %v), want (false, false, error)", tc.encoded, ok, rehash, err)
			}
			if tc.encoded != "" && strings.Contains(err.Error(), tc.encoded) {
				t.Errorf("error %q leaks the hash", err)
			}
		})
	}
}

func TestDummyVerify(t *testing.T) {
	// It must not panic, whatever the params.
	DummyVerify("pw", fast)
	DummyVerify("pw", Params{Memory: 8, Iterations: 1, Parallelism: 1, SaltLen: 8, KeyLen: 16})
	if testing.Short() {
		return
	}
	DummyVerify("pw", Params{}) // falls back to DefaultParams
}

func TestCheckPolicy(t *testing.T) {
	field := []string{"input", "password"}
	for _, tc := range []struct {
		name     string
		password string
		email    string
		wantMsg  string // substring of the message; "" means valid
	}{
		{"ok", "correct horse battery staple", "ann@example.com", ""},
		{"exactly 8", "Tr0ub4d!", "ann@example.com", ""},
		{"8 runes, more bytes", "pässwörd", "ann@example.com", ""},
		{"exactly 128", strings.Repeat("ab", 64), "ann@example.com", ""},
		{"128 multibyte runes", strings.Repeat("é", 128), "ann@example.com", ""},
		{"no email", "hunter2hunter2", "", ""},
		{"email as part", "ann@example.com!", "ann@example.com", ""},
		{"empty", "", "ann@example.com", "at least 8"},
		{"7 chars", "Tr0ub4d", "ann@example.com", "at least 8"},
		{"7 runes, 14 bytes", "ééééééé", "ann@example.com", "at least 8"},
		{"129", strings.Repeat("a", 128) + "b", "ann@example.com", "at most 128"},
		{"129 multibyte runes", strings.Repeat("é", 129), "ann@example.com", "at most 128"},
		{"spaces", "        ", "ann@example.com", "whitespace"},
		{"mixed whitespace", " \t\n\r \u00a0\u2003 ", "ann@example.com", "whitespace"},
		{"equals email", "ann.smith@example.com", "ann.smith@example.com", "email"},
		{"equals email, other case", "Ann.Smith@Example.COM", "ann.smith@example.com", "email"},
		{"equals local part", "ann.smith", "ann.smith@example.com", "email"},
		{"equals local part, other case", "ANN.SMITH", "ann.smith@example.com", "email"},
		{"equals email, email padded", "ann.smith@example.com", "  ann.smith@example.com ", "email"},
		{"common", "password", "ann@example.com", "too common"},
		{"common, capitalised", "Password1", "ann@example.com", "too common"},
		{"common digits", "12345678", "ann@example.com", "too common"},
		{"common qwertyui", "qwertyui", "ann@example.com", "too common"},
		{"common iloveyou", "iloveyou", "ann@example.com", "too common"},
		{"common 123456789", "123456789", "ann@example.com", "too common"},
		{"common 11111111", "11111111", "ann@example.com", "too common"},
		{"common abc12345", "ABC12345", "ann@example.com", "too common"},
		{"invalid UTF-8", "abcdefg\xff", "ann@example.com", "UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPolicy(tc.password, tc.email, field)
			if tc.wantMsg == "" {
				if err != nil {
					t.Fatalf("CheckPolicy(%q, %q) = %v, want nil", tc.password, tc.email, err)
				}
				return
			}
			ce, ok := errors.AsType[*commerce.Error](err)
			if !ok {
				t.Fatalf("CheckPolicy(%q, %q) = %v, want *commerce.Error", tc.password, tc.email, err)
			}
			if ce.Code != commerce.Invalid {
				t.Errorf("code = %s, want %s", ce.Code, commerce.Invalid)
			}
			if !slices.Equal(ce.Field, field) {
				t.Errorf("field = %v, want %v", ce.Field, field)
			}
			if !strings.Contains(ce.Message, tc.wantMsg) {
				t.Errorf("message = %q, want it to contain %q", ce.Message, tc.wantMsg)
			}
			if len(strings.TrimSpace(tc.password)) > 0 && tc.password != "password" && strings.Contains(ce.Message, tc.password) {
				t.Errorf("message %q echoes the password", ce.Message)
			}
		})
	}
}

func BenchmarkHashDefault(b *testing.B) {
	for b.Loop() {
		if _, err := Hash("correct horse battery staple", DefaultParams); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDerivationsAreBounded: however many hashes are asked for at once, at
// most cap(slots) derivations run together (each holds Params.Memory); a
// hash that finds no slot within MaxWait fails with ErrBusy.
func TestDerivationsAreBounded(t *testing.T) {
	var running, peak atomic.Int32
	real := idKey
	idKey = func(pw, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		defer running.Add(-1)
		return real(pw, salt, time, memory, threads, keyLen)
	}
	defer func() { idKey = real }()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := Hash("a long enough password", fast); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if p := peak.Load(); p < 1 || int(p) > cap(slots) {
		t.Fatalf("%d derivations ran at once, the bound is %d", p, cap(slots))
	}

	oldWait := MaxWait
	MaxWait = 10 * time.Millisecond
	defer func() { MaxWait = oldWait }()
	for range cap(slots) {
		slots <- struct{}{}
	}
	defer func() {
		for range cap(slots) {
			<-slots
		}
	}()
	if _, err := Hash("a long enough password", fast); !errors.Is(err, ErrBusy) {
		t.Fatalf("Hash with every slot taken: %v, want ErrBusy", err)
	}
	if err := DummyVerify("pw", fast); !errors.Is(err, ErrBusy) {
		t.Fatalf("DummyVerify with every slot taken: %v, want ErrBusy", err)
	}
}
