package render_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/tree"
)

// TestAnsibleLint: Debian's ansible-playbook --syntax-check and ansible-lint
// (production profile) pass on the rendered inventory and playbook of every
// example.
func TestAnsibleLint(t *testing.T) {
	for _, bin := range []string{"ansible-playbook", "ansible-lint"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is missing: apt-get install ansible-core ansible-lint (.ci/deps)", bin)
		}
	}
	for _, ex := range examples {
		t.Run(ex, func(t *testing.T) {
			s, _ := loadPlan(t, ex)
			_, tr, _ := renderSpec(t, s)
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			if _, err := tree.Write(out, tr); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("ansible-playbook", "-i", "ansible/inventory.yml", "ansible/site.yml", "--syntax-check")
			cmd.Dir = out
			cmd.Env = ansibleEnv(dir)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("syntax-check: %v\n%s", err, b)
			}
			cmd = exec.Command("ansible-lint", "--offline", "--profile", "production", "site.yml", "inventory.yml")
			cmd.Dir = filepath.Join(out, "ansible")
			cmd.Env = ansibleEnv(dir)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("ansible-lint: %v\n%s", err, b)
			}
		})
	}
}

// ansibleEnv keeps Ansible's state in dir and its output plain.
func ansibleEnv(dir string) []string {
	return append(os.Environ(), "ANSIBLE_HOME="+filepath.Join(dir, ".ansible"),
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, ".ansible", "tmp"),
		"ANSIBLE_REMOTE_TEMP="+filepath.Join(dir, ".ansible", "remote"),
		"ANSIBLE_NOCOLOR=1", "ANSIBLE_FORCE_COLOR=0", "ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3",
		"ANSIBLE_RETRY_FILES_ENABLED=0", "ANSIBLE_PIPELINING=1", "ANSIBLE_LOCALHOST_WARNING=0")
}

// standIn records "<node> run <program> <args>" in $HARBORGEN_TEST_LOG (the
// node is the directory the playbook runs it in). Its first run of a command
// in a directory says it changed something; later runs say what each
// script says when it has nothing to do.
const standIn = `#!/bin/bash
node=$(basename "$PWD")
prog=$(basename "$0")
echo "$node run $prog $*" >> "$HARBORGEN_TEST_LOG"
state="$PWD/.standin-$(echo "$prog $*" | md5sum | cut -c1-12)"
if [ -e "$state" ]; then
	echo "nothing to change; already up; already Synced; nothing loaded; nothing to do"
	[ "$prog" = docker ] && echo " Container x  Running" >&2
else
	: > "$state"
	echo "created (stand-in)"
	[ "$prog" = docker ] && echo " Container x  Started" >&2
fi
exit 0
`

// checkStandIn records "<node> check <program> <args>" and succeeds.
const checkStandIn = `#!/bin/bash
echo "$(basename "$PWD") check $(basename "$0") $*" >> "$HARBORGEN_TEST_LOG"
exit 0
`

// TestAnsiblePlaybookRuns runs the rendered site.yml with Debian's
// ansible-playbook against the example's hosts emulated on this machine:
// each host is a local connection with its own harborgen_dir, docker and
// every step's script are stand-ins that record each call, curl and
// redis-cli (the checks) succeed and record theirs.
func TestAnsiblePlaybookRuns(t *testing.T) {
	if _, err := exec.LookPath("ansible-playbook"); err != nil {
		t.Fatal("ansible-playbook is missing: apt-get install ansible-core (.ci/deps)")
	}
	for _, ex := range examples {
		t.Run(ex, func(t *testing.T) {
			t.Parallel()
			ansibleRun(t, ex)
		})
	}
}

func ansibleRun(t *testing.T, ex string) {
	s, _ := loadPlan(t, ex)
	p, tr, _ := renderSpec(t, s)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	// Every step's script is the stand-in, in the tree the controller holds.
	scripts := map[string]bool{}
	for _, st := range p.Steps {
		if prog, ok := stepScript(st.Command); ok {
			scripts[filepath.Join("nodes", st.Node, prog)] = true
		}
	}
	// The balancers' drain and ready (lb/haproxy-pool.sh) record theirs.
	for _, f := range tr.Files() {
		if strings.HasSuffix(f.Path, "/lb/haproxy-pool.sh") {
			scripts[f.Path] = true
		}
	}
	var patched tree.Tree
	for _, f := range tr.Files() {
		if scripts[f.Path] {
			f.Data = []byte(standIn)
			f.Mode = tree.ModeScript
			delete(scripts, f.Path)
		}
		if err := patched.Add(f); err != nil {
			t.Fatal(err)
		}
	}
	if len(scripts) > 0 {
		t.Fatalf("step scripts not in the tree: %v", scripts)
	}
	if _, err := tree.Write(out, &patched); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	hosts := filepath.Join(dir, "hosts")
	for name, text := range map[string]string{"docker": standIn, "curl": checkStandIn, "redis-cli": checkStandIn} {
		writeExec(t, filepath.Join(bin, name), text)
	}
	var inv strings.Builder
	inv.WriteString("all:\n  vars:\n    harborgen_check_retries: 1\n    harborgen_check_delay: 0\n  hosts:\n")
	for _, n := range p.Nodes {
		fmt.Fprintf(&inv, "    %s:\n      ansible_connection: local\n      harborgen_dir: %q\n", n.Name, filepath.Join(hosts, n.Name))
	}
	if err := os.WriteFile(filepath.Join(dir, "loopback.yml"), []byte(inv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(dir, "calls.log")
	run := func(args ...string) (map[string]recap, string) {
		t.Helper()
		cmd := exec.Command("ansible-playbook", append([]string{"-i", "out/ansible/inventory.yml", "-i", "loopback.yml",
			"out/ansible/site.yml", "-e", "harborgen_secrets=" + out}, args...)...)
		cmd.Dir = dir
		cmd.Env = append(ansibleEnv(dir), "PATH="+bin+":"+os.Getenv("PATH"), "HARBORGEN_TEST_LOG="+logFile)
		start := time.Now()
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("ansible-playbook %v: %v\n%s", args, err, b)
		}
		t.Logf("ansible-playbook %v: %.0fs", args, time.Since(start).Seconds())
		return parseRecap(t, b), string(b)
	}

	// --check on a new host (the node with secrets and the fewest files):
	// it reports what it would do, and neither fails on the directories it
	// would make nor creates anything.
	fresh, count := "", 0
	for _, n := range p.Nodes {
		c, secret := 0, false
		for _, f := range patched.Files() {
			if strings.HasPrefix(f.Path, "nodes/"+n.Name+"/") {
				c++
				secret = secret || f.Secret
			}
		}
		if secret && (fresh == "" || c < count) {
			fresh, count = n.Name, c
		}
	}
	if fresh == "" {
		t.Fatal("no node has secrets")
	}
	if r, _ := run("--check", "--limit", fresh); r[fresh].changed == 0 {
		t.Errorf("--check on the new host %s reports no change", fresh)
	}
	if _, err := os.Stat(filepath.Join(hosts, fresh)); !os.IsNotExist(err) {
		t.Errorf("--check on the new host %s made its directory: %v", fresh, err)
	}
	if _, err := os.Stat(logFile); !os.IsNotExist(err) {
		t.Errorf("--check on the new host %s ran a command: %v", fresh, err)
	}

	// First run: every node's files and secrets land with their modes, the
	// steps run in the runbook's order.
	first, firstOut := run()
	// A first deployment sends each node's files as one archive.
	if !taskChanged(firstOut, "Unpack the node's stale files on the host") {
		t.Errorf("first run: no node's files went over as an archive")
	}
	for _, n := range p.Nodes {
		if first[n.Name].changed == 0 {
			t.Errorf("first run: %s changed nothing", n.Name)
		}
	}
	for _, f := range patched.Files() {
		rest, ok := strings.CutPrefix(f.Path, "nodes/")
		if !ok {
			continue
		}
		node, rel, _ := strings.Cut(rest, "/")
		want := tree.ModeConfig
		switch {
		case f.Secret:
			want = tree.ModeSecret
		case f.Mode != 0:
			want = f.Mode
		}
		got := filepath.Join(hosts, node, rel)
		fi, err := os.Stat(got)
		if err != nil {
			t.Errorf("%s: not on the host: %v", f.Path, err)
			continue
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v on the host, want %v", f.Path, fi.Mode().Perm(), want)
		}
		if b, _ := os.ReadFile(got); !bytes.Equal(b, f.Data) {
			t.Errorf("%s: content differs on the host", f.Path)
		}
	}
	withSecrets := map[string]bool{}
	for _, f := range patched.Files() {
		if f.Secret {
			withSecrets[strings.Split(f.Path, "/")[1]] = true
		}
	}
	if len(withSecrets) == 0 {
		t.Fatal("no node has secrets")
	}
	for n := range withSecrets {
		if fi, err := os.Stat(filepath.Join(hosts, n, "secrets")); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: secrets/ is %v, %v; want a directory of mode 0700", n, fi, err)
		}
	}
	calls := readLines(t, logFile)
	checkOrder(t, p.Steps, calls)
	checkDrain(t, p, calls)

	// Second run: nothing changes.
	second, _ := run()
	for host, r := range second {
		if r.changed != 0 {
			t.Errorf("second run: %s changed=%d, want 0", host, r.changed)
		}
	}

	// --check --diff with a file and a secret missing on one host:
	// reported, with the file's diff and never the secret's, not changed.
	var harbors []string
	for _, n := range p.Nodes {
		if n.Harbor != nil {
			harbors = append(harbors, n.Name)
		}
	}
	h1, h2 := harbors[0], harbors[1]
	gone1 := filepath.Join(hosts, h1, "prepare-host.sh")
	gone2 := filepath.Join(hosts, h2, "prepare-host.sh")
	var secret tree.File
	for _, f := range patched.Files() {
		if f.Secret && strings.HasPrefix(f.Path, "nodes/"+h1+"/secrets/") && len(f.Data) >= 16 {
			secret = f
			break
		}
	}
	if secret.Path == "" {
		t.Fatalf("%s has no secret of 16 bytes or more", h1)
	}
	goneSecret := filepath.Join(hosts, strings.TrimPrefix(secret.Path, "nodes/"))
	for _, g := range []string{gone1, gone2, goneSecret} {
		if err := os.Remove(g); err != nil {
			t.Fatal(err)
		}
	}
	before, beforeCalls := snapshot(t, hosts), len(readLines(t, logFile))
	check, checkOut := run("--check", "--diff")
	if check[h1].changed == 0 {
		t.Errorf("--check: %s reports no change although a file is missing", h1)
	}
	// copy's diff names the file on the controller.
	if !strings.Contains(checkOut, "+++ after: "+filepath.Join(out, "nodes", h1, "prepare-host.sh")+"\n") {
		t.Errorf("--check --diff: no diff of %s:\n%s", gone1, checkOut)
	}
	if !taskChanged(checkOut, "Copy the node's stale secrets (files 0600)") {
		t.Errorf("--check: the missing %s is not reported", secret.Path)
	}
	for _, line := range strings.Split(string(secret.Data), "\n") {
		// Comments and PEM armour are not secret.
		if len(line) >= 8 && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "-----") && strings.Contains(checkOut, line) {
			t.Errorf("--check --diff printed a line of %s", secret.Path)
		}
	}
	if after := snapshot(t, hosts); after != before {
		t.Errorf("--check changed the hosts")
	}
	if n := len(readLines(t, logFile)); n != beforeCalls {
		t.Errorf("--check ran %d commands", n-beforeCalls)
	}

	// --limit one host: only that host is touched.
	limited, limitedOut := run("--limit", h2)
	// A re-render's few files are copied one by one (with their diff).
	if !taskChanged(limitedOut, "Copy the node's stale committed files") {
		t.Errorf("--limit %s: prepare-host.sh was not copied by itself", h2)
	}
	if _, err := os.Stat(gone1); err == nil {
		t.Errorf("--limit %s restored a file of %s", h2, h1)
	}
	if _, err := os.Stat(gone2); err != nil {
		t.Errorf("--limit %s did not restore its file: %v", h2, err)
	}
	for host := range limited {
		if host != h2 {
			t.Errorf("--limit %s: the recap names %s", h2, host)
		}
	}
	// Its balancers take it out of their pools and back (its files changed).
	for _, c := range readLines(t, logFile)[beforeCalls:] {
		f := strings.Fields(c)
		pool := len(f) == 5 && f[2] == "haproxy-pool.sh" && f[4] == h2
		if !strings.HasPrefix(c, h2+" ") && !pool {
			t.Errorf("--limit %s ran on another host: %s", h2, c)
		}
	}
}

// checkDrain: each harbor node that an HAProxy balancer holds leaves that
// balancer's pools before its restart and comes back after its check, and
// the next node restarts only then (serial).
func checkDrain(t *testing.T, p *plan.Plan, calls []string) {
	t.Helper()
	drained := 0
	for _, n := range p.Nodes {
		if n.LB == nil || n.LB.Kind != "haproxy" {
			continue
		}
		for _, h := range n.LB.Harbor {
			// at: the first call from index from on that starts with call.
			at := func(from int, call string) int {
				for i := from; i >= 0 && i < len(calls); i++ {
					if strings.HasPrefix(calls[i]+"\n", call) {
						return i
					}
				}
				t.Errorf("no call %q after call %d; calls:\n%s", call, from, strings.Join(calls, "\n"))
				return -1
			}
			drain := at(0, n.Name+" run haproxy-pool.sh drain "+h.Name+"\n")
			up := at(drain, h.Name+" run docker compose up -d\n")
			check := at(up, h.Name+" check ")
			ready := at(check, n.Name+" run haproxy-pool.sh ready "+h.Name+"\n")
			if drain < 0 || up < 0 || check < 0 || ready < 0 {
				continue
			}
			for _, c := range calls[drain+1 : ready] {
				if strings.Contains(c, " run docker compose up -d") && !strings.HasPrefix(c, h.Name+" ") {
					t.Errorf("%s restarted while %s was out of %s's pools: %s", strings.Fields(c)[0], h.Name, n.Name, c)
				}
			}
			drained++
		}
	}
	if drained > 0 {
		t.Logf("%d drains of a harbor node from an HAProxy pool, each around its restart", drained)
	}
}

// stepScript is the script a step's command runs, if any.
func stepScript(command string) (string, bool) {
	f := strings.Fields(command)
	switch {
	case strings.HasPrefix(f[0], "./"):
		return f[0][2:], true
	case f[0] == "bash" && len(f) > 1:
		return f[1], true
	}
	return "", false
}

// checkOrder: the plan's steps are, in order, a subsequence of the calls the
// stand-ins recorded. Host preparation on every node is one play that is not
// serial (it runs on Ansible's forks): its calls may come in any order, all
// after the steps before them and before the steps after them.
func checkOrder(t *testing.T, steps []plan.Step, calls []string) {
	t.Helper()
	i := 0
	for first := 0; first < len(steps); {
		last := first + 1
		for last < len(steps) && steps[first].Command == "./prepare-host.sh" && steps[last].Command == steps[first].Command {
			last++
		}
		want := map[string]bool{}
		for _, st := range steps[first:last] {
			prog := strings.TrimPrefix(strings.TrimPrefix(st.Command, "./"), "bash ")
			want[st.Node+" run "+prog] = true
		}
		for len(want) > 0 {
			for i < len(calls) && !want[strings.TrimSpace(calls[i])] {
				i++
			}
			if i == len(calls) {
				t.Fatalf("steps %d-%d (%q): %v not run, or not in the runbook's order; calls:\n%s",
					first+1, last, steps[first].Command, want, strings.Join(calls, "\n"))
			}
			delete(want, strings.TrimSpace(calls[i]))
			i++
		}
		first = last
	}
}

// taskChanged: the task named name reported a change on some host.
func taskChanged(out, name string) bool {
	_, rest, ok := strings.Cut(out, "TASK ["+name+"]")
	if !ok {
		return false
	}
	rest, _, _ = strings.Cut(rest, "\nTASK [")
	rest, _, _ = strings.Cut(rest, "\nPLAY ")
	return strings.Contains(rest, "\nchanged: [")
}

type recap struct{ changed int }

var recapLine = regexp.MustCompile(`(?m)^(\S+)\s+:\s+ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)`)

// parseRecap reads PLAY RECAP; a failed or unreachable host fails the test.
func parseRecap(t *testing.T, out []byte) map[string]recap {
	t.Helper()
	m := map[string]recap{}
	for _, r := range recapLine.FindAllSubmatch(out, -1) {
		if string(r[3]) != "0" || string(r[4]) != "0" {
			t.Fatalf("host %s failed or unreachable:\n%s", r[1], out)
		}
		c, _ := strconv.Atoi(string(r[2]))
		m[string(r[1])] = recap{changed: c}
	}
	if len(m) == 0 {
		t.Fatalf("no PLAY RECAP:\n%s", out)
	}
	return m
}

func readLines(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// snapshot is every path under dir with its mode and content.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %v\n", p, fi.Mode())
		if !d.IsDir() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b.Write(data)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func writeExec(t *testing.T, file, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
}

var listedPlay = regexp.MustCompile(`^\s+play #\d+ \(([^)]*)\): (.*)\tTAGS: \[([^\]]*)\]$`)

// listedPlays parses ansible-playbook --list-tasks: each play's name, its
// tags, and how many tasks it lists.
func listedPlays(t *testing.T, out string) []listedPlayTasks {
	t.Helper()
	var plays []listedPlayTasks
	for _, line := range strings.Split(out, "\n") {
		if m := listedPlay.FindStringSubmatch(line); m != nil {
			tags := strings.Split(m[3], ",")
			slices.Sort(tags) // Ansible lists a set
			plays = append(plays, listedPlayTasks{name: m[2], tags: tags})
			continue
		}
		if len(plays) > 0 && strings.HasPrefix(line, "      ") && strings.Contains(line, "\tTAGS: ") {
			plays[len(plays)-1].tasks++
		}
	}
	if len(plays) == 0 {
		t.Fatalf("no play listed:\n%s", out)
	}
	return plays
}

type listedPlayTasks struct {
	name  string
	tags  []string
	tasks int
}

// TestAnsibleTags: every play carries its tier's tag (the sync play host
// and files, each step one of host, ceph, galera, redis, harbor, lb), and
// Ansible's --tags harbor selects the tasks of the harbor plays and no
// other, in every example.
func TestAnsibleTags(t *testing.T) {
	tiers := []string{"host", "files", "ceph", "galera", "redis", "patroni", "harbor", "lb"}
	for _, ex := range examples {
		t.Run(ex, func(t *testing.T) {
			t.Parallel()
			s, _ := loadPlan(t, ex)
			_, tr, _ := renderSpec(t, s)
			dir := t.TempDir()
			out := filepath.Join(dir, "out")
			if _, err := tree.Write(out, tr); err != nil {
				t.Fatal(err)
			}
			list := func(args ...string) []listedPlayTasks {
				t.Helper()
				cmd := exec.Command("ansible-playbook", append([]string{"-i", "ansible/inventory.yml", "ansible/site.yml", "--list-tasks"}, args...)...)
				cmd.Dir = out
				cmd.Env = ansibleEnv(dir)
				b, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("--list-tasks %v: %v\n%s", args, err, b)
				}
				return listedPlays(t, string(b))
			}
			all := list()
			if got := all[0].tags; !slices.Equal(got, []string{"files", "host"}) {
				t.Errorf("%s: tags %v, want [files host]", all[0].name, got)
			}
			used := map[string]bool{}
			for _, pl := range all[1:] {
				if len(pl.tags) != 1 || !slices.Contains(tiers, pl.tags[0]) || pl.tags[0] == "files" {
					t.Errorf("%s: tags %v, want one of %v but files", pl.name, pl.tags, tiers)
				}
				used[pl.tags[0]] = true
			}
			// Ansible's filter by one tier (each listing costs seconds).
			if !used["harbor"] {
				t.Fatal("no play tagged harbor")
			}
			for _, tier := range []string{"harbor"} {
				for i, pl := range list("--tags", tier) {
					if tagged := slices.Contains(all[i].tags, tier); tagged != (pl.tasks > 0) || tagged && pl.tasks != all[i].tasks {
						t.Errorf("--tags %s: %s (tags %v) lists %d of its %d tasks", tier, pl.name, all[i].tags, pl.tasks, all[i].tasks)
					}
				}
			}
		})
	}
}
