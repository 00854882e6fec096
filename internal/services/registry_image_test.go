package services

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testImage is a one-layer OCI image in an OCI layout directory, written by
// the test (no image is downloaded).
type testImage struct {
	Layout   string // the layout directory; the image is its tag "latest"
	Manifest string // the manifest's digest
	Layer    string // the layer's digest
}

// ociImage writes a fresh image: its layer holds random bytes, so two images
// never share a blob.
func ociImage(t *testing.T) testImage {
	t.Helper()
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755))
	blob := func(b []byte) (string, int) {
		sum := fmt.Sprintf("%x", sha256.Sum256(b))
		must(t, os.WriteFile(filepath.Join(dir, "blobs", "sha256", sum), b, 0o644))
		return "sha256:" + sum, len(b)
	}

	content := make([]byte, 4096)
	_, err := rand.Read(content)
	must(t, err)
	var layerTar bytes.Buffer
	tw := tar.NewWriter(&layerTar)
	must(t, tw.WriteHeader(&tar.Header{Name: "harborgen.bin", Mode: 0o644, Size: int64(len(content)), ModTime: time.Unix(0, 0)}))
	_, err = tw.Write(content)
	must(t, err)
	must(t, tw.Close())
	var layerGz bytes.Buffer
	zw := gzip.NewWriter(&layerGz)
	_, err = zw.Write(layerTar.Bytes())
	must(t, err)
	must(t, zw.Close())
	layer, layerSize := blob(layerGz.Bytes())
	diffID := fmt.Sprintf("sha256:%x", sha256.Sum256(layerTar.Bytes()))

	config, configSize := blob(mustJSON(t, map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"config":       map[string]any{},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{diffID}},
	}))
	manifest, manifestSize := blob(mustJSON(t, map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.manifest.v1+json",
		"config":        map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": configSize},
		"layers": []any{
			map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer, "size": layerSize},
		},
	}))
	must(t, os.WriteFile(filepath.Join(dir, "index.json"), mustJSON(t, map[string]any{
		"schemaVersion": 2,
		"manifests": []any{map[string]any{
			"mediaType":   "application/vnd.oci.image.manifest.v1+json",
			"digest":      manifest,
			"size":        manifestSize,
			"annotations": map[string]string{"org.opencontainers.image.ref.name": "latest"},
		}},
	}), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644))
	return testImage{Layout: dir, Manifest: manifest, Layer: layer}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, err)
	return b
}

// skopeoPush copies the image to addr/repo:latest over plain HTTP and
// returns the digest the registry stored it under.
func skopeoPush(t *testing.T, img testImage, addr, repo, creds string) (string, error) {
	t.Helper()
	return skopeoCopy(t, "oci:"+img.Layout+":latest", "docker://"+addr+"/"+repo+":latest", creds)
}

// skopeoPull copies addr/repo:latest into a new OCI layout and returns the
// digest of the manifest it got (skopeo checks every blob's digest).
func skopeoPull(t *testing.T, addr, repo, creds string) (string, error) {
	t.Helper()
	return skopeoCopy(t, "docker://"+addr+"/"+repo+":latest", "oci:"+filepath.Join(t.TempDir(), "pulled")+":latest", creds)
}

// skopeoCopy copies an image between two references (oci:DIR:TAG, or
// docker://HOST:PORT/REPO:TAG over plain HTTP, with creds for every
// registry named) and returns the digest of the manifest it wrote.
func skopeoCopy(t *testing.T, src, dest, creds string) (string, error) {
	t.Helper()
	var registries []string
	for _, ref := range []string{src, dest} {
		if r, ok := strings.CutPrefix(ref, "docker://"); ok {
			registries = append(registries, strings.SplitN(r, "/", 2)[0])
		}
	}
	digestFile := filepath.Join(t.TempDir(), "digest")
	if _, err := skopeo(t, "copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--authfile", authFile(t, creds, registries...),
		"--digestfile", digestFile, src, dest); err != nil {
		return "", err
	}
	b, err := os.ReadFile(digestFile)
	return strings.TrimSpace(string(b)), err
}

// authFile writes the credentials for registries in the containers
// auth.json format, so they are never on a command line.
func authFile(t *testing.T, creds string, registries ...string) string {
	t.Helper()
	auths := map[string]any{}
	for _, r := range registries {
		auths[r] = map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(creds))}
	}
	p := filepath.Join(t.TempDir(), "auth.json")
	must(t, os.WriteFile(p, mustJSON(t, map[string]any{"auths": auths}), 0o600))
	return p
}

// skopeo runs skopeo with an environment of its own (no proxy, no
// credentials of the machine) and returns its output.
func skopeo(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "skopeo", append([]string{"--insecure-policy", "--command-timeout", "2m"}, args...)...)
	home := t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "TMPDIR=" + home}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("skopeo %s: %v\n%s", args[0], err, out)
	}
	return string(out), nil
}
