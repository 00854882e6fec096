package cache

import (
	"os"
	"path/filepath"
	"testing"
)

func TestKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b [][]byte
	}{
		{"a boundary moved between parts", [][]byte{[]byte("ab"), []byte("c")}, [][]byte{[]byte("a"), []byte("bc")}},
		{"an empty part added", [][]byte{[]byte("abc")}, [][]byte{[]byte("abc"), nil}},
		{"parts swapped", [][]byte{[]byte("a"), []byte("b")}, [][]byte{[]byte("b"), []byte("a")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if Key(tc.a...) == Key(tc.b...) {
				t.Errorf("Key(%q) == Key(%q)", tc.a, tc.b)
			}
			if Key(tc.a...) != Key(tc.a...) {
				t.Error("Key is not deterministic")
			}
		})
	}
}

func TestGetPut(t *testing.T) {
	root := filepath.Join(t.TempDir(), "cache")
	d := Open(root)
	if _, ok := d.Get("kind", Key([]byte("x"))); ok {
		t.Fatal("an empty cache has an entry")
	}
	d.Put("kind", Key([]byte("x")), []byte("value"))
	got, ok := d.Get("kind", Key([]byte("x")))
	if !ok || string(got) != "value" {
		t.Fatalf("Get = %q, %v", got, ok)
	}
	if _, ok := d.Get("other", Key([]byte("x"))); ok {
		t.Error("an entry is found under another kind")
	}
	for name, want := range map[string]os.FileMode{root: 0o700 | os.ModeDir, filepath.Join(root, "kind"): 0o700 | os.ModeDir, filepath.Join(root, "kind", Key([]byte("x"))): 0o600} {
		// the root is made by MkdirAll with 0700 too
		info, err := os.Stat(name)
		if err != nil || info.Mode() != want {
			t.Errorf("%s: mode %v (%v), want %v", name, info.Mode(), err, want)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(root, "kind"))
	if len(entries) != 1 {
		t.Errorf("%d entries in the kind's directory, want 1 (no temporary file left)", len(entries))
	}

	// A cache that cannot be written is no error, and no entry.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	blocked := Open(filepath.Join(file, "cache"))
	blocked.Put("kind", "k", []byte("v"))
	if _, ok := blocked.Get("kind", "k"); ok {
		t.Error("an unwritable cache has an entry")
	}

	// No cache: a miss, and Put does nothing.
	var none *Dir
	none.Put("kind", "k", []byte("v"))
	if _, ok := none.Get("kind", "k"); ok {
		t.Error("a nil cache has an entry")
	}
}

func TestFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // "" for no cache
	}{
		{"HARBORGEN_CACHE first", map[string]string{"HARBORGEN_CACHE": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/c"},
		{"off", map[string]string{"HARBORGEN_CACHE": "off", "HOME": "/h"}, ""},
		{"XDG_CACHE_HOME", map[string]string{"XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/x/harborgen"},
		{"a relative XDG_CACHE_HOME is ignored", map[string]string{"XDG_CACHE_HOME": "x", "HOME": "/h"}, "/h/.cache/harborgen"},
		{"HOME", map[string]string{"HOME": "/h"}, "/h/.cache/harborgen"},
		{"nothing", map[string]string{}, ""},
		{"an empty HARBORGEN_CACHE is unset", map[string]string{"HARBORGEN_CACHE": "", "HOME": "/h"}, "/h/.cache/harborgen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := FromEnv(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
			got := ""
			if d != nil {
				got = d.root
			}
			if got != tc.want {
				t.Errorf("FromEnv = %q, want %q", got, tc.want)
			}
		})
	}
}
