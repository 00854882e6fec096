// Command harborgen turns one cluster spec into every file a highly-available
// Harbor registry needs on every node.
package main

import (
	"os"
	"runtime/debug"
)

func main() {
	tuneGC(os.LookupEnv)
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr, os.Environ()))
}

// A harborgen process is short and keeps most of what it allocates: with Go's default the
// collector runs every time the heap doubles from 4 MB, for 12 to 15% of a small render's
// or validate's time (docs/benchmarks.md, run 5). It runs when the heap grows 5x instead,
// and more often again as the heap nears 100 MiB (a soft limit: a 500-node render peaks at
// about 110 MB instead of 80). GOGC and GOMEMLIMIT, when set, keep their meaning.
const (
	gcPercent   = 400
	memoryLimit = 100 << 20
)

// tuneGC applies gcPercent and memoryLimit where the environment does not set its own.
func tuneGC(lookup func(string) (string, bool)) (percent, limit bool) {
	if _, set := lookup("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
		percent = true
	}
	if _, set := lookup("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(memoryLimit)
		limit = true
	}
	return percent, limit
}
