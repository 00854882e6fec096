package tree

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
)

// Report says what Write did, path by path. Every list is sorted; MANIFEST counts as a file.
type Report struct {
	Added     []string // not on disk before
	Changed   []string // content differed, or the mode (see sameMode)
	Unchanged []string // rewritten identical
	Removed   []string // harborgen's files of the previous tree that the new tree lacks, secrets included
	Foreign   []string // files harborgen did not write (in no previous MANIFEST or SecretsRecord), kept
}

// plan is what Write would do to an output directory; Diff prints it.
type plan struct {
	disk   *onDisk
	files  []File          // the new tree with MANIFEST, sorted by path
	byPath map[string]File // the same files
	report Report
}

// makePlan compares t with root. A previous file belongs to harborgen when the previous MANIFEST
// lists it, when a SecretsRecord lists it, or when it is MANIFEST or a record; anything else is
// the operator's and is kept, and a new file that would replace or displace it is an error.
func makePlan(root string, t *Tree) (*plan, error) {
	disk, err := scan(root)
	if err != nil {
		return nil, err
	}
	listed, err := disk.manifest()
	if err != nil {
		return nil, err
	}
	p := &plan{disk: disk, files: t.withManifest(), byPath: map[string]File{}}
	for _, f := range p.files {
		p.byPath[f.Path] = f
	}
	written, recorded, err := disk.secretsRecords()
	if err != nil {
		return nil, err
	}
	var conflicts []string
	for _, rel := range disk.paths() {
		f, inTree := p.byPath[rel]
		// A secret file is harborgen's when a record lists it; a tree from before the records
		// has none, and then only the secret files the new tree writes again are.
		ownSecret := underSecrets(rel) && (written[rel] || isSecretsRecord(rel) || (!recorded && inTree))
		switch {
		case rel == ManifestName || ownSecret || listed[rel]:
			if !inTree && !isSecretsRecord(rel) { // records are bookkeeping, never reported
				p.report.Removed = append(p.report.Removed, rel)
			}
		case inTree:
			// An unlisted file that already holds exactly what we would write is ours in all
			// but name (a lost MANIFEST); anything else we would overwrite.
			if same, err := disk.same(f); err != nil {
				return nil, err
			} else if !same {
				conflicts = append(conflicts, rel)
			}
		case t.isDir(rel) || p.hasFileAncestor(rel):
			conflicts = append(conflicts, rel)
		default:
			p.report.Foreign = append(p.report.Foreign, rel)
		}
	}
	if len(conflicts) > 0 {
		return nil, fmt.Errorf("refusing to replace files that the previous %s does not list, so harborgen did not write them: %s "+
			"(move them out of %s, or restore the %s or secrets/%s that lists them)", ManifestName, strings.Join(conflicts, ", "), root, ManifestName, SecretsRecord)
	}
	if err := p.classify(); err != nil {
		return nil, err
	}
	return p, nil
}

// classify sorts every new file into Added, Changed or Unchanged.
func (p *plan) classify() error {
	for _, f := range p.files {
		if isSecretsRecord(f.Path) {
			continue // bookkeeping, never reported
		}
		_, onDisk := p.disk.entries[f.Path]
		same, err := p.disk.same(f)
		switch {
		case err != nil:
			return err
		case !onDisk:
			p.report.Added = append(p.report.Added, f.Path)
		case same:
			p.report.Unchanged = append(p.report.Unchanged, f.Path)
		default:
			p.report.Changed = append(p.report.Changed, f.Path)
		}
	}
	return nil
}

// inPlace reports whether the tree on disk is already exactly what build and the exchange would
// leave there: every new file (MANIFEST and the secrets records included) with its content and
// its exact mode, nothing to remove, every foreign entry one that build keeps, and the same
// directories with the modes build gives them. Write then writes nothing.
func (p *plan) inPlace() (bool, error) {
	if !p.disk.exists || p.disk.mode != fs.ModeDir|modeDir || len(p.changed()) > 0 {
		return false, nil
	}
	for _, f := range p.files {
		if p.disk.entries[f.Path] != f.Mode { // a regular file's mode has no type bits
			return false, nil
		}
		if isSecretsRecord(f.Path) { // classify skips the records
			if same, err := p.disk.same(f); err != nil || !same {
				return false, err
			}
		}
	}
	for _, rel := range p.report.Foreign {
		if m := p.disk.entries[rel]; !m.IsRegular() && m&fs.ModeSymlink == 0 {
			return false, nil // build refuses it
		}
	}
	dirs := p.dirModes()
	if len(dirs) != len(p.disk.dirs) { // build leaves out empty directories
		return false, nil
	}
	for dir, mode := range dirs {
		if m, ok := p.disk.dirs[dir]; !ok || m != fs.ModeDir|mode {
			return false, nil
		}
	}
	return true, nil
}

// dirModes is every directory of the new tree with the mode build gives it: dirMode for the
// directories of the new files, and the mode it had for a directory that only foreign files
// need.
func (p *plan) dirModes() map[string]fs.FileMode {
	modes := map[string]fs.FileMode{}
	for _, f := range p.files {
		for _, dir := range ancestors(f.Path) {
			modes[dir] = dirMode(dir)
		}
	}
	for _, rel := range p.report.Foreign {
		for _, dir := range ancestors(rel) {
			if _, ok := modes[dir]; !ok {
				modes[dir] = keptBits(p.disk.dirs[dir])
			}
		}
	}
	return modes
}

// changed returns every path Write would create, rewrite differently or remove, sorted.
func (p *plan) changed() []string {
	paths := slices.Concat(p.report.Added, p.report.Changed, p.report.Removed)
	slices.SortFunc(paths, strings.Compare)
	return paths
}

func (p *plan) hasFileAncestor(rel string) bool {
	return slices.ContainsFunc(ancestors(rel), func(dir string) bool {
		_, isFile := p.byPath[dir]
		return isFile
	})
}

func (t *Tree) isDir(p string) bool {
	return t != nil && t.dirs[p]
}
