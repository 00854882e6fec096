package verify

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/harborgen/harborgen/internal/cache"
	"github.com/harborgen/harborgen/internal/tree"
)

// countLoads makes every load of the rest of the test recorded; it returns the paths loaded
// since the last call, sorted.
func countLoads(t *testing.T) func() []string {
	var mu sync.Mutex
	var loaded []string
	loadCompose = func(f tree.File) error {
		mu.Lock()
		loaded = append(loaded, f.Path)
		mu.Unlock()
		return load(f)
	}
	t.Cleanup(func() { loadCompose = load })
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		got := slices.Sorted(slices.Values(loaded))
		loaded = nil
		return got
	}
}

// TestCached: a file that loaded is not loaded again by a later run with the same cache, and
// is by a run with none; a file that changed, one that failed, and one verified by another
// build (another compose-go, another cacheVersion) are loaded again.
func TestCached(t *testing.T) {
	loads := countLoads(t)
	dir := cache.Open(t.TempDir())
	// A test binary records no dependencies, so WithCache gives none here (TestRenderCache in
	// cmd/harborgen runs the real binary); the build is named by hand.
	if WithCache(dir) != nil {
		t.Error("WithCache in a test binary, which records no compose-go version, must be nil")
	}
	c := &Cached{dir: dir, build: []byte(cacheVersion + "\ntest build")}
	files := map[string]string{"nodes/a/docker-compose.yml": goodCompose, "nodes/b/docker-compose.yml": "# b\n" + goodCompose}
	if err := c.Compose(composeTree(t, files)); err != nil {
		t.Fatal(err)
	}
	if got := loads(); !slices.Equal(got, []string{"nodes/a/docker-compose.yml"}) {
		t.Errorf("first run loaded %v", got)
	}
	if err := (&Cached{dir: cache.Open(dir.Root()), build: c.build}).Compose(composeTree(t, files)); err != nil {
		t.Fatal(err)
	}
	if got := loads(); len(got) != 0 {
		t.Errorf("a second run loaded %v, want nothing (both remembered, b through a's content)", got)
	}
	if err := Compose(composeTree(t, files)); err != nil || len(loads()) != 1 {
		t.Errorf("without a cache a run must load: %v", err)
	}

	files["nodes/a/docker-compose.yml"] = strings.Replace(goodCompose, "8080:80", "8081:80", 1)
	files["nodes/c/docker-compose.yml"] = badCompose
	for run := range 2 {
		if err := c.Compose(composeTree(t, files)); err == nil || !strings.Contains(err.Error(), "nodes/c/docker-compose.yml") {
			t.Fatalf("run %d: error %v, want c's", run, err)
		}
		want := []string{"nodes/a/docker-compose.yml", "nodes/c/docker-compose.yml"}
		if run == 1 {
			want = want[1:] // a loaded in run 0, but nothing is remembered of a failed run but what loaded
		}
		if got := loads(); run == 0 && !slices.Equal(got, want) || run == 1 && !slices.Contains(got, "nodes/c/docker-compose.yml") {
			t.Errorf("run %d loaded %v, want %v", run, got, want)
		}
	}

	other := &Cached{dir: dir, build: append(slices.Clone(c.build), " another compose-go"...)}
	delete(files, "nodes/c/docker-compose.yml")
	if err := other.Compose(composeTree(t, files)); err != nil {
		t.Fatal(err)
	}
	if got := loads(); len(got) != 2 {
		t.Errorf("another build loaded %v, want a and b again", got)
	}
}
