package origin_test

import (
	"net/http/httptest"
	"testing"

	"storefront/httpserver/origin"
)

func TestAllowed(t *testing.T) {
	for _, tc := range []struct {
		allowed []string
		origin  string
		want    bool
	}{
		{[]string{"*"}, "https://anything.example", true},
		{[]string{"*"}, "", false},
		{[]string{"https://shop.example"}, "https://shop.example", true},
		{[]string{"https://shop.example"}, "https://SHOP.example", true},
		{[]string{" https://shop.example "}, "https://shop.example", true},
		{[]string{"https://shop.example"}, "http://shop.example", false},
		{[]string{"https://shop.example"}, "https://shop.example:8443", false},
		{[]string{"https://shop.example:8443"}, "https://shop.example:8443", true},
		{[]string{"https://shop.example"}, "https://evil.example", false},
		{[]string{"https://shop.example"}, "https://shop.example.evil.example", false},
		{[]string{"https://*.shop.example"}, "https://m.shop.example", true},
		{[]string{"https://*.shop.example"}, "https://shop.example", false},
		{[]string{"https://*.shop.example"}, "http://m.shop.example", false},
		{[]string{"shop.example"}, "http://shop.example", true},
		{[]string{"shop.example"}, "https://shop.example", true},
		{[]string{"shop.example/"}, "https://shop.example", true},
		{[]string{"localhost:*"}, "http://localhost:5173", true},
		{[]string{"", " "}, "https://shop.example", false},
		{nil, "https://shop.example", false},
		{[]string{"https://shop.example"}, "null", false},
		{[]string{"https://shop.example"}, "::not a url", false},
		{[]string{"https://a.example", "https://b.example"}, "https://b.example", true},
	} {
		if got := origin.New(tc.allowed).Allowed(tc.origin); got != tc.want {
			t.Errorf("allowed %q, origin %q: %v, want %v", tc.allowed, tc.origin, got, tc.want)
		}
	}
	if !origin.New([]string{"https://a.example", "*"}).Any() || origin.New([]string{"https://a.example"}).Any() {
		t.Error("Any is wrong")
	}
}

// TestAllowedRequest: a websocket upgrade passes without an Origin (a
// native app), from the server's own host, or from an allowed origin.
func TestAllowedRequest(t *testing.T) {
	m := origin.New([]string{"https://shop.example"})
	for _, tc := range []struct {
		host, origin string
		want         bool
	}{
		{"api.example", "", true},
		{"api.example", "https://api.example", true},
		{"api.example", "https://API.example", true},
		{"api.example", "https://shop.example", true},
		{"api.example", "https://evil.example", false},
	} {
		r := httptest.NewRequest("GET", "http://"+tc.host+"/graphql", nil)
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		if got := m.AllowedRequest(r); got != tc.want {
			t.Errorf("host %s, origin %q: %v, want %v", tc.host, tc.origin, got, tc.want)
		}
	}
}
