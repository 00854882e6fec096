package profile

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryImageIsPinned reads the image data: every tier image has a name
// and an exact x.y.z tag, and the keys the plan uses are there.
func TestEveryImageIsPinned(t *testing.T) {
	all, err := Images()
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, im := range all {
		keys[im.Key] = true
		exact := `^v?[0-9]+\.[0-9]+\.[0-9]+$`
		if im.Versioning == "major.minor" {
			exact = `^[0-9]+\.[0-9]+$`
		}
		if im.Name == "" || !regexp.MustCompile(exact).MatchString(im.Tag) {
			t.Errorf("image %s: %q:%q is not pinned to an exact x.y.z release", im.Key, im.Name, im.Tag)
		}
	}
	for _, key := range []string{"galera", "redis", "nginx", "haproxy", "etcd", "postgres14", "postgres15", "postgres16", "postgres17", "postgres18"} {
		if !keys[key] {
			t.Errorf("%s has no image %q", ImagesFile, key)
		}
	}
	profiles, err := All()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range profiles {
		for _, c := range p.Components {
			if ref := c.ImageRef(p.ImageRegistry, p.DefaultVersion); !regexp.MustCompile(`:v[0-9]+\.[0-9]+\.[0-9]+`).MatchString(ref) {
				t.Errorf("profile %s: component %s: %s is not pinned to a release", p.Name, c.Name, ref)
			}
		}
	}
}

func TestTierImageRef(t *testing.T) {
	for _, tc := range []struct {
		name   string
		image  Image
		mirror string
		want   string
	}{
		{"official, no mirror", Image{Name: "redis", Tag: "7.2.11"}, "", "redis:7.2.11"},
		{"official under a mirror gains library/", Image{Name: "redis", Tag: "7.2.11"}, "mirror.corp.example/hub", "mirror.corp.example/hub/library/redis:7.2.11"},
		{"a user image keeps its path", Image{Name: "osixia/keepalived", Tag: "2.0.20"}, "mirror.local:5000/hub", "mirror.local:5000/hub/osixia/keepalived:2.0.20"},
		{"another registry's image is not under a Docker Hub mirror", Image{Name: "quay.io/coreos/etcd", Tag: "v3.5.21"}, "mirror.local:5000/hub", "quay.io/coreos/etcd:v3.5.21"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.image.Ref(tc.mirror); got != tc.want {
				t.Errorf("Ref(%q) = %q, want %q", tc.mirror, got, tc.want)
			}
		})
	}
}

// TestNoImageOutsideTheData greps the code and the templates: an image is
// named only in the image data (tiers/images.toml) or a Harbor profile.
// Every compose image: line takes its value from the plan, and no source
// file names a tier image with a tag.
func TestNoImageOutsideTheData(t *testing.T) {
	all, err := Images()
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"mariadb", "mysql", "redis", "valkey", "nginx", "haproxy", "keepalived", "postgres", "patroni", "etcd"}
	for _, im := range all {
		names = append(names, regexp.QuoteMeta(im.Name))
	}
	// name:tag or name@digest, as an image reference is written.
	ref := regexp.MustCompile(`(^|[^A-Za-z0-9_./@:-])([a-z0-9.-]+/)*(` + strings.Join(names, "|") + `)(:[0-9v][A-Za-z0-9_.-]*|@sha256:)`)
	imageLine := regexp.MustCompile(`^\s*image:`)
	files := 0
	for _, root := range []string{"../../internal", "../../templates", "../../cmd"} {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case d.IsDir() && d.Name() == "testdata":
				return filepath.SkipDir
			case d.IsDir(), strings.HasSuffix(p, "_test.go"), filepath.ToSlash(p) == "../../templates/"+ImagesFile:
				return nil
			case !strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, ".tmpl") && !strings.HasSuffix(p, ".toml"):
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			files++
			for i, line := range strings.Split(string(data), "\n") {
				if m := ref.FindString(line); m != "" {
					t.Errorf("%s:%d names the image %q: images are data in templates/%s", p, i+1, strings.TrimSpace(m), ImagesFile)
				}
				if strings.HasSuffix(p, ".tmpl") && imageLine.MatchString(line) && !strings.Contains(line, ".Images") {
					t.Errorf("%s:%d: an image: line not taken from the plan (.Images): %s", p, i+1, strings.TrimSpace(line))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if files < 50 {
		t.Fatalf("read %d files: the walk is broken", files)
	}
}
