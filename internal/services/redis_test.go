package services

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/harborgen/harborgen/internal/plan"
)

// The Redis tier runs from the rendered files the way its containers do:
// redis/start.sh makes the working copy (committed configuration plus the
// secrets file) and execs redis-server. Only the configuration's `dir` is
// rewritten, to a temporary directory, and REDIS_DATA_DIR points start.sh at
// it.

// redisProc is one started redis-server or Sentinel.
type redisProc struct {
	*Proc
	Addr string // host:port
	Data string // its data directory, where the working copy lives
}

// startRedis starts one Redis server (kind "redis") or Sentinel (kind
// "sentinel") of a node from its rendered configuration.
func startRedis(t *testing.T, c *Cluster, node, kind, conf, secretsFile, addr string) *redisProc {
	t.Helper()
	dir := c.Node(node)
	committed, err := os.ReadFile(filepath.Join(dir, conf))
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	lines := strings.Split(string(committed), "\n")
	dirs := 0
	for i, l := range lines {
		if strings.HasPrefix(l, "dir ") {
			lines[i] = "dir " + strconv.Quote(data)
			dirs++
		}
	}
	if dirs != 1 {
		t.Fatalf("%s/%s: %d dir lines, want 1", node, conf, dirs)
	}
	local := filepath.Join(t.TempDir(), filepath.Base(conf))
	if err := os.WriteFile(local, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{filepath.Join(dir, "redis", "start.sh"), kind, local}
	if secretsFile != "" {
		args = append(args, filepath.Join(dir, "secrets", secretsFile))
	}
	cmd := exec.Command("bash", args...)
	cmd.Env = append(os.Environ(), "REDIS_DATA_DIR="+data)
	name := fmt.Sprintf("%s-%s-%s", kind, node, strings.ReplaceAll(addr, ":", "-"))
	return &redisProc{Proc: start(t, name, cmd), Addr: addr, Data: data}
}

// redisCLI runs one command against a loopback Redis; password "" sends no AUTH.
func redisCLI(addr, password string, args ...string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if err := loopbackOnly(host); err != nil {
		return "", err
	}
	cmd := exec.Command("redis-cli", append([]string{"-h", host, "-p", port}, args...)...)
	cmd.Env = os.Environ()
	if password != "" {
		cmd.Env = append(cmd.Env, "REDISCLI_AUTH="+password)
	}
	out, err := cmd.CombinedOutput()
	s := strings.TrimSpace(strings.ReplaceAll(string(out), "\r", ""))
	if err != nil {
		return s, fmt.Errorf("redis-cli %s %v: %v: %s", addr, args, err, s)
	}
	if strings.HasPrefix(s, "ERR") || strings.HasPrefix(s, "NOAUTH") || strings.HasPrefix(s, "WRONGPASS") {
		return s, fmt.Errorf("redis-cli %s %v: %s", addr, args, s)
	}
	return s, nil
}

// infoField returns one field of INFO or CLUSTER INFO output.
func infoField(info, field string) string {
	for _, l := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func redisPassword(c *Cluster, auth bool) string {
	if auth {
		return c.Secrets["redis_password"]
	}
	return ""
}

// fakeDocker stands in for `docker run --rm --network host [-e VAR] IMAGE
// CMD...`: it checks the options and the image, and runs CMD on the host.
const fakeDocker = `#!/usr/bin/env bash
set -euo pipefail
[ "$1" = run ] || { echo "fake docker: only run is expected: $*" >&2; exit 1; }
shift
network=""
while [ $# -gt 0 ]; do
	case "$1" in
	--rm) shift ;;
	--network) network="$2"; shift 2 ;;
	-e) case "$2" in *=*) echo "fake docker: -e $2 puts a value on the command line" >&2; exit 1 ;; esac; shift 2 ;;
	-*) echo "fake docker: unexpected option $1" >&2; exit 1 ;;
	*) break ;;
	esac
done
[ "$network" = host ] || { echo "fake docker: network $network, want host" >&2; exit 1; }
[ "$1" = "$FAKE_DOCKER_IMAGE" ] || { echo "fake docker: image $1, want $FAKE_DOCKER_IMAGE" >&2; exit 1; }
shift
exec "$@"
`

func TestRedisCluster(t *testing.T) {
	t.Parallel()
	need(t, "bash", "redis-server", "redis-cli")
	c := clusterWith(t, "redis cluster", func(n *plan.Node) bool { return n.Redis != nil && n.Redis.Mode == "cluster" })
	nodes := c.Nodes(func(n *plan.Node) bool { return n.Redis != nil && n.Redis.Mode == "cluster" })
	var creator *plan.Node
	var addrs []string
	for _, n := range nodes {
		if n.Redis.Create != nil {
			creator = n
		}
		for _, in := range n.Redis.Instances {
			addr := net.JoinHostPort(n.Redis.Address, strconv.Itoa(in.Port))
			addrs = append(addrs, addr)
			secretsFile := ""
			if n.Redis.Auth {
				secretsFile = "redis-auth.conf"
			}
			startRedis(t, c, n.Name, "redis", filepath.Join("redis", strconv.Itoa(in.Port)+".conf"), secretsFile, addr)
		}
	}
	if creator == nil {
		t.Fatal("no redis node of the plan creates the cluster")
	}
	password := redisPassword(c, creator.Redis.Auth)
	for _, addr := range addrs {
		waitFor(t, "redis "+addr, 20*time.Second, func() error { return dialable(addr) })
	}

	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "docker"), []byte(fakeDocker), 0o755); err != nil {
		t.Fatal(err)
	}
	image := ""
	for _, s := range creator.Services {
		if s.Name == fmt.Sprintf("redis-%d", creator.Redis.Instances[0].Port) {
			image = s.Image
		}
	}
	env := []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "FAKE_DOCKER_IMAGE=" + image}
	create := func() string {
		out, err := runScript(t, c.Node(creator.Name), env, "redis-cluster-create.sh")
		if err != nil {
			t.Fatalf("redis-cluster-create.sh: %v\n%s", err, out)
		}
		if password != "" && strings.Contains(out, password) {
			t.Fatal("redis-cluster-create.sh printed the redis password")
		}
		return out
	}
	first := create()
	if !strings.Contains(first, "anti-affinity: perfect") {
		t.Fatalf("the script did not report perfect anti-affinity:\n%s", first)
	}
	// The script returns once the cluster has converged: every instance
	// answers at once with the same view.
	wantMasters := len(addrs) / (creator.Redis.Create.Replicas + 1)
	var masters, replicas int
	for _, addr := range addrs {
		info, err := redisCLI(addr, password, "cluster", "info")
		if err != nil {
			t.Fatal(err)
		}
		if st := infoField(info, "cluster_state"); st != "ok" {
			t.Fatalf("%s: cluster_state %q", addr, st)
		}
		if n := infoField(info, "cluster_known_nodes"); n != strconv.Itoa(len(addrs)) {
			t.Fatalf("%s: cluster_known_nodes %s, want %d", addr, n, len(addrs))
		}
		masters, replicas = clusterRoles(t, addr, password)
		if masters != wantMasters || replicas != len(addrs)-wantMasters {
			t.Fatalf("%s sees %d masters and %d replicas, want %d and %d", addr, masters, replicas, wantMasters, len(addrs)-wantMasters)
		}
	}

	second := create()
	if !strings.Contains(second, "nothing to do") || strings.Contains(second, "creating") {
		t.Fatalf("the second run was not a no-op:\n%s", second)
	}
	summary(t, "redis-cluster ok anti-affinity=perfect masters=%d replicas=%d", masters, replicas)
}

// clusterRoles counts the masters and replicas CLUSTER NODES lists, and
// fails the test unless every master and its replicas are on distinct hosts.
func clusterRoles(t *testing.T, addr, password string) (masters, replicas int) {
	t.Helper()
	out, err := redisCLI(addr, password, "cluster", "nodes")
	if err != nil {
		t.Fatal(err)
	}
	hostOf := map[string]string{}   // node id -> host
	shards := map[string][]string{} // master id -> the ids of it and its replicas
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) < 4 {
			continue
		}
		hp, _, _ := strings.Cut(f[1], "@")
		host, _, err := net.SplitHostPort(hp)
		if err != nil {
			t.Fatalf("CLUSTER NODES: %q: %v", l, err)
		}
		hostOf[f[0]] = host
		for _, flag := range strings.Split(f[2], ",") {
			switch flag {
			case "master":
				masters++
				shards[f[0]] = append(shards[f[0]], f[0])
			case "slave":
				replicas++
				shards[f[3]] = append(shards[f[3]], f[0])
			}
		}
	}
	for master, ids := range shards {
		seen := map[string]bool{}
		for _, id := range ids {
			if seen[hostOf[id]] {
				t.Fatalf("anti-affinity: shard of master %s has two instances on %s\n%s", master, hostOf[id], out)
			}
			seen[hostOf[id]] = true
		}
	}
	return masters, replicas
}

func TestRedisSentinel(t *testing.T) {
	t.Parallel()
	need(t, "bash", "redis-server", "redis-cli")
	c := clusterWith(t, "redis sentinel", func(n *plan.Node) bool { return n.Sentinel != nil })
	redisNodes := c.Nodes(func(n *plan.Node) bool { return n.Redis != nil && n.Redis.Mode == "sentinel" })
	sentinelNodes := c.Nodes(func(n *plan.Node) bool { return n.Sentinel != nil })
	first := sentinelNodes[0].Sentinel
	master := net.JoinHostPort(first.MasterHost, strconv.Itoa(first.MasterPort))
	password := redisPassword(c, redisNodes[0].Redis.Auth)

	servers := map[string]*redisProc{}
	for _, n := range redisNodes {
		secretsFile := ""
		if n.Redis.Auth {
			secretsFile = "redis-auth.conf"
		}
		in := n.Redis.Instances[0]
		addr := net.JoinHostPort(n.Redis.Address, strconv.Itoa(in.Port))
		servers[addr] = startRedis(t, c, n.Name, "redis", filepath.Join("redis", strconv.Itoa(in.Port)+".conf"), secretsFile, addr)
	}
	if servers[master] == nil {
		t.Fatalf("the sentinels' master %s is no redis instance of the plan", master)
	}
	waitFor(t, "replicas of "+master, 30*time.Second, func() error {
		info, err := redisCLI(master, password, "info", "replication")
		if err != nil {
			return err
		}
		if got := infoField(info, "connected_slaves"); got != strconv.Itoa(len(redisNodes)-1) {
			return fmt.Errorf("connected_slaves %s", got)
		}
		return nil
	})

	var sentinels []*redisProc
	for _, n := range sentinelNodes {
		secretsFile := ""
		if n.Sentinel.Auth {
			secretsFile = "sentinel-auth.conf"
		}
		addr := net.JoinHostPort(n.Sentinel.Address, strconv.Itoa(n.Sentinel.Port))
		sentinels = append(sentinels, startRedis(t, c, n.Name, "sentinel", "redis/sentinel.conf", secretsFile, addr))
	}
	// Every Sentinel must know the others and the replicas before a
	// failover can be agreed on.
	for _, s := range sentinels {
		waitFor(t, "sentinel "+s.Addr+" sees its peers", 30*time.Second, func() error {
			out, err := redisCLI(s.Addr, "", "sentinel", "master", first.MasterSet)
			if err != nil {
				return err
			}
			f := pairs(out)
			if f["num-other-sentinels"] != strconv.Itoa(len(sentinels)-1) || f["num-slaves"] != strconv.Itoa(len(redisNodes)-1) {
				return fmt.Errorf("other sentinels %s, replicas %s", f["num-other-sentinels"], f["num-slaves"])
			}
			if !strings.Contains(f["flags"], "master") || strings.Contains(f["flags"], "down") {
				return fmt.Errorf("master flags %s", f["flags"])
			}
			return nil
		})
	}

	killed := time.Now()
	servers[master].Kill()
	var promoted string
	waitFor(t, "a replica promoted after kill -9 of "+master, 60*time.Second, func() error {
		out, err := redisCLI(sentinels[0].Addr, "", "sentinel", "get-master-addr-by-name", first.MasterSet)
		if err != nil {
			return err
		}
		f := strings.Fields(out)
		if len(f) != 2 {
			return fmt.Errorf("get-master-addr-by-name: %q", out)
		}
		addr := net.JoinHostPort(f[0], f[1])
		if addr == master {
			return fmt.Errorf("still %s", addr)
		}
		info, err := redisCLI(addr, password, "info", "replication")
		if err != nil {
			return err
		}
		if role := infoField(info, "role"); role != "master" {
			return fmt.Errorf("%s reports role %s", addr, role)
		}
		promoted = addr
		return nil
	})
	took := time.Since(killed)
	if servers[promoted] == nil {
		t.Fatalf("sentinel promoted %s, no redis instance of the plan", promoted)
	}
	// The working copies are writable: Sentinel persisted the new master in
	// its own copy and the new replication in the other replica's.
	host, port, _ := net.SplitHostPort(promoted)
	for _, s := range sentinels {
		waitFor(t, "sentinel "+s.Addr+" rewrote its working copy", 20*time.Second, func() error {
			return confHas(filepath.Join(s.Data, "sentinel.conf"), "sentinel monitor", host+" "+port)
		})
	}
	for addr, p := range servers {
		if addr == master || addr == promoted {
			continue
		}
		waitFor(t, "replica "+addr+" rewrote its working copy", 20*time.Second, func() error {
			return confHas(filepath.Join(p.Data, "redis.conf"), "replicaof", host+" "+port)
		})
	}
	summary(t, "redis-sentinel failover %s -> %s in %.1fs (down-after %d ms)", master, promoted, took.Seconds(), first.DownAfterMs)
}

// pairs reads redis-cli's one-value-per-line answer of a key/value reply.
func pairs(out string) map[string]string {
	lines := strings.Split(out, "\n")
	m := map[string]string{}
	for i := 0; i+1 < len(lines); i += 2 {
		m[strings.TrimSpace(lines[i])] = strings.TrimSpace(lines[i+1])
	}
	return m
}

// confHas checks that a configuration file has a line starting with
// directive and containing value.
func confHas(path, directive, value string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, directive+" ") && strings.Contains(l, value) {
			return nil
		}
	}
	return fmt.Errorf("%s has no %q line with %q", path, directive, value)
}

func TestRedisStandalone(t *testing.T) {
	t.Parallel()
	need(t, "bash", "redis-server", "redis-cli")
	standalone := func(n *plan.Node) bool { return n.Redis != nil && n.Redis.Mode == "standalone" }
	c := clusterWith(t, "redis standalone", standalone)
	n := c.Nodes(standalone)[0]
	in := n.Redis.Instances[0]
	addr := net.JoinHostPort(n.Redis.Address, strconv.Itoa(in.Port))
	secretsFile := ""
	if n.Redis.Auth {
		secretsFile = "redis-auth.conf"
	}
	startRedis(t, c, n.Name, "redis", filepath.Join("redis", strconv.Itoa(in.Port)+".conf"), secretsFile, addr)
	password := redisPassword(c, n.Redis.Auth)
	waitFor(t, "redis "+addr+" answers PING", 20*time.Second, func() error {
		out, err := redisCLI(addr, password, "ping")
		if err == nil && out != "PONG" {
			err = fmt.Errorf("PING: %q", out)
		}
		return err
	})
	if n.Redis.Auth {
		if out, err := redisCLI(addr, "", "ping"); err == nil {
			t.Fatalf("PING without the password: %q, want NOAUTH", out)
		}
	}
	if _, err := redisCLI(addr, password, "set", "harborgen:test", "1"); err != nil {
		t.Fatal(err)
	}
	summary(t, "redis-standalone ok auth=%v", n.Redis.Auth)
}
