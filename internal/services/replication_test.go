package services

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/dotenv"

	"github.com/harborgen/harborgen/internal/plan"
)

// TestReplicationRegistries proves the path and the credentials of two-site
// replication with the real registry: each site's registry runs from its
// first harbor node's rendered config.yml and secrets/registry.env (read as
// compose reads an env_file), with its site's Redis from the rendered
// files, at the address and port the node's compose publishes. skopeo pushes
// an image into site a's registry, then copies it to site b's exactly as the
// Docker Registry endpoint of replication-setup.sh does: as
// harbor_registry_user with the password of secrets/replication.env. The
// image comes out of site b with the digest it went in with.
//
// The sites' storage is RGW S3, which TestCephRGW covers: here REGISTRY_STORAGE
// overrides it with a filesystem directory per site (and the S3 keys of
// registry.env are left out, as they would make a second storage driver).
func TestReplicationRegistries(t *testing.T) {
	need(t, "docker-registry", "skopeo", "redis-server", "redis-cli", "bash")
	c := rendered(t, drSpec)
	var primary *plan.Node
	for _, n := range c.Nodes(func(n *plan.Node) bool { return n.Replication != nil }) {
		primary = n
		break
	}
	if primary == nil {
		t.Fatal("no node of two-site-dr sets up replication")
	}
	target := primary.Replication.Targets[0]
	siteA := firstHarbor(t, c, primary.Site)
	siteB := firstHarbor(t, c, target.Site)
	if want := "http://" + net.JoinHostPort(siteB.Address, strconv.Itoa(siteB.Harbor.RegistryPort)); target.URL() != want {
		t.Fatalf("the endpoint points at %s, want %s (%s's registry)", target.URL(), want, siteB.Name)
	}
	password := replicationPassword(t, c, primary)

	registries := map[string]string{} // node -> host:port
	for _, n := range []*plan.Node{siteA, siteB} {
		redisAddr := net.JoinHostPort(n.Address, "6379")
		startRedis(t, c, n.Name, "redis", filepath.Join("redis", "6379.conf"), "redis-auth.conf", redisAddr)
		waitFor(t, "redis on "+n.Name, 20*time.Second, func() error { return dialable(redisAddr) })
		registries[n.Name] = startSiteRegistry(t, c, n)
	}
	a, b := registries[siteA.Name], registries[siteB.Name]
	layout, digest := replOCIImage(t)
	ref := "/harbor-dr/replicated:v1"

	creds := "harbor_registry_user:" + password
	skopeoOK(t, "copy", "--dest-creds", creds, "--dest-tls-verify=false", "oci:"+layout+":v1", "docker://"+a+ref)
	if got := registryDigest(t, a, ref, creds); got != digest {
		t.Fatalf("site a holds %s, pushed %s", got, digest)
	}
	if out, err := skopeoTry("inspect", "--tls-verify=false", "--creds", "harbor_registry_user:wrong", "docker://"+b+ref); err == nil {
		t.Fatalf("site b's registry took a wrong password:\n%s", out)
	}
	skopeoOK(t, "copy", "--src-creds", creds, "--dest-creds", creds, "--src-tls-verify=false", "--dest-tls-verify=false",
		"docker://"+a+ref, "docker://"+b+ref)
	got := registryDigest(t, b, ref, creds)
	if got != digest {
		t.Fatalf("site b holds %s, site a %s", got, digest)
	}
	// The registry's blob cache went to the site's own Redis, database 1,
	// with the rendered password.
	for _, n := range []*plan.Node{siteA, siteB} {
		keys, err := redisCLI(net.JoinHostPort(n.Address, "6379"), c.Secrets["redis_password"], "-n", "1", "dbsize")
		if err != nil || keys == "0" {
			t.Errorf("%s's Redis db 1 holds %q keys (%v): the registry's cache is not there", n.Name, keys, err)
		}
	}
	summary(t, "replication %s registry %s -> %s registry %s as harbor_registry_user (replication.env): %s, same digest",
		siteA.Name, a, siteB.Name, b, digest)
}

// firstHarbor is the first harbor node of a site.
func firstHarbor(t *testing.T, c *Cluster, site string) *plan.Node {
	t.Helper()
	for _, n := range c.Nodes(func(n *plan.Node) bool { return n.Harbor != nil && n.Site == site }) {
		return n
	}
	t.Fatalf("site %s has no harbor node", site)
	return nil
}

// replicationPassword reads REGISTRY_PASSWORD from the primary node's
// secrets/replication.env the way replication-setup.sh does: bash sources it.
func replicationPassword(t *testing.T, c *Cluster, n *plan.Node) string {
	t.Helper()
	file := filepath.Join(c.Node(n.Name), "secrets", "replication.env")
	out, err := exec.Command("bash", "-c", `. "$1" && printf %s "$REGISTRY_PASSWORD"`, "bash", file).Output()
	if err != nil {
		t.Fatalf("source %s: %v", file, err)
	}
	if string(out) != c.Secrets["registry_password"] {
		t.Fatalf("%s holds another password than the secrets file's registry_password", file)
	}
	return string(out)
}

// startSiteRegistry starts Debian's docker-registry (distribution 2.8, the line
// Harbor ships) from a harbor node's rendered config.yml, with the env_file
// of its compose service, and the publishing of its compose file: only on
// the node's address, at its registry port. It returns host:port.
func startSiteRegistry(t *testing.T, c *Cluster, n *plan.Node) string {
	t.Helper()
	dir := c.Node(n.Name)
	envFile, err := os.ReadFile(filepath.Join(dir, "secrets", "registry.env"))
	if err != nil {
		t.Fatal(err)
	}
	vars, err := dotenv.ParseWithLookup(bytes.NewReader(envFile), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("%s: secrets/registry.env: %v", n.Name, err)
	}
	compose, err := os.ReadFile(filepath.Join(dir, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort(n.Address, strconv.Itoa(n.Harbor.RegistryPort))
	if !strings.Contains(string(compose), `- "`+addr+`:5000"`) {
		t.Fatalf("%s's compose does not publish the registry on %s", n.Name, addr)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()} // no AWS_CA_BUNDLE (FACTS.md)
	for k, v := range vars {
		if !strings.HasPrefix(k, "REGISTRY_STORAGE_S3_") && !strings.HasPrefix(k, "REGISTRY_STORAGE_SWIFT_") {
			env = append(env, k+"="+v)
		}
	}
	env = append(env,
		"REGISTRY_STORAGE=filesystem", "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY="+t.TempDir(),
		"REGISTRY_STORAGE_CACHE_LAYERINFO=redis", "REGISTRY_STORAGE_DELETE_ENABLED=true",
		// compose maps addr:5000 to the container's :5000; here the
		// registry listens on addr itself, its debug port beside it.
		"REGISTRY_HTTP_ADDR="+addr, "REGISTRY_HTTP_DEBUG_ADDR="+net.JoinHostPort(n.Address, "5001"),
		"REGISTRY_AUTH_HTPASSWD_PATH="+filepath.Join(dir, "secrets", "registry-passwd"))
	cmd := exec.Command("docker-registry", "serve", filepath.Join(dir, "harbor", "common", "config", "registry", "config.yml"))
	cmd.Env = env
	p := start(t, "registry-"+n.Name, cmd)
	waitFor(t, "registry on "+n.Name, 20*time.Second, func() error {
		if done, err := p.Exited(); done {
			return fmt.Errorf("exited: %v", err)
		}
		resp, err := http.Get("http://" + addr + "/v2/")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			return fmt.Errorf("/v2/ without credentials: %s, want 401", resp.Status)
		}
		return nil
	})
	return addr
}

func skopeoTry(args ...string) (string, error) {
	cmd := exec.Command("skopeo", append([]string{"--insecure-policy"}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func skopeoOK(t *testing.T, args ...string) string {
	t.Helper()
	out, err := skopeoTry(args...)
	if err != nil {
		t.Fatalf("skopeo %s: %v\n%s", args[0], err, out)
	}
	return out
}

// registryDigest is the manifest digest a registry serves for host/ref.
func registryDigest(t *testing.T, host, ref, creds string) string {
	t.Helper()
	var info struct{ Digest string }
	out := skopeoOK(t, "inspect", "--tls-verify=false", "--creds", creds, "docker://"+host+ref)
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatalf("skopeo inspect: %v\n%s", err, out)
	}
	return info.Digest
}

// replOCIImage writes a one-layer OCI image layout tagged v1 and returns
// its directory and its manifest's digest.
func replOCIImage(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		t.Fatal(err)
	}
	put := func(b []byte) string {
		sum := fmt.Sprintf("%x", sha256.Sum256(b))
		if err := os.WriteFile(filepath.Join(blobs, sum), b, 0o644); err != nil {
			t.Fatal(err)
		}
		return "sha256:" + sum
	}
	var tarball bytes.Buffer
	tw := tar.NewWriter(&tarball)
	body := []byte("replicated by harborgen's two-site test\n")
	must(t, tw.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: int64(len(body)), ModTime: time.Unix(0, 0)}))
	_, err := tw.Write(body)
	must(t, err)
	must(t, tw.Close())
	var layer bytes.Buffer
	gz := gzip.NewWriter(&layer)
	_, err = gz.Write(tarball.Bytes())
	must(t, err)
	must(t, gz.Close())
	diffID := fmt.Sprintf("sha256:%x", sha256.Sum256(tarball.Bytes()))
	config := []byte(`{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["` + diffID + `"]}}`)
	manifest := fmt.Appendf(nil, `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":%q,"size":%d},`+
		`"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":%q,"size":%d}]}`,
		put(config), len(config), put(layer.Bytes()), layer.Len())
	digest := put(manifest)
	index := fmt.Sprintf(`{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",`+
		`"digest":%q,"size":%d,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}`, digest, len(manifest))
	must(t, os.WriteFile(filepath.Join(dir, "index.json"), []byte(index), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644))
	return dir, digest
}
