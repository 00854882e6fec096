package validate

import (
	"fmt"
	"slices"

	"github.com/harborgen/harborgen/internal/plan"
	"github.com/harborgen/harborgen/internal/spec"
)

// patroni checks the PostgreSQL cluster under Patroni: the membership, its
// etcd members, the timings, and the load balancer Harbor reaches it through.
func patroni(c *check) {
	s := c.s
	if s.Source.Has("database.external") {
		c.errorf("database.external", "remove [database.external]: harborgen renders the Patroni cluster",
			"[database.external] is for engine mariadb or postgres, not patroni")
	}
	n := len(s.NodesWithRole(spec.RolePostgres))
	quorum(c, c.first("database.patroni", "database.engine"), spec.RolePostgres, n,
		"a Patroni cluster needs at least 3 members to keep a leader when one fails (its etcd needs a majority); this spec has %d",
		fmt.Sprintf("%%d postgres members survive no more failures than %d: etcd needs a majority of its members", n-1))
	p := s.Database.Patroni
	if p == nil {
		return
	}
	dcs(c, p)
	if p.TTL < p.LoopWait+2*p.RetryTimeout && !c.broken("database.patroni.ttl") {
		c.errorf(c.first("database.patroni.ttl", "database.patroni"),
			fmt.Sprintf("raise ttl to %d or more, or lower loop_wait or retry_timeout", p.LoopWait+2*p.RetryTimeout),
			"ttl %d is below loop_wait %d + 2 x retry_timeout %d: the leader's key can expire while it retries, and Patroni demotes a healthy leader",
			p.TTL, p.LoopWait, p.RetryTimeout)
	}
	patroniBalancer(c)
}

// dcs checks database.patroni.dcs_nodes: existing nodes, a majority-safe count.
func dcs(c *check, p *spec.Patroni) {
	if len(p.DCSNodes) == 0 {
		return
	}
	for i, name := range p.DCSNodes {
		if !slices.ContainsFunc(c.s.Nodes, func(n spec.Node) bool { return n.Name == name }) {
			c.errorf(spec.JoinIndex("database.patroni.dcs_nodes", i), "name nodes of the spec: "+nodeNames(c.s.Nodes),
				"dcs_nodes names %q, which is no node", name)
		}
	}
	switch n := len(p.DCSNodes); {
	case n < 3:
		c.errorf("database.patroni.dcs_nodes", "name at least three nodes",
			"etcd on %d node(s) cannot lose one and keep a majority: Patroni demotes the leader when etcd is lost", n)
	case n%2 == 0:
		c.warnf("database.patroni.dcs_nodes", "name an odd number of nodes (3, 5)",
			"%d etcd members survive no more failures than %d", n, n-1)
	}
}

// patroniBalancer: Harbor takes one database host (goharbor/harbor#19942),
// so it reaches the leader through the load balancer, which must find the
// leader by Patroni's REST check: HAProxy can, nginx OSS cannot.
func patroniBalancer(c *check) {
	s := c.s
	if !s.LB.ProxyDatabase {
		c.errorf(c.first("lb.proxy_database", "lb", "database.engine"), "set lb.proxy_database = true (and lb.kind = \"haproxy\")",
			"engine patroni needs lb.proxy_database = true: Harbor takes one database host (goharbor/harbor#19942), the load balancer that follows the leader")
		return
	}
	if s.LB.Kind != "haproxy" {
		c.errorf(c.first("lb.kind", "lb"), `set lb.kind = "haproxy"`,
			"engine patroni needs HAProxy: the database proxy must send connections to the leader only, found by Patroni's REST check (GET /primary on port %d), and nginx cannot check it", plan.PatroniRESTPort)
	}
	for _, sc := range s.Scopes() {
		if len(sc.Nodes) > 0 && len(sc.WithRole(spec.RoleLB)) == 0 && len(sc.WithRole(spec.RoleHarbor)) > 0 {
			c.errorf(c.first(sc.Path, "node"), `add "lb" to the roles of the load balancer nodes`,
				"%sengine patroni needs a load balancer: Harbor reaches the Patroni leader through it", where(&sc))
		}
	}
}
