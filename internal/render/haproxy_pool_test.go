package render_test

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/render"
	"github.com/harborgen/harborgen/internal/spec"
)

var (
	haproxySection = regexp.MustCompile(`^(frontend|backend|defaults|global|listen)\s+(\S*)`)
	haproxyServer  = regexp.MustCompile(`^\s+server\s+(\S+)\s`)
	poolCase       = regexp.MustCompile(`(?m)^(\S+)\) backends=\(([^)]*)\) ;;$`)
)

// TestHAProxyPoolsMatchConfig: lb/haproxy-pool.sh drains a harbor node from
// exactly the backends of its balancer's haproxy.cfg that hold it, in every
// example with an HAProxy balancer in each of its variants, and the
// admin socket it talks to is the one haproxy.cfg opens and
// docker-compose.yml mounts.
func TestHAProxyPoolsMatchConfig(t *testing.T) {
	variants := []struct {
		name   string
		change func(*spec.Spec)
	}{
		{"sticky", func(s *spec.Spec) {}},
		{"not sticky", func(s *spec.Spec) { s.LB.Sticky = false }},
		{"tls node", func(s *spec.Spec) { s.TLS.Mode = "node" }},
	}
	for _, ex := range examples {
		for _, v := range variants {
			if ex == "ha-galera-ceph" && v.name == "tls node" {
				continue // Harbor 1.5 is not rendered with tls.mode node (a validation error)
			}
			t.Run(ex+"/"+v.name, func(t *testing.T) {
				s, _ := loadPlan(t, ex)
				s.LB.Kind = "haproxy"
				v.change(s)
				p, err := plan.Build(s)
				if err != nil {
					t.Fatal(err)
				}
				values := fakeSecrets(t, s)
				for k, val := range lbSecrets {
					values[k] = val
				}
				tr, err := render.Tree(p, "harborgen.toml", values)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, node := range p.Nodes {
					if node.LB == nil {
						continue
					}
					fs := files(tr, "nodes/"+node.Name+"/")
					want := harborBackends(fs["lb/haproxy.cfg"])
					script := fs["lb/haproxy-pool.sh"]
					got := map[string][]string{}
					for _, m := range poolCase.FindAllStringSubmatch(script, -1) {
						got[m[1]] = strings.Fields(m[2])
					}
					if !maps.EqualFunc(got, want, slices.Equal) {
						t.Errorf("%s: haproxy-pool.sh drains %v, haproxy.cfg's harbor backends hold %v", node.Name, got, want)
					}
					container, err := node.Container("haproxy")
					if err != nil {
						t.Fatal(err)
					}
					for file, line := range map[string]string{
						"lb/haproxy.cfg":     "stats socket /run/haproxy-admin/admin.sock mode 600 level admin",
						"docker-compose.yml": `- "/run/` + container + `:/run/haproxy-admin"`,
						"lb/haproxy-pool.sh": "socket=/run/" + container + "/admin.sock",
					} {
						if !strings.Contains(fs[file], line) {
							t.Errorf("%s: %s lacks %q", node.Name, file, line)
						}
					}
					n++
				}
				if n == 0 {
					t.Fatal("no lb node")
				}
			})
		}
	}
}

// harborBackends reads, from a haproxy.cfg, the backends named harbor* and
// their servers: server -> backends, in the file's order.
func harborBackends(cfg string) map[string][]string {
	out := map[string][]string{}
	backend := ""
	for _, line := range strings.Split(cfg, "\n") {
		if m := haproxySection.FindStringSubmatch(line); m != nil {
			backend = ""
			if m[1] == "backend" && strings.HasPrefix(m[2], "harbor") {
				backend = m[2]
			}
			continue
		}
		if m := haproxyServer.FindStringSubmatch(line); m != nil && backend != "" {
			out[m[1]] = append(out[m[1]], backend)
		}
	}
	return out
}
