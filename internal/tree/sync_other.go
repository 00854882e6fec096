//go:build !linux

package tree

import "errors"

// syncfs is Linux-only; elsewhere Write fsyncs each entry.
func syncfs(string) error { return errors.New("syncfs: not supported") }

func syncfsReportsErrors() bool { return false }
