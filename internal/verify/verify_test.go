package verify

import (
	"strings"
	"sync"
	"testing"

	"github.com/harborgen/harborgen/internal/tree"
)

const goodCompose = "services:\n  web:\n    image: nginx:1.27\n    ports:\n      - \"8080:80\"\n"

// A service without an image or a build does not load.
const badCompose = "services:\n  web:\n    ports:\n      - \"8080:80\"\n"

func composeTree(t *testing.T, files map[string]string) *tree.Tree {
	t.Helper()
	tr := &tree.Tree{}
	for p, data := range files {
		if err := tr.Add(tree.File{Path: p, Data: []byte(data)}); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

// TestCompose: every distinct compose file is loaded once, identical bytes
// in another directory are not loaded again, other files are not loaded,
// and the error names the first failing file in path order.
func TestCompose(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   map[string]string
		loads   []string
		wantErr string
	}{
		{
			name: "identical files load once",
			files: map[string]string{
				"nodes/lb01/docker-compose.yml": goodCompose, "nodes/lb02/docker-compose.yml": goodCompose,
				"nodes/h01/docker-compose.yml": goodCompose + "    restart: always\n", "nodes/h01/prepare-host.sh": "#!/bin/sh\n",
			},
			loads: []string{"nodes/h01/docker-compose.yml", "nodes/lb01/docker-compose.yml"},
		},
		{
			name: "files that differ only in comments load once",
			files: map[string]string{
				"nodes/lb01/docker-compose.yml": "# node lb01\n" + goodCompose, "nodes/lb02/docker-compose.yml": "# node lb02\n" + goodCompose + "# end\n",
				"nodes/lb03/docker-compose.yml": "# node lb03\n" + strings.Replace(goodCompose, "8080:80", "8081:80", 1),
				"nodes/lb04/docker-compose.yml": goodCompose + "---\nservices:\n  other:\n    image: nginx:1.27\n",
			},
			loads: []string{"nodes/lb01/docker-compose.yml", "nodes/lb03/docker-compose.yml", "nodes/lb04/docker-compose.yml"},
		},
		{
			name: "a comment-like line inside a block scalar is content",
			files: map[string]string{
				"nodes/a/docker-compose.yml": goodCompose + "    command:\n      - |\n        # a\n",
				"nodes/b/docker-compose.yml": goodCompose + "    command:\n      - |\n        # b\n",
			},
			loads: []string{"nodes/a/docker-compose.yml", "nodes/b/docker-compose.yml"},
		},
		{
			name: "first failing file in path order",
			files: map[string]string{
				"nodes/a/docker-compose.yml": goodCompose, "nodes/b/docker-compose.yml": badCompose,
				"nodes/c/docker-compose.yml": badCompose + "    restart: always\n",
			},
			loads:   []string{"nodes/a/docker-compose.yml", "nodes/b/docker-compose.yml", "nodes/c/docker-compose.yml"},
			wantErr: "harborgen bug: nodes/b/docker-compose.yml does not load in compose-go",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			loaded := map[string]int{}
			loadCompose = func(f tree.File) error {
				mu.Lock()
				loaded[f.Path]++
				mu.Unlock()
				return load(f)
			}
			defer func() { loadCompose = load }()
			err := Compose(composeTree(t, tc.files))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatal(err)
			case tc.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.wantErr)):
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			if len(loaded) != len(tc.loads) {
				t.Errorf("loaded %v, want %v", loaded, tc.loads)
			}
			for _, p := range tc.loads {
				if loaded[p] != 1 {
					t.Errorf("%s loaded %d times, want once (loaded: %v)", p, loaded[p], loaded)
				}
			}
		})
	}
}
