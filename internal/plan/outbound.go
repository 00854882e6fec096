package plan

import (
	"path"
	"slices"
	"strings"

	"github.com/harborgen/harborgen/internal/profile"
	"github.com/harborgen/harborgen/internal/spec"
)

// TrustCA is one private CA certificate of tls.trust_ca_files: a file on
// the harbor node, mounted read-only where the images' install_cert.sh
// appends it to their CA bundle (core, jobservice, registry, registryctl,
// trivy-adapter).
type TrustCA struct {
	Source string `json:"source"` // host path
	Target string `json:"target"` // in the containers: /harbor_cust_cert/<file name>
}

// Proxy is the HTTP(S) proxy of Harbor's components, as prepare writes it
// into each listed component's env: NoProxy is the spec's no_proxy plus
// Harbor's internal names and this cluster's own names and addresses,
// sorted and comma-separated.
type Proxy struct {
	HTTPProxy  string   `json:"http_proxy"`
	HTTPSProxy string   `json:"https_proxy"`
	NoProxy    string   `json:"no_proxy"`
	Components []string `json:"components"` // core | jobservice | trivy
}

// ProxyFor returns the proxy settings when a component (core, jobservice,
// trivy) uses the proxy, else nil.
func (h *Harbor) ProxyFor(component string) *Proxy {
	if h.Proxy == nil || !slices.Contains(h.Proxy.Components, component) {
		return nil
	}
	return h.Proxy
}

func trustCA(s *spec.Spec, prof *profile.Profile) []TrustCA {
	if prof.TrustCADir == "" {
		return nil
	}
	var out []TrustCA
	for _, f := range s.TLS.TrustCAFiles {
		out = append(out, TrustCA{Source: f, Target: path.Join(prof.TrustCADir, path.Base(f))})
	}
	return out
}

// proxy adds to no_proxy what Harbor's prepare adds (its internal service
// names) and what Harbor never reaches through a proxy: the cluster's
// hostname, every node address and every VIP (the other site's registry
// when replicating, the load balancer).
func proxy(s *spec.Spec, prof *profile.Profile) *Proxy {
	px := s.Harbor.Proxy
	if px == nil || len(prof.ProxyComponents) == 0 || (px.HTTPProxy == "" && px.HTTPSProxy == "") {
		return nil
	}
	hosts := slices.Concat(prof.InternalNoProxy, px.NoProxy, []string{s.Cluster.Hostname, s.LB.VIP})
	for _, n := range s.Nodes {
		hosts = append(hosts, n.Address)
	}
	for _, site := range s.Sites {
		hosts = append(hosts, site.VIP)
	}
	hosts = slices.DeleteFunc(hosts, func(h string) bool { return h == "" })
	slices.Sort(hosts)
	return &Proxy{HTTPProxy: px.HTTPProxy, HTTPSProxy: px.HTTPSProxy, NoProxy: strings.Join(slices.Compact(hosts), ","),
		Components: slices.Clone(px.Components)}
}
