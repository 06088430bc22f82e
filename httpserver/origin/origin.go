// Package origin decides which browser origins may call the API. One
// Matcher serves CORS (httpserver) and both websocket protocols (graph),
// so that an origin is allowed everywhere or nowhere.
package origin

import (
	"net/http"
	"net/url"
	"path"
	"strings"
)

// Matcher holds the allowed origins. Each entry of the list it is made
// from is one of:
//
//   - any origin
//     https://shop.example      that scheme and host (and port, if given)
//     https://*.shop.example    that scheme, hosts matching the pattern (path.Match)
//     shop.example              that host (or pattern) under any scheme
//
// Hosts compare without regard to case. Blank entries are ignored.
type Matcher struct {
	any   bool
	rules []rule
}

type rule struct {
	scheme string // "" for any
	host   string // a path.Match pattern
}

// New returns the matcher of the allowed origins.
func New(allowed []string) Matcher {
	var m Matcher
	for _, a := range allowed {
		a = strings.ToLower(strings.TrimSpace(a))
		switch {
		case a == "":
		case a == "*":
			m.any = true
		case strings.Contains(a, "://"):
			if u, err := url.Parse(a); err == nil && u.Host != "" {
				m.rules = append(m.rules, rule{scheme: u.Scheme, host: u.Host})
			}
		default:
			m.rules = append(m.rules, rule{host: strings.TrimSuffix(a, "/")})
		}
	}
	return m
}

// Any reports whether every origin is allowed.
func (m Matcher) Any() bool { return m.any }

// Allowed reports whether a browser may call the API from origin (the
// Origin header: "https://shop.example"). An empty or unreadable origin
// is not allowed.
func (m Matcher) Allowed(origin string) bool {
	if origin == "" {
		return false
	}
	if m.any {
		return true
	}
	u, err := url.Parse(strings.ToLower(origin))
	if err != nil || u.Host == "" {
		return false
	}
	for _, r := range m.rules {
		if r.scheme != "" && r.scheme != u.Scheme {
			continue
		}
		if ok, _ := path.Match(r.host, u.Host); ok {
			return true
		}
	}
	return false
}

// AllowedRequest is the check of a websocket upgrade: requests without an
// Origin (native apps) and from a page of the server's own host pass, and
// a browser's from an allowed origin.
func (m Matcher) AllowedRequest(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	if u, err := url.Parse(o); err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return m.Allowed(o)
}
