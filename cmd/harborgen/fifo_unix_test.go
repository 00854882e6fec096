//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A spec that is not a regular file is refused at once: a FIFO would block
// the read forever, a directory is a mistake.
func TestSpecMustBeARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "spec.toml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	asDir := filepath.Join(dir, "dir.toml")
	if err := os.Mkdir(asDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{fifo, asDir} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			done := make(chan struct{})
			var code int
			var stderr string
			go func() {
				defer close(done)
				code, _, stderr = harborgen("", "validate", path)
			}()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				// Unblock the reader so the test binary can finish.
				if f, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
					f.Close()
				}
				<-done
				t.Fatalf("validate of %s blocked instead of refusing it", path)
			}
			if code != 2 || !containsAll(stderr, "not a regular file") {
				t.Errorf("exit %d, stderr %q; want exit 2 and 'not a regular file'", code, stderr)
			}
		})
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
