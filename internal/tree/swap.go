package tree

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// errNoExchange says that the kernel or the filesystem cannot exchange two paths atomically.
var errNoExchange = errors.New("atomic exchange not supported")

// exchange atomically swaps two directories (renameExchange); tests replace it to take the
// fallback path.
var exchange = renameExchange

// The kinds of sibling directories Write leaves behind only when it is killed.
const (
	leftoverNew   = "new-" // a new tree being built, or a previous tree exchanged out and being removed
	leftoverAside = "old-" // a complete previous tree moved aside by swapByRenames
	leftoverTrash = "del-" // a previous tree being removed after swapByRenames
)

// leftoverPrefix is the name prefix of root's sibling directories of one kind.
func leftoverPrefix(root, kind string) string {
	return "." + filepath.Base(root) + ".harborgen-" + kind
}

// swap puts the fully built tree tmp at root and returns where the previous tree now is, for the
// caller to remove ("" when there was none). On error, root and tmp are as they were.
func swap(tmp, root string, rootExists bool) (string, error) {
	if !rootExists {
		if err := os.Rename(tmp, root); err != nil {
			return "", fmt.Errorf("move the new tree into place: %w", err)
		}
		return "", nil
	}
	err := exchange(tmp, root)
	switch {
	case err == nil:
		return tmp, nil
	case errors.Is(err, errNoExchange):
		return swapByRenames(tmp, root)
	case errors.Is(err, syscall.EBUSY):
		return "", fmt.Errorf("%s is a mount point (or busy), and Write replaces the output directory with a rename, "+
			"which a mount point cannot take: render into a directory inside it, e.g. --out %s (%w)", root, filepath.Join(root, "out"), err)
	}
	return "", fmt.Errorf("exchange the new tree with the previous one: %w", err)
}

// swapByRenames is the fallback where RENAME_EXCHANGE is missing (systems other than Linux,
// Linux before 3.15, filesystems without it). It is not atomic: between its two renames root does
// not exist. A process killed in that window leaves the complete previous tree at
// .<base>.harborgen-old-*, and the next Write (cleanLeftovers) moves it back before anything else.
func swapByRenames(tmp, root string) (string, error) {
	aside, err := unusedSibling(root, leftoverAside)
	if err != nil {
		return "", err
	}
	if err := os.Rename(root, aside); err != nil {
		return "", fmt.Errorf("move the previous tree aside: %w", err)
	}
	err = failAt("between renames")
	if err == nil {
		err = os.Rename(tmp, root)
	}
	if err != nil {
		if back := os.Rename(aside, root); back != nil {
			return "", fmt.Errorf("move the new tree into place: %w; the previous tree is at %s (the next write moves it back): %w", err, aside, back)
		}
		return "", fmt.Errorf("move the new tree into place: %w", err)
	}
	// Renamed, the previous tree can no longer be mistaken for a complete one.
	trash, err := unusedSibling(root, leftoverTrash)
	if err == nil && os.Rename(aside, trash) == nil {
		return trash, nil
	}
	return aside, nil
}

func unusedSibling(root, kind string) (string, error) {
	var random [8]byte
	if _, err := rand.Read(random[:]); err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(root), leftoverPrefix(root, kind)+hex.EncodeToString(random[:])), nil
}

// cleanLeftovers undoes what a killed Write left beside root: a previous tree moved aside while
// root is missing goes back to root; every other leftover is removed.
func cleanLeftovers(root string) error {
	parent := filepath.Dir(root)
	entries, err := os.ReadDir(parent)
	if err != nil {
		return err
	}
	var asides, others []string
	for _, e := range entries {
		name := filepath.Join(parent, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), leftoverPrefix(root, leftoverAside)):
			asides = append(asides, name)
		case strings.HasPrefix(e.Name(), leftoverPrefix(root, leftoverNew)),
			strings.HasPrefix(e.Name(), leftoverPrefix(root, leftoverTrash)):
			others = append(others, name)
		}
	}
	if _, err := os.Lstat(root); errors.Is(err, fs.ErrNotExist) && len(asides) > 0 {
		if len(asides) > 1 {
			return fmt.Errorf("%s is missing and several previous trees were left beside it (%s): move the right one back by hand",
				root, strings.Join(asides, ", "))
		}
		if err := os.Rename(asides[0], root); err != nil {
			return fmt.Errorf("restore the previous tree from %s: %w", asides[0], err)
		}
		if err := syncPath(parent); err != nil {
			return err
		}
		asides = nil
	}
	for _, leftover := range append(asides, others...) {
		if err := removeTree(leftover); err != nil {
			return fmt.Errorf("remove what an interrupted write left: %w", err)
		}
	}
	return nil
}
