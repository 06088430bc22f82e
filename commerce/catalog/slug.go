package catalog

import "strings"

// Slugify lower-cases s and joins its runs of ASCII letters and digits with
// hyphens, dropping apostrophes: "Home & Garden" -> "home-garden",
// "Women's" -> "womens".
func Slugify(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	dash := false
	for _, c := range strings.ToLower(s) {
		switch {
		case c == '\'' || c == '\u2019':
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(c)
		default:
			dash = true
		}
	}
	return b.String()
}
