package plan

import (
	"net"
	"strconv"

	"github.com/harborgen/harborgen/internal/profile"
	"github.com/harborgen/harborgen/internal/spec"
)

// Replication is how the primary site copies every push to the other sites
// on a shared database (seed 004): a "Docker Registry" endpoint on each other
// site's published registry port, with core's own registry user, and one
// event-based rule per endpoint. A "Harbor" endpoint would loop: the rules
// live in the shared database, so a push the other site receives through its
// core fires every rule again. The primary site's harbor nodes set it up
// through their own Harbor API (replication-setup.sh).
type Replication struct {
	Site string `json:"site"` // the primary site
	// Type is the endpoint type, from the profile (docker-registry).
	Type string `json:"type"`
	// APIURL is this node's own Harbor, where the script calls the API;
	// with tls.mode node, Resolve (curl's --resolve host:port:addr) sends
	// the hostname the certificate names to this node's address.
	APIURL  string              `json:"api_url"`
	Resolve string              `json:"resolve,omitempty"`
	Targets []ReplicationTarget `json:"targets"`
	// SelfPolicy is the rule another primary made to this site: after a
	// failover and back it would copy this site onto itself, so it is
	// disabled.
	SelfPolicy string `json:"self_policy"`
}

// ReplicationTarget is one other site: its endpoint, its rule, and the
// registries of its harbor nodes. Any of them serves, since they share the
// site's storage; the endpoint points at the first, and the others are where
// to switch it when that node is down.
type ReplicationTarget struct {
	Site       string         `json:"site"`
	Endpoint   string         `json:"endpoint"` // the endpoint's name in Harbor
	Policy     string         `json:"policy"`   // the replication rule's name
	Registries []NodeRegistry `json:"registries"`
}

// NodeRegistry is the published registry of one harbor node.
type NodeRegistry struct {
	Node string `json:"node"`
	URL  string `json:"url"` // plain HTTP: the registry has no TLS of its own
}

// URL is where the endpoint points by default: the site's first harbor node.
func (t ReplicationTarget) URL() string { return t.Registries[0].URL }

// registryPublished reports whether harbor nodes publish their registry
// port: with two or more sites, when the profile replicates between sites
// through it.
func registryPublished(s *spec.Spec) bool {
	if len(s.Sites) < 2 {
		return false
	}
	prof := profile.ForVersion(s.Harbor.Version)
	return prof != nil && prof.SiteReplication != ""
}

// replication is the replication a harbor node of the primary site sets up;
// nil on every other node.
func replication(s *spec.Spec, prof *profile.Profile, sc *spec.Scope, n spec.Node) *Replication {
	if !registryPublished(s) || !n.HasRole(spec.RoleHarbor) || !primarySite(s, sc.Site) {
		return nil
	}
	r := &Replication{Site: sc.Site, Type: prof.SiteReplication, SelfPolicy: policyName(sc.Site),
		APIURL: "http://" + net.JoinHostPort(n.Address, strconv.Itoa(s.Harbor.HTTPPort))}
	if s.TLS.Mode == "node" {
		port := strconv.Itoa(s.Harbor.HTTPSPort)
		r.APIURL = "https://" + net.JoinHostPort(s.Cluster.Hostname, port)
		r.Resolve = s.Cluster.Hostname + ":" + port + ":" + bracketIPv6(n.Address)
	}
	for _, other := range s.Scopes() {
		if other.Site == sc.Site {
			continue
		}
		t := ReplicationTarget{Site: other.Site, Endpoint: other.Site + "-registry", Policy: policyName(other.Site)}
		for _, h := range other.WithRole(spec.RoleHarbor) {
			t.Registries = append(t.Registries, NodeRegistry{Node: h.Name,
				URL: "http://" + net.JoinHostPort(h.Address, strconv.Itoa(s.Harbor.RegistryPort))})
		}
		if len(t.Registries) > 0 {
			r.Targets = append(r.Targets, t)
		}
	}
	return r
}

// replicationSteps: the first harbor node of the primary site creates the
// endpoints and rules, once every site's Harbor runs (the endpoint is pinged
// when the rule is made).
func replicationSteps(nodes []Node) []Step {
	for _, n := range nodes {
		r := n.Replication
		if r == nil {
			continue
		}
		var want []string
		for _, t := range r.Targets {
			want = append(want, "endpoint "+t.Endpoint+" "+t.URL()+": healthy", "rule "+t.Policy+": enabled, event_based")
		}
		return []Step{{Node: n.Name, Action: "replicate every push to the other site's registry: a Docker Registry endpoint and an event-based rule (idempotent)",
			Command: "./replication-setup.sh", Check: "./replication-setup.sh --check", Expect: want}}
	}
	return nil
}

func primarySite(s *spec.Spec, name string) bool {
	for _, site := range s.Sites {
		if site.Name == name {
			return site.Primary
		}
	}
	return false
}

// bracketIPv6 writes an IPv6 address in brackets, as URLs and curl's
// --resolve want it.
func bracketIPv6(addr string) string {
	if ip := net.ParseIP(addr); ip != nil && ip.To4() == nil {
		return "[" + addr + "]"
	}
	return addr
}

// policyName names the rule that replicates to a site.
func policyName(site string) string { return "replicate-to-" + site }
