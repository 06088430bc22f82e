package httpserver

import "net/http"

// Content security policies: API responses load nothing and may not be
// framed; the playground loads its scripts and styles from a CDN, so it is
// only kept out of frames (and from plugins and <base> tricks).
const (
	apiCSP        = "default-src 'none'; frame-ancestors 'none'"
	playgroundCSP = "frame-ancestors 'none'; object-src 'none'; base-uri 'none'"
)

// securityHeaders sets the browser hardening headers on every response,
// and Strict-Transport-Security on those served over TLS.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", apiCSP)
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// playgroundPolicy relaxes the policy for the GraphiQL page.
func playgroundPolicy(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", playgroundCSP)
		next.ServeHTTP(w, r)
	})
}
