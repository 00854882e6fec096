package services

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/harborgen/harborgen/internal/plan"
)

// TestReplicationRegistries proves the path and the credentials of two-site
// replication with the real registry: each site's registry is its first
// harbor node's, started as TestRegistry* starts one (on a host prepared by
// the node's prepare-host.sh, from its rendered config.yml and the env_file
// of its compose service, as uid 10000), at the address and port the node's
// compose publishes, with its site's Redis from the rendered files. skopeo
// pushes an image into site a's registry, then copies it to site b's
// exactly as the Docker Registry endpoint of replication-setup.sh does: as
// harbor_registry_user with the password of secrets/replication.env. The
// image comes out of site b with the digest it went in with.
//
// The sites' storage is RGW S3, which TestRegistryS3 covers: here
// REGISTRY_STORAGE overrides it with a directory per site (and the S3 keys
// of registry.env are left out, as they would make a second storage driver).
func TestReplicationRegistries(t *testing.T) {
	need(t, "docker-registry", "skopeo", "redis-server", "redis-cli", "bash", "cp")
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
	creds := registryUser + ":" + replicationPassword(t, c, primary)

	addrs, redis := map[string]string{}, map[string][2]string{} // node -> registry; node -> Redis address, password
	for _, n := range []*plan.Node{siteA, siteB} {
		redisAddr, redisPassword := startRegistryRedis(t, c, n)
		redis[n.Name] = [2]string{redisAddr, redisPassword}
		reg := registryNode(t, c, n, "")
		if want := net.JoinHostPort(n.Address, strconv.Itoa(n.Harbor.RegistryPort)); reg.Published != want {
			t.Fatalf("%s's compose publishes the registry on %q, want %s", n.Name, reg.Published, want)
		}
		storage := tempDir(t, "harborgen-replication-") // stands for the site's bucket
		must(t, os.Chown(storage, harborUID, harborUID))
		p, addr := startRegistry(t, reg.without("REGISTRY_STORAGE_S3_", "REGISTRY_STORAGE_SWIFT_"), n.Name, map[string]string{
			"REGISTRY_HTTP_ADDR": reg.Published,
			"REGISTRY_STORAGE":   "filesystem", "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY": "/storage", "/storage": storage,
			// REGISTRY_STORAGE replaces the config's storage section.
			"REGISTRY_STORAGE_CACHE_LAYERINFO": "redis", "REGISTRY_STORAGE_DELETE_ENABLED": "true",
		})
		if err := registryUp(p, addr); err != nil {
			t.Fatalf("registry of %s: %v", n.Name, err)
		}
		addrs[n.Name] = addr
	}
	a, b := addrs[siteA.Name], addrs[siteB.Name]
	if target.URL() != "http://"+b {
		t.Fatalf("the endpoint points at %s, want %s (%s's registry)", target.URL(), "http://"+b, siteB.Name)
	}
	img := ociImage(t)
	const repo = "harbor-dr/replicated"
	if got, err := skopeoPush(t, img, a, repo, creds); err != nil || got != img.Manifest {
		t.Fatalf("push into site a: digest %q, want %s: %v", got, img.Manifest, err)
	}
	_, err := skopeoPull(t, b, repo, registryUser+":wrong")
	wantFailure(t, "site b's registry with a wrong password", err, "unauthorized")
	if _, err := skopeoCopy(t, "docker://"+a+"/"+repo+":latest", "docker://"+b+"/"+repo+":latest", creds); err != nil {
		t.Fatalf("copy site a -> site b: %v", err)
	}
	if got, err := skopeoPull(t, b, repo, creds); err != nil || got != img.Manifest {
		t.Fatalf("site b holds %q, site a %s: %v", got, img.Manifest, err)
	}
	// Each registry's layer-info cache went to its site's own Redis,
	// database 1, with the rendered password.
	for _, n := range []*plan.Node{siteA, siteB} {
		if err := layerinfoCached(redis[n.Name][0], redis[n.Name][1], img.Layer); err != nil {
			t.Errorf("%s: %v", n.Name, err)
		}
	}
	summary(t, "replication %s registry %s -> %s registry %s as harbor_registry_user (replication.env): %s, same digest",
		siteA.Name, a, siteB.Name, b, img.Manifest)
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
