package render_test

import (
	"bytes"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/profile"
	"github.com/harborgen/harborgen/internal/render"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/tree"
	"github.com/harborgen/harborgen/internal/validate"
)

// specWith parses an example with its image_registry line removed (or
// replaced) and extra TOML appended; an invalid result fails the test.
func specWith(t *testing.T, example, imageRegistry, extra string) *spec.Spec {
	t.Helper()
	src, err := os.ReadFile("../../examples/" + example + "/harborgen.toml")
	if err != nil {
		t.Fatal(err)
	}
	text := regexp.MustCompile(`(?m)^image_registry = .*$`).ReplaceAllString(string(src), "")
	if imageRegistry != "" {
		text = strings.Replace(text, "[harbor]\n", "[harbor]\nimage_registry = \""+imageRegistry+"\"\n", 1)
	}
	return specFrom(t, example, text+"\n"+extra)
}

// specFrom parses and validates a spec text; an invalid spec fails the test.
func specFrom(t *testing.T, name, text string) *spec.Spec {
	t.Helper()
	s, d := spec.Parse(name+".toml", []byte(text), spec.TOML)
	if s == nil {
		t.Fatal(d.Items())
	}
	validate.Validate(s, d, validate.Options{})
	if d.HasErrors(false) {
		t.Fatalf("%s: %v", name, d.Items())
	}
	return s
}

// exampleText is an example's TOML with replacements applied, each of
// which must match.
func exampleText(t *testing.T, example string, oldNew ...string) string {
	t.Helper()
	src, err := os.ReadFile("../../examples/" + example + "/harborgen.toml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(src)
	for i := 0; i < len(oldNew); i += 2 {
		if !strings.Contains(text, oldNew[i]) {
			t.Fatalf("%s has no %q", example, oldNew[i])
		}
		text = strings.Replace(text, oldNew[i], oldNew[i+1], 1)
	}
	return text
}

// composeImages returns "node/service" -> image for every service of every
// rendered docker-compose.yml.
func composeImages(t *testing.T, tr *tree.Tree) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range tr.Files() {
		if path.Base(f.Path) != "docker-compose.yml" {
			continue
		}
		var doc struct {
			Services map[string]struct {
				Image string `yaml:"image"`
				Build string `yaml:"build"`
			} `yaml:"services"`
		}
		if err := yaml.Unmarshal(f.Data, &doc); err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		for name, svc := range doc.Services {
			image := svc.Image
			if svc.Build != "" { // the image its Dockerfile builds on
				image = dockerfileFrom(t, tr, path.Join(path.Dir(f.Path), svc.Build, "Dockerfile"))
			}
			out[path.Base(path.Dir(f.Path))+"/"+name] = image
		}
	}
	if len(out) == 0 {
		t.Fatal("no compose service rendered: the test proves nothing")
	}
	return out
}

// dockerfileFrom is the image of a rendered Dockerfile's FROM line.
func dockerfileFrom(t *testing.T, tr *tree.Tree, p string) string {
	t.Helper()
	for _, f := range tr.Files() {
		if f.Path != p {
			continue
		}
		for _, line := range strings.Split(string(f.Data), "\n") {
			if from, ok := strings.CutPrefix(line, "FROM "); ok {
				return strings.Fields(from)[0]
			}
		}
		t.Fatalf("%s has no FROM line", p)
	}
	t.Fatalf("no %s in the tree", p)
	return ""
}

// TestMirrorRewritesEveryImage renders every example with [images] mirror
// and checks the image of every service of every node: each is under the
// mirror (official images under library/), pinned, and Harbor's own take
// harbor.image_registry instead when it is set. Overrides win.
func TestMirrorRewritesEveryImage(t *testing.T) {
	const mirror = "mirror.corp.example/hub"
	// PostgreSQL's releases are x.y.
	pinned := regexp.MustCompile(`(:(v?[0-9]+\.[0-9]+\.[0-9]+(-v[0-9]+\.[0-9]+\.[0-9]+)?)|/postgres:[0-9]+\.[0-9]+)$`)
	official := regexp.MustCompile(`^` + regexp.QuoteMeta(mirror) + `/library/(mariadb|redis|nginx|haproxy|postgres):`)
	// An image of another registry than Docker Hub (etcd, quay.io) is not
	// under a mirror of Docker Hub: images.etcd names the site's copy.
	otherRegistry := regexp.MustCompile(`^quay\.io/`)
	harborImage := regexp.MustCompile(`/(goharbor|vmware)/[a-z-]+:v`)
	for _, tc := range []struct {
		name, registry, extra string
		want                  func(service, image string) string // "" when right
	}{
		{"mirror", "", "[images]\nmirror = \"" + mirror + "\"\n", func(service, image string) string {
			if otherRegistry.MatchString(image) {
				return ""
			}
			if !strings.HasPrefix(image, mirror+"/") {
				return "not under the mirror"
			}
			if !harborImage.MatchString(image) && !official.MatchString(image) && !strings.HasPrefix(image, mirror+"/osixia/") {
				return "an official image without library/, or an unknown image"
			}
			return ""
		}},
		{"mirror and image_registry", "harbor.corp.example/goharbor", "[images]\nmirror = \"" + mirror + "\"\n", func(service, image string) string {
			if strings.Contains(image, "/goharbor/") || strings.Contains(image, "/vmware/") {
				if !strings.HasPrefix(image, "harbor.corp.example/goharbor/") {
					return "Harbor's image does not take harbor.image_registry"
				}
				return ""
			}
			if (!strings.HasPrefix(image, mirror+"/") && !otherRegistry.MatchString(image)) || strings.Contains(image, "//") {
				return "a tier image not under the mirror"
			}
			return ""
		}},
		{"overrides win", "", "[images]\nmirror = \"" + mirror + "\"\ngalera = \"db.corp.example/mariadb:10.11.18-1\"\n" +
			"redis = \"kv.corp.example/redis@sha256:" + strings.Repeat("ab", 32) + "\"\nnginx = \"lb.corp.example/nginx:1.30.0\"\nhaproxy = \"lb.corp.example/haproxy:2.8.26\"\n" +
			"postgres = \"db.corp.example/postgres:18.0\"\netcd = \"db.corp.example/etcd:v3.5.21\"\n",
			func(service, image string) string {
				want := map[string]string{"galera": "db.corp.example/mariadb:10.11.18-1", "galera-health": "db.corp.example/mariadb:10.11.18-1",
					"sentinel": "kv.corp.example/redis@sha256:" + strings.Repeat("ab", 32), "nginx": "lb.corp.example/nginx:1.30.0", "haproxy": "lb.corp.example/haproxy:2.8.26",
					"patroni": "db.corp.example/postgres:18.0", "etcd": "db.corp.example/etcd:v3.5.21"}
				if strings.HasPrefix(service, "redis") {
					service = "sentinel"
				}
				w, ok := want[service]
				if ok && image != w {
					return "not the override " + w
				}
				if !ok && !strings.HasPrefix(image, mirror+"/") {
					return "not under the mirror"
				}
				return ""
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen, refs := map[string]bool{}, map[string]bool{}
			for _, example := range examples {
				s := specWith(t, example, tc.registry, tc.extra)
				var first []byte
				for range 2 {
					p, err := plan.Build(s)
					if err != nil {
						t.Fatal(err)
					}
					tr, err := render.Tree(p, "harborgen.toml", nil)
					if err != nil {
						t.Fatal(err)
					}
					for svc, image := range composeImages(t, tr) {
						service := path.Base(svc)
						seen[strings.SplitN(service, "-", 2)[0]] = true
						refs[image] = true
						if why := tc.want(service, image); why != "" {
							t.Errorf("%s %s: image %q: %s", example, svc, image, why)
						}
						if !strings.Contains(image, "@sha256:") && !pinned.MatchString(image) && !strings.HasSuffix(image, "-1") {
							t.Errorf("%s %s: image %q is not pinned to x.y.z", example, svc, image)
						}
					}
					var all bytes.Buffer
					for _, f := range tr.Files() {
						all.WriteString(f.Path + "\n")
						all.Write(f.Data)
					}
					if first == nil {
						first = all.Bytes()
					} else if !bytes.Equal(first, all.Bytes()) {
						t.Errorf("%s: two renders differ", example)
					}
				}
			}
			// Every kind of image was tried: the examples run every Harbor
			// profile's components and every image of the data.
			for _, kind := range []string{"galera", "redis", "sentinel", "nginx", "haproxy", "patroni", "etcd", "core", "registry", "trivy", "ui", "adminserver"} {
				if !seen[kind] {
					t.Errorf("no example runs %s: the test misses its image", kind)
				}
			}
			if tc.name == "mirror" {
				data, err := profile.Images()
				if err != nil {
					t.Fatal(err)
				}
				for _, im := range data {
					if strings.HasPrefix(im.Key, "postgres") {
						continue // one major per spec: TestPatroniPostgresVersion runs each
					}
					if !refs[im.Ref(mirror)] {
						t.Errorf("no example runs the image %s (%s): remove it from templates/%s if no service uses it", im.Key, im.Ref(mirror), profile.ImagesFile)
					}
				}
			}
		})
	}
}
