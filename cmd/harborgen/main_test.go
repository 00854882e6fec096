package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestTuneGC: harborgen's collector settings apply only where the environment sets none.
func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	for _, tc := range []struct {
		name           string
		env            map[string]string
		percent, limit bool
	}{
		{"none set", map[string]string{}, true, true},
		{"GOGC set", map[string]string{"GOGC": "50"}, false, true},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, true, false},
		{"both set, even empty", map[string]string{"GOGC": "", "GOMEMLIMIT": ""}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(math.MaxInt64)
			percent, limit := tuneGC(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
			if percent != tc.percent || limit != tc.limit {
				t.Fatalf("tuneGC set percent=%v limit=%v, want %v %v", percent, limit, tc.percent, tc.limit)
			}
			wantPercent, wantLimit := 100, int64(math.MaxInt64)
			if tc.percent {
				wantPercent = gcPercent
			}
			if tc.limit {
				wantLimit = memoryLimit
			}
			if got := debug.SetGCPercent(100); got != wantPercent {
				t.Errorf("GC percent %d, want %d", got, wantPercent)
			}
			if got := debug.SetMemoryLimit(-1); got != wantLimit {
				t.Errorf("memory limit %d, want %d", got, wantLimit)
			}
		})
	}
}
