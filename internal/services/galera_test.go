package services

import (
	"bufio"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/harborgen/harborgen/internal/plan"
)

// TestGaleraCluster forms the Galera cluster of the spec from the rendered
// galera.cnf of each member (only datadir, socket and the !include path
// rewritten) and drives it with the rendered scripts, through a stand-in
// `docker` (galeraDockerShim) that runs each node's containers as host
// processes on its 127.0.0.x address.
//
// The mariadb image is emulated where the scripts and SST depend on it:
//   - its entrypoint's first start, minimally: on the bootstrap member the
//     test runs mariadb-install-db and sets root@localhost's password to
//     db_root_password (what the entrypoint does with MARIADB_ROOT_PASSWORD
//     and MARIADB_ROOT_HOST=localhost, from secrets/galera.env); joiners
//     start from an empty data directory and get their data by SST, as they
//     do once the entrypoint's throw-away initialisation is replaced;
//   - its user: the entrypoint runs mariadbd as mysql (gosu), so the SST
//     scripts and the rsync daemon run as mysql, not root;
//   - its programs: the official image has no rsync (galeraImageLacks), so
//     the member runs in a mount namespace where the host's rsync is hidden,
//     unless the compose file builds its image from galera/Dockerfile, FROM
//     the image the plan pins, installing rsync.
func TestGaleraCluster(t *testing.T) {
	testGaleraCluster(t, clusterWith(t, "galera", func(n *plan.Node) bool { return n.Galera != nil }))
}

// TestGaleraRsyncSST forms seed 003's cluster shape: rsync SST, bootstrapped
// on a member that is not the first (galera-rsync.toml: the third of five).
func TestGaleraRsyncSST(t *testing.T) {
	c := rendered(t, "testdata/galera-rsync.toml")
	members := c.Nodes(func(n *plan.Node) bool { return n.Galera != nil })
	if len(members) < 3 || !members[2].Galera.Bootstrap || members[0].Galera.SSTMethod != "rsync" {
		t.Fatalf("galera-rsync.toml: want rsync SST bootstrapped on the third member")
	}
	testGaleraCluster(t, c)
}

func testGaleraCluster(t *testing.T, c *Cluster) {
	need(t, "mariadbd", "mariadb", "mariadb-install-db", "mariabackup", "socat", "rsync", "setsid", "setpriv", "unshare", "mount", "timeout")
	begin := time.Now()
	members := c.Nodes(func(n *plan.Node) bool { return n.Galera != nil })
	bootAt := slices.IndexFunc(members, func(n *plan.Node) bool { return n.Galera.Bootstrap })
	boot := members[bootAt]
	g := boot.Galera
	h := newGaleraHarness(t, c, members)

	h.initBootstrapDataDir(boot)
	out := h.run(boot, "galera-bootstrap.sh")
	wantContains(t, out, "starting a new cluster")
	out = h.run(boot, "galera-bootstrap.sh")
	wantContains(t, out, "already up and Primary")
	for _, m := range members {
		if m != boot {
			h.run(m, "galera-join.sh")
		}
	}
	h.waitClusterSize(members, len(members))

	wantContains(t, h.run(boot, "galera-init-db.sh"), "are ready")
	wantContains(t, h.run(boot, "galera-init-db.sh"), "are ready")
	first, last := members[0], members[len(members)-1]
	schema := "no schema step"
	if _, err := os.Stat(filepath.Join(c.Node(boot.Name), "harbor-schema.sh")); err == nil {
		// Harbor 1.5: Galera is its database; the runbook's schema step loads
		// registry.sql once (a stand-in of the same shape, see harbor15_test.go).
		sqlFile := filepath.Join(t.TempDir(), "registry.sql")
		must(t, os.WriteFile(sqlFile, []byte(harbor15RegistrySQL), 0o644))
		first := h.run(boot, "harbor-schema.sh", sqlFile)
		second := h.run(boot, "harbor-schema.sh", sqlFile)
		if first == second {
			t.Fatalf("harbor-schema.sh said the same twice, want a load then a no-op:\n%s", second)
		}
		if got := h.sqlAs(last, g.User, galeraSecret(c, "db_password"), g.Database, "SELECT version_num FROM alembic_version"); got != "1.5.0" {
			t.Fatalf("alembic_version read on %s: %q", last.Name, got)
		}
		schema = "schema loaded once"
	}
	harbor := func(n *plan.Node, sql string) string {
		return h.sqlAs(n, g.User, galeraSecret(c, "db_password"), g.Database, sql)
	}
	harbor(first, "CREATE TABLE IF NOT EXISTS harborgen_probe (id INT PRIMARY KEY, v VARCHAR(64))")
	harbor(first, "REPLACE INTO harborgen_probe VALUES (1, 'written on "+first.Name+"')")
	if got := harbor(last, "SELECT v FROM harborgen_probe WHERE id = 1"); got != "written on "+first.Name {
		t.Fatalf("row read on %s: %q", last.Name, got)
	}

	for _, m := range members {
		resp := h.healthScript(m)
		if !strings.HasPrefix(resp, "HTTP/1.1 200 ") {
			t.Errorf("%s: galera-health.sh answered %q, want 200", m.Name, resp)
		}
		if code := h.healthHTTP(m); code != http.StatusOK {
			t.Errorf("%s: galera-health service on %d answered %d, want 200", m.Name, g.CheckPort, code)
		}
	}

	// A second bootstrap while the others run must be refused.
	h.stop(boot, "galera")
	if code := h.healthScriptCode(boot); code != "503" {
		t.Errorf("%s stopped: galera-health.sh answered %s, want 503", boot.Name, code)
	}
	out, err := h.tryRun(boot, "galera-bootstrap.sh")
	if err == nil || !strings.Contains(out, "already runs a cluster") {
		t.Fatalf("galera-bootstrap.sh with the others running: err=%v, want a refusal:\n%s", err, out)
	}
	// The runbook's way back: the bootstrap member rejoins as an ordinary member.
	h.run(boot, "galera-join.sh")
	h.waitClusterSize(members, len(members))
	primary := 0
	for _, m := range members {
		if h.status(m)["wsrep_cluster_status"] == "Primary" {
			primary++
		}
	}

	// The bootstrap member stopped first: grastate.dat says it is not safe to
	// bootstrap from once the others are down too.
	h.stop(boot, "galera")
	for _, m := range members {
		h.stop(m, "galera")
	}
	out, err = h.tryRun(boot, "galera-bootstrap.sh")
	if err == nil || !strings.Contains(out, "safe_to_bootstrap: 0") {
		t.Fatalf("galera-bootstrap.sh from a stale member: err=%v, want a refusal:\n%s", err, out)
	}
	summary(t, "galera %d/%d Primary sst=%s bootstrap=%s (member %d of %d), row written on %s read on %s, %s (%.0fs)",
		primary, len(members), g.SSTMethod, boot.Name, bootAt+1, len(members), first.Name, last.Name, schema, time.Since(begin).Seconds())
}

// galeraSecret is the value render used: HARBORGEN_SECRET_* (userSupplied)
// wins over the secrets file, while Cluster.Secrets prefers the file.
func galeraSecret(c *Cluster, name string) string {
	if v, ok := userSupplied[name]; ok {
		return v
	}
	return c.Secrets[name]
}

func wantContains(t *testing.T, out, want string) {
	t.Helper()
	if !strings.Contains(out, want) {
		t.Fatalf("output lacks %q:\n%s", want, out)
	}
}

// galeraHarness keeps, per member, the state the docker stand-in works in:
// <state>/<node>/{galera.cnf,client.cnf,data,up-<service>,<service>.pid,...}.
type galeraHarness struct {
	t     *testing.T
	c     *Cluster
	state string
	env   []string
	mysql galeraUser // the image's mysql user: mariadbd runs as it
}

// galeraUser is a uid and gid, for chown and setpriv.
type galeraUser struct{ uid, gid int }

func galeraMysqlUser(t *testing.T) galeraUser {
	u, err := user.Lookup("mysql")
	if err != nil {
		t.Fatalf("no mysql user (the mariadb-server package creates it): %v", err)
	}
	uid, err := strconv.Atoi(u.Uid)
	must(t, err)
	gid, err := strconv.Atoi(u.Gid)
	must(t, err)
	return galeraUser{uid, gid}
}

// chownMysql gives paths (not recursively) to the mysql user.
func (h *galeraHarness) chownMysql(paths ...string) {
	for _, p := range paths {
		must(h.t, os.Lchown(p, h.mysql.uid, h.mysql.gid))
	}
}

func newGaleraHarness(t *testing.T, c *Cluster, members []*plan.Node) *galeraHarness {
	// Short paths: a unix socket path must fit in 108 bytes.
	state, err := os.MkdirTemp("", "galera-")
	if err != nil {
		t.Fatal(err)
	}
	// mariadbd runs as mysql and must reach its files under the state directory.
	must(t, os.Chmod(state, 0o755))
	h := &galeraHarness{t: t, c: c, state: state, mysql: galeraMysqlUser(t)}
	bin := filepath.Join(state, "bin")
	must(t, os.MkdirAll(bin, 0o755))
	must(t, os.WriteFile(filepath.Join(bin, "docker"), []byte(galeraDockerShim), 0o755))
	h.env = []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "GALERA_SHIM_STATE=" + state, "GALERA_WAIT_SECONDS=120"}
	t.Cleanup(func() {
		for _, m := range members {
			h.stop(m, "galera-health")
			h.stop(m, "galera")
		}
		if t.Failed() {
			for _, m := range members {
				for _, svc := range []string{"galera", "galera-health"} {
					if b, err := os.ReadFile(filepath.Join(state, m.Name, svc+".log")); err == nil {
						t.Logf("--- %s %s log:\n%s", m.Name, svc, tail(b, 3000))
					}
				}
			}
		}
		os.RemoveAll(state)
	})
	for _, m := range members {
		h.prepare(m)
	}
	return h
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (h *galeraHarness) dir(n *plan.Node, elem ...string) string {
	return filepath.Join(append([]string{h.state, n.Name}, elem...)...)
}

// prepare writes a member's rewritten option files and what the stand-in
// runs for `up -d galera`, `up -d galera-health` and the bootstrap override.
func (h *galeraHarness) prepare(n *plan.Node) {
	t := h.t
	node := h.c.Node(n.Name)
	must(t, os.MkdirAll(h.dir(n, "data"), 0o755))
	// mysql writes its socket beside the option files, and its data.
	h.chownMysql(h.dir(n), h.dir(n, "data"))
	include := ""
	if n.Galera.SSTUser != "" {
		// The entrypoint's `install -o mysql -g mysql -m 0400` of the SST account.
		b, err := os.ReadFile(filepath.Join(node, "secrets", "galera-sst.cnf"))
		must(t, err)
		include = h.dir(n, "galera-sst.cnf")
		must(t, os.WriteFile(include, b, 0o400))
		h.chownMysql(include)
	}
	cnf, err := galeraRewriteCnf(filepath.Join(node, "galera", "galera.cnf"), map[string]string{
		"datadir": h.dir(n, "data"), "socket": h.dir(n, "mysqld.sock"),
	}, include)
	must(t, err)
	// A read-only bind mount of the rendered file: readable, not writable, by mysql.
	must(t, os.WriteFile(h.dir(n, "galera.cnf"), cnf, 0o644))
	client, err := galeraRewriteCnf(filepath.Join(node, "secrets", "galera-client.cnf"), map[string]string{"socket": h.dir(n, "mysqld.sock")}, "")
	must(t, err)
	must(t, os.WriteFile(h.dir(n, "client.cnf"), client, 0o600))

	services := galeraComposeServices(t, filepath.Join(node, "docker-compose.yml"))
	paths := map[string]string{ // the compose file's bind mounts
		"/etc/mysql/galera.cnf":                h.dir(n, "galera.cnf"),
		"/etc/mysql/secrets/galera-client.cnf": h.dir(n, "client.cnf"),
		"/usr/local/bin/galera-health.sh":      filepath.Join(node, "galera", "galera-health.sh"),
	}
	var pathLines []string
	for _, from := range slices.Sorted(maps.Keys(paths)) {
		pathLines = append(pathLines, from+"\t"+paths[from])
	}
	must(t, os.WriteFile(h.dir(n, "paths"), []byte(strings.Join(pathLines, "\n")+"\n"), 0o644))

	cmd := services["galera"].Command
	if len(cmd) < 2 || cmd[0] != "mariadbd" || cmd[1] != "--defaults-file=/etc/mysql/galera.cnf" {
		t.Fatalf("%s: galera command %q: want mariadbd --defaults-file=/etc/mysql/galera.cnf first", n.Name, cmd)
	}
	// The image's programs (in a mount namespace of the member's own), and
	// its entrypoint's step down to mysql.
	upGalera := "#!/usr/bin/env bash\nset -e\n"
	if hide := h.hideLacking(n, galeraImageLacks(t, node, n, services["galera"])); len(hide) > 0 {
		upGalera += "[ -n \"${GALERA_IMAGE_NS:-}\" ] || GALERA_IMAGE_NS=1 exec unshare --mount --propagation private \"$0\" \"$@\"\n" +
			strings.Join(hide, "\n") + "\n"
	}
	setpriv, err := exec.LookPath("setpriv")
	must(t, err)
	upGalera += "exec " + galeraShellWords([]string{setpriv,
		"--reuid=" + strconv.Itoa(h.mysql.uid), "--regid=" + strconv.Itoa(h.mysql.gid), "--clear-groups", "mariadbd"}) + " " +
		galeraShellWords(galeraMapPaths(cmd[1:], paths)) + " \"$@\"\n"
	must(t, os.WriteFile(h.dir(n, "up-galera"), []byte(upGalera), 0o755))
	health := services["galera-health"].Entrypoint
	if len(health) == 0 || health[0] != "socat" {
		t.Fatalf("%s: galera-health entrypoint %q: want socat", n.Name, health)
	}
	upHealth := "#!/usr/bin/env bash\nexec " + galeraShellWords(galeraMapPaths(health, paths)) + "\n"
	must(t, os.WriteFile(h.dir(n, "up-galera-health"), []byte(upHealth), 0o755))
	if n.Galera.Bootstrap {
		override := galeraComposeServices(t, filepath.Join(node, "galera", "bootstrap.yml"))["galera"].Command
		if len(override) <= len(cmd) || !slices.Equal(override[:len(cmd)], cmd) {
			t.Fatalf("bootstrap.yml command %q does not extend %q", override, cmd)
		}
		must(t, os.WriteFile(h.dir(n, "bootstrap-args"), []byte(strings.Join(override[len(cmd):], "\n")+"\n"), 0o644))
	}
}

type galeraComposeService struct {
	Image      string   `yaml:"image"`
	Build      string   `yaml:"build"` // the short form, a context directory
	Command    []string `yaml:"command"`
	Entrypoint []string `yaml:"entrypoint"`
}

// galeraOfficialImageLacks: what the official mariadb image does not
// install that a host with Debian's mariadb-server has (its Dockerfile
// installs mariadb-server, mariadb-backup and socat with
// --no-install-recommends; Debian's mariadb-server depends on rsync).
var galeraOfficialImageLacks = []string{"rsync"}

// galeraImageLacks returns the programs the galera service's image lacks:
// those of the official image, less what galera/Dockerfile installs when
// the compose file builds the image. A built image must be FROM the image
// the plan pins for galera.
func galeraImageLacks(t *testing.T, node string, n *plan.Node, svc galeraComposeService) []string {
	t.Helper()
	pinned := ""
	for _, s := range n.Services {
		if s.Name == "galera" {
			pinned = s.Image
		}
	}
	if svc.Build == "" {
		if svc.Image != pinned {
			t.Fatalf("%s: galera image %q, the plan pins %q", n.Name, svc.Image, pinned)
		}
		return galeraOfficialImageLacks
	}
	b, err := os.ReadFile(filepath.Join(node, svc.Build, "Dockerfile"))
	must(t, err)
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	from, installed := "", map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		words := strings.Fields(line)
		if len(words) == 0 || strings.HasPrefix(words[0], "#") {
			continue
		}
		if words[0] == "FROM" && from == "" && len(words) == 2 {
			from = words[1]
		}
		for i := 0; i+1 < len(words); i++ {
			if words[i] != "apt-get" || words[i+1] != "install" {
				continue
			}
			for _, w := range words[i+2:] {
				w, end := strings.CutSuffix(w, ";")
				if !strings.HasPrefix(w, "-") {
					installed[w] = true
				}
				if end {
					break
				}
			}
		}
	}
	if from != pinned {
		t.Fatalf("%s: galera/Dockerfile builds FROM %q, the plan pins %q", n.Name, from, pinned)
	}
	var lacks []string
	for _, p := range galeraOfficialImageLacks {
		if !installed[p] {
			lacks = append(lacks, p)
		}
	}
	return lacks
}

// hideLacking returns the shell lines that hide the programs the image
// lacks from the member and everything it runs (the SST scripts add the
// standard directories to PATH themselves, so PATH cannot hide them): run in
// the member's own mount namespace, they mount, on each directory that holds
// one, an overlay whose upper layer has a whiteout for it.
func (h *galeraHarness) hideLacking(n *plan.Node, lacks []string) []string {
	dirs := append(filepath.SplitList(os.Getenv("PATH")), "/usr/local/bin", "/usr/local/sbin", "/bin", "/sbin", "/usr/bin", "/usr/sbin")
	var seen, lines []string
	for _, d := range dirs {
		real, err := filepath.EvalSymlinks(d)
		if err != nil || !filepath.IsAbs(real) || slices.Contains(seen, real) {
			continue
		}
		seen = append(seen, real)
		layer := h.dir(n, "hide", strconv.Itoa(len(seen)))
		for _, p := range lacks {
			if _, err := os.Lstat(filepath.Join(real, p)); err != nil {
				continue
			}
			must(h.t, os.MkdirAll(layer, 0o755))
			must(h.t, syscall.Mknod(filepath.Join(layer, p), syscall.S_IFCHR, 0)) // an overlay whiteout
		}
		if _, err := os.Stat(layer); err == nil {
			lines = append(lines, "mount -t overlay harborgen-image -o "+galeraShellWords([]string{"lowerdir=" + layer + ":" + real})+" "+galeraShellWords([]string{real}))
		}
	}
	return lines
}

func galeraComposeServices(t *testing.T, path string) map[string]galeraComposeService {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	var f struct {
		Services map[string]galeraComposeService `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return f.Services
}

func galeraMapPaths(args []string, paths map[string]string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		for from, to := range paths {
			a = strings.ReplaceAll(a, from, to)
		}
		out[i] = a
	}
	return out
}

func galeraShellWords(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// galeraRewriteCnf replaces the values of the given keys (every one must be
// there) and the !include of the SST secret, and nothing else.
func galeraRewriteCnf(path string, values map[string]string, include string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		key, _, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		switch {
		case ok && values[key] != "":
			line = key + " = " + values[key]
			seen[key] = true
		case strings.HasPrefix(line, "!include "):
			if include == "" {
				return nil, fmt.Errorf("%s: unexpected %s", path, line)
			}
			line = "!include " + include
			seen["!include"] = true
		}
		out = append(out, line)
	}
	for key := range values {
		if !seen[key] {
			return nil, fmt.Errorf("%s: no %s", path, key)
		}
	}
	return []byte(strings.Join(out, "\n")), nil
}

// initBootstrapDataDir is the image entrypoint's first start, reduced to
// what the scripts rely on: system tables, and root@localhost with
// db_root_password.
func (h *galeraHarness) initBootstrapDataDir(n *plan.Node) {
	t := h.t
	data := h.dir(n, "data")
	out, err := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+data, "--user=root",
		"--auth-root-authentication-method=normal", "--skip-test-db").CombinedOutput()
	if err != nil {
		t.Fatalf("mariadb-install-db: %v\n%s", err, out)
	}
	pw := strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(galeraSecret(h.c, "db_root_password"))
	cmd := exec.Command("mariadbd", "--no-defaults", "--datadir="+data, "--user=root", "--bootstrap", "--skip-networking")
	cmd.Stdin = strings.NewReader("FLUSH PRIVILEGES;\nALTER USER 'root'@'localhost' IDENTIFIED BY '" + pw + "';\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("set the root password: %v\n%s", err, out)
	}
	// The entrypoint chowns the data directory to mysql before it steps down.
	must(t, filepath.WalkDir(data, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, h.mysql.uid, h.mysql.gid)
	}))
}

func (h *galeraHarness) tryRun(n *plan.Node, script string, args ...string) (string, error) {
	h.t.Helper()
	env := append(slices.Clone(h.env), "GALERA_DATA_DIR="+h.dir(n, "data"))
	start := time.Now()
	out, err := runScript(h.t, h.c.Node(n.Name), env, script, args...)
	h.t.Logf("%s %s (%.1fs, err=%v):\n%s", n.Name, script, time.Since(start).Seconds(), err, out)
	return out, err
}

func (h *galeraHarness) run(n *plan.Node, script string, args ...string) string {
	h.t.Helper()
	out, err := h.tryRun(n, script, args...)
	if err != nil {
		h.t.Fatalf("%s %s: %v", n.Name, script, err)
	}
	return out
}

// sqlRoot runs SQL as root through the member's socket.
func (h *galeraHarness) sqlRoot(n *plan.Node, sql string) (string, error) {
	out, err := exec.Command("mariadb", "--defaults-file="+h.dir(n, "client.cnf"), "--batch", "--skip-column-names", "--execute="+sql).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// sqlAs connects over TCP to the member's address as a user.
func (h *galeraHarness) sqlAs(n *plan.Node, user, password, db, sql string) string {
	h.t.Helper()
	cmd := exec.Command("mariadb", "--no-defaults", "--protocol=tcp", "--host="+n.Galera.Address, "--port="+strconv.Itoa(n.Galera.Port),
		"--user="+user, "--database="+db, "--batch", "--skip-column-names", "--execute="+sql)
	cmd.Env = append(os.Environ(), "MYSQL_PWD="+password)
	out, err := cmd.CombinedOutput()
	if err != nil {
		h.t.Fatalf("%s as %s: %s: %v\n%s", n.Name, user, sql, err, out)
	}
	return strings.TrimSpace(string(out))
}

func (h *galeraHarness) status(n *plan.Node) map[string]string {
	out, _ := h.sqlRoot(n, "SHOW GLOBAL STATUS LIKE 'wsrep_%'")
	st := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "\t"); ok {
			st[k] = v
		}
	}
	return st
}

func (h *galeraHarness) waitClusterSize(members []*plan.Node, size int) {
	h.t.Helper()
	for _, m := range members {
		waitFor(h.t, m.Name+" in a Primary cluster of "+strconv.Itoa(size), 60*time.Second, func() error {
			st := h.status(m)
			if st["wsrep_cluster_size"] != strconv.Itoa(size) || st["wsrep_cluster_status"] != "Primary" || st["wsrep_local_state"] != "4" {
				return fmt.Errorf("size=%q status=%q state=%q", st["wsrep_cluster_size"], st["wsrep_cluster_status"], st["wsrep_local_state"])
			}
			return nil
		})
	}
}

// healthScript runs the rendered responder the way socat does, with no request.
func (h *galeraHarness) healthScript(n *plan.Node) string {
	cmd := exec.Command("bash", filepath.Join(h.c.Node(n.Name), "galera", "galera-health.sh"))
	cmd.Stdin = strings.NewReader("GET / HTTP/1.0\r\n\r\n")
	out, err := cmd.Output()
	if err != nil {
		h.t.Errorf("%s galera-health.sh: %v", n.Name, err)
	}
	return string(out)
}

func (h *galeraHarness) healthScriptCode(n *plan.Node) string {
	f := strings.Fields(h.healthScript(n))
	if len(f) < 2 {
		return ""
	}
	return f[1]
}

func (h *galeraHarness) healthHTTP(n *plan.Node) int {
	url := fmt.Sprintf("http://%s/", net.JoinHostPort(n.Galera.Address, strconv.Itoa(n.Galera.CheckPort)))
	var code int
	waitFor(h.t, "galera-health on "+n.Name, 10*time.Second, func() error {
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		code = resp.StatusCode
		return nil
	})
	return code
}

// stop ends a service the stand-in started, by the PID it recorded: SIGTERM
// to its process group, SIGKILL after 60 s.
func (h *galeraHarness) stop(n *plan.Node, service string) {
	pidFile := h.dir(n, service+".pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return
	}
	defer os.Remove(pidFile)
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	deadline := time.Now().Add(60 * time.Second)
	for galeraAlive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			deadline = time.Now().Add(time.Hour)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// galeraAlive: the process exists and is not a zombie (the stand-in that
// started it has exited, so nothing in the test reaps it).
func galeraAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}

// galeraDockerShim stands in for `docker compose` in a node directory, for
// the commands the galera scripts use:
//
//	docker compose [-f docker-compose.yml -f galera/bootstrap.yml] up -d [--no-deps] SERVICE
//	    runs <state>/<node>/up-SERVICE detached (its own session), with the
//	    extra arguments of bootstrap.yml's command when that file is given;
//	    a running service is left alone, as `up -d` leaves an unchanged one.
//	docker compose exec -T galera CMD...
//	    runs CMD on the host, its arguments' container paths (the compose
//	    file's bind mounts) replaced by the host files.
const galeraDockerShim = `#!/usr/bin/env bash
set -euo pipefail
node_state="$GALERA_SHIM_STATE/$(basename "$PWD")"
[ "${1:-}" = compose ] || { echo "docker (test stand-in): only compose: $*" >&2; exit 2; }
shift
bootstrap=""
while [ "${1:-}" = -f ]; do
	[ -f "$2" ] || { echo "docker (test stand-in): no file $2" >&2; exit 1; }
	case "$2" in
	docker-compose.yml) ;;
	galera/bootstrap.yml) bootstrap=1 ;;
	*) echo "docker (test stand-in): unexpected -f $2" >&2; exit 2 ;;
	esac
	shift 2
done
case "${1:-}" in
up)
	shift
	[ "${1:-}" = -d ] || { echo "docker (test stand-in): up without -d" >&2; exit 2; }
	shift
	if [ "${1:-}" = --no-deps ]; then shift; fi
	service="$1"
	[ -x "$node_state/up-$service" ] || { echo "docker (test stand-in): no service $service" >&2; exit 1; }
	pidfile="$node_state/$service.pid"
	if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$(cat "$pidfile")/status" 2>/dev/null; then
		exit 0
	fi
	args=()
	if [ -n "$bootstrap" ] && [ "$service" = galera ]; then
		mapfile -t args < "$node_state/bootstrap-args"
	fi
	setsid "$node_state/up-$service" "${args[@]}" >>"$node_state/$service.log" 2>&1 </dev/null &
	echo "$!" > "$pidfile"
	;;
exec)
	shift
	if [ "${1:-}" = -T ]; then shift; fi
	while [ "${1:-}" = -e ]; do shift 2; done
	[ "${1:-}" = galera ] || { echo "docker (test stand-in): exec in ${1:-} unsupported" >&2; exit 2; }
	shift
	args=()
	for a in "$@"; do
		while IFS=$'\t' read -r from to; do
			a="${a//"$from"/"$to"}"
		done < "$node_state/paths"
		args+=("$a")
	done
	exec "${args[@]}"
	;;
*)
	echo "docker (test stand-in): unsupported: compose $*" >&2
	exit 2
	;;
esac
`
