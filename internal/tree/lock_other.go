//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package tree

// lockDir is a no-op where flock is unavailable: concurrent runs on one output directory are
// then the operator's to avoid.
func lockDir(dir string) (unlock func(), err error) {
	return func() {}, nil
}
