package parallel

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
)

func TestEach(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n       int
		workers int
		fail    map[int]bool
		wantErr string
	}{
		{name: "none", n: 0, workers: 4},
		{name: "all succeed", n: 100, workers: 4},
		{name: "more workers than steps", n: 3, workers: 16},
		{name: "no workers asked: one", n: 5, workers: 0},
		{name: "the lowest failing index wins", n: 200, workers: 8, fail: map[int]bool{150: true, 7: true, 90: true}, wantErr: "step 7"},
		{name: "one worker stops at the first failure", n: 50, workers: 1, fail: map[int]bool{3: true, 4: true}, wantErr: "step 3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 20 { // schedules vary; the result must not
				var calls atomic.Int64
				ran := make([]atomic.Bool, tc.n)
				err := Each(tc.n, tc.workers, func(i int) error {
					calls.Add(1)
					ran[i].Store(true)
					if tc.fail[i] {
						return fmt.Errorf("step %d", i)
					}
					return nil
				})
				if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				lowest := tc.n
				for i := range tc.fail {
					lowest = min(lowest, i)
				}
				for i := range lowest {
					if !ran[i].Load() {
						t.Fatalf("step %d, below the failure at %d, did not run", i, lowest)
					}
				}
				if tc.workers == 1 && tc.wantErr != "" && calls.Load() != int64(lowest+1) {
					t.Fatalf("one worker ran %d steps after the failure at %d", calls.Load()-int64(lowest+1), lowest)
				}
			}
		})
	}
	if err := Each(1, 1, func(int) error { return errors.ErrUnsupported }); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("the error is not returned as is: %v", err)
	}
}
