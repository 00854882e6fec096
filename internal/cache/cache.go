// Package cache keeps, across runs, what harborgen may skip computing again: the compose files
// compose-go loaded (verify) and the RSA signature of Harbor 1.5's token certificate (secrets).
// Both are checks or derivations of public data whose result the next run can trust or check,
// so a re-render of an unchanged spec (a pre-commit hook) costs little more than reading it.
//
// The cache is best effort: an entry that cannot be read is a miss, one that cannot be written
// is not written, and nothing in it is ever needed. It never holds a secret, nor a fast hash of
// one. A nil *Dir is no cache.
package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
)

// Dir is a cache directory: one subdirectory per kind of entry, one file per entry.
type Dir struct {
	root string
}

// Open returns the cache in root; nil (no cache) for "" and "off".
func Open(root string) *Dir {
	if root == "" || root == "off" {
		return nil
	}
	return &Dir{root: root}
}

// FromEnv opens the cache that the environment, as lookup reads it, names: HARBORGEN_CACHE
// (off: none), else $XDG_CACHE_HOME/harborgen, else $HOME/.cache/harborgen; none when none of
// them is set (or the last two are not absolute), as the XDG base directory specification says.
func FromEnv(lookup func(string) (string, bool)) *Dir {
	if v, ok := lookup("HARBORGEN_CACHE"); ok && v != "" {
		return Open(v)
	}
	if v, ok := lookup("XDG_CACHE_HOME"); ok && filepath.IsAbs(v) {
		return Open(filepath.Join(v, "harborgen"))
	}
	if v, ok := lookup("HOME"); ok && filepath.IsAbs(v) {
		return Open(filepath.Join(v, ".cache", "harborgen"))
	}
	return nil
}

// Root is the cache's directory.
func (d *Dir) Root() string { return d.root }

// Key is the SHA-256, in hex, of parts, each length-prefixed so that no two lists of parts
// give the same key.
func Key(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Get returns the entry of kind (a directory name) and key (from Key).
func (d *Dir) Get(kind, key string) ([]byte, bool) {
	if d == nil {
		return nil, false
	}
	data, err := os.ReadFile(filepath.Join(d.root, kind, key))
	return data, err == nil
}

// Put records an entry, atomically: a reader sees the whole entry or none. Errors are ignored.
func (d *Dir) Put(kind, key string, data []byte) {
	if d == nil {
		return
	}
	dir := filepath.Join(d.root, kind)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return
	}
	f, err := os.CreateTemp(dir, ".new-*")
	if err != nil {
		return
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, key))
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
}
