// Package tree holds a rendered tree in memory and writes it atomically: MANIFEST, prune, check and diff.
//
// A tree is everything harborgen renders into the output directory. Non-secret files are listed in
// MANIFEST with their SHA-256 and are meant to be committed; secret files live under a secrets/
// directory, are never listed, never shown in a diff and never compared by Check, so that CI can
// run without the secrets file.
//
// Who owns what on disk: harborgen owns MANIFEST, every file the previous MANIFEST lists, and
// every secret file a SecretsRecord lists; Write replaces or removes those. Any other file, under
// secrets/ too, is the operator's: Write carries it over untouched (a hard link) and refuses to
// overwrite it, and Check names it as Kept without counting it as drift.
package tree

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"unicode/utf8"
)

// ManifestName is the path, relative to the output root, of the file listing every committed
// file with its SHA-256. Write adds it to every tree; Add refuses it.
const ManifestName = "MANIFEST"

// SecretsRecord is the file Write puts in every secrets/ directory it writes: the paths (relative
// to the output root) of the secret files it wrote there. It is how Write tells its own secret
// files from an operator's (a tls.key put beside them), which it keeps. It lists names only, is
// never in MANIFEST and never in git.
const SecretsRecord = ".harborgen-written"

// SecretsDir is the name of the directories that hold secret files. Everything under such a
// directory belongs to harborgen: Write replaces or removes it, Check and Diff never read it.
const SecretsDir = "secrets"

// The only file modes a tree holds. A zero File.Mode means ModeConfig, or ModeSecret for a
// secret file.
const (
	ModeConfig fs.FileMode = 0o644
	ModeScript fs.FileMode = 0o755
	ModeSecret fs.FileMode = 0o600
)

// Directory modes: a secrets directory (and anything below it) is readable by its owner only.
const (
	modeDir       fs.FileMode = 0o755
	modeSecretDir fs.FileMode = 0o700
)

// File is one rendered file.
type File struct {
	Path   string // slash-separated, relative to the output root, e.g. "nodes/registry01/docker-compose.yml"
	Data   []byte
	Mode   fs.FileMode // ModeConfig, ModeScript or ModeSecret; zero picks the default
	Secret bool        // true only for files under a secrets/ directory
}

// Tree is a set of files keyed by path. The zero value is an empty tree ready to use; a nil *Tree
// reads as an empty tree.
type Tree struct {
	files map[string]File
	dirs  map[string]bool // every directory that holds a file, at any depth
}

// Add adds f to the tree, or explains why its path or mode cannot be part of one.
func (t *Tree) Add(f File) error {
	if err := checkPath(f.Path); err != nil {
		return fmt.Errorf("add %q: %w", f.Path, err)
	}
	mode, err := normalMode(f)
	if err != nil {
		return fmt.Errorf("add %s: %w", f.Path, err)
	}
	if err := t.checkPlace(f.Path); err != nil {
		return fmt.Errorf("add %s: %w", f.Path, err)
	}
	if t.files == nil {
		t.files = map[string]File{}
		t.dirs = map[string]bool{}
	}
	f.Mode = mode
	f.Data = slices.Clone(f.Data)
	if f.Data == nil {
		f.Data = []byte{}
	}
	t.files[f.Path] = f
	for _, dir := range ancestors(f.Path) {
		t.dirs[dir] = true
	}
	return nil
}

// Files returns every file of the tree, sorted by path. MANIFEST is not among them. The Data
// slices are the tree's own: read them, do not change them.
func (t *Tree) Files() []File {
	if t == nil {
		return nil
	}
	files := make([]File, 0, len(t.files))
	for _, f := range t.files {
		files = append(files, f)
	}
	sortFiles(files)
	return files
}

// withManifest returns Files plus MANIFEST, sorted by path: the whole tree Write puts on disk.
func (t *Tree) withManifest() []File {
	files := append(t.Files(), File{Path: ManifestName, Data: Manifest(t), Mode: ModeConfig})
	files = append(files, t.secretsRecords()...)
	sortFiles(files)
	return files
}

// secretsRecords returns the SecretsRecord of every directory that holds secret files.
func (t *Tree) secretsRecords() []File {
	byDir := map[string][]string{}
	for _, f := range t.Files() {
		if f.Secret {
			dir := path.Dir(f.Path)
			byDir[dir] = append(byDir[dir], f.Path)
		}
	}
	out := make([]File, 0, len(byDir))
	for dir, paths := range byDir {
		var b strings.Builder
		b.WriteString("# Written by harborgen: the secret files of this directory it owns. Any other file here\n")
		b.WriteString("# is yours: render keeps it.\n")
		for _, p := range paths { // Files() is sorted
			b.WriteString(p + "\n")
		}
		out = append(out, File{Path: path.Join(dir, SecretsRecord), Data: []byte(b.String()), Mode: ModeSecret, Secret: true})
	}
	return out
}

// parseSecretsRecord returns the paths a SecretsRecord at rel lists that lie in its own
// directory: a record copied or rendered under another root names nothing here.
func parseSecretsRecord(rel string, data []byte) map[string]bool {
	listed := map[string]bool{}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if path.Dir(line) == path.Dir(rel) && checkPath(line) == nil {
			listed[line] = true
		}
	}
	return listed
}

func isSecretsRecord(p string) bool { return path.Base(p) == SecretsRecord && underSecrets(p) }

// committed returns the non-secret files plus MANIFEST, sorted by path: what Check and Diff see.
func (t *Tree) committed() []File {
	return slices.DeleteFunc(t.withManifest(), func(f File) bool { return f.Secret })
}

func sortFiles(files []File) {
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
}

// checkPath accepts only clean, relative, slash-separated paths that are safe to print on one
// line of MANIFEST and of a diff header.
func checkPath(p string) error {
	switch {
	case p == "":
		return errors.New("empty path")
	case strings.HasPrefix(p, "/"):
		return errors.New("absolute path")
	case strings.Contains(p, `\`):
		return errors.New(`backslash in path (paths are slash-separated)`)
	case !utf8.ValidString(p):
		return errors.New("path is not valid UTF-8")
	case p == ManifestName:
		return errors.New("MANIFEST is reserved: Write generates it")
	case path.Base(p) == SecretsRecord:
		return errors.New(SecretsRecord + " is reserved: Write generates it")
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("control character %U in path", r)
		}
	}
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "":
			return errors.New("empty path segment (leading, trailing or double slash)")
		case ".", "..":
			return fmt.Errorf("%q segment in path", seg)
		}
	}
	return nil
}

// checkPlace rejects a path that is already a file, or that would need a file to be a directory
// or a directory to be a file.
func (t *Tree) checkPlace(p string) error {
	if _, dup := t.files[p]; dup {
		return errors.New("duplicate path")
	}
	if t.dirs[p] {
		return errors.New("path is already a directory of other files")
	}
	for _, dir := range ancestors(p) {
		if _, isFile := t.files[dir]; isFile {
			return fmt.Errorf("%s is a file, so it cannot be a directory", dir)
		}
	}
	return nil
}

// normalMode checks that f is in the right kind of directory for its secrecy and returns its
// mode with the zero value resolved.
func normalMode(f File) (fs.FileMode, error) {
	inSecrets := underSecrets(f.Path)
	switch {
	case f.Secret && !inSecrets:
		return 0, fmt.Errorf("secret file outside a %s/ directory", SecretsDir)
	case !f.Secret && inSecrets:
		return 0, fmt.Errorf("non-secret file inside a %s/ directory", SecretsDir)
	case f.Secret && (f.Mode == 0 || f.Mode == ModeSecret):
		return ModeSecret, nil
	case f.Secret:
		return 0, fmt.Errorf("secret file mode %#o, want %#o", f.Mode, ModeSecret)
	case f.Mode == 0 || f.Mode == ModeConfig:
		return ModeConfig, nil
	case f.Mode == ModeScript:
		return ModeScript, nil
	default:
		return 0, fmt.Errorf("file mode %#o, want %#o or %#o", f.Mode, ModeConfig, ModeScript)
	}
}

// underSecrets reports whether p lies below a secrets/ directory at any depth.
func underSecrets(p string) bool {
	segs := strings.Split(p, "/")
	return slices.Contains(segs[:len(segs)-1], SecretsDir)
}

// ancestors returns the directories of p, outermost first: "a/b/c" gives [a a/b].
func ancestors(p string) []string {
	var dirs []string
	for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
		dirs = append(dirs, dir)
	}
	slices.Reverse(dirs)
	return dirs
}

// dirMode is the mode harborgen gives a directory of its tree.
func dirMode(dir string) fs.FileMode {
	if underSecrets(dir + "/file") {
		return modeSecretDir
	}
	return modeDir
}
