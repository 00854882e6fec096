package tree

import (
	"path/filepath"
	"slices"
	"strings"
)

// syncfsOK says whether syncTree may make the new tree durable with one syncfs; tests clear it to
// take the per-entry path.
var syncfsOK = syncfsReportsErrors()

// syncTree makes everything Write put in tmp durable before the exchange: the files (paths,
// slash-separated and relative to tmp), the directories (dirs) and tmp itself. With syncfs it
// is one call for the whole filesystem, which writes back the same data and metadata as an fsync
// of each entry and reports any writeback error among them; elsewhere each file, then each
// directory deepest first, then tmp, is fsynced.
func syncTree(tmp string, paths, dirs []string) error {
	if syncfsOK {
		if err := failAt("syncfs"); err != nil {
			return err
		}
		return syncfs(tmp)
	}
	for _, rel := range paths {
		if err := failAt("sync " + rel); err != nil {
			return err
		}
		if err := syncPath(filepath.Join(tmp, filepath.FromSlash(rel))); err != nil {
			return err
		}
	}
	deepestFirst := slices.Clone(dirs)
	slices.SortFunc(deepestFirst, func(a, b string) int { return strings.Compare(b, a) })
	for _, dir := range append(deepestFirst, ".") {
		if err := failAt("sync " + dir); err != nil {
			return err
		}
		if err := syncPath(filepath.Join(tmp, filepath.FromSlash(dir))); err != nil {
			return err
		}
	}
	return nil
}
