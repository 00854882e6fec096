package plan

import (
	"fmt"

	"github.com/harborgen/harborgen/internal/spec"
)

// Listener is one service bound to a port on an address: a node's own, or a
// load balancer VIP.
type Listener struct {
	Addr     string
	AddrPath string // spec path of the address (node[i].address or a VIP)
	Port     int
	Owner    string // e.g. `Redis 6379 on node "registry01"`
	Path     string // spec path of the setting that chose the port
	// Chosen: Path is a key the user set for this port (harbor.http_port),
	// not a fallback such as the node's roles for a fixed port (Galera 4567).
	Chosen bool
}

// Listeners lists every port each node listens on, and the ports the load
// balancers listen on at their VIP.
func Listeners(s *spec.Spec) []Listener {
	var out []Listener
	for _, sc := range s.Scopes() {
		for k, n := range sc.Nodes {
			i := sc.NodeIndex[k]
			for _, cl := range nodeListeners(s, &sc, n, nodePath(i, "roles")) {
				cl.AddrPath = nodePath(i, "address")
				out = append(out, cl)
			}
		}
		if len(sc.WithRole(spec.RoleLB)) > 0 && sc.VIP != "" {
			for _, cl := range lbListeners(s, &sc, sc.VIP, "the VIP "+sc.VIP, sc.VIPPath) {
				cl.AddrPath = sc.VIPPath
				out = append(out, cl)
			}
		}
	}
	return out
}

func nodeListeners(s *spec.Spec, sc *spec.Scope, n spec.Node, rolesPath string) []Listener {
	var out []Listener
	add := func(port int, what, path string) {
		out = append(out, Listener{Addr: n.Address, Port: port, Path: path, Chosen: path != rolesPath,
			Owner: fmt.Sprintf("%s on node %q", what, n.Name)})
	}
	if n.HasRole(spec.RoleHarbor) {
		add(s.Harbor.HTTPPort, "Harbor (harbor.http_port)", s.Source.PathOr("harbor.http_port", rolesPath))
		if s.TLS.Mode == "node" {
			add(s.Harbor.HTTPSPort, "Harbor (harbor.https_port)", s.Source.PathOr("harbor.https_port", rolesPath))
		}
		if registryPublished(s) {
			add(s.Harbor.RegistryPort, "Harbor's registry (harbor.registry_port)", s.Source.PathOr("harbor.registry_port", rolesPath))
		}
		if s.Harbor.Metric.Enabled {
			add(s.Harbor.Metric.Port, "Harbor's metrics (harbor.metric.port)", s.Source.PathOr("harbor.metric.port", s.Source.PathOr("harbor.metric.enabled", rolesPath)))
		}
	}
	if n.HasRole(spec.RoleGalera) && s.Database.Engine == "galera" {
		add(s.Database.Port, "Galera (database.port)", s.Source.PathOr("database.port", rolesPath))
		add(4567, "Galera replication (4567)", rolesPath)
		add(4568, "Galera IST (4568)", rolesPath)
		add(4444, "Galera SST (4444)", rolesPath)
		add(GaleraCheckPort, fmt.Sprintf("the Galera health check (%d)", GaleraCheckPort), rolesPath)
	}
	if n.HasRole(spec.RolePostgres) && s.Database.Engine == "patroni" {
		add(s.Database.Port, "PostgreSQL (database.port)", s.Source.PathOr("database.port", rolesPath))
		add(PatroniRESTPort, fmt.Sprintf("Patroni's REST API (%d)", PatroniRESTPort), rolesPath)
	}
	if isEtcdNode(s, n) {
		etcdPath := s.Source.PathOr("database.patroni.dcs_nodes", rolesPath)
		add(EtcdClientPort, fmt.Sprintf("etcd's client port (%d)", EtcdClientPort), etcdPath)
		add(EtcdPeerPort, fmt.Sprintf("etcd's peer port (%d)", EtcdPeerPort), etcdPath)
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

func lbListeners(s *spec.Spec, sc *spec.Scope, addr, on, fallback string) []Listener {
	var out []Listener
	add := func(port int, what, key string) {
		path := s.Source.PathOr(key, fallback)
		out = append(out, Listener{Addr: addr, Port: port, Path: path, Chosen: path != fallback, Owner: fmt.Sprintf("%s on %s", what, on)})
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

func nodePath(i int, key string) string { return fmt.Sprintf("node[%d].%s", i, key) }

func isEtcdNode(s *spec.Spec, n spec.Node) bool {
	for _, e := range EtcdNodes(s) {
		if e.Name == n.Name {
			return true
		}
	}
	return false
}
