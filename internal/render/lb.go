package render

import "github.com/harborgen/harborgen/internal/tree"

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
