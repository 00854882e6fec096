package render_test

import (
	"context"
	"path"
	"sort"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/harborgen/harborgen/internal/diag"
	"github.com/harborgen/harborgen/internal/tree"
	"github.com/harborgen/harborgen/internal/validate"
)

// hostClaims are what one node's compose files claim on the host, loaded
// with compose-go: container names and published ports.
type hostClaims struct {
	containers map[string]string // container name -> service
	ports      map[string]string // protocol/host_ip:port -> service
	logFiles   map[string]string // syslog tag (the file in the log directory) -> service
}

// claims loads every docker-compose.yml of a tree, per node directory.
func claims(t *testing.T, tr *tree.Tree) map[string]hostClaims {
	t.Helper()
	out := map[string]hostClaims{}
	for _, f := range tr.Files() {
		if path.Base(f.Path) != "docker-compose.yml" {
			continue
		}
		dir := path.Dir(f.Path)
		project, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
			WorkingDir:  "/" + dir,
			ConfigFiles: []types.ConfigFile{{Filename: f.Path, Content: f.Data}},
			Environment: types.Mapping{},
		}, func(o *loader.Options) { o.SkipResolveEnvironment = true })
		if err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		c := hostClaims{containers: map[string]string{}, ports: map[string]string{}, logFiles: map[string]string{}}
		for name, svc := range project.Services {
			container := svc.ContainerName
			if container == "" {
				container = project.Name + "-" + name + "-1" // compose's own name
			}
			c.containers[container] = name
			if svc.Logging != nil && svc.Logging.Driver == "syslog" {
				c.logFiles[svc.Logging.Options["tag"]+".log"] = name
			}
			for _, p := range svc.Ports {
				c.ports[p.Protocol+"/"+p.HostIP+":"+p.Published] = name
			}
		}
		out[dir] = c
	}
	return out
}

// portsCollide reports whether two published host ports cannot both bind:
// the same protocol and port, on the same address or a wildcard.
func portsCollide(a, b string) bool {
	protoA, addrA, _ := strings.Cut(a, "/")
	protoB, addrB, _ := strings.Cut(b, "/")
	i, j := strings.LastIndex(addrA, ":"), strings.LastIndex(addrB, ":")
	if protoA != protoB || addrA[i:] != addrB[j:] {
		return false
	}
	hostA, hostB := addrA[:i], addrB[:j]
	wild := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" || h == "[::]" }
	return hostA == hostB || wild(hostA) || wild(hostB)
}

// TestTwoClustersShareHosts renders each example twice, as two clusters on
// the same hosts and node addresses that differ in cluster.name and in the
// ports the spec lets the operator choose: no container name and no
// published host port of one may be claimed by the other on any node, and
// no log file of the shared log directory.
func TestTwoClustersShareHosts(t *testing.T) {
	for _, example := range examples {
		t.Run(example, func(t *testing.T) {
			a, _ := loadPlan(t, example)
			b, _ := loadPlan(t, example)
			b.Cluster.Name = "other-" + a.Cluster.Name
			b.Harbor.HTTPPort += 1000
			b.Harbor.HTTPSPort += 1000
			b.Harbor.RegistryPort += 1000
			var d diag.List
			validate.Validate(b, &d, validate.Options{})
			if d.HasErrors(false) {
				t.Fatalf("the second cluster does not validate: %v", d.Items())
			}
			_, treeA, _ := renderSpec(t, a)
			_, treeB, _ := renderSpec(t, b)
			claimsA, claimsB := claims(t, treeA), claims(t, treeB)
			var nodes []string
			for node := range claimsA {
				nodes = append(nodes, node)
			}
			sort.Strings(nodes)
			for _, node := range nodes {
				ca, cb := claimsA[node], claimsB[node]
				for name, svc := range ca.containers {
					if other, ok := cb.containers[name]; ok {
						t.Errorf("%s: container name %s is %s of %s and %s of %s", node, name, svc, a.Cluster.Name, other, b.Cluster.Name)
					}
				}
				// Both clusters keep the default log directory: the tag
				// names each container's file in it.
				for file, svc := range ca.logFiles {
					if other, ok := cb.logFiles[file]; ok {
						t.Errorf("%s: %s and the other cluster's %s both log to %s", node, svc, other, file)
					}
				}
				for pa, svc := range ca.ports {
					for pb, other := range cb.ports {
						if portsCollide(pa, pb) {
							t.Errorf("%s: %s publishes %s, %s of the other cluster %s", node, svc, pa, other, pb)
						}
					}
				}
			}
		})
	}
}
