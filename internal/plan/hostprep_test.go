package plan_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/validate"
)

// examplePlan builds the plan of an example after change.
func examplePlan(t *testing.T, example string, change func(*spec.Spec)) *plan.Plan {
	t.Helper()
	file := "../../examples/" + example + "/harborgen.toml"
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s, d := spec.Parse(file, data, spec.TOML)
	if change != nil {
		change(s)
	}
	validate.Validate(s, d, validate.Options{})
	if d.HasErrors(false) {
		t.Fatalf("%s is invalid: %v", file, d.Items())
	}
	p, err := plan.Build(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func nodeNamed(t *testing.T, p *plan.Plan, name string) *plan.Node {
	t.Helper()
	for i := range p.Nodes {
		if p.Nodes[i].Name == name {
			return &p.Nodes[i]
		}
	}
	t.Fatalf("no node %s", name)
	return nil
}

// TestHostPrep checks what prepare-host.sh sets up per node: every
// directory a container writes, with its writer's owner; the secret files
// Harbor reads as uid 10000; the sysctls; the TLS files; keepalived.
func TestHostPrep(t *testing.T) {
	for _, tc := range []struct {
		name, example, node string
		change              func(*spec.Spec)
		dirs                []string // "path uid:gid mode"
		secrets             []string // "name uid:gid"
		sysctls             []string
		required            []string // "path owner"
		keepalived          bool
	}{
		{name: "harbor 2 filesystem storage", example: "shared-fs", node: "harbor01",
			dirs: []string{"/mnt/cephfs/harbor/registry 10000:10000 0755", "/data/harbor/ca_download 10000:10000 0755",
				"/data/harbor/job_logs 10000:10000 0755", "/var/log/harbor 10000:10000 0755"},
			secrets: []string{"secretkey 10000:10000", "private_key.pem 10000:10000", "registry-passwd 10000:10000"}},
		{name: "harbor 2 trivy and tls node", example: "shared-fs", node: "harbor02",
			change: func(s *spec.Spec) { s.Harbor.WithTrivy = true; s.TLS.Mode = "node" },
			dirs: []string{"/mnt/cephfs/harbor/registry 10000:10000 0755", "/data/harbor/ca_download 10000:10000 0755",
				"/data/harbor/job_logs 10000:10000 0755", "/data/harbor/trivy-adapter/trivy 10000:10000 0755",
				"/data/harbor/trivy-adapter/reports 10000:10000 0755", "/var/log/harbor 10000:10000 0755"},
			secrets:  []string{"secretkey 10000:10000", "private_key.pem 10000:10000", "registry-passwd 10000:10000"},
			required: []string{"/etc/harbor/tls/registry.crt 10000:10000", "/etc/harbor/tls/registry.key 10000:10000"}},
		{name: "lb without a VIP", example: "shared-fs", node: "lb01",
			required: []string{"/etc/harbor/tls/registry.crt ", "/etc/harbor/tls/registry.key "}},
		{name: "harbor 2 object storage, redis and sentinel", example: "ha-modern", node: "harbor01",
			dirs: []string{"/data/harbor/ca_download 10000:10000 0755", "/data/harbor/job_logs 10000:10000 0755",
				"/data/harbor/trivy-adapter/trivy 10000:10000 0755", "/data/harbor/trivy-adapter/reports 10000:10000 0755",
				"/var/log/harbor 10000:10000 0755", "/data/redis/6379 999:999 0750", "/data/redis/sentinel 999:999 0750"},
			secrets: []string{"secretkey 10000:10000", "private_key.pem 10000:10000", "registry-passwd 10000:10000"}},
		{name: "lb pair with a VIP", example: "ha-modern", node: "lb02",
			sysctls:    []string{"net.ipv4.ip_nonlocal_bind=1"},
			required:   []string{"/etc/harbor/tls/registry.crt ", "/etc/harbor/tls/registry.key "},
			keepalived: true},
		{name: "lb pair with an IPv6 VIP", example: "ha-modern", node: "lb01",
			change:     func(s *spec.Spec) { s.LB.VIP = "fd00::100" },
			sysctls:    []string{"net.ipv6.ip_nonlocal_bind=1"},
			required:   []string{"/etc/harbor/tls/registry.crt ", "/etc/harbor/tls/registry.key "},
			keepalived: true},
		{name: "harbor 1.5 with galera", example: "ha-galera-ceph", node: "registry02",
			dirs: []string{"/data/harbor/config 10000:10000 0755", "/data/harbor/ca_download 10000:10000 0755",
				"/data/harbor/psc 10000:10000 0755", "/data/harbor/job_logs 10000:10000 0755", "/var/log/harbor 10000:10000 0755",
				"/data/galera 999:999 0750"},
			secrets: []string{"secretkey 10000:10000", "private_key.pem 10000:10000", "root.crt 10000:10000"}},
		{name: "ceph-admin", example: "ha-galera-ceph", node: "ceph-rgw01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hp := nodeNamed(t, examplePlan(t, tc.example, tc.change), tc.node).Host
			if hp == nil {
				t.Fatal("no host preparation")
			}
			var dirs, secrets, sysctls, required []string
			for _, d := range hp.Dirs {
				dirs = append(dirs, d.Path+" "+d.Owner()+" "+d.Mode)
				if d.Why == "" {
					t.Errorf("%s has no reason", d.Path)
				}
			}
			for _, f := range hp.Secrets {
				secrets = append(secrets, f.Name+" "+f.Owner())
			}
			for _, s := range hp.Sysctls {
				sysctls = append(sysctls, s.Key+"="+s.Value)
			}
			for _, f := range hp.Required {
				required = append(required, f.Path+" "+f.Owner)
			}
			for what, got := range map[string][2][]string{"dirs": {dirs, tc.dirs}, "secrets": {secrets, tc.secrets},
				"sysctls": {sysctls, tc.sysctls}, "required": {required, tc.required}} {
				if !slices.Equal(got[0], got[1]) {
					t.Errorf("%s:\n got %q\nwant %q", what, got[0], got[1])
				}
			}
			if (hp.Keepalived != nil) != tc.keepalived {
				t.Errorf("keepalived %v, want %v", hp.Keepalived != nil, tc.keepalived)
			}
			if len(hp.Sysctls) > 0 && hp.SysctlFile == "" {
				t.Error("sysctls without a sysctl.d file")
			}
		})
	}
}

// TestHostPrepIsEveryNodesFirstStep: the runbook starts with one
// prepare-host.sh step per node, and keepalived is no container.
func TestHostPrepIsEveryNodesFirstStep(t *testing.T) {
	for _, example := range []string{"ha-galera-ceph", "ha-modern", "ha-modern-patroni", "shared-fs", "two-site-dr"} {
		p := examplePlan(t, example, nil)
		if len(p.Steps) < len(p.Nodes) {
			t.Fatalf("%s: %d steps for %d nodes", example, len(p.Steps), len(p.Nodes))
		}
		for i, n := range p.Nodes {
			st := p.Steps[i]
			if st.Node != n.Name || st.Command != plan.PrepareHostScript || st.Check != plan.PrepareHostScript+" --check" {
				t.Errorf("%s: step %d is %+v, want prepare-host.sh on %s", example, i+1, st, n.Name)
			}
			for _, s := range n.Services {
				if s.Name == "keepalived" || strings.Contains(s.Image, "keepalived") {
					t.Errorf("%s: node %s runs keepalived as a container (%s)", example, n.Name, s.Image)
				}
			}
		}
		for _, st := range p.Steps[len(p.Nodes):] {
			if st.Command == plan.PrepareHostScript {
				t.Errorf("%s: prepare-host.sh after the first steps: %+v", example, st)
			}
		}
	}
}
