package services

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/dotenv"
	yaml "go.yaml.in/yaml/v3"

	"github.com/harborgen/harborgen/internal/plan"
)

// TestPatroniFailover forms the PostgreSQL cluster of the spec from the
// rendered files of the Patroni tier and fails its leader over:
//   - etcd (Debian's etcd-server 3.4) and Patroni (Debian's patroni 3.0.2,
//     with postgresql-15) run from the rendered etcd.conf.yml and
//     patroni.yml, each in a mount namespace of its own where the compose
//     file's volumes are mounted where the container has them (patroniMounts),
//     started and checked by the runbook's own steps through a stand-in
//     `docker` (patroniDockerShim);
//   - Patroni first validates the rendered patroni.yml itself
//     (patroni --validate-config, in the member's namespace, with the
//     environment of secrets/patroni.env);
//   - HAProxy runs the rendered haproxy.cfg; the writes of the test go
//     through it as Harbor's user.
//
// One thing of the rendered files is changed, because of loopback: every
// connection between 127.0.0.x addresses comes from 127.0.0.1 (`ip route
// get 127.0.0.182` says src 127.0.0.1), so each pg_hba host rule gets a twin
// for 127.0.0.1/32 (patroniLoopbackHBA); users, databases and methods stay.
//
// The sequence: the cluster forms (the plan's expected leader leads, every
// other member streams); the init script runs twice (the second run creates
// nothing); a row is written through the LB; the leader's Patroni and
// PostgreSQL are killed with SIGKILL while a writer keeps writing through the
// LB; a new leader within ttl + loop_wait seconds and HAProxy sends the
// writes to it; the row and, with synchronous_mode, every acknowledged write
// are on the new leader; the old leader rejoins as a replica.
func TestPatroniFailover(t *testing.T) {
	testPatroni(t, clusterWith(t, "patroni", func(n *plan.Node) bool { return n.Patroni != nil }))
}

func testPatroni(t *testing.T, c *Cluster) {
	need(t, "etcd", "etcdctl", "patroni", "patronictl", "psql", "haproxy", "unshare", "nsenter", "setpriv", "setsid", "mount")
	begin := time.Now()
	members := c.Nodes(func(n *plan.Node) bool { return n.Patroni != nil })
	etcds := c.Nodes(func(n *plan.Node) bool { return n.Etcd != nil })
	lbs := c.Nodes(func(n *plan.Node) bool {
		return n.LB != nil && n.LB.Kind == "haproxy" && n.LB.Database != nil && n.LB.Database.LeaderOnly
	})
	if len(members) < 3 || len(etcds) == 0 || len(lbs) == 0 {
		t.Fatalf("%s: want 3+ patroni members, etcd members and an HAProxy proxying the leader: %d, %d, %d",
			c.Spec, len(members), len(etcds), len(lbs))
	}
	p := members[0].Patroni
	h := newPatroniHarness(t, c, members, etcds)

	initStep := h.runbook(members)
	leader := h.leader(members)
	if leader.Name != p.ExpectedLeader {
		t.Fatalf("leader %s, the plan expects %s", leader.Name, p.ExpectedLeader)
	}
	h.waitStreaming(leader, members, 60*time.Second)
	h.initTwice(leader, initStep)

	// A row through the load balancer, as Harbor's user.
	lb := h.startHAProxy(lbs[0])
	h.waitWriter(lb, leader, 30*time.Second)
	lb.sql(t, "CREATE TABLE harborgen_probe (id int PRIMARY KEY, v text)")
	lb.sql(t, "INSERT INTO harborgen_probe VALUES (0, 'before the failover')")
	if !p.SynchronousMode {
		// Asynchronous: the row survives a failover once a replica has it.
		h.waitReplayed(leader, members, 30*time.Second)
	}

	newLeader, took, acked := h.failover(lb, lbs[0], leader, members)
	if got := lb.sql(t, "SELECT v FROM harborgen_probe WHERE id = 0"); got != "before the failover" {
		t.Fatalf("the row written before the failover, read through the LB: %q", got)
	}
	if p.SynchronousMode {
		wantAcknowledged(t, lb, acked)
	}

	// The old leader rejoins as a replica: the runbook's start again.
	h.run(leader, "docker compose up -d patroni")
	how := h.waitRejoined(leader, newLeader, members, 90*time.Second)
	if got := h.sqlAt(leader.Patroni.Address, leader.Patroni.Port, p.User, galeraSecret(c, "db_password"), p.Database,
		"SELECT count(*) FROM harborgen_probe WHERE id = 0"); got != "1" {
		t.Fatalf("the row on the rejoined %s: %q", leader.Name, got)
	}
	running := h.runningMembers(newLeader)
	if running != len(members) {
		t.Fatalf("%d of %d members run after the rejoin", running, len(members))
	}
	t.Logf("%s rejoined by %s; %.0fs in all", leader.Name, how, time.Since(begin).Seconds())
	summary(t, "patroni %d/%d members, leader %s, failover to %s in %.1fs, sync=%t, writes via lb ok",
		running, len(members), leader.Name, newLeader.Name, took.Seconds(), p.SynchronousMode)
}

// runbook carries out the plan's steps of the Patroni tier in order: etcd,
// then each member, each step's check passing; Patroni validates every
// member's patroni.yml before the first member starts. It returns the init
// step, which the test runs itself.
func (h *patroniHarness) runbook(members []*plan.Node) *plan.Step {
	t := h.t
	var initStep *plan.Step
	validated := false
	for i := range h.c.Plan.Steps {
		st := &h.c.Plan.Steps[i]
		n := h.node(st.Node)
		switch {
		case n == nil:
			continue
		case st.Command == "docker compose up -d etcd":
			h.run(n, st.Command)
			if st.Check != "" {
				h.waitCheck(n, st, 30*time.Second)
			}
		case st.Command == "docker compose up -d patroni":
			if !validated {
				// With etcd up (Patroni checks its hosts are reachable) and
				// before any member listens on its ports.
				for _, m := range members {
					h.validateConfig(m)
				}
				validated = true
			}
			h.run(n, st.Command)
			h.waitMember(n, st, 90*time.Second)
		case st.Command == plan.PatroniInitScript:
			initStep = st
		}
	}
	if !validated || initStep == nil {
		t.Fatalf("the plan has no step that starts Patroni or runs %s", plan.PatroniInitScript)
	}
	return initStep
}

// initTwice runs the init step twice: the second run creates nothing (the
// database keeps its oid).
func (h *patroniHarness) initTwice(leader *plan.Node, st *plan.Step) {
	t := h.t
	p := leader.Patroni
	n := h.node(st.Node)
	wantContains(t, h.script(n, st.Command), "created now")
	oidSQL := "SELECT oid FROM pg_database WHERE datname = '" + p.Database + "'"
	oid := h.superSQL(leader, oidSQL)
	second := h.script(n, st.Check)
	for _, want := range st.Expect {
		wantContains(t, second, want)
	}
	wantContains(t, second, "nothing to create")
	if again := h.superSQL(leader, oidSQL); again != oid {
		t.Fatalf("the second init run recreated %s: oid %s, then %s", p.Database, oid, again)
	}
}

// failover kills the leader while a writer writes through the LB, and
// waits for a new leader within ttl + loop_wait and for HAProxy to send
// the writes to it. It returns the new leader, how long it took, and the
// writes acknowledged.
func (h *patroniHarness) failover(lb *patroniLB, lbNode, leader *plan.Node, members []*plan.Node) (*plan.Node, time.Duration, []int) {
	p := leader.Patroni
	limit := time.Duration(p.TTL+p.LoopWait) * time.Second
	w := startPatroniWriter(lb)
	time.Sleep(2 * time.Second)
	killed := time.Now()
	h.crash(leader)
	newLeader, took := h.waitNewLeader(members, leader, killed, limit)
	lbMoved := h.waitWriter(lb, newLeader, limit+h.lbCheckDelay(lbNode))
	w.waitAckAfter(h.t, killed, 30*time.Second)
	acked, failed := w.stop()
	h.t.Logf("failover: %s leads %.1fs after the kill, HAProxy sends writes to it %.1fs after; writer: %d acknowledged, %d failed",
		newLeader.Name, took.Seconds(), lbMoved.Sub(killed).Seconds(), len(acked), failed)
	return newLeader, took, acked
}

// wantAcknowledged: every acknowledged write is on the leader.
func wantAcknowledged(t *testing.T, lb *patroniLB, acked []int) {
	t.Helper()
	present := map[int]bool{}
	for _, f := range strings.Fields(lb.sql(t, "SELECT id FROM harborgen_probe WHERE id > 0")) {
		id, err := strconv.Atoi(f)
		must(t, err)
		present[id] = true
	}
	var lost []int
	for _, id := range acked {
		if !present[id] {
			lost = append(lost, id)
		}
	}
	if len(lost) > 0 {
		t.Fatalf("synchronous_mode: %d of %d acknowledged writes lost in the failover: %v", len(lost), len(acked), lost)
	}
}

// patroniHarness keeps, per node, the state of its stand-in containers:
// <state>/<node>/{host/...,run-<service>,up-<service>,exec-<service>,env-<service>,<service>.pid,<service>.log}.
type patroniHarness struct {
	t        *testing.T
	c        *Cluster
	state    string
	env      []string // PATH with the docker stand-in
	postgres galeraUser
	nodes    map[string]*plan.Node
	services map[string][]string // node -> the services the harness prepared
}

func newPatroniHarness(t *testing.T, c *Cluster, members, etcds []*plan.Node) *patroniHarness {
	state, err := os.MkdirTemp("", "patroni-")
	must(t, err)
	must(t, os.Chmod(state, 0o755)) // the postgres user reaches its files under it
	u, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("no postgres user (the postgresql-common package creates it): %v", err)
	}
	uid, err := strconv.Atoi(u.Uid)
	must(t, err)
	gid, err := strconv.Atoi(u.Gid)
	must(t, err)
	h := &patroniHarness{t: t, c: c, state: state, postgres: galeraUser{uid, gid},
		nodes: map[string]*plan.Node{}, services: map[string][]string{}}
	bin := filepath.Join(state, "bin")
	must(t, os.MkdirAll(bin, 0o755))
	must(t, os.WriteFile(filepath.Join(bin, "docker"), []byte(patroniDockerShim), 0o755))
	h.env = []string{"PATH=" + bin + ":" + os.Getenv("PATH"), "PATRONI_SHIM_STATE=" + state}
	t.Cleanup(func() { h.cleanup() })
	for _, n := range etcds {
		h.nodes[n.Name] = n
		h.prepare(n, "etcd", nil)
	}
	for _, n := range members {
		h.nodes[n.Name] = n
		h.prepare(n, "patroni", map[string]string{"./patroni/patroni.yml": h.loopbackConfig(n)})
	}
	return h
}

func (h *patroniHarness) node(name string) *plan.Node { return h.nodes[name] }

func (h *patroniHarness) dir(n *plan.Node, elem ...string) string {
	return filepath.Join(append([]string{h.state, n.Name}, elem...)...)
}

// cleanup stops Patroni first (it stops its PostgreSQL), then what is left
// of PostgreSQL, then etcd; it prints the logs of a failed test.
func (h *patroniHarness) cleanup() {
	names := slices.Sorted(maps.Keys(h.nodes))
	each := func(f func(n *plan.Node)) { // every node at once: etcd waits for its peers
		var wg sync.WaitGroup
		for _, name := range names {
			wg.Add(1)
			go func() { defer wg.Done(); f(h.nodes[name]) }()
		}
		wg.Wait()
	}
	each(func(n *plan.Node) { h.stop(n, "patroni", syscall.SIGTERM) })
	each(func(n *plan.Node) {
		if n.Patroni != nil {
			if pid := h.postmasterPID(n); pid > 0 {
				h.stopPID(pid, syscall.SIGQUIT)
			}
		}
	})
	each(func(n *plan.Node) { h.stop(n, "etcd", syscall.SIGTERM) })
	if h.t.Failed() {
		for _, name := range names {
			for _, svc := range h.services[name] {
				if b, err := os.ReadFile(filepath.Join(h.state, name, svc+".log")); err == nil {
					head := b[:min(len(b), 3000)]
					h.t.Logf("--- %s %s log:\n%s\n[...]\n%s", name, svc, head, tail(b[len(head):], 3000))
				}
			}
		}
	}
	os.RemoveAll(h.state)
}

// patroniComposeService is what the harness reads of a compose service.
type patroniComposeService struct {
	Command []string `yaml:"command"`
	User    string   `yaml:"user"`
	EnvFile []string `yaml:"env_file"`
	Volumes []string `yaml:"volumes"`
}

// patroniTmpfsParents are the container directories that, missing on the
// host, the harness creates in the service's mount namespace on a tmpfs
// over their parent: the parent is hidden from that service only.
var patroniTmpfsParents = []string{
	"/var/lib/postgresql", // the image's postgres home (Debian's holds its own cluster)
	"/etc/patroni",        // Debian's patroni package: an empty directory
}

// prepare writes what the stand-in runs for a service of a node:
//
//	run-<service> CMD...  runs CMD as the container would: in a mount
//	                      namespace of its own with the compose file's
//	                      volumes, as its user, with its env_file only;
//	up-<service>          run-<service> with the compose command;
//	exec-<service> CMD... CMD in the running service's namespace, as
//	                      `docker compose exec` runs it.
//
// sources replaces the host side of a volume (the loopback patroni.yml).
func (h *patroniHarness) prepare(n *plan.Node, service string, sources map[string]string) {
	t := h.t
	node := h.c.Node(n.Name)
	must(t, os.MkdirAll(h.dir(n, "host"), 0o755))
	b, err := os.ReadFile(filepath.Join(node, "docker-compose.yml"))
	must(t, err)
	var f struct {
		Services map[string]patroniComposeService `yaml:"services"`
	}
	must(t, yaml.Unmarshal(b, &f))
	svc, ok := f.Services[service]
	if !ok || len(svc.Command) == 0 {
		t.Fatalf("%s: docker-compose.yml has no %s service with a command", n.Name, service)
	}
	h.services[n.Name] = append(h.services[n.Name], service)

	// Its user: the compose user by name, else root (etcd's image).
	uid, gid := 0, 0
	if svc.User != "" {
		if svc.User != "postgres" {
			t.Fatalf("%s %s: user %q: the harness knows postgres only", n.Name, service, svc.User)
		}
		uid, gid = h.postgres.uid, h.postgres.gid
	}
	// Its environment: the env_file only, as in the container, plus PATH and HOME.
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8"}
	if uid != 0 {
		env[1] = "HOME=/var/lib/postgresql"
	}
	for _, ef := range svc.EnvFile {
		vars, err := dotenv.ReadFile(filepath.Join(node, ef), func(string) (string, bool) { return "", false })
		must(t, err)
		for _, k := range slices.Sorted(maps.Keys(vars)) {
			if strings.ContainsAny(vars[k], "\n\x00") {
				t.Fatalf("%s: %s has a newline", ef, k)
			}
			env = append(env, k+"="+vars[k])
		}
	}
	must(t, os.WriteFile(h.dir(n, "env-"+service), []byte(strings.Join(env, "\n")+"\n"), 0o600))

	mounts, paths := h.mounts(n, service, svc.Volumes, sources, uid, gid)
	setpriv := galeraShellWords([]string{"setpriv", "--reuid=" + strconv.Itoa(uid), "--regid=" + strconv.Itoa(gid), "--clear-groups"})
	envFile := galeraShellWords([]string{h.dir(n, "env-"+service)})
	run := "#!/usr/bin/env bash\nset -e\n" +
		"[ -n \"${HARBORGEN_CONTAINER_NS:-}\" ] || HARBORGEN_CONTAINER_NS=1 exec unshare --mount --propagation private \"$0\" \"$@\"\n" +
		strings.Join(mounts, "\n") + "\n" +
		"mapfile -t envs < " + envFile + "\n" +
		"cd /\n" + // the images set no WORKDIR
		"exec " + setpriv + " env -i \"${envs[@]}\" \"$@\"\n"
	must(t, os.WriteFile(h.dir(n, "run-"+service), []byte(run), 0o755))
	up := "#!/usr/bin/env bash\nexec " + galeraShellWords([]string{h.dir(n, "run-"+service)}) + " " +
		galeraShellWords(galeraMapPaths(svc.Command, paths)) + "\n"
	must(t, os.WriteFile(h.dir(n, "up-"+service), []byte(up), 0o755))
	exec := "#!/usr/bin/env bash\nset -e\n" +
		"pid=\"$(cat " + galeraShellWords([]string{h.dir(n, service+".pid")}) + ")\"\n" +
		"mapfile -t envs < " + envFile + "\n" +
		"exec nsenter --target \"$pid\" --mount --wd=/ -- " + setpriv + " env -i \"${envs[@]}\" \"$@\"\n"
	must(t, os.WriteFile(h.dir(n, "exec-"+service), []byte(exec), 0o755))
}

// mounts returns the shell lines that mount a service's volumes in its
// namespace, and the container paths it cannot mount there (a file in a
// directory the host lacks, such as /etc/etcd), to be replaced in its
// command. A volume's host side is the node directory's file for ./...,
// else a directory of the harness (the host's /data/... is never touched),
// owned by the service's user.
func (h *patroniHarness) mounts(n *plan.Node, service string, volumes []string, sources map[string]string, uid, gid int) ([]string, map[string]string) {
	t := h.t
	var lines []string
	paths := map[string]string{}
	tmpfs := map[string]bool{}
	for _, v := range volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 {
			t.Fatalf("%s %s: volume %q", n.Name, service, v)
		}
		src, dst, ro := parts[0], parts[1], len(parts) > 2 && parts[2] == "ro"
		host := filepath.Join(h.dir(n, "host"), src)
		switch {
		case sources[src] != "":
			host = sources[src]
		case strings.HasPrefix(src, "./"):
			host = filepath.Join(h.c.Node(n.Name), src)
		default:
			must(t, os.MkdirAll(host, 0o700))
			must(t, os.Chown(host, uid, gid))
		}
		st, err := os.Stat(host)
		must(t, err)
		parent := filepath.Dir(dst)
		_, dstErr := os.Stat(dst)
		switch {
		case dstErr == nil:
		case slices.Contains(patroniTmpfsParents, parent):
			if !tmpfs[parent] {
				lines = append(lines, "mount -t tmpfs harborgen-container "+galeraShellWords([]string{parent}))
				tmpfs[parent] = true
			}
			if st.IsDir() {
				lines = append(lines, "mkdir "+galeraShellWords([]string{dst}))
			} else {
				lines = append(lines, "touch "+galeraShellWords([]string{dst}))
			}
		case !st.IsDir():
			paths[dst] = host
			continue
		default:
			t.Fatalf("%s %s: volume %q: the host has no %s nor %s to mount it on", n.Name, service, v, dst, parent)
		}
		lines = append(lines, "mount --bind "+galeraShellWords([]string{host, dst}))
		if ro {
			lines = append(lines, "mount -o remount,bind,ro "+galeraShellWords([]string{dst}))
		}
	}
	return lines, paths
}

var patroniHBAHostRe = regexp.MustCompile(`^(\s*- "host \S+ \S+ )(127\.\d+\.\d+\.\d+)/32( .*)$`)

// loopbackConfig writes the member's patroni.yml with each pg_hba host rule
// of a loopback address followed by its twin for 127.0.0.1/32, the source
// of every connection between loopback addresses, and nothing else changed.
func (h *patroniHarness) loopbackConfig(n *plan.Node) string {
	t := h.t
	b, err := os.ReadFile(filepath.Join(h.c.Node(n.Name), "patroni", "patroni.yml"))
	must(t, err)
	var out []string
	twins := 0
	for _, line := range strings.Split(string(b), "\n") {
		out = append(out, line)
		if m := patroniHBAHostRe.FindStringSubmatch(line); m != nil && m[2] != "127.0.0.1" {
			twin := m[1] + "127.0.0.1/32" + m[3]
			if !slices.Contains(out, twin) {
				out = append(out, twin)
				twins++
			}
		}
	}
	if twins == 0 {
		t.Fatalf("%s: patroni.yml has no pg_hba host rule for a loopback address", n.Name)
	}
	path := h.dir(n, "patroni-loopback.yml")
	must(t, os.MkdirAll(filepath.Dir(path), 0o755))
	must(t, os.WriteFile(path, []byte(strings.Join(out, "\n")), 0o644))
	return path
}

// validateConfig runs Patroni's own validator on the rendered patroni.yml
// (not the loopback copy), in the member's namespace, with its environment.
func (h *patroniHarness) validateConfig(n *plan.Node) {
	// Byte for byte, where the postgres user can read it.
	b, err := os.ReadFile(filepath.Join(h.c.Node(n.Name), "patroni", "patroni.yml"))
	must(h.t, err)
	rendered := h.dir(n, "patroni-rendered.yml")
	must(h.t, os.WriteFile(rendered, b, 0o644))
	out, errOut, err := runBounded(time.Minute, "", os.Environ(), h.dir(n, "run-patroni"), "patroni", "--validate-config", rendered)
	if err != nil {
		h.t.Fatalf("%s: Patroni %s refuses the rendered patroni.yml: %v\n%s%s", n.Name, patroniVersion(), err, out, errOut)
	}
	h.t.Logf("%s: patroni --validate-config: ok (Patroni %s)", n.Name, patroniVersion())
}

func patroniVersion() string {
	out, _ := exec.Command("patroni", "--version").Output()
	return strings.TrimPrefix(strings.TrimSpace(string(out)), "patroni ")
}

// run runs a runbook command in the node directory with the stand-in.
func (h *patroniHarness) run(n *plan.Node, command string) string {
	h.t.Helper()
	out, err := h.tryRun(n, command)
	if err != nil {
		h.t.Fatalf("%s: %s: %v\n%s", n.Name, command, err, out)
	}
	return out
}

// tryRun runs a command for at most 30 s (patronictl, for one, retries an
// etcd it cannot use for ever); its output is stdout then stderr.
func (h *patroniHarness) tryRun(n *plan.Node, command string) (string, error) {
	out, errOut, err := runBounded(30*time.Second, h.c.Node(n.Name), append(os.Environ(), h.env...), "bash", "-c", command)
	return out + errOut, err
}

// runBounded runs a command in a process group of its own, killed with the
// group after timeout, and returns its stdout and stderr.
func runBounded(timeout time.Duration, dir string, env []string, name string, args ...string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("%s killed after %s: %w", name, timeout, err)
	}
	return stdout.String(), stderr.String(), err
}

// script runs a rendered script of the node with the stand-in.
func (h *patroniHarness) script(n *plan.Node, command string) string {
	h.t.Helper()
	start := time.Now()
	out, err := runScript(h.t, h.c.Node(n.Name), h.env, strings.TrimPrefix(command, "./"))
	h.t.Logf("%s %s (%.1fs, err=%v):\n%s", n.Name, command, time.Since(start).Seconds(), err, out)
	if err != nil {
		h.t.Fatalf("%s %s: %v", n.Name, command, err)
	}
	return out
}

// waitCheck runs a step's check until its output has every expected line.
func (h *patroniHarness) waitCheck(n *plan.Node, st *plan.Step, timeout time.Duration) string {
	h.t.Helper()
	var out string
	waitFor(h.t, n.Name+": "+st.Check, timeout, func() error {
		var err error
		out, err = h.tryRun(n, st.Check)
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		for _, want := range st.Expect {
			if !strings.Contains(out, want) {
				return fmt.Errorf("no %q in:\n%s", want, out)
			}
		}
		return nil
	})
	h.t.Logf("%s: %s:\n%s", n.Name, st.Check, out)
	return out
}

// waitMember waits for a started member: the step's check (patronictl
// list) passes, and a member started after the leader runs as a replica in
// its own REST API's view (its streaming is waitStreaming's).
func (h *patroniHarness) waitMember(n *plan.Node, st *plan.Step, timeout time.Duration) {
	h.t.Helper()
	out := h.waitCheck(n, st, timeout)
	if slices.Contains(st.Expect, "Leader") {
		return
	}
	waitFor(h.t, n.Name+" a running replica", timeout, func() error {
		m := h.clusterMember(n)
		if m == nil || m.State != "running" || (m.Role != "replica" && m.Role != "sync_standby") {
			return fmt.Errorf("%s: %+v\n%s", n.Name, m, out)
		}
		return nil
	})
}

// patroniMember is one member of Patroni's REST /cluster.
type patroniMember struct {
	Name     string `json:"name"`
	Role     string `json:"role"` // leader | replica | sync_standby
	State    string `json:"state"`
	Host     string `json:"host"`
	Timeline int    `json:"timeline"`
}

var restClient = &http.Client{Timeout: 2 * time.Second}

// cluster asks a member's REST API for the cluster as it sees it.
func (h *patroniHarness) cluster(n *plan.Node) ([]patroniMember, error) {
	if err := loopbackOnly(n.Patroni.Address); err != nil {
		return nil, err
	}
	resp, err := restClient.Get(fmt.Sprintf("http://%s/cluster", net.JoinHostPort(n.Patroni.Address, strconv.Itoa(n.Patroni.RESTPort))))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var c struct {
		Members []patroniMember `json:"members"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		return nil, err
	}
	return c.Members, nil
}

// clusterMember is the member n as n's own REST API reports it.
func (h *patroniHarness) clusterMember(n *plan.Node) *patroniMember {
	ms, err := h.cluster(n)
	if err != nil {
		return nil
	}
	for i := range ms {
		if ms[i].Name == n.Name {
			return &ms[i]
		}
	}
	return nil
}

// leader is the one member every running member names as leader.
func (h *patroniHarness) leader(members []*plan.Node) *plan.Node {
	h.t.Helper()
	var leader *plan.Node
	waitFor(h.t, "one leader", 30*time.Second, func() error {
		names := map[string]bool{}
		for _, m := range members {
			ms, err := h.cluster(m)
			if err != nil {
				return err
			}
			for _, cm := range ms {
				if cm.Role == "leader" && cm.State == "running" {
					names[cm.Name] = true
				}
			}
		}
		if len(names) != 1 {
			return fmt.Errorf("leaders: %v", slices.Sorted(maps.Keys(names)))
		}
		for name := range names {
			leader = h.node(name)
		}
		return nil
	})
	return leader
}

// waitStreaming waits until the leader's pg_stat_replication lists every
// other member as streaming, and, with synchronous_mode, one of them as
// sync.
func (h *patroniHarness) waitStreaming(leader *plan.Node, members []*plan.Node, timeout time.Duration) {
	h.t.Helper()
	waitFor(h.t, leader.Name+" streaming to every other member", timeout, func() error {
		out, err := h.trySuperSQL(leader, "SELECT application_name, state, sync_state FROM pg_stat_replication ORDER BY 1")
		if err != nil {
			return err
		}
		streaming, sync := map[string]bool{}, 0
		for _, line := range strings.Split(out, "\n") {
			f := strings.Split(line, "|")
			if len(f) == 3 && f[1] == "streaming" {
				streaming[f[0]] = true
				if f[2] == "sync" {
					sync++
				}
			}
		}
		for _, m := range members {
			if m != leader && !streaming[m.Name] {
				return fmt.Errorf("%s does not stream: %q", m.Name, out)
			}
		}
		if leader.Patroni.SynchronousMode && sync != 1 {
			return fmt.Errorf("synchronous_mode: %d sync standbys: %q", sync, out)
		}
		return nil
	})
}

// waitReplayed waits until every replica has replayed the leader's WAL.
func (h *patroniHarness) waitReplayed(leader *plan.Node, members []*plan.Node, timeout time.Duration) {
	h.t.Helper()
	lsn := h.superSQL(leader, "SELECT pg_current_wal_lsn()")
	waitFor(h.t, "every replica at "+lsn, timeout, func() error {
		out, err := h.trySuperSQL(leader, "SELECT count(*) FROM pg_stat_replication WHERE replay_lsn >= '"+lsn+"'")
		if err != nil {
			return err
		}
		if out != strconv.Itoa(len(members)-1) {
			return fmt.Errorf("%s replicas have replayed it", out)
		}
		return nil
	})
}

// crash kills the member's Patroni, then its PostgreSQL, with SIGKILL.
func (h *patroniHarness) crash(n *plan.Node) {
	h.t.Helper()
	postmaster := h.postmasterPID(n)
	if postmaster <= 0 {
		h.t.Fatalf("%s: no postmaster.pid", n.Name)
	}
	h.stop(n, "patroni", syscall.SIGKILL)
	h.stopPID(postmaster, syscall.SIGKILL)
	h.t.Logf("%s: Patroni and PostgreSQL (pid %d) killed with SIGKILL", n.Name, postmaster)
}

// waitNewLeader waits for a member other than old to lead, running, as the
// surviving members see it, within limit of since.
func (h *patroniHarness) waitNewLeader(members []*plan.Node, old *plan.Node, since time.Time, limit time.Duration) (*plan.Node, time.Duration) {
	h.t.Helper()
	var leader *plan.Node
	var took time.Duration
	waitFor(h.t, fmt.Sprintf("a new leader within ttl + loop_wait (%s)", limit), limit-time.Since(since), func() error {
		for _, m := range members {
			if m == old {
				continue
			}
			cm := h.clusterMember(m)
			if cm != nil && cm.Role == "leader" && cm.State == "running" {
				took, leader = time.Since(since), m
				return nil
			}
		}
		return fmt.Errorf("no leader among the survivors")
	})
	return leader, took
}

// lbCheckDelay is how long HAProxy takes to mark a new leader up: rise
// checks, inter apart, from the backend's default-server line, plus one
// interval for the check under way.
func (h *patroniHarness) lbCheckDelay(n *plan.Node) time.Duration {
	b, err := os.ReadFile(filepath.Join(h.c.Node(n.Name), "lb", "haproxy.cfg"))
	must(h.t, err)
	_, backend, _ := strings.Cut(string(b), "\nbackend database")
	m := regexp.MustCompile(`default-server .*\binter (\d+)s\b.*\brise (\d+)\b`).FindStringSubmatch(backend)
	if m == nil {
		h.t.Fatalf("%s: haproxy.cfg's backend database has no default-server inter and rise", n.Name)
	}
	inter, _ := strconv.Atoi(m[1])
	rise, _ := strconv.Atoi(m[2])
	return time.Duration(inter*(rise+1)) * time.Second
}

// waitRejoined waits for the old leader to run as a replica of the new one
// on its timeline, streaming, and says how it rejoined (its Patroni's log).
func (h *patroniHarness) waitRejoined(old, leader *plan.Node, members []*plan.Node, timeout time.Duration) string {
	h.t.Helper()
	waitFor(h.t, old.Name+" rejoining as a replica", timeout, func() error {
		ms, err := h.cluster(leader)
		if err != nil {
			return err
		}
		var tl, oldTL int
		var role, state string
		for _, m := range ms {
			if m.Name == leader.Name {
				tl = m.Timeline
			}
			if m.Name == old.Name {
				oldTL, role, state = m.Timeline, m.Role, m.State
			}
		}
		if role == "leader" || role == "" || state != "running" || oldTL != tl {
			return fmt.Errorf("%s: role %q state %q timeline %d (leader's %d)", old.Name, role, state, oldTL, tl)
		}
		return nil
	})
	h.waitStreaming(leader, members, timeout)
	b, _ := os.ReadFile(h.dir(old, "patroni.log"))
	switch log := string(b); {
	case strings.Contains(log, "pg_rewind exit code=0"):
		return "pg_rewind"
	case strings.Contains(log, "reinitializ"):
		return "reinit"
	default:
		return "replaying its WAL (no divergence)"
	}
}

// runningMembers counts the members that run: the leader, and the others
// streaming from it.
func (h *patroniHarness) runningMembers(leader *plan.Node) int {
	out, err := h.trySuperSQL(leader, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(out)
	return n + 1
}

// postmasterPID reads PostgreSQL's postmaster.pid in the member's host
// directory (its PGData, below the volume's container directory).
func (h *patroniHarness) postmasterPID(n *plan.Node) int {
	p := n.Patroni
	rel, err := filepath.Rel(p.ContainerDir, p.PGData)
	if err != nil {
		return 0
	}
	b, err := os.ReadFile(filepath.Join(h.dir(n, "host"), p.DataDir, rel, "postmaster.pid"))
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(first))
	return pid
}

// stop ends a service the stand-in started, by the PID it recorded.
func (h *patroniHarness) stop(n *plan.Node, service string, sig syscall.Signal) {
	pidFile := h.dir(n, service+".pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		return
	}
	h.stopPID(pid, sig)
	os.Remove(pidFile)
}

// stopPID signals a process and waits for it, SIGKILL after 30 s.
func (h *patroniHarness) stopPID(pid int, sig syscall.Signal) {
	if !galeraAlive(pid) {
		return
	}
	_ = syscall.Kill(pid, sig)
	deadline := time.Now().Add(30 * time.Second)
	for galeraAlive(pid) {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			deadline = time.Now().Add(time.Hour)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sqlAt runs SQL with psql over TCP at a loopback address.
func (h *patroniHarness) sqlAt(addr string, port int, user, password, db, sql string) string {
	h.t.Helper()
	out, err := psqlAt(addr, port, user, password, db, sql)
	if err != nil {
		h.t.Fatalf("%s as %s: %s: %v", addr, user, sql, err)
	}
	return out
}

func psqlAt(addr string, port int, user, password, db, sql string) (string, error) {
	if err := loopbackOnly(addr); err != nil {
		return "", err
	}
	conninfo := fmt.Sprintf("host=%s port=%d user=%s dbname=%s connect_timeout=3", addr, port, user, db)
	// Bounded: a synchronous commit waits for ever when no standby is in sync.
	out, stderr, err := runBounded(20*time.Second, "", append(os.Environ(), "PGPASSWORD="+password),
		"psql", conninfo, "--no-psqlrc", "--quiet", "--tuples-only", "--no-align", "-v", "ON_ERROR_STOP=1", "-c", sql)
	if err != nil {
		return "", fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr))
	}
	return strings.TrimSpace(out), nil
}

func (h *patroniHarness) trySuperSQL(n *plan.Node, sql string) (string, error) {
	p := n.Patroni
	return psqlAt(p.Address, p.Port, p.Superuser, h.c.Secrets["postgres_superuser_password"], "postgres", sql)
}

func (h *patroniHarness) superSQL(n *plan.Node, sql string) string {
	h.t.Helper()
	out, err := h.trySuperSQL(n, sql)
	if err != nil {
		h.t.Fatalf("%s: %s: %v", n.Name, sql, err)
	}
	return out
}

// patroniLB is the database port of the live HAProxy, as Harbor's user.
type patroniLB struct {
	addr     string
	port     int
	user, db string
	password string
	servers  int // the backend's
}

func (lb *patroniLB) trySQL(sql string) (string, error) {
	return psqlAt(lb.addr, lb.port, lb.user, lb.password, lb.db, sql)
}

func (lb *patroniLB) sql(t *testing.T, sql string) string {
	t.Helper()
	out, err := lb.trySQL(sql)
	if err != nil {
		t.Fatalf("through the LB %s: %s: %v", net.JoinHostPort(lb.addr, strconv.Itoa(lb.port)), sql, err)
	}
	return out
}

// startHAProxy runs the rendered haproxy.cfg (its TLS certificate the
// test's, as TestHAProxyLive does).
func (h *patroniHarness) startHAProxy(n *plan.Node) *patroniLB {
	t := h.t
	cfg := haproxyOverride(t, filepath.Join(h.c.Node(n.Name), "lb", "haproxy.cfg"), t.TempDir())
	cmd := exec.Command("haproxy", "-db", "-f", cfg)
	cmd.Env = haproxyEnv(t, h.c, n.Name)
	start(t, "haproxy-"+n.Name, cmd)
	p := h.anyMember().Patroni
	return &patroniLB{addr: n.LB.Listen[len(n.LB.Listen)-1], port: n.LB.Database.Port, user: p.User, db: p.Database,
		password: galeraSecret(h.c, "db_password"), servers: len(n.LB.Database.Backends)}
}

func (h *patroniHarness) anyMember() *plan.Node {
	for _, name := range slices.Sorted(maps.Keys(h.nodes)) {
		if n := h.nodes[name]; n.Patroni != nil {
			return n
		}
	}
	h.t.Fatal("no patroni member")
	return nil
}

// waitWriter waits until every connection through the LB lands on the
// leader, writable: twice as many in a row as HAProxy has servers (it
// balances round robin, and starts every server up until its checks fail
// fall times). It returns when the first of them did.
func (h *patroniHarness) waitWriter(lb *patroniLB, leader *plan.Node, timeout time.Duration) time.Time {
	h.t.Helper()
	var first time.Time
	inARow := 0
	waitFor(h.t, "HAProxy sending every connection to "+leader.Name, timeout, func() error {
		out, err := lb.trySQL("SELECT host(inet_server_addr()) || ' ' || pg_is_in_recovery()")
		if err != nil || out != leader.Patroni.Address+" false" {
			inARow = 0
			return fmt.Errorf("reached %q: %v", out, err)
		}
		if inARow == 0 {
			first = time.Now()
		}
		if inARow++; inARow < 2*lb.servers {
			return fmt.Errorf("%d in a row on %s", inARow, leader.Name)
		}
		return nil
	})
	return first
}

// patroniWriter inserts rows through the LB, one connection each, and
// remembers those acknowledged (committed: psql exited 0).
type patroniWriter struct {
	mu     sync.Mutex
	acked  []int
	at     []time.Time
	failed int
	done   chan struct{}
	ended  chan struct{}
}

func startPatroniWriter(lb *patroniLB) *patroniWriter {
	w := &patroniWriter{done: make(chan struct{}), ended: make(chan struct{})}
	go func() {
		defer close(w.ended)
		for id := 1; ; id++ {
			select {
			case <-w.done:
				return
			default:
			}
			_, err := lb.trySQL(fmt.Sprintf("INSERT INTO harborgen_probe VALUES (%d, 'writer')", id))
			w.mu.Lock()
			if err == nil {
				w.acked = append(w.acked, id)
				w.at = append(w.at, time.Now())
			} else {
				w.failed++
			}
			w.mu.Unlock()
			if err != nil {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}()
	return w
}

// waitAckAfter waits for a write acknowledged after t0 (by the new leader).
func (w *patroniWriter) waitAckAfter(t *testing.T, t0 time.Time, timeout time.Duration) {
	t.Helper()
	waitFor(t, "a write acknowledged after the failover", timeout, func() error {
		w.mu.Lock()
		defer w.mu.Unlock()
		if len(w.at) > 0 && w.at[len(w.at)-1].After(t0) {
			return nil
		}
		return fmt.Errorf("%d acknowledged, %d failed", len(w.acked), w.failed)
	})
}

func (w *patroniWriter) stop() ([]int, int) {
	close(w.done)
	<-w.ended
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.acked), w.failed
}

// patroniDockerShim stands in for `docker compose` in a node directory, for
// the commands of the runbook and the rendered scripts of the Patroni tier:
//
//	docker compose up -d SERVICE
//	    runs <state>/<node>/up-SERVICE detached (its own session); a running
//	    service is left alone, as `up -d` leaves an unchanged one.
//	docker compose exec -T SERVICE CMD...
//	    runs CMD in the running service's namespace (exec-SERVICE).
const patroniDockerShim = `#!/usr/bin/env bash
set -euo pipefail
node_state="$PATRONI_SHIM_STATE/$(basename "$PWD")"
[ "${1:-}" = compose ] || { echo "docker (test stand-in): only compose: $*" >&2; exit 2; }
shift
case "${1:-}" in
up)
	shift
	[ "${1:-}" = -d ] || { echo "docker (test stand-in): up without -d" >&2; exit 2; }
	service="$2"
	[ -x "$node_state/up-$service" ] || { echo "docker (test stand-in): no service $service" >&2; exit 1; }
	pidfile="$node_state/$service.pid"
	if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$(cat "$pidfile")/status" 2>/dev/null; then
		exit 0
	fi
	setsid "$node_state/up-$service" >>"$node_state/$service.log" 2>&1 </dev/null &
	echo "$!" > "$pidfile"
	;;
exec)
	shift
	[ "${1:-}" = -T ] || { echo "docker (test stand-in): exec without -T" >&2; exit 2; }
	service="$2"
	shift 2
	[ -f "$node_state/$service.pid" ] || { echo "docker (test stand-in): service $service is not running" >&2; exit 1; }
	exec "$node_state/exec-$service" "$@"
	;;
*)
	echo "docker (test stand-in): unsupported: compose $*" >&2
	exit 2
	;;
esac
`
