package escape

import "strings"

// URLUserinfo returns the userinfo of a URL, "user:password" with both parts
// percent-encoded, to be followed by '@', as in
// "redis://" + URLUserinfo("", pass) + "@redis:6379/0". The ':' is always
// written, so an empty password reads back as set.
//
// Harbor breaks on a Redis password with '/', '@' or '%' (goharbor/harbor
// #18538, #18786) unless it is escaped this way.
func URLUserinfo(user, pass string) string {
	return percentEncode(user) + ":" + percentEncode(pass)
}

// URLPathSegment returns s as one percent-encoded URL path segment ('/'
// included), for a database name or a Sentinel master set.
func URLPathSegment(s string) string {
	return percentEncode(s)
}

// percentEncode escapes every byte but RFC 3986's unreserved characters, so
// the result means the same to every URL parser in whatever URL part it is
// placed; net/url's own escapers leave sub-delimiters such as '$' and ';'
// bare.
func percentEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0x0f])
	}
	return b.String()
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}
