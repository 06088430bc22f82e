package app

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"storefront/httpserver"
)

// clearEnv makes the settings under test start from their defaults,
// whatever the environment of the test run holds.
func clearEnv(t *testing.T) {
	for _, k := range []string{"PRODUCTION", "PLAYGROUND", "INTROSPECTION", "TLS_CERT_FILE", "TLS_KEY_FILE",
		"TRUSTED_PROXIES", "TRUST_PROXY", "BODY_READ_TIMEOUT"} {
		t.Setenv(k, "")
	}
}

// TestLoadConfigHTTPSettings: production mode turns the playground and
// introspection off unless they are asked for explicitly (flag or
// environment); TLS needs both files; trusted proxies and the body timeout
// are read and checked.
func TestLoadConfigHTTPSettings(t *testing.T) {
	for _, tc := range []struct {
		name                                  string
		env                                   map[string]string
		args                                  []string
		production, playground, introspection bool
		err                                   string
	}{
		{name: "defaults", playground: true, introspection: true},
		{name: "production", env: map[string]string{"PRODUCTION": "true"}, production: true},
		{name: "production flag", args: []string{"-production"}, production: true},
		{name: "production, playground asked for", env: map[string]string{"PRODUCTION": "1", "PLAYGROUND": "true"}, production: true, playground: true},
		{name: "production, introspection flag", args: []string{"-production", "-introspection"}, production: true, introspection: true},
		{name: "production, explicit false", env: map[string]string{"PRODUCTION": "true", "INTROSPECTION": "false"}, production: true},
		{name: "introspection off outside production", env: map[string]string{"INTROSPECTION": "false"}, playground: true},
		{name: "cert without key", env: map[string]string{"TLS_CERT_FILE": "cert.pem"}, err: "TLS_CERT_FILE and TLS_KEY_FILE"},
		{name: "key without cert", args: []string{"-tls-key-file", "key.pem"}, err: "TLS_CERT_FILE and TLS_KEY_FILE"},
		{name: "bad trusted proxy", env: map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8,proxy.internal"}, err: "TRUSTED_PROXIES"},
		{name: "zero body timeout", args: []string{"-body-read-timeout", "0s"}, err: "BODY_READ_TIMEOUT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			cfg, err := LoadConfig(tc.args)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one about %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.production != tc.production || cfg.playground != tc.playground || cfg.introspection != tc.introspection {
				t.Fatalf("production %v playground %v introspection %v, want %v %v %v",
					cfg.production, cfg.playground, cfg.introspection, tc.production, tc.playground, tc.introspection)
			}
			if cfg.bodyReadTimeout != 10*time.Second {
				t.Fatalf("body read timeout %v", cfg.bodyReadTimeout)
			}
		})
	}
	clearEnv(t)
	t.Setenv("TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.7")
	cfg, err := LoadConfig([]string{"-body-read-timeout", "2s"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.trustedProxies) != 2 || cfg.trustedProxies[1] != netip.MustParsePrefix("192.0.2.7/32") || cfg.bodyReadTimeout != 2*time.Second {
		t.Fatalf("trusted proxies %v, body timeout %v", cfg.trustedProxies, cfg.bodyReadTimeout)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key into dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "storefront test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// start serves the HTTP surface (with a stand-in GraphQL handler) the way
// run does, on a real listener, and stops it with the test.
func start(t *testing.T, cfg Config) string {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := httpserver.New(httpserver.Config{
		Logger: logger,
		GraphQL: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"data":{"__typename":"Query"}}`)
		}),
		Ready:           func(context.Context) error { return nil },
		BodyReadTimeout: cfg.bodyReadTimeout,
	})
	srv := newHTTPServer(cfg, h, logger)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- serve(srv, ln, cfg) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// TestServeTLS: with TLS_CERT_FILE and TLS_KEY_FILE the server speaks
// HTTPS (at least TLS 1.2, HTTP/2 offered) with HSTS, the body deadline
// holds over HTTP/2, and plain HTTP on that port is refused.
func TestServeTLS(t *testing.T) {
	clearEnv(t)
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	t.Setenv("TLS_CERT_FILE", certFile)
	t.Setenv("TLS_KEY_FILE", keyFile)
	cfg, err := LoadConfig([]string{"-body-read-timeout", "1s"})
	if err != nil {
		t.Fatal(err)
	}
	addr := start(t, cfg)

	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, err := client.Post("https://"+addr+"/graphql", "application/json", strings.NewReader(`{"query":"{ __typename }"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != `{"data":{"__typename":"Query"}}` {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 || resp.ProtoMajor != 2 {
		t.Fatalf("TLS %+v over %s", resp.TLS, resp.Proto)
	}
	if hsts := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(hsts, "max-age=") {
		t.Fatalf("Strict-Transport-Security %q", hsts)
	}

	// Over HTTP/2 too, a body that does not come is cut at the deadline.
	pr, pw := io.Pipe()
	defer pw.Close()
	go func() { _, _ = io.WriteString(pw, `{"query":`) }()
	started := time.Now()
	resp, err = client.Post("https://"+addr+"/graphql", "application/json", pr)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout || resp.ProtoMajor != 2 || !strings.Contains(string(body), `"REQUEST_TIMEOUT"`) {
		t.Fatalf("stalled body over %s: %d %s", resp.Proto, resp.StatusCode, body)
	}
	if d := time.Since(started); d < 900*time.Millisecond || d > 5*time.Second {
		t.Fatalf("stalled body answered after %v, want about 1 s", d)
	}

	// TLS 1.1 is refused.
	old := &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11}
	if conn, err := tls.Dial("tcp", addr, old); err == nil {
		conn.Close()
		t.Fatal("TLS 1.1 handshake accepted")
	}
	// Plain HTTP on the TLS port is refused by the TLS layer (net/http's
	// 400), not served.
	plain, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	plain.Body.Close()
	if plain.StatusCode != http.StatusBadRequest {
		t.Fatalf("plain HTTP on the TLS port: %d", plain.StatusCode)
	}
}

// TestHTTPServerLimits: over plain HTTP (no HSTS), a request whose headers
// pass 64 KiB is refused with 431, one under it is served, and nothing
// bounds how long a response may stream.
func TestHTTPServerLimits(t *testing.T) {
	clearEnv(t)
	cfg, err := LoadConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := start(t, cfg)
	for _, tc := range []struct {
		size   int
		status int
	}{{32 << 10, http.StatusOK}, {100 << 10, http.StatusRequestHeaderFieldsTooLarge}} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: test\r\nX-Filler: %s\r\n\r\n", strings.Repeat("a", tc.size))
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%d bytes of headers: %v", tc.size, err)
		}
		resp.Body.Close()
		conn.Close()
		if resp.StatusCode != tc.status {
			t.Fatalf("%d bytes of headers: status %d, want %d", tc.size, resp.StatusCode, tc.status)
		}
		if tc.status == http.StatusOK && resp.Header.Get("Strict-Transport-Security") != "" {
			t.Fatal("HSTS over plain HTTP")
		}
	}
	srv := newHTTPServer(cfg, http.NotFoundHandler(), slog.Default())
	if srv.WriteTimeout != 0 || srv.ReadTimeout != 0 || srv.IdleTimeout == 0 || srv.ReadHeaderTimeout == 0 {
		t.Fatalf("timeouts: write %v read %v idle %v header %v", srv.WriteTimeout, srv.ReadTimeout, srv.IdleTimeout, srv.ReadHeaderTimeout)
	}
}

// TestConfigCurrency: SHOP_CURRENCY (or -currency) must be an active ISO 4217 code in
// upper case.
func TestConfigCurrency(t *testing.T) {
	for cur, ok := range map[string]bool{
		"USD": true, "EUR": true, "PLN": true, "JPY": true, "KWD": true,
		"ABC": false, "ZZZ": false, "XXX": false, "XTS": false, "HRK": false, "DEM": false,
		"usd": false, "US": false, "USDD": false, "": false,
	} {
		cfg, err := LoadConfig([]string{"-currency=" + cur})
		if ok && (err != nil || cfg.currency != cur) {
			t.Errorf("SHOP_CURRENCY=%q: %v", cur, err)
		}
		if !ok && (err == nil || !strings.Contains(err.Error(), "ISO 4217")) {
			t.Errorf("SHOP_CURRENCY=%q: accepted (err %v)", cur, err)
		}
	}
	t.Setenv("SHOP_CURRENCY", "ZZZ")
	if _, err := LoadConfig(nil); err == nil {
		t.Error("SHOP_CURRENCY=ZZZ accepted")
	}
	t.Setenv("SHOP_CURRENCY", "")
	if cfg, err := LoadConfig(nil); err != nil || cfg.currency != "USD" {
		t.Errorf("empty SHOP_CURRENCY: %q, %v; want the default USD", cfg.currency, err)
	}
}

// TestConfigRefusesUnreadableValues: a variable that is set but cannot be
// read as its type stops the start with an error that names it and says
// what it wants, instead of the default taking its place; every such
// variable is reported at once.
func TestConfigRefusesUnreadableValues(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"DB_MAX_CONNS", "abc", "whole number"},
		{"ACCESS_TOKEN_TTL", "15", "duration with a unit"},
		{"SEED_DEMO", "ture", "true or false"},
		{"RESPONSE_CACHE_MB", "64MB", "whole number"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			clearEnv(t)
			t.Setenv(tc.key, tc.value)
			_, err := LoadConfig(nil)
			if err == nil || !strings.Contains(err.Error(), tc.key+"=") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%s=%s: error %v, want one naming it and %q", tc.key, tc.value, err, tc.want)
			}
		})
	}
	clearEnv(t)
	t.Setenv("DB_MAX_CONNS", "abc")
	t.Setenv("UNPAID_ORDER_TTL", "soon")
	_, err := LoadConfig(nil)
	if err == nil || !strings.Contains(err.Error(), "DB_MAX_CONNS") || !strings.Contains(err.Error(), "UNPAID_ORDER_TTL") {
		t.Fatalf("two bad variables: %v, want both named", err)
	}
	// Readable values and empty ones (the default) start.
	clearEnv(t)
	t.Setenv("UNPAID_ORDER_TTL", "")
	t.Setenv("DB_MAX_CONNS", "12")
	t.Setenv("ACCESS_TOKEN_TTL", "5m")
	t.Setenv("SEED_DEMO", "")
	cfg, err := LoadConfig(nil)
	if err != nil || cfg.dbMaxConns != 12 || cfg.accessTTL != 5*time.Minute || cfg.seedDemo {
		t.Fatalf("readable values: %+v, %v", cfg, err)
	}
}

// TestConfigSettingsHideSecrets: the effective configuration (logged at
// debug level) lists every setting, with the signing keys, the staff
// password and the database password masked.
func TestConfigSettingsHideSecrets(t *testing.T) {
	clearEnv(t)
	t.Setenv("JWT_KEYS", "k1:0123456789abcdef0123456789abcdef-secret")
	t.Setenv("STAFF_EMAIL", "boss@example.com")
	t.Setenv("STAFF_PASSWORD", "hunter2-very-secret")
	t.Setenv("DATABASE_URL", "postgres://shop:dbpass-secret@db.example:5432/shop")
	t.Setenv("DB_MAX_CONNS", "7")
	cfg, err := LoadConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelDebug})).Debug("configuration", cfg.settings...)
	out := b.String()
	if strings.Contains(out, "secret") {
		t.Fatalf("a secret is in the log: %s", out)
	}
	for _, want := range []string{"db-max-conns=7", "staff-email=boss@example.com", "jwt-keys=", "staff-password=", "db.example", "addr=:8080"} {
		if !strings.Contains(out, want) {
			t.Errorf("the settings lack %q: %s", want, out)
		}
	}
}
