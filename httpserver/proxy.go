package httpserver

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies reads a comma-separated list of CIDR ranges and
// addresses (TRUSTED_PROXIES); a bare address is a range of one.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if strings.Contains(part, "/") {
			p, err := netip.ParsePrefix(part)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: %w", part, err)
			}
			if p.Addr().Is4In6() {
				p = netip.PrefixFrom(p.Addr().Unmap(), max(p.Bits()-96, 0))
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(part)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: %w", part, err)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// forwardedFor replaces the peer address with the client's, read from
// X-Forwarded-For. Proxies append the address they got the request from,
// so only the right end of the header can be believed: the walk starts at
// the peer and goes right to left over the entries while the address at
// hand is a trusted proxy; the first untrusted address is the client.
// With no trusted ranges, the peer is the one trusted proxy and the
// right-most entry is the client. A malformed entry stops the walk at the
// last address read.
func forwardedFor(trusted []netip.Prefix, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if client, ok := clientAddr(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), trusted); ok {
			r.RemoteAddr = netip.AddrPortFrom(client, 0).String()
		}
		next.ServeHTTP(w, r)
	})
}

// clientAddr returns the client address that peer and the X-Forwarded-For
// values show, or false to keep the peer address as it is.
func clientAddr(peer string, xff []string, trusted []netip.Prefix) (netip.Addr, bool) {
	cur, ok := parseHost(peer)
	if !ok || len(xff) == 0 {
		return netip.Addr{}, false
	}
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	entries := strings.Split(strings.Join(xff, ","), ",")
	if len(trusted) == 0 {
		// The peer is the proxy: its right-most entry is the client.
		if a, ok := parseHost(entries[len(entries)-1]); ok {
			return a, true
		}
		return netip.Addr{}, false
	}
	for i := len(entries) - 1; i >= 0 && isTrusted(cur); i-- {
		a, ok := parseHost(entries[i])
		if !ok {
			break
		}
		cur = a
	}
	return cur, true
}

// parseHost reads an address, with or without a port ("192.0.2.1",
// "192.0.2.1:4711", "2001:db8::1", "[2001:db8::1]:4711").
func parseHost(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().WithZone(""), true
	}
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}
