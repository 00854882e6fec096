// Package parallel runs independent steps over a bounded pool of goroutines, with a result
// that does not depend on scheduling.
package parallel

import (
	"sync"
	"sync/atomic"
)

// Each calls fn(i) for i in 0..n-1 over at most workers goroutines (at least one). After a
// call fails no call with a higher index starts, while every lower one still runs, so the
// error returned, the one of the lowest index, is the one a loop in order would return.
func Each(n, workers int, fn func(i int) error) error {
	errs := make([]error, n)
	var lowestFailed atomic.Int64
	lowestFailed.Store(int64(n))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(workers, n)) {
		wg.Go(func() {
			for i := range next {
				if int64(i) > lowestFailed.Load() {
					continue
				}
				if errs[i] = fn(i); errs[i] != nil {
					lowerTo(&lowestFailed, int64(i))
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// lowerTo sets a to v when v is lower.
func lowerTo(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if v >= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}
