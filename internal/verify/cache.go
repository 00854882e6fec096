package verify

import (
	"runtime/debug"

	"github.com/harborgen/harborgen/internal/cache"
	"github.com/harborgen/harborgen/internal/tree"
)

// cacheVersion names what a load checks (load's options, which files are loaded): bump it
// whenever that changes, so that no file counts as verified under another procedure.
const cacheVersion = "harborgen verify.Compose 1"

// cacheKind is the cache's directory of compose files that loaded.
const cacheKind = "compose-verified"

// Cached is a Compose that remembers, across runs, the compose files that loaded, so that a
// re-render of an unchanged spec loads none of them again (compose-go's load is most of a
// render's CPU). An entry is empty, named by the key of what decides the outcome:
// cacheVersion, the harborgen and compose-go builds, the file's path and its bytes. Only a
// load that succeeded is remembered. A nil *Cached, or a build that cannot say which
// compose-go it links, remembers nothing.
type Cached struct {
	dir   *cache.Dir
	build []byte
}

// WithCache returns the Compose verifier that uses dir.
func WithCache(dir *cache.Dir) *Cached {
	info, ok := debug.ReadBuildInfo()
	if dir == nil || !ok {
		return nil
	}
	build := cacheVersion + "\n" + info.Main.Path + "@" + info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
			build += " " + s.Key + "=" + s.Value
		}
	}
	for _, m := range info.Deps {
		if m.Path == "github.com/compose-spec/compose-go/v2" {
			if m.Replace != nil {
				m = m.Replace
			}
			return &Cached{dir: dir, build: []byte(build + "\n" + m.Path + "@" + m.Version + " " + m.Sum)}
		}
	}
	return nil
}

func (c *Cached) key(f tree.File) string {
	return cache.Key(c.build, []byte(f.Path), f.Data)
}

// loaded reports whether f loaded before.
func (c *Cached) loaded(f tree.File) bool {
	if c == nil {
		return false
	}
	_, ok := c.dir.Get(cacheKind, c.key(f))
	return ok
}

// remember records that f loaded.
func (c *Cached) remember(f tree.File) {
	if c != nil {
		c.dir.Put(cacheKind, c.key(f), nil)
	}
}
