package spec

import "slices"

// The roles a node can have.
const (
	RoleHarbor    = "harbor"
	RoleGalera    = "galera"
	RoleRedis     = "redis"
	RoleSentinel  = "sentinel"
	RoleLB        = "lb"
	RoleCephAdmin = "ceph-admin"
	RolePostgres  = "postgres"
)

// Roles lists every known role.
var Roles = []string{RoleHarbor, RoleGalera, RoleRedis, RoleSentinel, RoleLB, RoleCephAdmin, RolePostgres}

// HasRole reports whether the node has role.
func (n *Node) HasRole(role string) bool { return slices.Contains(n.Roles, role) }

// NodesWithRole returns the nodes that have role, in spec order.
func (s *Spec) NodesWithRole(role string) []Node { return withRole(s.Nodes, role) }

func withRole(nodes []Node, role string) []Node {
	var out []Node
	for _, n := range nodes {
		if n.HasRole(role) {
			out = append(out, n)
		}
	}
	return out
}

// Scope is a part of the cluster served by its own Redis, storage and load
// balancer: one per site, or the whole cluster when there are no sites. Only
// the database is shared across scopes.
type Scope struct {
	Site        string // empty for the whole cluster
	Path        string // spec path of the site, empty for the whole cluster
	VIP         string
	VIPPath     string
	Nodes       []Node
	NodeIndex   []int // index of each of Nodes in Spec.Nodes
	Redis       Redis
	RedisPath   string // "redis" or "site[i].redis"
	Storage     Storage
	StoragePath string
}

// Scopes splits the cluster into the parts served by their own tiers.
func (s *Spec) Scopes() []Scope {
	if len(s.Sites) == 0 {
		sc := Scope{VIP: s.LB.VIP, VIPPath: "lb.vip", Redis: s.Redis, RedisPath: "redis", Storage: s.Storage, StoragePath: "storage"}
		for i, n := range s.Nodes {
			sc.Nodes = append(sc.Nodes, n)
			sc.NodeIndex = append(sc.NodeIndex, i)
		}
		sc.Redis.Quorum = defaultQuorum(sc.Redis.Quorum, sc.WithRole(RoleSentinel))
		return []Scope{sc}
	}
	out := make([]Scope, 0, len(s.Sites))
	for i, site := range s.Sites {
		path := JoinIndex("site", i)
		sc := Scope{Site: site.Name, Path: path, VIP: site.VIP, VIPPath: path + ".vip",
			Redis: s.Redis, RedisPath: "redis", Storage: s.Storage, StoragePath: "storage"}
		if site.Redis != nil {
			sc.Redis, sc.RedisPath = *site.Redis, path+".redis"
		}
		if site.Storage != nil {
			sc.Storage, sc.StoragePath = *site.Storage, path+".storage"
		}
		for j, n := range s.Nodes {
			if n.Site == site.Name {
				sc.Nodes = append(sc.Nodes, n)
				sc.NodeIndex = append(sc.NodeIndex, j)
			}
		}
		sc.Redis.Quorum = defaultQuorum(sc.Redis.Quorum, sc.WithRole(RoleSentinel))
		out = append(out, sc)
	}
	return out
}

// WithRole returns the scope's nodes that have role.
func (sc *Scope) WithRole(role string) []Node { return withRole(sc.Nodes, role) }

// defaultQuorum is the configured quorum, or a majority of the sentinels.
func defaultQuorum(q int, sentinels []Node) int {
	if q != 0 {
		return q
	}
	return len(sentinels)/2 + 1
}
