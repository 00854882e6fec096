package services

import (
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/render"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/validate"
)

// redirect (S3 only): storage.redirect_disable as the real registry reads
// it. The rendered default for s3 (redirect: disable: true) makes the
// registry serve a blob itself; the config.yml rendered from the same spec
// with redirect_disable = false (no redirect section, prepare's default)
// sends the client to RGW with a 307, and RGW serves the same bytes there.
func (r *registryRun) redirect(t *testing.T) string {
	img := ociImage(t)
	repo := r.repo + "-redirect"
	if _, err := skopeoPush(t, img, r.addrs[r.first.Name], repo, r.creds); err != nil {
		t.Fatalf("push: %v", err)
	}
	if disable, _ := configString(r.regs[r.first.Name].Config, "storage.redirect.disable").(bool); !disable {
		t.Fatalf("the rendered config.yml of %s has no storage.redirect.disable: true (s3's default)", r.first.Name)
	}
	code, loc, sum := blobGet(t, r.addrs[r.first.Name], repo, img.Layer, r.password)
	if code != http.StatusOK || sum != img.Layer {
		t.Fatalf("blob through the rendered config: HTTP %d (Location %q), digest %s; want 200 and %s from the registry", code, loc, sum, img.Layer)
	}

	conf := renderedWith(t, r.c, r.first.Name, "harbor/common/config/registry/config.yml",
		`driver = "s3"`, `driver = "s3"`+"\nredirect_disable = false")
	if strings.Contains(conf, "redirect:") {
		t.Fatalf("config.yml rendered with redirect_disable = false still has a redirect section:\n%s", conf)
	}
	path := filepath.Join(tempDir(t, "harborgen-redirect-"), "config.yml")
	must(t, os.WriteFile(path, []byte(conf), 0o644))
	_, addr := r.start(t, r.first, "redirect", map[string]string{registryConfigPath: path})
	code, loc, _ = blobGet(t, addr, repo, img.Layer, r.password)
	endpoint := r.first.Endpoints.Storage.URL
	if code != http.StatusTemporaryRedirect || !strings.HasPrefix(loc, endpoint+"/") {
		t.Fatalf("blob with redirect_disable = false: HTTP %d, Location %q; want 307 to %s", code, loc, endpoint)
	}
	code, _, sum = blobGet(t, "", "", "", "", loc)
	if code != http.StatusOK || sum != img.Layer {
		t.Fatalf("the blob at RGW's presigned URL: HTTP %d, digest %s, want 200 and %s", code, sum, img.Layer)
	}
	return "redirect disabled: blob 200 from the registry; redirect_disable = false: 307 to RGW, which serves it"
}

// blobGet fetches a blob without following a redirect and returns the
// status, the Location and the sha256 of a 200's body. With a URL as the
// sixth argument it GETs that (a presigned URL) without credentials.
func blobGet(t *testing.T, addr, repo, digest, password string, rawURL ...string) (int, string, string) {
	t.Helper()
	u := "http://" + addr + "/v2/" + repo + "/blobs/" + digest
	if len(rawURL) > 0 {
		u = rawURL[0]
	}
	req, err := http.NewRequest("GET", u, nil)
	must(t, err)
	if err := loopbackOnly(strings.Split(req.URL.Hostname(), "%")[0]); err != nil {
		t.Fatal(err)
	}
	if len(rawURL) == 0 {
		req.SetBasicAuth(registryUser, password)
	}
	client := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer res.Body.Close()
	h := sha256.New()
	_, _ = io.Copy(h, res.Body)
	sum := ""
	if res.StatusCode == http.StatusOK {
		sum = fmt.Sprintf("sha256:%x", h.Sum(nil))
	}
	return res.StatusCode, res.Header.Get("Location"), sum
}

// renderedWith renders, in process, the cluster's spec with one edit and
// the cluster's own secrets, and returns one file of a node.
func renderedWith(t *testing.T, c *Cluster, node, file, old, new string) string {
	t.Helper()
	data, err := os.ReadFile(c.Spec)
	must(t, err)
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s has no %q", c.Spec, old)
	}
	text := strings.Replace(string(data), old, new, 1)
	s, d := spec.Parse(c.Spec, []byte(text), spec.TOML)
	if s == nil {
		t.Fatalf("%s edited: %v", c.Spec, d.Items())
	}
	validate.Validate(s, d, validate.Options{})
	if d.HasErrors(false) {
		t.Fatalf("%s edited: %v", c.Spec, d.Items())
	}
	p, err := plan.Build(s)
	must(t, err)
	tr, err := render.Tree(p, filepath.Base(c.Spec), c.Secrets)
	must(t, err)
	for _, f := range tr.Files() {
		if f.Path == filepath.ToSlash(filepath.Join("nodes", node, file)) {
			return string(f.Data)
		}
	}
	t.Fatalf("no %s of node %s", file, node)
	return ""
}
