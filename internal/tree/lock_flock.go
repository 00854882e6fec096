//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package tree

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// lockDir takes an exclusive flock on dir, the parent of the output directory, so that two
// harborgen runs never clean up or swap each other's trees. The kernel drops it when the process
// dies. Filesystems without locks (some NFS mounts) run unlocked.
func lockDir(dir string) (unlock func(), err error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	for {
		err = unix.Flock(int(d.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	switch {
	case err == nil:
	case errors.Is(err, unix.ENOLCK), errors.Is(err, unix.EOPNOTSUPP):
	default:
		d.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	return func() { d.Close() }, nil
}
