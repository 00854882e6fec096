package tree

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// onDisk is what an output directory holds, as Write, Check and Diff compare it with a tree.
type onDisk struct {
	root    string
	exists  bool
	mode    fs.FileMode            // root's own (Lstat)
	entries map[string]fs.FileMode // every non-directory below root (Lstat type and permissions), by slash path
	dirs    map[string]fs.FileMode // every directory below root, by slash path
}

// outputDir makes dir absolute and, when dir is a symlink, follows it, so that the tree replaces
// the directory the operator points at rather than the link.
func outputDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("output directory %s: %w", dir, err)
	}
	info, err := os.Lstat(abs)
	if err != nil || info.Mode()&fs.ModeSymlink == 0 {
		return abs, nil
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("output directory %s: %w", dir, err)
	}
	return resolved, nil
}

// scan records every entry below root. A missing root is an empty, non-existent tree.
func scan(root string) (*onDisk, error) {
	d := &onDisk{root: root, entries: map[string]fs.FileMode{}, dirs: map[string]fs.FileMode{}}
	info, err := os.Lstat(root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return d, nil
	case err != nil:
		return nil, err
	case !info.IsDir():
		return nil, fmt.Errorf("%s exists and is not a directory", root)
	}
	d.exists, d.mode = true, info.Mode()
	err = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || p == root {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if e.IsDir() {
			d.dirs[filepath.ToSlash(rel)] = info.Mode()
		} else {
			d.entries[filepath.ToSlash(rel)] = info.Mode()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", root, err)
	}
	return d, nil
}

// paths returns the non-directories on disk, sorted.
func (d *onDisk) paths() []string {
	paths := make([]string, 0, len(d.entries))
	for p := range d.entries {
		paths = append(paths, p)
	}
	slices.SortFunc(paths, strings.Compare)
	return paths
}

func (d *onDisk) path(rel string) string {
	return filepath.Join(d.root, filepath.FromSlash(rel))
}

// read returns what a diff shows for rel: a regular file's content, a symlink's target (as git
// shows it), nothing for anything else or nothing there.
func (d *onDisk) read(rel string) ([]byte, error) {
	mode, ok := d.entries[rel]
	switch {
	case !ok:
		return nil, nil
	case mode.IsRegular():
		return os.ReadFile(d.path(rel))
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(d.path(rel))
		return []byte(target), err
	}
	return nil, nil
}

// same reports whether f is on disk as a regular file with f's content and an equivalent mode.
func (d *onDisk) same(f File) (bool, error) {
	mode, ok := d.entries[f.Path]
	if !ok || !mode.IsRegular() || !sameMode(f, mode) {
		return false, nil
	}
	data, err := os.ReadFile(d.path(f.Path))
	if err != nil {
		return false, fmt.Errorf("read %s: %w", d.path(f.Path), err)
	}
	return bytes.Equal(data, f.Data), nil
}

// manifest returns the paths the MANIFEST on disk lists, none when there is no MANIFEST.
func (d *onDisk) manifest() (map[string]bool, error) {
	mode, ok := d.entries[ManifestName]
	if !ok {
		return map[string]bool{}, nil
	}
	if !mode.IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", d.path(ManifestName))
	}
	data, err := os.ReadFile(d.path(ManifestName))
	if err != nil {
		return nil, err
	}
	listed, err := parseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("previous tree in %s: %w", d.root, err)
	}
	return listed, nil
}

// sameMode compares a file's mode with the one on disk as the file's consumer sees it. A secret's
// exact permissions matter. For a committed file git records only whether it is executable, and
// a checkout applies the umask to the rest (GitLab's docker runners check files out 0666), so
// comparing more would make `render --check` fail on clean CI checkouts. Write still sets the
// exact mode.
func sameMode(f File, onDisk fs.FileMode) bool {
	if f.Secret {
		return onDisk.Perm() == f.Mode
	}
	return isExecutable(onDisk) == isExecutable(f.Mode)
}

func isExecutable(m fs.FileMode) bool {
	return m&0o100 != 0
}

// secretsRecords returns every secret path the SecretsRecords on disk list, and whether there is
// any record at all (a tree written before records existed has none).
func (d *onDisk) secretsRecords() (map[string]bool, bool, error) {
	written, any := map[string]bool{}, false
	for rel, mode := range d.entries {
		if !isSecretsRecord(rel) || !mode.IsRegular() {
			continue
		}
		any = true
		data, err := os.ReadFile(d.path(rel))
		if err != nil {
			return nil, false, err
		}
		for p := range parseSecretsRecord(rel, data) {
			written[p] = true
		}
	}
	return written, any, nil
}
