package tree

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/harborgen/harborgen/internal/parallel"
)

// failpoint, when a test sets it, is called at each named step of Write ("write <path>",
// "copy <path>", "link <absolute source>" (an error there makes Write copy instead), "swap", "between renames", "remove previous") and makes Write fail there with
// its error.
var failpoint func(step string) error

func failAt(step string) error {
	if failpoint == nil {
		return nil
	}
	return failpoint(step)
}

// Write replaces dir with t plus its MANIFEST, atomically: the new tree is built and fsynced in a
// sibling directory, .<base>.harborgen-new-*, then exchanged with dir in one rename (see swap), and
// the previous tree is removed. Until the exchange dir is untouched, whatever fails and even if
// the process is killed; the next Write removes what a killed one left behind. An error after the
// exchange says that the new tree is in place.
//
// Files the previous MANIFEST does not list and that lie outside secrets/ directories were put
// there by someone else: they are copied into the new tree, never deleted, and reported as
// Foreign (empty directories are not kept: git does not track them). Files and modes are set
// explicitly, so neither the umask nor GOMAXPROCS nor map order changes the result.
func Write(dir string, t *Tree) (Report, error) {
	root, err := outputDir(dir)
	if err != nil {
		return Report{}, err
	}
	parent := filepath.Dir(root)
	if parent == root {
		return Report{}, fmt.Errorf("write %s: cannot replace a filesystem root", dir)
	}
	if err := os.MkdirAll(parent, modeDir); err != nil {
		return Report{}, fmt.Errorf("write %s: %w", dir, err)
	}
	unlock, err := lockDir(parent)
	if err != nil {
		return Report{}, fmt.Errorf("write %s: %w", dir, err)
	}
	defer unlock()
	if err := cleanLeftovers(root); err != nil {
		return Report{}, fmt.Errorf("write %s: %w", dir, err)
	}
	p, err := makePlan(root, t)
	if err != nil {
		return Report{}, fmt.Errorf("write %s: %w", dir, err)
	}
	if same, err := p.inPlace(); err != nil {
		return Report{}, fmt.Errorf("write %s: %w", dir, err)
	} else if same {
		// The pre-commit case: a re-render of an unchanged spec. Nothing is written, and the
		// tree is made durable as a rewrite's would be (one syncfs of a clean filesystem is
		// all but free), so that on return it is on disk whoever put it there.
		if err := syncTree(root, p.paths(), slices.Collect(maps.Keys(p.disk.dirs))); err != nil {
			return Report{}, fmt.Errorf("write %s: %w", dir, err)
		}
		return p.report, nil
	}
	if err := p.replace(root); err != nil {
		return Report{}, fmt.Errorf("write %s: %w", dir, err)
	}
	return p.report, nil
}

// paths are the new tree's files and the foreign ones, all that is in place when inPlace holds.
func (p *plan) paths() []string {
	paths := make([]string, 0, len(p.files)+len(p.report.Foreign))
	for _, f := range p.files {
		paths = append(paths, f.Path)
	}
	return append(paths, p.report.Foreign...)
}

// replace builds the planned tree beside root and swaps it in. Any error before the swap removes
// the new tree and leaves root as it was.
func (p *plan) replace(root string) error {
	tmp, err := os.MkdirTemp(filepath.Dir(root), leftoverPrefix(root, leftoverNew))
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o700); err != nil { // whatever the umask took away
		return errors.Join(err, removeTree(tmp))
	}
	if err := p.build(tmp); err != nil {
		return errors.Join(err, removeTree(tmp))
	}
	if err := failAt("swap"); err != nil {
		return errors.Join(err, removeTree(tmp))
	}
	old, err := swap(tmp, root, p.disk.exists)
	if err != nil {
		return errors.Join(err, removeTree(tmp))
	}
	if err := syncPath(filepath.Dir(root)); err != nil {
		return fmt.Errorf("new tree in place, but: %w", err)
	}
	if old == "" {
		return nil
	}
	err = failAt("remove previous")
	if err == nil {
		err = removeTree(old)
	}
	if err != nil {
		return fmt.Errorf("new tree in place, but the previous one is left at %s (the next write removes it): %w", old, err)
	}
	return nil
}

// build writes the new tree, then the foreign files, into tmp, and makes it all durable at once
// (syncTree). Directories are created first, private, and get their final mode last, so that a
// foreign read-only directory can still be filled; the files in between are written by a pool of
// workers (fileWorkers), each file independent of the others.
func (p *plan) build(tmp string) error {
	dirModes := p.dirModes()
	for _, dir := range slices.Sorted(maps.Keys(dirModes)) { // a parent sorts before its children
		if err := makeDir(filepath.Join(tmp, filepath.FromSlash(dir))); err != nil {
			return err
		}
	}
	err := forEach(len(p.files), func(i int) error {
		f := p.files[i]
		if err := failAt("write " + f.Path); err != nil {
			return err
		}
		return writeFile(filepath.Join(tmp, filepath.FromSlash(f.Path)), f.Data, f.Mode)
	})
	if err != nil {
		return err
	}
	written := make([]string, 0, len(p.files)+len(p.report.Foreign))
	for _, f := range p.files {
		written = append(written, f.Path)
	}
	for _, rel := range p.report.Foreign {
		if err := failAt("copy " + rel); err != nil {
			return err
		}
		linked, err := keepEntry(p.disk.path(rel), filepath.Join(tmp, filepath.FromSlash(rel)))
		if err != nil {
			return err
		}
		if !linked { // a hard link is the previous tree's inode, durable already
			written = append(written, rel)
		}
	}
	if err := finishDirs(tmp, dirModes); err != nil {
		return err
	}
	return syncTree(tmp, written, slices.Collect(maps.Keys(dirModes)))
}

// fileWorkers is how many files are created or removed at once: file system calls wait on the
// disk and the kernel more than on a CPU, so more of them than GOMAXPROCS keep it busy.
const fileWorkers = 8

// forEach calls fn for 0..n-1 over fileWorkers goroutines (parallel.Each): the error
// returned, the one of the lowest index, does not depend on scheduling.
func forEach(n int, fn func(i int) error) error {
	return parallel.Each(n, fileWorkers, fn)
}

// makeDir creates a directory private, whatever the umask; finishDirs gives it its mode.
func makeDir(abs string) error {
	if err := os.Mkdir(abs, 0o700); err != nil {
		return err
	}
	return os.Chmod(abs, 0o700) // whatever the umask took away
}

// finishDirs gives every directory its mode, deepest first, then the root.
func finishDirs(tmp string, modes map[string]fs.FileMode) error {
	dirs := make([]string, 0, len(modes)+1)
	for dir := range modes {
		dirs = append(dirs, dir)
	}
	slices.SortFunc(dirs, func(a, b string) int { return strings.Compare(b, a) })
	for _, dir := range dirs {
		if err := os.Chmod(filepath.Join(tmp, filepath.FromSlash(dir)), modes[dir]); err != nil {
			return err
		}
	}
	return os.Chmod(tmp, modeDir)
}

// writeFile creates name with data and exactly mode, whatever the umask; syncTree makes it durable.
func writeFile(name string, data []byte, mode fs.FileMode) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	return errors.Join(err, f.Close())
}

// keepEntry carries a foreign file into the new tree as a hard link: the same inode, so its
// content, holes (a sparse file stays sparse), mode and times are kept, in constant time
// whatever its size. Where a hard link cannot be made (a filesystem without them, or the
// kernel's protected_hardlinks for a file of another user) it is copied; linked says which.
func keepEntry(src, dst string) (linked bool, err error) {
	info, err := os.Lstat(src)
	if err != nil {
		return false, err
	}
	if info.Mode().IsRegular() {
		if err := failAt("link " + src); err == nil && os.Link(src, dst) == nil {
			return true, nil
		}
	}
	return false, copyEntry(src, dst)
}

// copyEntry copies a foreign regular file (content, mode, modification time) or symlink;
// syncTree makes it durable.
func copyEntry(src, dst string) error {
	info, err := os.Lstat(src)
	if err != nil {
		return err
	}
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	case !info.Mode().IsRegular():
		return fmt.Errorf("cannot keep %s: not a regular file or symlink (move it out of the output directory)", src)
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Chmod(keptBits(info.Mode()))
	}
	if err = errors.Join(err, out.Close()); err != nil {
		return err
	}
	return os.Chtimes(dst, info.ModTime(), info.ModTime())
}

// keptBits are the mode bits a copy of a foreign entry keeps.
func keptBits(m fs.FileMode) fs.FileMode {
	return m & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}

// syncPath fsyncs a file or directory (a symlink is fsynced through its directory).
func syncPath(name string) error {
	if info, err := os.Lstat(name); err == nil && info.Mode()&fs.ModeSymlink != 0 {
		return nil
	}
	d, err := os.Open(name)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}

// removeTree removes dir and everything below it, first making directories writable if a
// read-only one (kept from an operator's files) stands in the way. The subtrees two levels down
// (nodes/<node>) are removed by a pool of workers first.
func removeTree(dir string) error {
	if subtrees := grandchildren(dir); len(subtrees) > 1 {
		_ = forEach(len(subtrees), func(i int) error { return os.RemoveAll(subtrees[i]) })
	}
	if os.RemoveAll(dir) == nil {
		return nil
	}
	_ = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.IsDir() {
			_ = os.Chmod(p, 0o700)
		}
		return nil
	})
	return os.RemoveAll(dir)
}

// grandchildren lists the entries two levels below dir, none where it cannot read.
func grandchildren(dir string) []string {
	var out []string
	children, _ := os.ReadDir(dir)
	for _, c := range children {
		if !c.IsDir() {
			continue
		}
		sub := filepath.Join(dir, c.Name())
		entries, _ := os.ReadDir(sub)
		for _, e := range entries {
			out = append(out, filepath.Join(sub, e.Name()))
		}
	}
	return out
}
