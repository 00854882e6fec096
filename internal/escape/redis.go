package escape

import (
	"fmt"
	"strings"
)

// RedisConf returns a redis.conf (or sentinel.conf) argument as Redis's
// sdssplitargs reads it: double-quoted, with \\ and \" for backslash and
// quote and \xHH for every other control character, which sdssplitargs turns
// back into that byte. Other bytes, UTF-8 or not, are copied as they are.
//
// NUL is rejected: Redis hands many configuration strings on as C strings,
// which end at NUL.
func RedisConf(s string) (string, error) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return "", unrepresentable("redis.conf", s, i, "Redis passes configuration strings on as C strings, which end at NUL")
	}
	return quoteWith(s, func(c byte) string {
		if c < 0x20 || c == 0x7f {
			return fmt.Sprintf(`\x%02x`, c)
		}
		return backslashQuote(c)
	}), nil
}
