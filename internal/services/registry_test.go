package services

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"

	"github.com/harborgen/harborgen/internal/plan"
)

// Harbor's registry runs for real here: Debian's docker-registry is
// distribution 2.8.2, the line Harbor 2.10-2.15 ships (Harbor's fork adds a
// Sentinel client and little else the rendered config uses). Each harbor
// node's registry starts from the node's rendered files the way compose
// starts the registry-photon container:
//
//   - the environment is exactly what compose gives the service: the compose
//     file loaded with compose-go, whose loader reads every env_file with its
//     dotenv parser. Nothing of the test's own environment leaks in (this
//     machine's AWS_CA_BUNDLE makes the s3 driver panic);
//   - each node has a host of its own: a copy of its rendered directory (with
//     secrets/) and a host root, both prepared by the node's rendered
//     prepare-host.sh run as root with HARBORGEN_HOST_ROOT set to that root.
//     The owners the registry relies on (its htpasswd file, the filesystem
//     storage) are the ones the script set; the test sets none;
//   - the bind mounts are emulated in a directory that stands for the
//     container's root: a file mount is a hard link to the node's file (the
//     same inode, so the owner and mode the registry sees are the host's, as
//     through a bind mount), a directory mount a symlink to the host directory
//     (an absolute host path is taken under the node's host root);
//   - the rendered config.yml is what runs. Only these REGISTRY_* overrides
//     are added, each because a host process is not a container: http.addr
//     and http.debug.addr (the node's loopback address and a free port instead
//     of :5000 and localhost:5001, which two registries on one host would
//     share; with harbor.metric, each node's main registry keeps the rendered
//     metric port, on its own address), and the config's container paths (auth.htpasswd.path,
//     storage.filesystem.rootdirectory) prefixed with that root directory. A
//     path no mount covers fails the test: the registry would write inside its
//     container;
//   - the process runs as uid 10000, the user of Harbor's image.
//
// The backends are real: the spec's Redis from its rendered config, Ceph RGW
// (S3 or Swift) with the user the rendered rgw-user.sh creates, or a shared
// directory. skopeo pushes an image through the first harbor node's registry
// with the rendered htpasswd credentials and pulls it through every other
// node's; negative subtests show that a wrong password, bucket or container,
// endpoint, Redis password or storage owner is caught, and that the files as
// they are before prepare-host.sh runs (a root-owned htpasswd file, a
// root-owned storage mount) make the registry fail.

// harborUID is the user Harbor's images run as (registry-photon's `USER
// harbor`): whatever the registry reads or writes through a bind mount must be
// readable or writable by it.
const harborUID = 10000

// registryConfigPath is where the registry-photon image reads its
// configuration (`registry serve /etc/registry/config.yml`).
const registryConfigPath = "/etc/registry/config.yml"

// registryUser is the htpasswd user core authenticates to the registry as.
const registryUser = "harbor_registry_user"

// registryRedisDB is the Redis database Harbor's registry uses (core 0,
// registry 1, jobservice 2).
const registryRedisDB = 1

func TestRegistryS3(t *testing.T)         { testRegistry(t, "s3") }
func TestRegistrySwift(t *testing.T)      { testRegistry(t, "swift") }
func TestRegistryFilesystem(t *testing.T) { testRegistry(t, "filesystem") }

// registryEnv is a harbor node's registry service as compose would run it.
type registryEnv struct {
	Node      *plan.Node
	Env       map[string]string // the container's environment (env_file resolved)
	Mounts    map[string]string // bind mounts: container path -> host path
	Config    map[string]any    // the rendered config.yml
	Published string            // host:port compose publishes the registry's :5000 on; empty: none
}

// registryRun is one driver's cluster of registries, for the subtests.
type registryRun struct {
	c              *Cluster
	driver         string
	first          *plan.Node   // pushes
	others         []*plan.Node // pull
	regs           map[string]*registryEnv
	addrs          map[string]string // node -> the address its registry serves
	password       string            // harbor_registry_user's
	creds          string            // user:password
	repo           string
	redisAddr      string
	redisPassword  string
	backend        registryBackend
	pushedManifest string
}

// registryBackend is the storage of one driver, and how a registry is
// pointed at another bucket (container, directory) or a wrong endpoint.
type registryBackend struct {
	other       map[string]string // node 2 on other storage: the pull must fail (filesystem: made by the subtest)
	badEndpoint map[string]string // a wrong endpoint (none for filesystem)
	storageDir  string            // filesystem: the shared mount, as every node's host sees it
	note        string            // for the summary
}

func testRegistry(t *testing.T, driver string) {
	need(t, "docker-registry", "skopeo", "redis-server", "redis-cli", "bash")
	c, harbors := registryCluster(t, driver)
	r := &registryRun{c: c, driver: driver, first: harbors[0], others: harbors[1:],
		regs: map[string]*registryEnv{}, addrs: map[string]string{}, repo: "harborgen/" + driver}
	r.redisAddr, r.redisPassword = startRegistryRedis(t, c, r.first)
	r.backend = setupRegistryBackend(t, c, driver, r.first)

	for _, n := range harbors {
		r.regs[n.Name] = registryNode(t, c, n, r.backend.storageDir)
		if _, ok := r.regs[n.Name].Mounts["/etc/registry/passwd"]; !ok {
			t.Fatalf("%s: nothing is mounted at /etc/registry/passwd", n.Name)
		}
	}
	if driver == "filesystem" {
		// Every node's script met the shared mount; the first one owned it.
		if err := ownedBy(r.backend.storageDir, harborUID); err != nil {
			t.Fatalf("after prepare-host.sh: %v", err)
		}
		r.backend.note = "shared storage owned by uid 10000 by prepare-host.sh"
	}
	if r.password = c.Secrets["registry_password"]; r.password == "" {
		t.Fatal("the secrets file has no registry_password")
	}
	r.creds = registryUser + ":" + r.password
	for _, n := range harbors {
		p, addr := startRegistry(t, r.regs[n.Name], n.Name, r.regs[n.Name].metricsAddr(t))
		if err := registryUp(p, addr); err != nil {
			t.Fatalf("registry of %s: %v", n.Name, err)
		}
		r.addrs[n.Name] = addr
	}
	r.pushAndPull(t)

	var caught []string
	for _, tc := range []struct {
		name string
		when bool
		run  func(*testing.T) string // what it caught, for the summary
	}{
		{"wrong password", true, r.wrongPassword},
		{"upload across nodes", true, r.uploadAcrossNodes},
		{"other storage", true, r.otherStorage},
		{"wrong endpoint", r.backend.badEndpoint != nil, r.wrongEndpoint},
		{"wrong redis password", true, r.wrongRedisPassword},
		{"htpasswd owner", true, r.htpasswdOwner},
		{"storage owner", driver == "filesystem", r.storageOwner},
		{"redirect", driver == "s3", r.redirect},
		{"metrics", r.regs[r.first.Name].metrics() != nil, r.scrapeMetrics},
	} {
		if tc.when {
			t.Run(tc.name, func(t *testing.T) { caught = append(caught, tc.run(t)) })
		}
	}

	how := fmt.Sprintf("%s on hosts prepared by prepare-host.sh, push via %s, pull via %s, digest %s, layerinfo in redis %s db %d",
		driver, r.first.Name, nodeNames(r.others), r.pushedManifest, r.redisAddr, registryRedisDB)
	if r.backend.note != "" {
		how += ", " + r.backend.note
	}
	summary(t, "registry %s (%s)", how, strings.Join(caught, ", "))
}

// setupRegistryBackend starts (or makes) the storage of the first harbor
// node's scope.
func setupRegistryBackend(t *testing.T, c *Cluster, driver string, first *plan.Node) registryBackend {
	t.Helper()
	var b registryBackend
	st := first.Endpoints.Storage
	switch driver {
	case "s3", "swift":
		need(t, "jq", "curl", "ceph", "ceph-authtool", "monmaptool", "ceph-mon", "ceph-osd", "radosgw", "radosgw-admin")
		endpoint := startRegistryRGW(t, c, first)
		closed := net.JoinHostPort(endpoint.Hostname(), strconv.Itoa(freePort(t, endpoint.Hostname())))
		if driver == "s3" {
			b.note = s3Bucket(t, c, first, endpoint)
			b.other = map[string]string{"REGISTRY_STORAGE_S3_BUCKET": st.Bucket + "-other"}
			b.badEndpoint = map[string]string{"REGISTRY_STORAGE_S3_REGIONENDPOINT": endpoint.Scheme + "://" + closed}
			return b
		}
		if code := swiftContainer(t, c, st); code != http.StatusNotFound {
			t.Fatalf("container %s before the first registry started: HTTP %d, want 404", st.Bucket, code)
		}
		b.note = "container created by the registry"
		b.other = map[string]string{"REGISTRY_STORAGE_SWIFT_CONTAINER": st.Bucket + "-other"}
		b.badEndpoint = map[string]string{"REGISTRY_STORAGE_SWIFT_AUTHURL": endpoint.Scheme + "://" + closed + endpoint.Path}
	case "filesystem":
		// The shared mount (storage.filesystem.path, the same on every node)
		// is a directory of the test, root's 0755 as a fresh mount is: each
		// node's prepare-host.sh finds it at the storage path of its host.
		b.storageDir = sharedMount(t)
	default:
		t.Fatalf("storage driver %q", driver)
	}
	return b
}

// pushAndPull pushes a fresh image through the first node's registry and
// pulls it through every other node's, and checks what the backends hold.
func (r *registryRun) pushAndPull(t *testing.T) {
	t.Helper()
	img := ociImage(t)
	digest, err := skopeoPush(t, img, r.addrs[r.first.Name], r.repo, r.creds)
	if err != nil {
		t.Fatalf("push through %s: %v", r.first.Name, err)
	}
	if digest != img.Manifest {
		t.Fatalf("push through %s: digest %s, want the image's %s", r.first.Name, digest, img.Manifest)
	}
	for _, n := range r.others {
		got, err := skopeoPull(t, r.addrs[n.Name], r.repo, r.creds)
		if err != nil {
			t.Fatalf("pull through %s of what %s pushed: %v", n.Name, r.first.Name, err)
		}
		if got != digest {
			t.Fatalf("pull through %s: digest %s, pushed %s", n.Name, got, digest)
		}
	}
	r.pushedManifest = digest
	if st := r.first.Endpoints.Storage; r.driver == "swift" {
		if code := swiftContainer(t, r.c, st); code != http.StatusNoContent {
			t.Fatalf("container %s after the push: HTTP %d, want 204", st.Bucket, code)
		}
	}
	if err := layerinfoCached(r.redisAddr, r.redisPassword, img.Layer); err != nil {
		t.Fatalf("the registries' layer-info cache: %v", err)
	}
	if r.driver == "filesystem" {
		if err := ownedBy(filepath.Join(r.backend.storageDir, "docker"), harborUID); err != nil {
			t.Error(err)
		}
	}
}

func (r *registryRun) wrongPassword(t *testing.T) string {
	addr := r.addrs[r.first.Name]
	if got := registryGet(t, addr, registryUser, r.password); got != http.StatusOK {
		t.Fatalf("GET /v2/ with the rendered credentials: %d, want 200", got)
	}
	if got := registryGet(t, addr, registryUser, r.password+"x"); got != http.StatusUnauthorized {
		t.Fatalf("GET /v2/ with a wrong password: %d, want 401", got)
	}
	_, err := skopeoPush(t, ociImage(t), addr, r.repo+"-denied", registryUser+":"+r.password+"x")
	wantFailure(t, "push with a wrong password", err, "unauthorized")
	return "wrong password 401"
}

// uploadAcrossNodes: behind the load balancer, the requests of one upload
// reach any node. Node 2 finishes what node 1 started only with the same
// http.secret (it signs the upload state) and the same storage.
func (r *registryRun) uploadAcrossNodes(t *testing.T) string {
	n := r.others[0]
	code, body := crossUpload(t, r.addrs[r.first.Name], r.addrs[n.Name], r.repo+"-upload", r.password)
	if code != http.StatusCreated {
		t.Fatalf("upload started on %s, finished on %s: %d, want 201: %s", r.first.Name, n.Name, code, body)
	}
	p, addr := r.start(t, n, "secret", map[string]string{"REGISTRY_HTTP_SECRET": "another-" + r.regs[n.Name].Env["REGISTRY_HTTP_SECRET"]})
	code, body = crossUpload(t, r.addrs[r.first.Name], addr, r.repo+"-upload", r.password)
	if code == http.StatusCreated || !strings.Contains(body, "BLOB_UPLOAD_INVALID") {
		t.Fatalf("upload finished on %s with another http secret: %d, want BLOB_UPLOAD_INVALID: %s", p.Name, code, body)
	}
	return "upload started on " + r.first.Name + " finished on " + n.Name + ", another http secret BLOB_UPLOAD_INVALID"
}

// otherStorage: node 2 on another bucket (container, directory) does not
// see what node 1 pushed; the shared storage is what makes the cluster.
func (r *registryRun) otherStorage(t *testing.T) string {
	n := r.others[0]
	other := r.backend.other
	if r.driver == "filesystem" {
		// Another shared mount, prepared by node 2's script on a host of
		// its own: only the directory differs.
		other = map[string]string{"/storage": registryNode(t, r.c, n, sharedMount(t)).Mounts["/storage"]}
	}
	p, addr := r.start(t, n, "other", other)
	_, err := skopeoPull(t, addr, r.repo, r.creds)
	if r.driver != "s3" {
		wantFailure(t, "pull through "+n.Name+" on other storage", err, "manifest unknown")
		return "other " + map[string]string{"swift": "container", "filesystem": "directory"}[r.driver] + " pull fails"
	}
	// The other bucket does not exist, and distribution 2.8 does not
	// create one: the pull and even a push fail.
	wantFailure(t, "pull through "+n.Name+" on a missing bucket", err, "500 Internal Server Error")
	_, err = skopeoPush(t, ociImage(t), addr, r.repo+"-nobucket", r.creds)
	wantFailure(t, "push through "+n.Name+" into a missing bucket", err, "")
	logHas(t, p, "NoSuchBucket")
	return "other bucket pull fails, missing bucket push fails"
}

func (r *registryRun) wrongEndpoint(t *testing.T) string {
	p, addr := startRegistry(t, r.regs[r.first.Name], r.first.Name+"-endpoint", r.backend.badEndpoint)
	if err := registryUp(p, addr); err != nil {
		// The swift driver authenticates when it starts.
		wantFailure(t, "a registry with a wrong endpoint", err, "connection refused")
		return "wrong endpoint fails start"
	}
	_, err := skopeoPush(t, ociImage(t), addr, r.repo+"-endpoint", r.creds)
	wantFailure(t, "push through a registry with a wrong endpoint", err, "")
	logHas(t, p, "connection refused")
	return "wrong endpoint fails push"
}

// wrongRedisPassword: distribution falls back to the storage when its cache
// fails, so a push still works; what catches a wrong Redis setting is the
// cache itself, empty for the layers this registry pushed.
func (r *registryRun) wrongRedisPassword(t *testing.T) string {
	p, addr := r.start(t, r.first, "redis", map[string]string{"REGISTRY_REDIS_PASSWORD": "wrong-" + r.redisPassword})
	fresh := ociImage(t)
	if _, err := skopeoPush(t, fresh, addr, r.repo+"-redis", r.creds); err != nil {
		t.Fatalf("push: %v", err)
	}
	if err := layerinfoCached(r.redisAddr, r.redisPassword, fresh.Layer); err == nil {
		t.Fatal("the layer-info cache holds a layer pushed with a wrong Redis password")
	}
	logHas(t, p, "WRONGPASS")
	return "wrong redis password leaves the cache empty"
}

// htpasswdOwner: the secret file as the rendered tree holds it before
// prepare-host.sh ran, root's 0600; the registry, uid 10000, cannot read it
// and does not start.
func (r *registryRun) htpasswdOwner(t *testing.T) string {
	passwd := filepath.Join(r.c.Node(r.first.Name), "secrets", "registry-passwd")
	if st := statOf(t, passwd); st.Uid != 0 || st.Mode&0o777 != 0o600 {
		t.Fatalf("the rendered %s is %d:%d %o: want root's 0600, the file before prepare-host.sh", passwd, st.Uid, st.Gid, st.Mode&0o777)
	}
	p, addr := startRegistry(t, r.regs[r.first.Name], r.first.Name+"-passwd", map[string]string{"/etc/registry/passwd": passwd})
	wantFailure(t, "a registry whose htpasswd file is root's 0600", registryUp(p, addr), "permission denied")
	return "root-owned htpasswd fails start"
}

// storageOwner: what Harbor met (issue 9, defect 3), the shared mount left
// to root, as it is before prepare-host.sh ran.
func (r *registryRun) storageOwner(t *testing.T) string {
	rootOwned := sharedMount(t)
	p, addr := r.start(t, r.first, "owner", map[string]string{"/storage": rootOwned})
	_, err := skopeoPush(t, ociImage(t), addr, r.repo+"-owner", r.creds)
	wantFailure(t, "push onto a root-owned 0755 directory as uid 10000", err, "500 Internal Server Error")
	logHas(t, p, "/storage/docker: permission denied")
	return "root-owned storage fails push"
}

// start starts one more registry of a node, with overrides, and waits until
// it serves.
func (r *registryRun) start(t *testing.T, n *plan.Node, suffix string, extra map[string]string) (*Proc, string) {
	t.Helper()
	p, addr := startRegistry(t, r.regs[n.Name], n.Name+"-"+suffix, extra)
	if err := registryUp(p, addr); err != nil {
		t.Fatalf("registry of %s (%s): %v", n.Name, suffix, err)
	}
	return p, addr
}

// registryCluster returns the first spec of the suite with two or more
// Harbor 2 nodes in one scope on the driver's storage and a standalone Redis
// (Debian's registry has no Sentinel client), and those nodes.
func registryCluster(t *testing.T, driver string) (*Cluster, []*plan.Node) {
	t.Helper()
	for _, s := range specs() {
		c := rendered(t, s)
		if c.Plan.Profile != "2" {
			continue
		}
		var first *plan.Node
		harbors := c.Nodes(func(n *plan.Node) bool {
			ok := n.Endpoints != nil && n.Endpoints.Storage.Driver == driver && n.Endpoints.Redis.Mode == "standalone" &&
				(first == nil || n.Site == first.Site)
			if ok && first == nil {
				first = n
			}
			return ok
		})
		if len(harbors) >= 2 {
			t.Logf("registry %s: spec %s", driver, s)
			return c, harbors
		}
	}
	t.Fatalf("no spec of the suite has two Harbor 2 nodes on %s storage with a standalone Redis (specs: %v)", driver, specs())
	return nil, nil
}

// startRegistryRedis starts the Redis of the first harbor node's scope from
// its rendered configuration and returns its address and password.
func startRegistryRedis(t *testing.T, c *Cluster, harbor *plan.Node) (addr, password string) {
	t.Helper()
	addr = harbor.Endpoints.Redis.Addrs[0]
	for _, n := range c.Nodes(func(n *plan.Node) bool { return n.Redis != nil && n.Site == harbor.Site }) {
		for _, in := range n.Redis.Instances {
			if net.JoinHostPort(n.Redis.Address, strconv.Itoa(in.Port)) != addr {
				continue
			}
			secretsFile := ""
			if n.Redis.Auth {
				secretsFile = "redis-auth.conf"
			}
			startRedis(t, c, n.Name, "redis", filepath.Join("redis", strconv.Itoa(in.Port)+".conf"), secretsFile, addr)
			password = redisPassword(c, n.Redis.Auth)
			waitFor(t, "redis "+addr, 20*time.Second, func() error {
				out, err := redisCLI(addr, password, "ping")
				if err == nil && out != "PONG" {
					err = fmt.Errorf("PING: %q", out)
				}
				return err
			})
			return addr, password
		}
	}
	t.Fatalf("harbor node %s's Redis %s is no redis instance of the plan", harbor.Name, addr)
	return "", ""
}

// startRegistryRGW starts the single-node Ceph of the harbor nodes' scope
// and runs its ceph-admin node's rendered rgw-user.sh; it returns the RGW
// endpoint (the S3 endpoint or the Swift auth URL).
func startRegistryRGW(t *testing.T, c *Cluster, harbor *plan.Node) *url.URL {
	t.Helper()
	admins := c.Nodes(func(n *plan.Node) bool { return n.RGW != nil && n.Site == harbor.Site })
	if len(admins) == 0 {
		t.Fatalf("no ceph-admin node renders the radosgw user of %s's storage", harbor.Name)
	}
	admin := admins[0]
	endpoint, err := url.Parse(harbor.Endpoints.Storage.URL)
	if err != nil || endpoint.Port() == "" {
		t.Fatalf("storage URL %q: want http://host:port/...: %v", harbor.Endpoints.Storage.URL, err)
	}
	if err := loopbackOnly(endpoint.Hostname()); err != nil {
		t.Fatal(err)
	}
	conf := startCeph(t, admin.Address, endpoint.Host)
	for run := 1; run <= 2; run++ {
		out, err := runScript(t, c.Node(admin.Name), []string{"RGW_ADMIN_ARGS=-c " + conf}, "rgw-user.sh")
		if err != nil {
			t.Fatalf("rgw-user.sh run %d: %v\n%s", run, err, out)
		}
		if run == 2 && (strings.Contains(out, "created") || strings.Contains(out, "set the")) {
			t.Fatalf("rgw-user.sh: the second run changed something:\n%s", out)
		}
	}
	return endpoint
}

// s3Bucket checks that the registry's bucket exists once rgw-user.sh ran:
// distribution 2.8's s3 driver never creates it (the "other storage" subtest
// shows a push into a missing bucket failing), so the script does.
func s3Bucket(t *testing.T, c *Cluster, harbor *plan.Node, endpoint *url.URL) string {
	t.Helper()
	st := harbor.Endpoints.Storage
	access, secret := c.Secrets["s3_access_key"], c.Secrets["s3_secret_key"]
	region := st.Region
	if region == "" {
		region = "us-east-1"
	}
	b := &url.URL{Scheme: endpoint.Scheme, Host: endpoint.Host, Path: "/" + st.Bucket}
	if res := rgwHTTP(t, "HEAD", b, s3Sign("HEAD", b, region, access, secret)); res.StatusCode != http.StatusOK {
		t.Fatalf("bucket %s after rgw-user.sh: HEAD %s, want 200 (distribution 2.8 does not create it)", st.Bucket, res.Status)
	}
	return "bucket created by rgw-user.sh"
}

// swiftContainer returns the status of HEAD on the registry's container,
// as the rendered Swift user.
func swiftContainer(t *testing.T, c *Cluster, st plan.Storage) int {
	t.Helper()
	sess := swiftAuth(t, st.URL, st.SwiftUser, c.Secrets["swift_key"], http.StatusNoContent)
	u, err := url.Parse(sess.url + "/" + url.PathEscape(st.Bucket))
	must(t, err)
	return rgwHTTP(t, "HEAD", u, map[string]string{"X-Auth-Token": sess.token}).StatusCode
}

// registryNode gives a harbor node a host of its own and reads its registry
// service from there: a copy of its rendered directory and a host root,
// prepared by its prepare-host.sh as root with HARBORGEN_HOST_ROOT (what
// the script would do to / and the node's directory, it does to these). On
// filesystem storage, shared is the shared mount, which the host root has at
// the storage path (empty: none). The TLS files and sysctls the script
// checks are there, as an operator leaves them.
func registryNode(t *testing.T, c *Cluster, n *plan.Node, shared string) *registryEnv {
	t.Helper()
	host := tempDir(t, "harborgen-registry-host-")
	root, dir := filepath.Join(host, "root"), filepath.Join(host, "node")
	if out, err := exec.Command("cp", "-a", c.Node(n.Name), dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	must(t, os.Mkdir(root, 0o755))
	if st := n.Endpoints.Storage; st.Driver == "filesystem" && shared != "" {
		must(t, os.MkdirAll(filepath.Dir(filepath.Join(root, st.Path)), 0o755))
		must(t, os.Symlink(shared, filepath.Join(root, st.Path)))
	}
	for _, f := range n.Host.Required {
		writeHostFile(t, filepath.Join(root, f.Path), "pem\n", 0o600)
	}
	for _, s := range n.Host.Sysctls {
		writeHostFile(t, filepath.Join(root, s.ProcPath()), "0\n", 0o644)
	}
	out, err := runScript(t, dir, []string{"HARBORGEN_HOST_ROOT=" + root}, "./prepare-host.sh")
	if err != nil {
		t.Fatalf("%s: prepare-host.sh: %v\n%s", n.Name, err, out)
	}
	t.Logf("%s: prepare-host.sh:\n%s", n.Name, out)
	return loadRegistryEnv(t, n, dir, root)
}

// sharedMount is a directory that stands for a shared mount as it is before
// any host prepared it: root's, 0755.
func sharedMount(t *testing.T) string {
	t.Helper()
	d := filepath.Join(tempDir(t, "harborgen-registry-mount-"), "mount")
	must(t, os.Mkdir(d, 0o755))
	return d
}

// loadRegistryEnv reads the registry service of a node directory's
// docker-compose.yml with compose-go. A bind mount of an absolute host path
// is taken under root, the node's host root.
func loadRegistryEnv(t *testing.T, n *plan.Node, dir, root string) *registryEnv {
	t.Helper()
	composeFile := filepath.Join(dir, "docker-compose.yml")
	data, err := os.ReadFile(composeFile)
	must(t, err)
	project, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: composeFile, Content: data}},
		Environment: types.Mapping{}, // nothing of the test's environment
	}, func(o *loader.Options) { o.SetProjectName(strings.ReplaceAll(n.Name, ".", "-"), true) })
	if err != nil {
		t.Fatalf("%s: compose-go: %v", composeFile, err)
	}
	svc, ok := project.Services["registry"]
	if !ok {
		t.Fatalf("%s has no registry service", composeFile)
	}
	r := &registryEnv{Node: n, Env: map[string]string{}, Mounts: map[string]string{}}
	for k, v := range svc.Environment {
		if v != nil { // compose passes a key without a value through from its own environment: none here
			r.Env[k] = *v
		}
	}
	for _, v := range svc.Volumes {
		if v.Type != types.VolumeTypeBind {
			t.Fatalf("%s: registry volume %s is a %s, the test emulates bind mounts only", composeFile, v.Target, v.Type)
		}
		src := v.Source // compose-go made a relative source absolute under dir
		if !strings.HasPrefix(src, dir+"/") {
			src = filepath.Join(root, src)
		}
		r.Mounts[v.Target] = src
	}
	for _, p := range svc.Ports {
		if p.Target == 5000 {
			r.Published = net.JoinHostPort(p.HostIP, p.Published)
		}
	}
	conf, ok := r.Mounts[registryConfigPath]
	if !ok {
		t.Fatalf("%s: nothing is mounted at %s, where the registry reads its configuration", composeFile, registryConfigPath)
	}
	text, err := os.ReadFile(conf)
	must(t, err)
	if err := yaml.Unmarshal(text, &r.Config); err != nil {
		t.Fatalf("%s: %v", conf, err)
	}
	return r
}

// without returns a copy of the registry service whose environment has no
// key with one of the prefixes.
func (r *registryEnv) without(prefixes ...string) *registryEnv {
	c := *r
	c.Env = map[string]string{}
	for k, v := range r.Env {
		if !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(k, p) }) {
			c.Env[k] = v
		}
	}
	return &c
}

// startRegistry starts a registry from a node's rendered files, with extra
// REGISTRY_* overrides for the negative subtests (a key starting with "/" is
// a container path mounted from another host path instead), and returns it
// with the address it serves.
func startRegistry(t *testing.T, r *registryEnv, name string, extra map[string]string) (*Proc, string) {
	t.Helper()
	mounts := map[string]string{}
	for k, v := range r.Mounts {
		mounts[k] = v
	}
	env := map[string]string{}
	for k, v := range r.Env {
		env[k] = v
	}
	for k, v := range extra {
		if strings.HasPrefix(k, "/") {
			mounts[k] = v
			continue
		}
		env[k] = v
	}
	root := containerRoot(t, mounts)

	// The config's container paths, under the emulated root.
	for _, key := range []struct{ env, path string }{
		{"REGISTRY_AUTH_HTPASSWD_PATH", "auth.htpasswd.path"},
		{"REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", "storage.filesystem.rootdirectory"},
	} {
		p, ok := env[key.env]
		if !ok {
			p, _ = configString(r.Config, key.path).(string)
		}
		if p == "" {
			continue
		}
		if !mounted(mounts, p) {
			t.Fatalf("%s: config.yml's %s %s is on no bind mount of the registry service", r.Node.Name, key.path, p)
		}
		env[key.env] = filepath.Join(root, p)
	}
	addr, ok := extra["REGISTRY_HTTP_ADDR"]
	if !ok {
		addr = net.JoinHostPort(r.Node.Address, strconv.Itoa(freePort(t, r.Node.Address)))
	}
	env["REGISTRY_HTTP_ADDR"] = addr
	if _, ok := extra["REGISTRY_HTTP_DEBUG_ADDR"]; !ok {
		env["REGISTRY_HTTP_DEBUG_ADDR"] = net.JoinHostPort(r.Node.Address, strconv.Itoa(freePort(t, r.Node.Address)))
	}

	bin, err := exec.LookPath("docker-registry")
	must(t, err)
	cmd := exec.Command(bin, "serve", filepath.Join(root, registryConfigPath))
	cmd.Dir = root
	cmd.Env = []string{} // exactly what compose gives, like env -i
	for _, k := range sortedKeys(env) {
		cmd.Env = append(cmd.Env, k+"="+env[k])
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: harborUID, Gid: harborUID}}
	return start(t, "registry-"+name, cmd), addr
}

// containerRoot builds the emulated container root of one registry: file
// mounts are hard links (the same inode as the host file), directory mounts
// symlinks. Its directories are 0755, so uid 10000 can walk them as it walks
// the container's.
func containerRoot(t *testing.T, mounts map[string]string) string {
	t.Helper()
	root := filepath.Join(tempDir(t, "harborgen-registry-"), "root")
	for _, target := range sortedKeys(mounts) {
		src := mounts[target]
		dst := filepath.Join(root, target)
		must(t, os.MkdirAll(filepath.Dir(dst), 0o755))
		fi, err := os.Stat(src)
		if err != nil {
			t.Fatalf("bind mount %s:%s: %v", src, target, err)
		}
		if fi.IsDir() {
			must(t, os.Symlink(src, dst))
		} else {
			must(t, os.Link(src, dst))
		}
	}
	return root
}

// mounted reports whether a container path is on one of the mounts.
func mounted(mounts map[string]string, p string) bool {
	for target := range mounts {
		if p == target || strings.HasPrefix(p, strings.TrimSuffix(target, "/")+"/") {
			return true
		}
	}
	return false
}

// configString returns a dotted key of the parsed config.yml, or nil.
func configString(conf map[string]any, dotted string) any {
	var v any = conf
	for _, k := range strings.Split(dotted, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// registryMetrics is the rendered config's Prometheus endpoint
// (harbor.metric): http.debug.addr ":<port>" with prometheus enabled at path.
type registryMetrics struct {
	Port int
	Path string
}

// metrics reads the Prometheus endpoint of the rendered config.yml, or nil
// when it has none.
func (r *registryEnv) metrics() *registryMetrics {
	if on, _ := configString(r.Config, "http.debug.prometheus.enabled").(bool); !on {
		return nil
	}
	addr, _ := configString(r.Config, "http.debug.addr").(string)
	path, _ := configString(r.Config, "http.debug.prometheus.path").(string)
	_, port, err := net.SplitHostPort(addr)
	n, perr := strconv.Atoi(port)
	if err != nil || perr != nil || path == "" {
		return &registryMetrics{} // rendered, but unusable: scrapeMetrics fails on it
	}
	return &registryMetrics{Port: n, Path: path}
}

// metricsAddr keeps the rendered metric port for a node's main registry:
// the debug server listens on the node's address at that port (in the
// container, ":<port>" on every interface, which compose does not publish;
// the proxy reaches it as registry:<port>). nil without metrics.
func (r *registryEnv) metricsAddr(t *testing.T) map[string]string {
	t.Helper()
	m := r.metrics()
	if m == nil {
		return nil
	}
	if m.Port == 0 {
		t.Fatalf("%s: config.yml's http.debug has prometheus but no usable addr and path: %v", r.Node.Name, configString(r.Config, "http.debug"))
	}
	return map[string]string{"REGISTRY_HTTP_DEBUG_ADDR": net.JoinHostPort(r.Node.Address, strconv.Itoa(m.Port))}
}

// scrapeMetrics fetches /metrics of the first node's registry, which served
// the push, at the rendered port and path, and has promtool parse it. The
// default path (/metrics) is not served when another is rendered, and
// promtool rejects a broken exposition: the check can fail.
func (r *registryRun) scrapeMetrics(t *testing.T) string {
	need(t, "promtool")
	m := r.regs[r.first.Name].metrics()
	base := "http://" + net.JoinHostPort(r.first.Address, strconv.Itoa(m.Port))
	client := &http.Client{Timeout: 10 * time.Second}
	res, err := client.Get(base + m.Path)
	if err != nil {
		t.Fatalf("GET %s%s: %v", base, m.Path, err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	must(t, err)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET %s%s: %s, %s; want 200 and the Prometheus text format", base, m.Path, res.Status, res.Header.Get("Content-Type"))
	}
	if !bytes.Contains(body, []byte("registry_http_requests_total{")) {
		t.Fatalf("GET %s%s: no registry_http_requests_total after the push:\n%s", base, m.Path, tail(body, 2000))
	}
	promtool := func(input []byte) (string, error) {
		cmd := exec.Command("promtool", "check", "metrics")
		cmd.Stdin = bytes.NewReader(input)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := promtool(body); err != nil {
		t.Fatalf("promtool check metrics on %s%s: %v\n%s", base, m.Path, err, out)
	}
	if _, err := promtool(append(slices.Clone(body), "registry_http_requests_total{handler=\"x\" 1\n"...)); err == nil {
		t.Fatal("promtool check metrics accepts a broken line: the check proves nothing")
	}
	if m.Path != "/metrics" {
		res, err := client.Get(base + "/metrics")
		if err != nil {
			t.Fatalf("GET %s/metrics: %v", base, err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Fatalf("GET %s/metrics: 200, but the rendered path is %s", base, m.Path)
		}
	}
	families := bytes.Count(body, []byte("\n# TYPE "))
	return fmt.Sprintf("metrics at %s%s pass promtool (%d families)", base, m.Path, families)
}

// registryUp waits until the registry answers /v2/ (401 without
// credentials), or reports that it exited, with its log.
func registryUp(p *Proc, addr string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		if done, err := p.Exited(); done {
			log, _ := os.ReadFile(p.Log)
			return fmt.Errorf("exited (%v):\n%s", err, tail(log, 2000))
		}
		client := &http.Client{Timeout: 2 * time.Second}
		res, err := client.Get("http://" + addr + "/v2/")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusUnauthorized {
				return nil
			}
			err = fmt.Errorf("GET /v2/ without credentials: %s, want 401", res.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not up after 30s: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// crossUpload starts a blob upload on one registry and finishes it with one
// PUT on another, as harbor_registry_user; it returns the PUT's status and
// body.
func crossUpload(t *testing.T, from, to, repo, password string) (int, string) {
	t.Helper()
	for _, addr := range []string{from, to} {
		host, _, _ := net.SplitHostPort(addr)
		if err := loopbackOnly(host); err != nil {
			t.Fatal(err)
		}
	}
	client := &http.Client{Timeout: 30 * time.Second}
	do := func(method, u string, body []byte) (*http.Response, string) {
		t.Helper()
		req, err := http.NewRequest(method, u, bytes.NewReader(body))
		must(t, err)
		req.SetBasicAuth(registryUser, password)
		req.Header.Set("Content-Type", "application/octet-stream")
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, u, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	res, body := do("POST", "http://"+from+"/v2/"+repo+"/blobs/uploads/", nil)
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("start an upload on %s: %s: %s", from, res.Status, body)
	}
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || loc.Path == "" {
		t.Fatalf("upload Location %q: %v", res.Header.Get("Location"), err)
	}
	blob := make([]byte, 1024)
	_, err = rand.Read(blob)
	must(t, err)
	q := loc.Query()
	q.Set("digest", fmt.Sprintf("sha256:%x", sha256.Sum256(blob)))
	finish := url.URL{Scheme: "http", Host: to, Path: loc.Path, RawQuery: q.Encode()}
	res, body = do("PUT", finish.String(), blob)
	return res.StatusCode, body
}

// wantFailure fails the test unless err is a failure whose text has want.
func wantFailure(t *testing.T, what string, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s succeeded", what)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("%s failed, but not with %q: %v", what, want, err)
	}
	t.Logf("%s: %v", what, err)
}

// logHas fails the test unless the registry logged want.
func logHas(t *testing.T, p *Proc, want string) {
	t.Helper()
	b, err := os.ReadFile(p.Log)
	must(t, err)
	if !strings.Contains(string(b), want) {
		t.Fatalf("%s did not log %q:\n%s", p.Name, want, tail(b, 3000))
	}
}

// registryGet returns the status of GET /v2/ with basic credentials.
func registryGet(t *testing.T, addr, user, password string) int {
	t.Helper()
	host, _, _ := net.SplitHostPort(addr)
	if err := loopbackOnly(host); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest("GET", "http://"+addr+"/v2/", nil)
	must(t, err)
	req.SetBasicAuth(user, password)
	res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s/v2/: %v", addr, err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// layerinfoCached checks that the registry's Redis database holds the
// blob descriptor of a layer (distribution's "blobs::<digest>" hash): the
// registry reached Redis with the rendered address, password and database.
func layerinfoCached(addr, password, layer string) error {
	out, err := redisCLI(addr, password, "-n", strconv.Itoa(registryRedisDB), "exists", "blobs::"+layer)
	if err != nil {
		return err
	}
	if out != "1" && out != "(integer) 1" {
		return fmt.Errorf("redis %s db %d has no blobs::%s", addr, registryRedisDB, layer)
	}
	return nil
}

// ownedBy checks that a path (what a link points to) belongs to uid.
func ownedBy(path string, uid int) error {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return fmt.Errorf("stat %s: %w", path, err)
	}
	if int(st.Uid) != uid {
		return fmt.Errorf("%s is owned by uid %d, not %d", path, st.Uid, uid)
	}
	return nil
}

// statOf stats a path (what a link points to).
func statOf(t *testing.T, path string) syscall.Stat_t {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	return st
}

// freePort returns a TCP port free on a loopback address.
func freePort(t *testing.T, host string) int {
	t.Helper()
	if err := loopbackOnly(host); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	must(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func nodeNames(nodes []*plan.Node) string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.Name)
	}
	return strings.Join(out, ", ")
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
