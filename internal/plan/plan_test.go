package plan_test

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/profile"
	"github.com/harborgen/harborgen/internal/spec"
	"github.com/harborgen/harborgen/internal/validate"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestPlanGolden renders the plan of every example and compares it with
// testdata/<example>.txt.
func TestPlanGolden(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*/harborgen.toml")
	if len(files) < 4 {
		t.Fatalf("found %d examples", len(files))
	}
	for _, file := range files {
		name := filepath.Base(filepath.Dir(file))
		t.Run(name, func(t *testing.T) {
			p := examplePlan(t, name, nil)
			var out bytes.Buffer
			if err := plan.WriteText(&out, p); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+".txt")
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/plan -update)", err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("plan differs from %s:\n%s", golden, out.String())
			}
		})
	}
}

// TestGaleraImagePackages: rsync SST needs rsync, which the mariadb image
// lacks, so the plan adds it to the galera image (and says so in the text
// plan); mariabackup needs nothing beyond the image, and an SST account.
func TestGaleraImagePackages(t *testing.T) {
	for _, tc := range []struct {
		sst, sstUser string
		packages     []string
		textSuffix   string // after the pinned image in the text plan
	}{
		{"mariabackup", "mariabackup", nil, ""},
		{"rsync", "", []string{"rsync"}, " + rsync (built: galera/Dockerfile)"},
	} {
		t.Run(tc.sst, func(t *testing.T) {
			file := "../../examples/ha-galera-ceph/harborgen.toml"
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			s, d := spec.Parse(file, data, spec.TOML)
			validate.Validate(s, d, validate.Options{})
			s.Database.Galera.SSTMethod = tc.sst
			p, err := plan.Build(s)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := plan.WriteText(&out, p); err != nil {
				t.Fatal(err)
			}
			members := 0
			for _, n := range p.Nodes {
				if g := n.Galera; g != nil {
					members++
					for _, svc := range n.Services {
						if line := fmt.Sprintf("  service  %-14s %s\n", "galera", svc.Image+tc.textSuffix); svc.Name == "galera" && !strings.Contains(out.String(), line) {
							t.Errorf("the text plan lacks %q:\n%s", line, out.String())
						}
					}
					if g.SSTUser != tc.sstUser || !slices.Equal(g.ImagePackages, tc.packages) {
						t.Errorf("%s: sst user %q image packages %q, want %q %q", n.Name, g.SSTUser, g.ImagePackages, tc.sstUser, tc.packages)
					}
				}
			}
			if members == 0 {
				t.Fatal("no galera member")
			}
			// The runbook's first start of each member says that it builds.
			for _, st := range p.Steps {
				if st.Command != "./galera-bootstrap.sh" && st.Command != "./galera-join.sh" {
					continue
				}
				if got := strings.Contains(st.Action, "galera/Dockerfile"); got != (tc.packages != nil) {
					t.Errorf("%s step %q: mentions the build %v, want %v", st.Node, st.Action, got, tc.packages != nil)
				}
			}
		})
	}
}

// TestExtEndpointPort checks that EXT_ENDPOINT, from which Harbor builds the
// token realm and every URL it hands to clients, carries the load
// balancer's client-facing port unless it is the scheme's default.
func TestExtEndpointPort(t *testing.T) {
	src, err := os.ReadFile("../../examples/shared-fs/harborgen.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, tls   string
		http, https int
		want        string
		external    string // harbor.external_url
	}{
		{"external_url wins", "lb", 80, 8443, "https://harbor.corp.example:9443", "https://harbor.corp.example:9443"},
		{"external_url without port wins", "lb", 80, 8443, "https://harbor.corp.example", "https://harbor.corp.example"},
		{"lb defaults", "lb", 80, 443, "https://registry.example.com", ""},
		{"lb https 8443", "lb", 80, 8443, "https://registry.example.com:8443", ""},
		{"lb http port ignored", "lb", 8080, 443, "https://registry.example.com", ""},
		{"node https 9443", "node", 80, 9443, "https://registry.example.com:9443", ""},
		{"node defaults", "node", 80, 443, "https://registry.example.com", ""},
		{"none default", "none", 80, 443, "http://registry.example.com", ""},
		{"none http 8081", "none", 8081, 443, "http://registry.example.com:8081", ""},
		{"none https port ignored", "none", 80, 8443, "http://registry.example.com", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := strings.Replace(string(src), `mode = "lb"`, `mode = "`+tc.tls+`"`, 1)
			if tc.tls == "none" {
				text = strings.Replace(text, `cert_file = "/etc/harbor/tls/registry.crt"`+"\n"+`key_file = "/etc/harbor/tls/registry.key"`, "", 1)
			}
			text = strings.Replace(text, "http_port = 80\nhttps_port = 443",
				fmt.Sprintf("http_port = %d\nhttps_port = %d", tc.http, tc.https), 1)
			if tc.external != "" {
				text = strings.Replace(text, "[harbor]\n", "[harbor]\nexternal_url = \""+tc.external+"\"\n", 1)
			}
			s, d := spec.Parse("ext.toml", []byte(text), spec.TOML)
			validate.Validate(s, d, validate.Options{})
			if d.HasErrors(false) {
				t.Fatalf("invalid: %v", d.Items())
			}
			if s.Harbor.ExternalURL != tc.external {
				t.Fatalf("external_url %q, want %q", s.Harbor.ExternalURL, tc.external)
			}
			if s.LB.HTTPPort != tc.http || s.LB.HTTPSPort != tc.https || s.TLS.Mode != tc.tls {
				t.Fatalf("the spec edit did not apply: lb %d/%d tls %s", s.LB.HTTPPort, s.LB.HTTPSPort, s.TLS.Mode)
			}
			p, err := plan.Build(s)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range p.Nodes {
				if n.Harbor != nil && n.Harbor.ExtEndpoint != tc.want {
					t.Errorf("%s: EXT_ENDPOINT %s, want %s", n.Name, n.Harbor.ExtEndpoint, tc.want)
				}
			}
		})
	}
}

// TestExtEndpointWithoutBalancer: with one harbor node and no load
// balancer, clients reach the node's own proxy, so EXT_ENDPOINT carries its
// port (harbor.http_port, or harbor.https_port with tls.mode node), as the
// runbook's entry does.
func TestExtEndpointWithoutBalancer(t *testing.T) {
	const base = `spec = 1
[cluster]
name = "solo"
hostname = "registry.example.com"
[harbor]
%s
[[node]]
name = "harbor01"
address = "10.20.0.11"
roles = ["harbor"]
[database]
engine = "postgres"
[database.external]
host = "10.20.0.5"
[redis]
mode = "external"
[redis.external]
host = "10.20.0.6:6379"
[storage]
driver = "filesystem"
[storage.filesystem]
path = "/srv/registry"
%s`
	const tlsNode = "[tls]\nmode = \"node\"\ncert_file = \"/etc/harbor/tls/registry.crt\"\nkey_file = \"/etc/harbor/tls/registry.key\"\n"
	for _, tc := range []struct{ name, harbor, tls, want string }{
		{"http default port", "", "", "http://registry.example.com:8080"},
		{"http port 80", "http_port = 80", "", "http://registry.example.com"},
		{"tls node", "", tlsNode, "https://registry.example.com:8443"},
		{"external_url wins", `external_url = "https://registry.example.com"`, "", "https://registry.example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, d := spec.Parse("solo.toml", []byte(fmt.Sprintf(base, tc.harbor, tc.tls)), spec.TOML)
			validate.Validate(s, d, validate.Options{})
			if d.HasErrors(false) {
				t.Fatalf("invalid: %v", d.Items())
			}
			p, err := plan.Build(s)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Nodes[0].Harbor.ExtEndpoint; got != tc.want {
				t.Errorf("EXT_ENDPOINT %s, want %s", got, tc.want)
			}
		})
	}
}

// TestContainerNamesAreUnambiguous: <cluster>-<service> names one container
// of one cluster only when no service name ends in "-" and another service
// name (cluster "a-galera" with service "health" would be cluster "a" with
// "galera-health").
func TestContainerNamesAreUnambiguous(t *testing.T) {
	names := map[string]bool{}
	for _, example := range []string{"ha-galera-ceph", "ha-modern", "ha-modern-patroni", "shared-fs", "two-site-dr"} {
		p := examplePlan(t, example, nil)
		for _, n := range p.Nodes {
			for _, s := range n.Services {
				names[s.Name] = true
				if want := plan.ContainerName(p.Cluster, s.Name); s.Container != want {
					t.Errorf("%s: service %s has container %q, want %q", n.Name, s.Name, s.Container, want)
				}
			}
		}
	}
	profiles, err := profile.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range profiles {
		for _, c := range p.Components {
			names[c.Name] = true
		}
	}
	for _, extra := range []string{"haproxy", "nginx", "redis", "redis-7000", "sentinel", "galera", "galera-health"} {
		names[extra] = true
	}
	for a := range names {
		for b := range names {
			if a != b && strings.HasSuffix(a, "-"+b) {
				t.Errorf("service %s ends in -%s: container names of two clusters can collide", a, b)
			}
		}
	}
}

// TestSyslogAddress: each cluster's log container listens on a loopback
// address of its own, outside 127.0.0.0/16, on Harbor's port 1514.
func TestSyslogAddress(t *testing.T) {
	seen := map[string]string{}
	for _, cluster := range []string{"harbor", "harbor-prod", "harbor-modern", "other-harbor-prod", "a", "b"} {
		p := examplePlan(t, "ha-modern", func(s *spec.Spec) { s.Cluster.Name = cluster })
		addr := p.Nodes[0].Harbor.Syslog
		for _, n := range p.Nodes {
			if n.Harbor != nil && n.Harbor.Syslog != addr {
				t.Errorf("%s: node %s logs to %s, node %s to %s", cluster, p.Nodes[0].Name, addr, n.Name, n.Harbor.Syslog)
			}
		}
		host, port, err := net.SplitHostPort(addr)
		ip := net.ParseIP(host).To4()
		if err != nil || port != "1514" || ip == nil || ip[0] != 127 || ip[1] == 0 || ip[1] == 255 || ip[3] == 0 || ip[3] == 255 {
			t.Errorf("%s: syslog address %s, want 127.B.C.D:1514 with B and D in 1..254", cluster, addr)
		}
		if other, dup := seen[addr]; dup {
			t.Errorf("clusters %s and %s share the syslog address %s", other, cluster, addr)
		}
		seen[addr] = cluster
	}
}
