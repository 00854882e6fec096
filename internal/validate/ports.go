package validate

import (
	"fmt"
	"strconv"

	"github.com/harborgen/harborgen/internal/spec"
)

// claim is one listener: a service bound to a port on an address.
type claim struct {
	addr, addrPath, owner, path string
	port                        int
}

// ports reports two services that would listen on the same address and port,
// naming both owners.
func ports(c *check) {
	taken := map[string]claim{}
	for _, cl := range listeners(c.s) {
		if c.broken(cl.addrPath) {
			continue // a wrong or duplicate address is reported once, by addresses
		}
		key := addrKey(cl.addr) + " " + strconv.Itoa(cl.port)
		prev, ok := taken[key]
		if !ok {
			taken[key] = cl
			continue
		}
		if prev.owner == cl.owner {
			continue
		}
		c.errorf(cl.path, "change one of the two ports, or move one role to another node",
			"port %d on %s is used by both %s and %s", cl.port, cl.addr, prev.owner, cl.owner)
	}
}

// listeners lists every port each node listens on, and the ports the load
// balancers listen on at their VIP.
func listeners(s *spec.Spec) []claim {
	var out []claim
	for _, sc := range s.Scopes() {
		for k, n := range sc.Nodes {
			i := sc.NodeIndex[k]
			for _, cl := range nodeListeners(s, &sc, n, nodePath(i, "roles")) {
				cl.addrPath = nodePath(i, "address")
				out = append(out, cl)
			}
		}
		if len(sc.WithRole(spec.RoleLB)) > 0 && sc.VIP != "" {
			for _, cl := range lbListeners(s, &sc, sc.VIP, "the VIP "+sc.VIP, sc.VIPPath) {
				cl.addrPath = sc.VIPPath
				out = append(out, cl)
			}
		}
	}
	return out
}

func nodeListeners(s *spec.Spec, sc *spec.Scope, n spec.Node, rolesPath string) []claim {
	var out []claim
	add := func(port int, what, path string) {
		out = append(out, claim{addr: n.Address, port: port, path: path, owner: fmt.Sprintf("%s on node %q", what, n.Name)})
	}
	if n.HasRole(spec.RoleHarbor) {
		add(s.Harbor.HTTPPort, "Harbor (harbor.http_port)", s.Source.PathOr("harbor.http_port", rolesPath))
		if s.TLS.Mode == "node" {
			add(s.Harbor.HTTPSPort, "Harbor (harbor.https_port)", s.Source.PathOr("harbor.https_port", rolesPath))
		}
	}
	if n.HasRole(spec.RoleGalera) && s.Database.Engine == "galera" {
		add(s.Database.Port, "Galera (database.port)", s.Source.PathOr("database.port", rolesPath))
		add(4567, "Galera replication (4567)", rolesPath)
		add(4568, "Galera IST (4568)", rolesPath)
		add(4444, "Galera SST (4444)", rolesPath)
	}
	r := &sc.Redis
	if n.HasRole(spec.RoleRedis) && (r.Mode == "standalone" || r.Mode == "sentinel" || r.Mode == "cluster") {
		ports := r.Ports
		if r.Mode != "cluster" && len(ports) > 1 {
			ports = ports[:1]
		}
		for i, p := range ports {
			path := s.Source.PathOr(spec.JoinIndex(sc.RedisPath+".ports", i), rolesPath)
			add(p, fmt.Sprintf("Redis %d", p), path)
			if r.Mode == "cluster" {
				add(p+10000, fmt.Sprintf("the Redis Cluster bus of %d", p), path)
			}
		}
	}
	if n.HasRole(spec.RoleSentinel) && r.Mode == "sentinel" {
		add(r.SentinelPort, "Redis Sentinel", s.Source.PathOr(sc.RedisPath+".sentinel_port", rolesPath))
	}
	if n.HasRole(spec.RoleLB) {
		out = append(out, lbListeners(s, sc, n.Address, fmt.Sprintf("node %q", n.Name), rolesPath)...)
	}
	return out
}

func lbListeners(s *spec.Spec, sc *spec.Scope, addr, on, fallback string) []claim {
	var out []claim
	add := func(port int, what, key string) {
		out = append(out, claim{addr: addr, port: port, path: s.Source.PathOr(key, fallback), owner: fmt.Sprintf("%s on %s", what, on)})
	}
	add(s.LB.HTTPPort, "the load balancer (lb.http_port)", "lb.http_port")
	if s.TLS.Mode != "none" { // terminated (lb) or passed through (node)
		add(s.LB.HTTPSPort, "the load balancer (lb.https_port)", "lb.https_port")
	}
	if s.LB.ProxyDatabase {
		add(s.Database.Port, "the load balancer's database proxy", "lb.proxy_database")
	}
	if s.LB.ProxyRedis && len(sc.Redis.Ports) > 0 {
		add(sc.Redis.Ports[0], "the load balancer's Redis proxy", "lb.proxy_redis")
	}
	return out
}
