package tree

import (
	"fmt"
)

// Drift is how an output directory differs from the tree render would write, secrets aside.
// Every list is sorted.
type Drift struct {
	Changed    []string // content differs, or executability (see sameMode), or not a regular file
	Missing    []string // in the tree, not on disk
	Unexpected []string // on disk outside secrets/ directories, not in the tree: added by hand, or stale
}

// Empty reports whether the directory is exactly what the tree would write.
func (d Drift) Empty() bool {
	return len(d.Changed) == 0 && len(d.Missing) == 0 && len(d.Unexpected) == 0
}

// Check compares the non-secret files of t and its MANIFEST with dir, never reading anything
// under a secrets/ directory, so that it runs in CI without the secrets file. It is stricter
// than Write: a foreign file, which Write keeps, is Unexpected here. A missing dir is all Missing.
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
	for _, rel := range disk.paths() {
		if !inTree[rel] && !underSecrets(rel) {
			d.Unexpected = append(d.Unexpected, rel)
		}
	}
	return d, nil
}
