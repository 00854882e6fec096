package render_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/harborgen/harborgen/internal/tree"
)

// redisSpecs are the real-service suite's loopback specs, one or more per
// Redis mode (standalone, sentinel, cluster); the goldens cover the examples.
var redisSpecs = map[string]string{
	"ha-galera-ceph": "../services/testdata/ha-galera-ceph.toml",
	"ha-modern":      "../services/testdata/ha-modern.toml",
	"redis-cluster":  "../services/testdata/redis-cluster.toml",
	"redis9":         "../services/testdata/redis9.toml",
}

// renderSpecFile validates, plans and renders any spec file with fake secrets.
func renderSpecFile(t *testing.T, file string) (*tree.Tree, map[string]string) {
	t.Helper()
	s, _ := loadPlanFile(t, file)
	_, tr, vals := renderSpec(t, s)
	return tr, vals
}

func treeFiles(tr *tree.Tree) map[string]tree.File {
	m := map[string]tree.File{}
	for _, f := range tr.Files() {
		m[f.Path] = f
	}
	return m
}

func TestRedisFiles(t *testing.T) {
	for _, tc := range []struct {
		name, spec, file string
		want, absent     []string // lines present, substrings absent
	}{
		{name: "standalone without auth", spec: "ha-galera-ceph", file: "nodes/registry01/redis/6379.conf",
			want:   []string{"bind 127.0.0.11", "port 6379", "protected-mode no", "dir /data", "appendonly yes", "maxmemory 2147483648"},
			absent: []string{"requirepass", "include", "cluster-", "replicaof"}},
		{name: "standalone compose has no secret", spec: "ha-galera-ceph", file: "nodes/registry01/docker-compose.yml",
			want:   []string{"  redis:", "    network_mode: host", "    command: [bash, /usr/local/etc/redis/start.sh, redis, /usr/local/etc/redis/redis.conf]"},
			absent: []string{"redis-auth.conf"}},
		{name: "sentinel master", spec: "ha-modern", file: "nodes/harbor01/redis/6379.conf",
			want:   []string{"bind 127.0.0.21", "protected-mode yes", "replica-announce-ip 127.0.0.21"},
			absent: []string{"replicaof", "requirepass", "cluster-"}},
		{name: "sentinel replica", spec: "ha-modern", file: "nodes/harbor02/redis/6379.conf",
			want: []string{"bind 127.0.0.22", "replicaof 127.0.0.21 6379", "replica-announce-ip 127.0.0.22"}},
		{name: "sentinel", spec: "ha-modern", file: "nodes/harbor02/redis/sentinel.conf",
			want: []string{"bind 127.0.0.22", "port 26379", "protected-mode no", "sentinel announce-ip 127.0.0.22",
				`sentinel monitor "harbor" 127.0.0.21 6379 2`, `sentinel down-after-milliseconds "harbor" 5000`,
				`sentinel failover-timeout "harbor" 60000`},
			absent: []string{"requirepass", "auth-pass"}},
		{name: "sentinel compose mounts the secrets", spec: "ha-modern", file: "nodes/harbor02/docker-compose.yml",
			want: []string{"  redis:", "  sentinel:",
				"      - ./secrets/redis-auth.conf:/run/secrets/redis-auth.conf:ro",
				"      - ./secrets/sentinel-auth.conf:/run/secrets/sentinel-auth.conf:ro",
				"      - ./redis/sentinel.conf:/usr/local/etc/redis/sentinel.conf:ro"}},
		{name: "cluster instance", spec: "redis-cluster", file: "nodes/redis02/redis/7002.conf",
			want: []string{"bind 127.0.0.52", "port 7002", "cluster-enabled yes", "cluster-config-file nodes-7002.conf",
				"cluster-node-timeout 5000", "cluster-announce-ip 127.0.0.52"},
			absent: []string{"requirepass", "replicaof"}},
		{name: "cluster compose", spec: "redis-cluster", file: "nodes/redis02/docker-compose.yml",
			want: []string{"  redis-7001:", "  redis-7002:", `      - "/data/redis/7002:/data"`}},
		{name: "cluster create", spec: "redis9", file: "nodes/redis01/redis-cluster-create.sh",
			want: []string{"instances=( 127.0.0.71:7101 127.0.0.72:7101 127.0.0.73:7101 127.0.0.71:7102 127.0.0.72:7102 127.0.0.73:7102 127.0.0.71:7103 127.0.0.72:7103 127.0.0.73:7103)",
				"replicas=2", `. "$here/secrets/redis-cli.env"`},
			absent: []string{" -a "}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, _ := renderSpecFile(t, redisSpecs[tc.spec])
			f, ok := treeFiles(tr)[tc.file]
			if !ok {
				t.Fatalf("%s not rendered", tc.file)
			}
			lines := strings.Split(string(f.Data), "\n")
			for _, w := range tc.want {
				found := false
				for _, l := range lines {
					found = found || l == w
				}
				if !found {
					t.Errorf("%s lacks the line %q:\n%s", tc.file, w, f.Data)
				}
			}
			for _, a := range tc.absent {
				for _, l := range lines {
					if !strings.HasPrefix(l, "#") && strings.Contains(l, a) {
						t.Errorf("%s has %q: %q", tc.file, a, l)
					}
				}
			}
		})
	}
}

// TestRedisFileSet checks which files each node gets: the secrets only with
// auth, the create script only on the first node of a cluster.
func TestRedisFileSet(t *testing.T) {
	for _, tc := range []struct {
		spec    string
		present []string
		absent  []string
	}{
		{spec: "ha-galera-ceph",
			present: []string{"nodes/registry01/redis/start.sh", "nodes/registry01/redis/6379.conf"},
			absent:  []string{"nodes/registry01/secrets/redis-auth.conf", "nodes/registry02/redis/start.sh", "nodes/registry01/redis/sentinel.conf"}},
		{spec: "ha-modern",
			present: []string{"nodes/harbor03/redis/sentinel.conf", "nodes/harbor03/secrets/redis-auth.conf", "nodes/harbor03/secrets/sentinel-auth.conf"},
			absent:  []string{"nodes/harbor01/redis-cluster-create.sh", "nodes/lb01/redis/start.sh"}},
		{spec: "redis-cluster",
			present: []string{"nodes/redis01/redis-cluster-create.sh", "nodes/redis01/secrets/redis-cli.env", "nodes/redis03/redis/7002.conf"},
			absent:  []string{"nodes/redis02/redis-cluster-create.sh", "nodes/redis02/secrets/redis-cli.env", "nodes/redis01/redis/sentinel.conf"}},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			tr, vals := renderSpecFile(t, redisSpecs[tc.spec])
			files := treeFiles(tr)
			for _, p := range tc.present {
				if _, ok := files[p]; !ok {
					t.Errorf("%s not rendered", p)
				}
			}
			for _, p := range tc.absent {
				if _, ok := files[p]; ok {
					t.Errorf("%s rendered", p)
				}
			}
			for p, f := range files {
				if strings.HasSuffix(p, ".sh") && f.Mode != tree.ModeScript {
					t.Errorf("%s: mode %o", p, f.Mode)
				}
				if pw := vals["redis_password"]; pw != "" && !f.Secret && strings.Contains(string(f.Data), pw) {
					t.Errorf("%s (committed) holds the redis password", p)
				}
			}
			if f, ok := files["nodes/harbor01/secrets/redis-auth.conf"]; ok {
				// fakeSecrets' password has quotes: the redis escaper's form.
				want := `requirepass "S3cr$t/redis_password@%#'\""`
				if !strings.Contains(string(f.Data), want+"\n") || !strings.Contains(string(f.Data), "masterauth ") {
					t.Errorf("redis-auth.conf:\n%s", f.Data)
				}
			}
		})
	}
}

// fakeRedisServer records how start.sh started it.
const fakeRedisServer = `#!/usr/bin/env bash
printf '%s\n' "$@" > "$FAKE_REDIS_ARGS"
`

// TestRedisStartWorkingCopy runs the rendered start.sh against a fake
// redis-server: the working copy is the committed file plus the secrets,
// survives a restart with what Redis wrote into it, and is replaced when the
// committed file changes.
func TestRedisStartWorkingCopy(t *testing.T) {
	tr, vals := renderSpecFile(t, redisSpecs["ha-modern"])
	out := filepath.Join(t.TempDir(), "out")
	if _, err := tree.Write(out, tr); err != nil {
		t.Fatal(err)
	}
	node := filepath.Join(out, "nodes", "harbor02")
	bin, data := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "redis-server"), []byte(fakeRedisServer), 0o755); err != nil {
		t.Fatal(err)
	}
	argsFile := filepath.Join(t.TempDir(), "args")
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	committed, _ := os.ReadFile(filepath.Join(node, "redis", "sentinel.conf"))
	os.WriteFile(conf, committed, 0o644)
	run := func() string {
		cmd := exec.Command("bash", filepath.Join(node, "redis", "start.sh"), "sentinel", conf, filepath.Join(node, "secrets", "sentinel-auth.conf"))
		cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "REDIS_DATA_DIR="+data, "FAKE_REDIS_ARGS="+argsFile)
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("start.sh: %v\n%s", err, b)
		}
		if strings.Contains(string(b), vals["redis_password"]) {
			t.Fatal("start.sh printed the password")
		}
		return string(b)
	}
	copyPath := filepath.Join(data, "sentinel.conf")

	run()
	args, _ := os.ReadFile(argsFile)
	if string(args) != copyPath+"\n--sentinel\n" {
		t.Fatalf("redis-server args %q", args)
	}
	got, _ := os.ReadFile(copyPath)
	secret, _ := os.ReadFile(filepath.Join(node, "secrets", "sentinel-auth.conf"))
	if string(got) != string(committed)+string(secret) {
		t.Fatalf("working copy:\n%s", got)
	}
	if fi, _ := os.Stat(copyPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("working copy mode %o, want 600 (it holds the password)", fi.Mode().Perm())
	}

	// Sentinel rewrites its copy; a restart keeps that.
	os.WriteFile(copyPath, append(got, "sentinel myid abc\n"...), 0o600)
	if o := run(); strings.Contains(o, "made from") {
		t.Errorf("a restart with an unchanged committed file replaced the copy: %s", o)
	}
	if again, _ := os.ReadFile(copyPath); !strings.HasSuffix(string(again), "sentinel myid abc\n") {
		t.Errorf("the copy lost what Sentinel wrote:\n%s", again)
	}

	// A re-rendered (changed) committed file replaces it.
	os.WriteFile(conf, append(committed, "# changed\n"...), 0o644)
	if o := run(); !strings.Contains(o, "made from") {
		t.Errorf("a changed committed file did not replace the copy: %s", o)
	}
	if again, _ := os.ReadFile(copyPath); strings.Contains(string(again), "myid abc") {
		t.Errorf("the copy kept the old state:\n%s", again)
	}
}

// TestRedisScriptsShellcheck runs shellcheck on the Redis scripts of every
// Redis spec (TestScriptsPassShellcheck covers the examples only, and no
// example has a Redis Cluster).
func TestRedisScriptsShellcheck(t *testing.T) {
	bin, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatal("shellcheck is not installed: apt-get install shellcheck (.ci/run does)")
	}
	var scripts []string
	for name, file := range redisSpecs {
		tr, _ := renderSpecFile(t, file)
		out := filepath.Join(t.TempDir(), name)
		if _, err := tree.Write(out, tr); err != nil {
			t.Fatal(err)
		}
		for _, f := range tr.Files() {
			if f.Mode == tree.ModeScript && (strings.Contains(f.Path, "/redis/") || strings.Contains(f.Path, "redis-cluster-create")) {
				scripts = append(scripts, filepath.Join(out, f.Path))
			}
		}
	}
	if len(scripts) < 5 {
		t.Fatalf("only %d redis scripts rendered", len(scripts))
	}
	if b, err := exec.Command(bin, append([]string{"-x"}, scripts...)...).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, b)
	}
}

// fakeDockerRedisCLI answers the `docker run ... redis-cli` calls of
// redis-cluster-create.sh from the files in $FAKE_CLUSTER: info (CLUSTER INFO
// of every instance; absent: a fresh instance), nodes (CLUSTER NODES),
// create.out (what --cluster create prints; it then copies after-info to
// info). The real cluster is the real-service suite's.
const fakeDockerRedisCLI = `#!/usr/bin/env bash
set -euo pipefail
f="$FAKE_CLUSTER"
[ "$1" = run ] || exit 1
shift
while [ "$1" != redis-cli ]; do shift; done
shift
if [ "$1" = --cluster ]; then
	echo create >> "$f/calls"
	cat "$f/create.out"
	cp "$f/after-info" "$f/info"
	exit 0
fi
shift 4 # -h HOST -p PORT
case "$*" in
ping) echo PONG ;;
"cluster info") if [ -f "$f/info" ]; then cat "$f/info"; else printf 'cluster_state:fail\r\ncluster_known_nodes:1\r\n'; fi ;;
"cluster nodes") cat "$f/nodes" 2>/dev/null || true ;;
*) echo "fake redis-cli: $*" >&2; exit 1 ;;
esac
`

func TestRedisClusterCreateScript(t *testing.T) {
	const (
		okInfo    = "cluster_state:ok\r\ncluster_known_nodes:6\r\n"
		goodNodes = `a1 127.0.0.51:7001@17001 myself,master - 0 0 1 connected 0-5460
a2 127.0.0.52:7001@17001 master - 0 0 2 connected 5461-10922
a3 127.0.0.53:7001@17001 master - 0 0 3 connected 10923-16383
a4 127.0.0.51:7002@17002 slave a2 0 0 2 connected
a5 127.0.0.52:7002@17002 slave a3 0 0 3 connected
a6 127.0.0.53:7002@17002 slave a1 0 0 1 connected
`
	)
	badNodes := strings.Replace(goodNodes, "slave a2", "slave a1", 1)
	for _, tc := range []struct {
		name                   string
		info, nodes, createOut string
		wantErr, wantCreate    bool
		wantOut                string
	}{
		{name: "creates", nodes: goodNodes, createOut: "[OK] All 16384 slots covered.", wantCreate: true, wantOut: "anti-affinity: perfect"},
		{name: "exists", info: okInfo, nodes: goodNodes, wantOut: "nothing to do"},
		{name: "replica on its master's host", nodes: badNodes, createOut: "[OK] All 16384 slots covered.", wantCreate: true, wantErr: true, wantOut: "same host as its master"},
		{name: "redis-cli warns", nodes: goodNodes, createOut: "[WARNING] Some slaves are in the same host as their master", wantCreate: true, wantErr: true, wantOut: "could not place"},
		{name: "existing cluster with a replica on its master's host", info: okInfo, nodes: badNodes, wantErr: true, wantOut: "same host as its master"},
		{name: "partial cluster", info: "cluster_state:fail\r\ncluster_known_nodes:3\r\n", nodes: goodNodes, wantErr: true, wantOut: "not the rendered one"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, vals := renderSpecFile(t, redisSpecs["redis-cluster"])
			out := filepath.Join(t.TempDir(), "out")
			if _, err := tree.Write(out, tr); err != nil {
				t.Fatal(err)
			}
			bin, state := t.TempDir(), t.TempDir()
			os.WriteFile(filepath.Join(bin, "docker"), []byte(fakeDockerRedisCLI), 0o755)
			write := func(name, s string) {
				if s != "" {
					os.WriteFile(filepath.Join(state, name), []byte(s), 0o644)
				}
			}
			write("info", tc.info)
			write("nodes", tc.nodes)
			write("create.out", tc.createOut)
			write("after-info", okInfo)
			cmd := exec.Command("bash", filepath.Join(out, "nodes", "redis01", "redis-cluster-create.sh"))
			cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "FAKE_CLUSTER="+state, "REDIS_WAIT_SECONDS=2")
			b, err := cmd.CombinedOutput()
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v\n%s", err, tc.wantErr, b)
			}
			if !strings.Contains(string(b), tc.wantOut) {
				t.Errorf("output lacks %q:\n%s", tc.wantOut, b)
			}
			if strings.Contains(string(b), vals["redis_password"]) {
				t.Error("the script printed the password")
			}
			_, statErr := os.Stat(filepath.Join(state, "calls"))
			if created := statErr == nil; created != tc.wantCreate {
				t.Errorf("create called %v, want %v\n%s", created, tc.wantCreate, b)
			}
		})
	}
}
