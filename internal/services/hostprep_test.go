package services

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/harborgen/harborgen/internal/plan"
)

// hostPrepSpec is the loopback spec whose nodes need every kind of host
// preparation (HARBORGEN_SERVICES_SPEC is tried first).
const hostPrepSpec = "testdata/hostprep.toml"

// fullHostPrep: a node whose prepare-host.sh makes directories, owns
// secrets, sets a sysctl, checks TLS files and installs keepalived's files.
func fullHostPrep(n *plan.Node) bool {
	h := n.Host
	return h != nil && n.Harbor != nil && n.Endpoints != nil && n.Endpoints.Storage.Driver == "filesystem" &&
		len(h.Sysctls) > 0 && len(h.Required) > 0 && h.Keepalived != nil && len(h.Secrets) > 0
}

// TestPrepareHost runs a node's rendered prepare-host.sh as root, twice,
// under a temporary host root: the first run creates and owns what the
// node's containers write (the registry's filesystem storage becomes
// writable by uid 10000, which the original tree never made it), owns the
// secrets copied by another user, sets the sysctl and installs keepalived's
// files; the second changes nothing and says so; --check passes. A run with
// a TLS file missing changes nothing, and a re-copy of secrets/ is repaired.
func TestPrepareHost(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("the host-preparation test sets owners: run the suite as root (make test-services does)")
	}
	need(t, "bash", "stat", "chown", "install", "cmp")
	var c *Cluster
	var node *plan.Node
	for _, s := range append(specs(), hostPrepSpec) {
		if nodes := rendered(t, s).Nodes(fullHostPrep); len(nodes) > 0 {
			c, node = rendered(t, s), nodes[0]
			break
		}
	}
	if node == nil {
		t.Fatalf("no spec has a node with every kind of host preparation (specs: %v)", append(specs(), hostPrepSpec))
	}
	hp := node.Host
	t.Logf("spec %s, node %s", c.Spec, node.Name)

	// Copies of the node directory (its secrets get new owners) and a host
	// root that uid 10000 can traverse, as / can.
	root, dir := tempDir(t, "hostprep-root-"), tempDir(t, "hostprep-node-")
	if out, err := exec.Command("cp", "-a", c.Node(node.Name)+"/.", dir).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	for _, s := range hp.Sysctls {
		writeHostFile(t, filepath.Join(root, s.ProcPath()), "0\n", 0o644)
	}
	// The storage path is a symbolic link to the shared mount, which holds
	// what someone else left: prepare owns all of it, as Harbor's prepare does.
	storage := filepath.Join(root, "srv", "cephfs", "registry")
	writeHostFile(t, filepath.Join(storage, "docker", "registry", "v2", "old"), "x", 0o644)
	if err := os.MkdirAll(filepath.Dir(filepath.Join(root, node.Endpoints.Storage.Path)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(storage, filepath.Join(root, node.Endpoints.Storage.Path)); err != nil {
		t.Fatal(err)
	}
	copiedBy(t, filepath.Join(dir, "secrets"), 1234)

	env := []string{"HARBORGEN_HOST_ROOT=" + root}
	script := filepath.Join(dir, "prepare-host.sh")

	// A missing TLS file: exit 1, naming it, and nothing changed.
	before := listing(t, root, dir)
	out, err := runScript(t, dir, env, script)
	if err == nil || !strings.Contains(out, "missing: "+filepath.Join(root, hp.Required[0].Path)) || !strings.Contains(out, "nothing was changed") {
		t.Fatalf("prepare-host.sh without the TLS files: %v\n%s", err, out)
	}
	if after := listing(t, root, dir); !slices.Equal(before, after) {
		t.Fatalf("a refused run changed the host:\n%s", diffLines(before, after))
	}
	for _, f := range hp.Required {
		writeHostFile(t, filepath.Join(root, f.Path), "pem\n", 0o600)
	}
	if out, err := runScript(t, dir, env, script, "--check"); err == nil || !strings.Contains(out, "not ready") {
		t.Fatalf("--check on an unprepared host passed: %v\n%s", err, out)
	}

	first, err := runScript(t, dir, env, script)
	if err != nil {
		t.Fatalf("first run: %v\n%s", err, first)
	}
	t.Logf("first run:\n%s", first)
	for _, want := range []string{"created " + filepath.Join(root, hp.Dirs[1].Path), "chown -R -H 10000:10000 " + filepath.Join(root, node.Endpoints.Storage.Path),
		"set " + hp.Sysctls[0].Key + " = 1", "installed " + filepath.Join(root, hp.SysctlFile),
		"installed " + filepath.Join(root, hp.Keepalived.Files[0].Dest), "change(s) made"} {
		if !strings.Contains(first, want) {
			t.Errorf("first run does not say %q", want)
		}
	}
	prepared := listing(t, root, dir)

	second, err := runScript(t, dir, env, script)
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, second)
	}
	if !strings.Contains(second, "nothing to change") || changeLines(second) != 0 {
		t.Errorf("the second run changed something:\n%s", second)
	}
	if again := listing(t, root, dir); !slices.Equal(prepared, again) {
		t.Errorf("the second run changed the host:\n%s", diffLines(prepared, again))
	}
	if out, err := runScript(t, dir, env, script, "--check"); err != nil || !strings.Contains(out, "is ready") {
		t.Errorf("--check after the runs: %v\n%s", err, out)
	}

	// What each owner got, from the listing.
	want := map[string]string{storage: "10000:10000 755", filepath.Join(storage, "docker", "registry", "v2", "old"): "10000:10000 644",
		filepath.Join(dir, "secrets", "registry-passwd"): "10000:10000 600", filepath.Join(dir, "secrets", "core.env"): "0:0 600",
		filepath.Join(dir, "secrets"): "0:0 700", filepath.Join(root, node.Redis.DataDir, "6379"): "999:999 750",
		filepath.Join(root, hp.Keepalived.Files[2].Dest): "0:0 600", filepath.Join(root, hp.Sysctls[0].ProcPath()): "0:0 644"}
	for _, d := range hp.Dirs {
		want[filepath.Join(root, d.Path)] = fmt.Sprintf("%s %s", d.Owner(), strings.TrimPrefix(d.Mode, "0"))
	}
	for path, w := range want {
		real, err := filepath.EvalSymlinks(path) // the storage link stands for the mount
		if err != nil {
			t.Fatal(err)
		}
		if got := ownerMode(t, real); got != w {
			t.Errorf("%s is %s, want %s", real, got, w)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(root, hp.Sysctls[0].ProcPath())); strings.TrimSpace(string(b)) != "1" {
		t.Errorf("%s live value %q, want 1", hp.Sysctls[0].Key, b)
	}

	// The registry's uid writes its storage: the push that failed with
	// "mkdir /storage/docker: permission denied" now has its directory.
	mkdir := exec.Command("mkdir", "-p", filepath.Join(root, node.Endpoints.Storage.Path, "docker", "registry", "v2", "repositories"))
	mkdir.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 10000, Gid: 10000}}
	if out, err := mkdir.CombinedOutput(); err != nil {
		t.Fatalf("uid 10000 cannot write the registry storage %s: %v\n%s", storage, err, out)
	}
	pushed := listing(t, root, dir)

	// secrets/ copied again by another user: --check says so, a run repairs
	// exactly that.
	copiedBy(t, filepath.Join(dir, "secrets"), 1234)
	if out, err := runScript(t, dir, env, script, "--check"); err == nil || !strings.Contains(out, "registry-passwd is owned by 1234:1234") {
		t.Errorf("--check after a new copy of secrets/: %v\n%s", err, out)
	}
	third, err := runScript(t, dir, env, script)
	if err != nil {
		t.Fatalf("run after a new copy of secrets/: %v\n%s", err, third)
	}
	for _, line := range strings.Split(strings.TrimSpace(third), "\n") {
		if isChange(line) && !strings.Contains(line, filepath.Join(dir, "secrets")) {
			t.Errorf("the run after a new copy of secrets/ changed more than secrets/: %s", line)
		}
	}
	secretsFixed := listing(t, root, dir)
	if !slices.Equal(pushed, secretsFixed) {
		t.Errorf("after the new copy, the host differs from before it:\n%s", diffLines(pushed, secretsFixed))
	}
	if t.Failed() {
		return
	}
	summary(t, "host-prep %s (%s): first run %d changes, second run none (%d paths identical), --check ok; %s owned by 10000 and writable by it; re-copied secrets/ repaired with %d changes",
		node.Name, filepath.Base(c.Spec), changeLines(first), len(prepared), node.Endpoints.Storage.Path, changeLines(third))
}

// tempDir makes a directory that every user may traverse, removed at cleanup.
func tempDir(t *testing.T, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeHostFile(t *testing.T, path, data string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
}

// copiedBy gives a directory and its files to uid:uid, readable by all, as
// an operator's copy would leave them.
func copiedBy(t *testing.T, dir string, uid int) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if d.IsDir() {
			mode = 0o755
		}
		if err := os.Chown(path, uid, uid); err != nil {
			return err
		}
		return os.Chmod(path, mode)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// listing is every path under the host root and the node's secrets/, with
// owner, mode and content hash, sorted.
func listing(t *testing.T, root, nodeDir string) []string {
	t.Helper()
	var out []string
	for _, top := range []string{root, filepath.Join(nodeDir, "secrets")} {
		err := filepath.WalkDir(top, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			line := path + " " + ownerMode(t, path)
			if d.Type()&fs.ModeSymlink != 0 {
				target, err := os.Readlink(path)
				out = append(out, line+" -> "+target)
				return err
			}
			if !d.IsDir() {
				b, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				line += fmt.Sprintf(" %x", sha256.Sum256(b))
			}
			out = append(out, line)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(out)
	return out
}

// ownerMode is "uid:gid mode", the mode in octal without leading zeros.
func ownerMode(t *testing.T, path string) string {
	t.Helper()
	var st syscall.Stat_t
	if err := syscall.Lstat(path, &st); err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	return fmt.Sprintf("%d:%d %o", st.Uid, st.Gid, st.Mode&0o7777)
}

// isChange reports whether a line of the script's output is a change.
func isChange(line string) bool {
	for _, verb := range []string{"created ", "chown ", "chmod ", "installed ", "set ", "enabled ", "started ", "reloaded "} {
		if strings.HasPrefix(line, "prepare-host: "+verb) {
			return true
		}
	}
	return false
}

func changeLines(out string) int {
	n := 0
	for _, line := range strings.Split(out, "\n") {
		if isChange(line) {
			n++
		}
	}
	return n
}

func diffLines(a, b []string) string {
	var out []string
	for _, l := range a {
		if !slices.Contains(b, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range b {
		if !slices.Contains(a, l) {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

// TestPrepareHostKeepalived runs an lb node's prepare-host.sh without a
// host root, in a private mount namespace where /etc is a copy, /run a
// tmpfs and ip_nonlocal_bind a file, with apt-get, keepalived, systemctl
// and pidof stubbed: keepalived is installed when missing, its rendered
// files land in /etc/keepalived, it is enabled and started once, a second
// run does nothing, and a changed keepalived.conf is checked and reloaded
// (systemd, or SIGHUP to the running keepalived without it).
func TestPrepareHostKeepalived(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("the keepalived host-preparation test mounts in a private namespace: run the suite as root")
	}
	need(t, "unshare", "mount", "cp", "sleep")
	c := rendered(t, "testdata/ha-modern.toml")
	var node *plan.Node
	for _, n := range c.Nodes(func(n *plan.Node) bool { return n.Host != nil && n.Host.Keepalived != nil }) {
		if len(n.Host.Dirs) == 0 { // nothing written outside /etc
			node = n
			break
		}
	}
	if node == nil {
		t.Fatal("testdata/ha-modern.toml has no lb-only node with keepalived")
	}
	realNonlocal, err := os.ReadFile("/proc/sys/net/ipv4/ip_nonlocal_bind")
	if err != nil {
		t.Fatal(err)
	}
	for _, systemd := range []bool{true, false} {
		t.Run(fmt.Sprintf("systemd=%t", systemd), func(t *testing.T) {
			prepareKeepalived(t, c, node, systemd)
		})
	}
	if after, _ := os.ReadFile("/proc/sys/net/ipv4/ip_nonlocal_bind"); string(after) != string(realNonlocal) {
		t.Errorf("the host's ip_nonlocal_bind changed: %q, was %q", after, realNonlocal)
	}
	if !t.Failed() {
		summary(t, "host-prep keepalived %s: with and without systemd, installed from the package, enabled and started once, a second run changes nothing, a changed keepalived.conf is checked (keepalived -t) and reloaded", node.Name)
	}
}

func prepareKeepalived(t *testing.T, c *Cluster, node *plan.Node, systemd bool) {
	top := tempDir(t, "hostprep-keepalived-")
	dir, state, stubs := filepath.Join(top, "node"), filepath.Join(top, "state"), filepath.Join(top, "bin")
	for _, cmd := range [][]string{{"cp", "-a", c.Node(node.Name), dir}, {"cp", "-a", "/etc", filepath.Join(top, "etc")}} {
		if out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", cmd, err, out)
		}
	}
	writeHostFile(t, filepath.Join(top, "nonlocal"), "0\n", 0o644)
	for _, f := range node.Host.Required {
		writeHostFile(t, filepath.Join(top, f.Path), "pem\n", 0o600)
	}
	// The stubs log every call; apt-get "installs" keepalived.
	stub := map[string]string{
		"apt-get": `install -m 0755 STATE/keepalived.pkg BIN/keepalived`,
		"systemctl": `case "$1" in is-enabled) [ -f STATE/enabled ] ;; enable) touch STATE/enabled ;;
is-active) [ -f STATE/active ] ;; start) touch STATE/active ;; esac`,
		"pidof": `[ -f STATE/active ] && cat STATE/pid`,
	}
	for name, body := range stub {
		writeStub(t, filepath.Join(stubs, name), name, body, state, stubs)
	}
	writeStub(t, filepath.Join(state, "keepalived.pkg"), "keepalived", `[ "$1" != -f ] || touch STATE/active`, state, stubs)
	var sleeper *Proc // keepalived's stand-in without systemd: SIGHUP ends it
	if !systemd {
		sleeper = start(t, "keepalived-stand-in", exec.Command("sleep", "600"))
		writeHostFile(t, filepath.Join(state, "pid"), fmt.Sprint(sleeper.Cmd.Process.Pid), 0o644)
	}
	wrapper := `set -eu
mount --bind "$TOP/etc" /etc
mount --bind "$TOP/nonlocal" /proc/sys/net/ipv4/ip_nonlocal_bind
mount -t tmpfs tmpfs /run
if [ "$SYSTEMD" = true ]; then mkdir -p /run/systemd/system; fi
cd "$NODE"
PATH="$STUBS:/usr/bin:/bin" exec bash ./prepare-host.sh "$@"`
	run := func(args ...string) (string, string, error) {
		before, _ := os.ReadFile(filepath.Join(state, "log"))
		cmd := exec.Command("unshare", append([]string{"--mount", "--propagation", "private", "bash", "-c", wrapper, "wrapper"}, args...)...)
		cmd.Env = append(os.Environ(), "TOP="+top, "NODE="+dir, "STUBS="+stubs, fmt.Sprintf("SYSTEMD=%t", systemd))
		out, err := cmd.CombinedOutput()
		after, _ := os.ReadFile(filepath.Join(state, "log"))
		return string(out), strings.TrimPrefix(string(after), string(before)), err
	}

	out, calls, err := run()
	t.Logf("first run:\n%s\ncalls:\n%s", out, calls)
	if err != nil {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	wants := []string{"installed the keepalived package (apt-get)", "installed /etc/keepalived/keepalived.conf",
		"installed /etc/keepalived/keepalived-auth.conf", "set net.ipv4.ip_nonlocal_bind = 1"}
	if systemd {
		wants = append(wants, "enabled keepalived", "started keepalived")
	} else {
		wants = append(wants, "started keepalived (no systemd here)")
	}
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("first run does not say %q:\n%s", w, out)
		}
	}
	for _, w := range []string{"apt-get install -y keepalived", "keepalived -t -f /etc/keepalived/keepalived.conf"} {
		if !strings.Contains(calls, w) {
			t.Errorf("first run did not call %q:\n%s", w, calls)
		}
	}
	for _, f := range node.Host.Keepalived.Files {
		src, _ := os.ReadFile(filepath.Join(dir, f.Source))
		got, err := os.ReadFile(filepath.Join(top, f.Dest))
		if err != nil || string(got) != string(src) {
			t.Errorf("%s is not %s: %v", f.Dest, f.Source, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(top, "nonlocal")); strings.TrimSpace(string(b)) != "1" {
		t.Errorf("ip_nonlocal_bind in the namespace is %q", b)
	}

	out, calls, err = run()
	if err != nil || !strings.Contains(out, "nothing to change") {
		t.Errorf("second run: %v\n%s", err, out)
	}
	for _, never := range []string{"apt-get", "keepalived ", "systemctl enable", "systemctl start", "systemctl reload"} {
		if strings.Contains(calls, never) {
			t.Errorf("second run called %q:\n%s", never, calls)
		}
	}

	conf := filepath.Join(dir, "lb", "keepalived.conf")
	f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "# a re-rendered configuration")
	f.Close()
	out, calls, err = run()
	if err != nil || !strings.Contains(out, "reloaded keepalived (its files changed)") || !strings.Contains(calls, "keepalived -t -f") {
		t.Errorf("run after a changed keepalived.conf: %v\n%s\ncalls:\n%s", err, out, calls)
	}
	if systemd && !strings.Contains(calls, "systemctl reload keepalived") {
		t.Errorf("no systemctl reload:\n%s", calls)
	}
	if out, _, err := run("--check"); err != nil || !strings.Contains(out, "is ready") {
		t.Errorf("--check: %v\n%s", err, out)
	}
	if sleeper != nil {
		waitFor(t, "the SIGHUP to the running keepalived", 5*time.Second, func() error {
			if exited, _ := sleeper.Exited(); !exited {
				return fmt.Errorf("pid %d still runs", sleeper.Cmd.Process.Pid)
			}
			return nil
		})
	}
}

// writeStub writes an executable that logs its call, then runs body, with
// STATE and BIN replaced by their directories.
func writeStub(t *testing.T, path, name, body, state, bin string) {
	t.Helper()
	body = strings.NewReplacer("STATE", state, "BIN", bin).Replace(body)
	script := fmt.Sprintf("#!/bin/bash\necho \"%s $*\" >>%s/log\n%s\n", name, state, body)
	writeHostFile(t, path, script, 0o755)
}
