package tree

import (
	"fmt"
)

// Drift is how an output directory differs from the tree render would write, secrets aside.
// Every list is sorted.
type Drift struct {
	Changed    []string // content differs, or executability (see sameMode), or not a regular file
	Missing    []string // in the tree, not on disk
	Unexpected []string // on disk outside secrets/ directories, listed by the MANIFEST on disk, not in the tree: stale
	// Kept are files the MANIFEST on disk does not list, outside secrets/ directories: the
	// operator's, which Write keeps. They are reported, and are not drift.
	Kept []string
}

// Empty reports whether the directory is exactly what the tree would write, the kept files aside.
func (d Drift) Empty() bool {
	return len(d.Changed) == 0 && len(d.Missing) == 0 && len(d.Unexpected) == 0
}

// Check compares the non-secret files of t and its MANIFEST with dir, never reading anything
// under a secrets/ directory, so that it runs in CI without the secrets file. Foreign files follow
// Write's rule: a file no MANIFEST on disk lists is the operator's, kept by Write and Kept here
// (not drift); a file the MANIFEST lists that the tree no longer has is stale, Unexpected. A
// missing dir is all Missing.
func Check(dir string, t *Tree) (Drift, error) {
	root, err := outputDir(dir)
	if err != nil {
		return Drift{}, err
	}
	disk, err := scan(root)
	if err != nil {
		return Drift{}, fmt.Errorf("check %s: %w", dir, err)
	}
	var d Drift
	inTree := map[string]bool{}
	for _, f := range t.committed() {
		inTree[f.Path] = true
		_, isFile := disk.entries[f.Path]
		_, isDir := disk.dirs[f.Path]
		if !isFile && !isDir {
			d.Missing = append(d.Missing, f.Path)
			continue
		}
		same, err := disk.same(f)
		if err != nil {
			return Drift{}, fmt.Errorf("check %s: %w", dir, err)
		}
		if !same {
			d.Changed = append(d.Changed, f.Path)
		}
	}
	listed, err := disk.manifest()
	if err != nil {
		listed = map[string]bool{} // an unreadable MANIFEST is Changed already
	}
	for _, rel := range disk.paths() {
		switch {
		case inTree[rel] || underSecrets(rel):
		case listed[rel]:
			d.Unexpected = append(d.Unexpected, rel)
		default:
			d.Kept = append(d.Kept, rel)
		}
	}
	return d, nil
}
