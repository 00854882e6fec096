package render

import (
	"path"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/tree"
)

// lbFiles adds the load balancer's files of an lb node: the nginx or HAProxy
// configuration, and keepalived's configuration, check and (secret)
// authentication when the scope has a VIP carried by two or more balancers.
func lbFiles(e *Engine, d Data, values map[string]string, t *tree.Tree) error {
	lb := d.Node.LB
	if lb == nil {
		return nil
	}
	switch lb.Kind {
	case "haproxy":
		if err := addFile(e, "tiers/lb/haproxy.cfg.tmpl", "lb/haproxy.cfg", d, t); err != nil {
			return err
		}
		if err := haproxyPoolScript(e, d, t); err != nil {
			return err
		}
		if lb.Redis != nil && lb.Redis.Auth {
			if err := addSecret(e, "tiers/lb/haproxy.env.tmpl", "haproxy.env", d, values, t); err != nil {
				return err
			}
		}
	default:
		if err := addFile(e, "tiers/lb/nginx.conf.tmpl", "lb/nginx.conf", d, t); err != nil {
			return err
		}
	}
	if lb.Keepalived == nil {
		return nil
	}
	if err := addFile(e, "tiers/lb/keepalived.conf.tmpl", "lb/keepalived.conf", d, t); err != nil {
		return err
	}
	if err := addFile(e, "tiers/lb/check-balancer.sh.tmpl", "lb/check-balancer.sh", d, t); err != nil {
		return err
	}
	return addSecret(e, "tiers/lb/keepalived-auth.conf.tmpl", "keepalived-auth.conf", d, values, t)
}

// HAProxy's admin socket: where haproxy.cfg puts it in the container, and the
// host directory docker-compose.yml mounts there (named by the container).
const haproxyAdminDir = "/run/haproxy-admin"

// haproxyAdminHostDir is the host side of haproxyAdminDir on an lb node.
func haproxyAdminHostDir(container string) string { return path.Join("/run", container) }

// haproxyPool is a harbor node and the backends of a balancer's haproxy.cfg
// that hold it as a server.
type haproxyPool struct {
	Server   string
	Backends []string
}

// haproxyPools says which backends of haproxy.cfg (haproxy-sections.tmpl)
// hold each harbor node; TestHAProxyPoolsMatchConfig reads them back from
// every rendered haproxy.cfg.
func haproxyPools(lb *plan.Balancer) []haproxyPool {
	var local []string
	switch {
	case lb.TLS == "node":
		local = []string{"harbor_tls"}
	case lb.Sticky:
		local = []string{"harbor_ui", "harbor_registry"}
	default:
		local = []string{"harbor"}
	}
	read := lb.TLS != "node" && len(lb.Remote) > 0
	var out []haproxyPool
	for _, b := range lb.Harbor {
		p := haproxyPool{Server: b.Name, Backends: append([]string(nil), local...)}
		if read {
			p.Backends = append(p.Backends, "harbor_read")
		}
		out = append(out, p)
	}
	if read {
		for _, b := range lb.Remote {
			out = append(out, haproxyPool{Server: b.Name, Backends: []string{"harbor_read"}})
		}
	}
	return out
}

// haproxyPoolScript adds lb/haproxy-pool.sh, which drains a harbor node
// from this HAProxy and readies it again (site.yml's rolling restart).
func haproxyPoolScript(e *Engine, d Data, t *tree.Tree) error {
	pools := haproxyPools(d.Node.LB)
	if len(pools) == 0 {
		return nil
	}
	container, err := d.Node.Container("haproxy")
	if err != nil {
		return err
	}
	out, err := e.Render("tiers/lb/haproxy-pool.sh.tmpl", struct {
		Header string
		Socket string
		Pools  []haproxyPool
	}{d.Header, path.Join(haproxyAdminHostDir(container), "admin.sock"), pools})
	if err != nil {
		return err
	}
	return t.Add(tree.File{Path: path.Join("nodes", d.Node.Name, "lb/haproxy-pool.sh"), Data: out, Mode: tree.ModeScript})
}
