package services

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/harborgen/harborgen/internal/plan"
)

// The loopback specs of the suite. HARBORGEN_SERVICES_SPEC names another
// one; it is tried first for every tier, and a tier it does not have is
// tested with the default spec that has it.
var defaultSpecs = []string{
	"testdata/ha-galera-ceph.toml", // Galera, Redis standalone, HAProxy, Ceph RGW Swift
	"testdata/redis-cluster.toml",  // Redis Cluster (Harbor 2, warned about)
	"testdata/ha-modern.toml",      // Redis Sentinel, nginx, RGW S3
	"testdata/registry-s3.toml",    // Harbor 2.15's registry on RGW S3
	"testdata/registry-swift.toml", // Harbor 2.15's registry on RGW Swift
	"testdata/registry-fs.toml",    // Harbor 2.15's registry on a shared filesystem
	"testdata/patroni3.toml",       // PostgreSQL under Patroni with etcd, HAProxy to the leader
}

// userSupplied are the secrets a loopback spec needs that secrets init does
// not generate: the test supplies them through HARBORGEN_SECRET_*.
var userSupplied = map[string]string{
	"ldap_search_password": "test-ldap-bind",
	"db_password":          "test-db-password",
}

// Cluster is one rendered loopback spec.
type Cluster struct {
	Spec    string            // path of the spec
	Out     string            // the rendered tree
	Plan    *plan.Plan        // what `harborgen plan --format json` printed
	Secrets map[string]string // the secrets file plus userSupplied
}

// Node returns the rendered directory of a node.
func (c *Cluster) Node(name string) string { return filepath.Join(c.Out, "nodes", name) }

// Nodes returns the plan's nodes that satisfy keep.
func (c *Cluster) Nodes(keep func(*plan.Node) bool) []*plan.Node {
	var out []*plan.Node
	for i := range c.Plan.Nodes {
		if keep(&c.Plan.Nodes[i]) {
			out = append(out, &c.Plan.Nodes[i])
		}
	}
	return out
}

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
	renders   sync.Map // spec path -> *renderResult
)

type renderResult struct {
	once sync.Once
	c    *Cluster
	err  error
}

// harborgen builds the CLI once per test binary.
func harborgen(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "harborgen-services-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "harborgen")
		out, err := exec.Command("go", "build", "-o", binary, "../../cmd/harborgen").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// specs lists the specs to try for a tier, HARBORGEN_SERVICES_SPEC first.
func specs() []string {
	if s := os.Getenv("HARBORGEN_SERVICES_SPEC"); s != "" {
		return append([]string{s}, defaultSpecs...)
	}
	return defaultSpecs
}

// clusterWith renders (once per spec) and returns the first spec whose plan
// has a node for which has is true. It fails the test when none has.
func clusterWith(t *testing.T, what string, has func(*plan.Node) bool) *Cluster {
	t.Helper()
	for _, s := range specs() {
		c := rendered(t, s)
		if len(c.Nodes(has)) > 0 {
			t.Logf("%s: spec %s", what, s)
			return c
		}
	}
	t.Fatalf("no spec of the suite has %s (specs: %v)", what, specs())
	return nil
}

// rendered runs `harborgen secrets init` and `harborgen render` on a spec,
// once per test binary, into a directory removed when the binary exits.
func rendered(t *testing.T, specPath string) *Cluster {
	t.Helper()
	bin := harborgen(t)
	v, _ := renders.LoadOrStore(specPath, &renderResult{})
	r := v.(*renderResult)
	r.once.Do(func() { r.c, r.err = renderSpec(bin, specPath, true) })
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.c
}

// renderSpec renders a spec into a new directory and reads its plan and
// secrets. loopback refuses a node address outside 127.0.0.0/8 (the
// examples, which nothing binds to, are rendered without).
func renderSpec(bin, specPath string, loopback bool) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "harborgen-services-")
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(specPath)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Spec: abs, Out: filepath.Join(dir, "out"), Secrets: map[string]string{}}
	secretsPath := filepath.Join(dir, "test.secrets.toml")
	env := os.Environ()
	for name, v := range userSupplied {
		env = append(env, "HARBORGEN_SECRET_"+strings.ToUpper(name)+"="+v)
		c.Secrets[name] = v
	}
	run := func(args ...string) ([]byte, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("harborgen %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.Bytes())
		}
		return out, nil
	}
	if _, err := run("secrets", "init", "--secrets", secretsPath, abs); err != nil {
		return nil, err
	}
	if _, err := run("render", "--secrets", secretsPath, "--out", c.Out, abs); err != nil {
		return nil, err
	}
	js, err := run("plan", "--format", "json", abs)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(js, &c.Plan); err != nil {
		return nil, fmt.Errorf("plan json: %w", err)
	}
	var file map[string]string
	if _, err := toml.DecodeFile(secretsPath, &file); err != nil {
		return nil, fmt.Errorf("secrets file: %w", err)
	}
	for k, v := range file {
		if _, fromEnv := userSupplied[k]; !fromEnv { // HARBORGEN_SECRET_* wins, as in the CLI
			c.Secrets[k] = v
		}
	}
	for _, n := range c.Plan.Nodes {
		if err := loopbackOnly(n.Address); loopback && err != nil {
			return nil, fmt.Errorf("%s: node %s: %w", specPath, n.Name, err)
		}
	}
	return c, nil
}

// loopbackOnly refuses a spec that would make the suite bind or connect
// outside 127.0.0.0/8.
func loopbackOnly(addr string) error {
	ip := net.ParseIP(addr)
	if ip == nil || !ip.IsLoopback() || ip.To4() == nil {
		return fmt.Errorf("address %s is not in 127.0.0.0/8: the real-service suite binds loopback only", addr)
	}
	return nil
}

// need fails the test, never skips it, when a program is missing: .ci/run
// installs every one of them.
func need(t *testing.T, programs ...string) {
	t.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			t.Fatalf("%s is not installed: install it (bash .ci/run does, as root)", p)
		}
	}
}

// Proc is a process the suite started; it is stopped by PID at cleanup.
type Proc struct {
	Name string
	Cmd  *exec.Cmd
	Log  string
	done chan struct{}
	err  error
}

// start runs a program in its own process group, its output in a log file
// that is printed when the test fails. Cleanup stops it by PID: SIGTERM,
// then SIGKILL after 15 s.
func start(t *testing.T, name string, cmd *exec.Cmd) *Proc {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if cmd.SysProcAttr == nil { // a caller may have set a Credential
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	p := &Proc{Name: name, Cmd: cmd, Log: logPath, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); logf.Close(); close(p.done) }()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("--- %s (pid %d) log:\n%s", name, cmd.Process.Pid, tail(b, 4000))
			}
		}
	})
	return p
}

// Stop stops the process (and its process group) by PID and waits for it.
func (p *Proc) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	pid := p.Cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-p.done
	}
}

// Kill sends SIGKILL to the process alone, as a crash would.
func (p *Proc) Kill() {
	_ = p.Cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Exited reports whether the process has ended, and how.
func (p *Proc) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// waitFor polls check until it succeeds or timeout passes; the last error
// is in the failure.
func waitFor(t *testing.T, what string, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for {
		if err = check(); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s: %v", what, timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// dialable reports whether a TCP port accepts connections (loopback only).
func dialable(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if err := loopbackOnly(host); err != nil {
		return err
	}
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	return conn.Close()
}

// listen opens a stub's listener on a backend's loopback address.
func listen(t *testing.T, b plan.Backend) net.Listener {
	t.Helper()
	if err := loopbackOnly(b.Address); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", b.HostPort())
	if err != nil {
		t.Fatalf("stub %s: %v", b.Name, err)
	}
	return ln
}

// runScript runs a rendered script with bash, with extra environment, and
// returns its combined output.
func runScript(t *testing.T, dir string, env []string, script string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{script}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return string(out), fmt.Errorf("%s timed out", script)
	}
	return string(out), err
}

// summary prints one line per service for the suite's report
// (`make test-services` shows them).
func summary(t *testing.T, format string, args ...any) {
	t.Helper()
	line := "real-services: " + fmt.Sprintf(format, args...)
	fmt.Println(line)
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
