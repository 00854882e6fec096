package render_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/render"
	"github.com/harborgen/harborgen/internal/tree"
	"github.com/harborgen/harborgen/internal/verify"
)

func loadCompose(t *testing.T, tr *tree.Tree, node string) *types.Project {
	t.Helper()
	project, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  "/nodes/" + node,
		ConfigFiles: []types.ConfigFile{{Filename: "docker-compose.yml", Content: file(t, tr, "nodes/"+node+"/docker-compose.yml")}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.SkipResolveEnvironment = true })
	if err != nil {
		t.Fatalf("%s: compose file does not load: %v", node, err)
	}
	return project
}

// TestTrustCAMounts: every tls.trust_ca_files entry is mounted read-only at
// /harbor_cust_cert/<name> in exactly the services whose entrypoint runs
// install_cert.sh (prepare v2.15.2), on every harbor node of ha-modern
// (Trivy on). A path with a space and a '$' proves the compose escaping.
func TestTrustCAMounts(t *testing.T) {
	s := specFrom(t, "trust", exampleText(t, "ha-modern", "[tls]\n", "[tls]\ntrust_ca_files = [\"/etc/pki/corp-root.pem\", \"/etc/pki/tls/Corp CA $1.crt\"]\n"))
	p, err := plan.Build(s)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := render.Tree(p, "harborgen.toml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := verify.Compose(tr); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"/etc/pki/corp-root.pem": "/harbor_cust_cert/corp-root.pem", "/etc/pki/tls/Corp CA $1.crt": "/harbor_cust_cert/Corp CA $1.crt"}
	trusting := []string{"core", "jobservice", "registry", "registryctl", "trivy-adapter"}
	nodes := 0
	for _, n := range p.Nodes {
		if n.Harbor == nil {
			continue
		}
		nodes++
		project := loadCompose(t, tr, n.Name)
		for name, svc := range project.Services {
			got := map[string]string{}
			for _, v := range svc.Volumes {
				if strings.HasPrefix(v.Target, "/harbor_cust_cert") {
					got[v.Source] = v.Target
					if !v.ReadOnly || v.Type != "bind" {
						t.Errorf("%s %s: %s is not a read-only bind mount", n.Name, name, v.Target)
					}
				}
			}
			if !slices.Contains(trusting, name) {
				if len(got) > 0 {
					t.Errorf("%s %s: mounts CAs %v, but its image does not run install_cert.sh", n.Name, name, got)
				}
				continue
			}
			for src, target := range want {
				if got[src] != target {
					t.Errorf("%s %s: %s mounted at %q, want %q", n.Name, name, src, got[src], target)
				}
			}
		}
	}
	if nodes < 2 {
		t.Fatalf("%d harbor nodes: the test proves little", nodes)
	}
}

// TestProxyEnv: the proxy lands in the env of each listed component and no
// other, NO_PROXY holds prepare's internal names, the user's entries and
// this cluster's own names and addresses, and the env files parse back.
func TestProxyEnv(t *testing.T) {
	const proxyTable = "\n[harbor.proxy]\nhttp_proxy = \"http://proxy.corp.example:3128\"\n" +
		"https_proxy = \"https://proxy.corp.example:3129/\"\nno_proxy = [\".corp.example\", \"10.0.0.0/8\"]\n"
	envFiles := map[string]string{"core": "core/env", "jobservice": "jobservice/env", "trivy": "trivy-adapter/env"}
	for _, tc := range []struct {
		name       string
		components string
		want       []string
	}{
		{"default components", "", []string{"core", "jobservice", "trivy"}},
		{"core only", "components = [\"core\"]\n", []string{"core"}},
		{"none", "components = []\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := specFrom(t, "proxy", exampleText(t, "ha-modern")+proxyTable+tc.components)
			p, err := plan.Build(s)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := render.Tree(p, "harborgen.toml", nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range p.Nodes {
				if n.Harbor == nil {
					continue
				}
				for comp, f := range envFiles {
					env, err := dotenv.ParseWithLookup(bytes.NewReader(file(t, tr, "nodes/"+n.Name+"/harbor/common/config/"+f)), func(string) (string, bool) { return "", false })
					if err != nil {
						t.Fatalf("%s %s: %v", n.Name, f, err)
					}
					if !slices.Contains(tc.want, comp) {
						for _, k := range []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"} {
							if _, ok := env[k]; ok {
								t.Errorf("%s %s: %s set, but %s does not use the proxy", n.Name, f, k, comp)
							}
						}
						continue
					}
					if env["HTTP_PROXY"] != "http://proxy.corp.example:3128" || env["HTTPS_PROXY"] != "https://proxy.corp.example:3129/" {
						t.Errorf("%s %s: HTTP_PROXY %q, HTTPS_PROXY %q", n.Name, f, env["HTTP_PROXY"], env["HTTPS_PROXY"])
					}
					noProxy := strings.Split(env["NO_PROXY"], ",")
					if !slices.IsSorted(noProxy) || len(slices.Compact(slices.Clone(noProxy))) != len(noProxy) {
						t.Errorf("%s %s: NO_PROXY %q is not sorted and unique", n.Name, f, env["NO_PROXY"])
					}
					must := []string{"127.0.0.1", "localhost", ".local", ".internal", "log", "db", "redis", "nginx", "core", "portal",
						"postgresql", "jobservice", "registry", "registryctl", "trivy-adapter", "exporter", // prepare's
						".corp.example", "10.0.0.0/8", s.Cluster.Hostname} // the user's, the cluster's
					for _, node := range s.Nodes {
						must = append(must, node.Address)
					}
					if s.LB.VIP != "" {
						must = append(must, s.LB.VIP)
					}
					for _, m := range must {
						if !slices.Contains(noProxy, m) {
							t.Errorf("%s %s: NO_PROXY lacks %q", n.Name, f, m)
						}
					}
				}
			}
		})
	}
}
