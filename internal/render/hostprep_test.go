package render_test

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/tree"
)

// hostPrepVariants are specs whose prepare-host.sh differ: every example,
// and the variants of host preparation they lack.
var hostPrepVariants = []struct {
	name, example string
	change        func(*spec.Spec)
}{
	{"ha-galera-ceph", "ha-galera-ceph", nil},
	{"ha-modern", "ha-modern", nil},
	{"shared-fs", "shared-fs", nil},
	{"two-site-dr", "two-site-dr", nil},
	{"ha-modern-patroni", "ha-modern-patroni", nil},
	{"tls node and trivy", "shared-fs", func(s *spec.Spec) { s.TLS.Mode = "node"; s.Harbor.WithTrivy = true }},
	{"IPv6 VIP", "ha-modern", func(s *spec.Spec) { s.LB.VIP = "fd00::100" }},
	{"haproxy with redis", "ha-galera-ceph", func(s *spec.Spec) { s.LB.ProxyRedis = true }},
	{"tls none", "ha-modern", func(s *spec.Spec) { s.TLS.Mode = "none" }},
}

// TestPrepareHostScripts renders every variant: each node has an
// executable prepare-host.sh that passes shellcheck, and the runbook starts
// with it on every node and leaves no host step to do by hand.
func TestPrepareHostScripts(t *testing.T) {
	bin, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatal("shellcheck is not installed: apt-get install shellcheck (.ci/run does)")
	}
	manual := regexp.MustCompile(`(?i)\bsudo\b|\bchown\b|\bchmod\b|sysctl -w|\bset .?net\.ipv|mkdir -p`)
	var scripts []string
	base := t.TempDir() // the subtests' trees stay until shellcheck ran
	for i, v := range hostPrepVariants {
		t.Run(v.name, func(t *testing.T) {
			s, _ := loadPlan(t, v.example)
			if v.change != nil {
				v.change(s)
			}
			p, tr, _ := renderSpec(t, s)
			out := filepath.Join(base, strconv.Itoa(i))
			if _, err := tree.Write(out, tr); err != nil {
				t.Fatal(err)
			}
			got := treeFiles(tr)
			for i, n := range p.Nodes {
				f, ok := got["nodes/"+n.Name+"/prepare-host.sh"]
				if !ok || f.Mode != tree.ModeScript {
					t.Fatalf("node %s: no executable prepare-host.sh", n.Name)
				}
				scripts = append(scripts, filepath.Join(out, f.Path))
				if st := p.Steps[i]; st.Node != n.Name || st.Command != plan.PrepareHostScript {
					t.Errorf("step %d is %+v, want prepare-host.sh on %s", i+1, st, n.Name)
				}
				if k := n.Host.Keepalived; k != nil {
					keepalivedPaths(t, string(got["nodes/"+n.Name+"/lb/keepalived.conf"].Data), k)
				}
			}
			runbook := string(got["README.md"].Data)
			if m := manual.FindString(runbook); m != "" {
				t.Errorf("the runbook asks for a manual host step (%q)", m)
			}
			if !strings.Contains(runbook, "./prepare-host.sh --check") {
				t.Error("the runbook does not check the host preparation")
			}
		})
	}
	if b, err := exec.Command(bin, append([]string{"-x"}, scripts...)...).CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, b)
	}
}

// keepalivedPaths: the host's keepalived reads the rendered configuration
// where the package reads it, and that configuration names the check script
// and the authentication include where prepare-host.sh installs them.
func keepalivedPaths(t *testing.T, conf string, k *plan.HostKeepalived) {
	t.Helper()
	dest := map[string]string{}
	for _, f := range k.Files {
		dest[f.Source] = f.Dest
	}
	if dest["lb/keepalived.conf"] != "/etc/keepalived/keepalived.conf" {
		t.Errorf("keepalived.conf installed as %q, not where the package reads it", dest["lb/keepalived.conf"])
	}
	for _, want := range []string{`script "/bin/bash ` + dest["lb/check-balancer.sh"] + `"`, "include " + dest["secrets/keepalived-auth.conf"] + "\n"} {
		if !strings.Contains(conf, want) {
			t.Errorf("keepalived.conf does not name the installed file: %q", want)
		}
	}
}
