package spec

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseSize parses a size such as 512M, 1G, 2gb or 10T into bytes (binary
// units, as MariaDB, Redis and radosgw read them).
func ParseSize(s string) (uint64, error) {
	t := strings.TrimSuffix(strings.TrimSuffix(s, "b"), "B")
	mult := uint64(1)
	if t != "" {
		switch unit := t[len(t)-1]; unit {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		case 't', 'T':
			mult = 1 << 40
		}
		if mult > 1 {
			t = t[:len(t)-1]
		}
	}
	n, err := strconv.ParseUint(t, 10, 64)
	if err != nil || t == "" || t[0] == '+' {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	if n > math.MaxUint64/mult {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return n * mult, nil
}
