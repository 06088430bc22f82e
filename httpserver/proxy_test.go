package httpserver_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"storefront/httpserver"
)

// echoPeer answers with the client address the GraphQL handler sees.
var echoPeer = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.WriteString(w, r.RemoteAddr)
})

func proxyHandler(t *testing.T, trustProxy bool, trusted string) http.Handler {
	t.Helper()
	prefixes, err := httpserver.ParseTrustedProxies(trusted)
	if err != nil {
		t.Fatal(err)
	}
	return httpserver.New(httpserver.Config{
		Logger:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		GraphQL:        echoPeer,
		Ready:          func(context.Context) error { return nil },
		TrustProxy:     trustProxy,
		TrustedProxies: prefixes,
	})
}

// TestClientAddressBehindProxies: the client address is the right-most
// X-Forwarded-For entry that is not a trusted proxy; clients cannot spoof
// it by sending their own header, and malformed entries stop the walk.
func TestClientAddressBehindProxies(t *testing.T) {
	for _, tc := range []struct {
		name       string
		trustProxy bool
		trusted    string
		peer       string
		xff        []string
		want       string
	}{
		{"proxy headers not trusted", false, "", "203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9:5000"},
		{"no header", true, "", "203.0.113.9:5000", nil, "203.0.113.9:5000"},
		{"one proxy: right-most entry", true, "", "10.0.0.2:5000", []string{"198.51.100.1"}, "198.51.100.1:0"},
		{"one proxy: a spoofed first entry is ignored", true, "", "10.0.0.2:5000", []string{"6.6.6.6, 198.51.100.1"}, "198.51.100.1:0"},
		{"one proxy: several header lines", true, "", "10.0.0.2:5000", []string{"6.6.6.6", "198.51.100.1"}, "198.51.100.1:0"},
		{"one proxy: malformed right-most entry keeps the peer", true, "", "10.0.0.2:5000", []string{"198.51.100.1, garbage"}, "10.0.0.2:5000"},
		{"one proxy: entry with a port", true, "", "10.0.0.2:5000", []string{"198.51.100.1:4711"}, "198.51.100.1:0"},
		{"one proxy: IPv6 entry", true, "", "10.0.0.2:5000", []string{"[2001:db8::7]:4711"}, "[2001:db8::7]:0"},
		{"ranges: walk over trusted proxies", true, "10.0.0.0/8, 192.0.2.1", "10.0.0.2:5000",
			[]string{"6.6.6.6, 198.51.100.1, 192.0.2.1, 10.1.2.3"}, "198.51.100.1:0"},
		{"ranges imply TRUST_PROXY", false, "10.0.0.0/8", "10.0.0.2:5000", []string{"6.6.6.6, 198.51.100.1"}, "198.51.100.1:0"},
		{"ranges: untrusted peer is the client", true, "10.0.0.0/8", "203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9:0"},
		{"ranges: everything trusted gives the left-most", true, "10.0.0.0/8", "10.0.0.2:5000", []string{"10.9.9.9, 10.1.1.1"}, "10.9.9.9:0"},
		{"ranges: malformed entry stops at the last good one", true, "10.0.0.0/8", "10.0.0.2:5000",
			[]string{"198.51.100.1, not-an-ip, 10.1.1.1"}, "10.1.1.1:0"},
		{"ranges: malformed entry right after the peer", true, "10.0.0.0/8", "10.0.0.2:5000", []string{"198.51.100.1, ::zz"}, "10.0.0.2:0"},
		{"ranges: IPv4-mapped IPv6 peer", true, "10.0.0.0/8", "[::ffff:10.0.0.2]:5000", []string{"198.51.100.1"}, "198.51.100.1:0"},
		{"ranges: IPv6 range", true, "2001:db8::/32", "[2001:db8::1]:5000", []string{"198.51.100.1, 2001:db8::2"}, "198.51.100.1:0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := proxyHandler(t, tc.trustProxy, tc.trusted)
			req := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			req.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				req.Header.Add("X-Forwarded-For", v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if got := w.Body.String(); got != tc.want {
				t.Fatalf("client address %q, want %q", got, tc.want)
			}
		})
	}
}

// TestClientAddressOverAListener: through a real listener the peer is the
// loopback proxy, and the right-most entry wins.
func TestClientAddressOverAListener(t *testing.T) {
	srv := httptest.NewServer(proxyHandler(t, true, "127.0.0.1/32"))
	t.Cleanup(srv.Close)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/graphql", nil)
	req.Header.Set("X-Forwarded-For", "6.6.6.6, 198.51.100.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "198.51.100.1:0" {
		t.Fatalf("client address %q", body)
	}
}

func TestParseTrustedProxies(t *testing.T) {
	got, err := httpserver.ParseTrustedProxies(" 10.0.0.0/8,192.0.2.1 , 2001:db8::/32,::ffff:172.16.0.0/108,")
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.1/32"),
		netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("172.16.0.0/12"),
	}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "example.com", "10.0.0.1/8/1"} {
		if _, err := httpserver.ParseTrustedProxies(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
