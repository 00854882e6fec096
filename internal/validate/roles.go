package validate

import (
	"fmt"

	"github.com/harborgen/harborgen/internal/spec"
)

// roles checks that every tier the spec asks for has nodes to run on, and
// that no node carries a role nothing uses.
func roles(c *check) {
	s := c.s
	for i := range s.Nodes {
		if c.broken(nodePath(i, "roles")) {
			return // which tiers have nodes is unknown
		}
	}
	if len(s.NodesWithRole(spec.RoleHarbor)) == 0 && len(s.Nodes) > 0 {
		c.errorf("node", `add "harbor" to the roles of the nodes that run Harbor`, "no node has the role harbor")
	}
	galera := s.NodesWithRole(spec.RoleGalera)
	switch {
	case s.Database.Engine == "galera" && len(galera) == 0:
		c.errorf("database.engine", `add "galera" to the roles of three nodes`, "database.engine is galera but no node has the role galera")
	case s.Database.Engine != "galera" && s.Database.Engine != "":
		for i, n := range s.Nodes {
			if n.HasRole(spec.RoleGalera) {
				c.errorf(nodePath(i, "roles"), `remove the role, or set database.engine = "galera"`,
					"node %q has the role galera but database.engine is %s", n.Name, s.Database.Engine)
			}
		}
	}
	postgres := s.NodesWithRole(spec.RolePostgres)
	switch {
	case s.Database.Engine == "patroni" && len(postgres) == 0:
		c.errorf("database.engine", `add "postgres" to the roles of three nodes`, "database.engine is patroni but no node has the role postgres")
	case s.Database.Engine != "patroni" && s.Database.Engine != "":
		for i, n := range s.Nodes {
			if n.HasRole(spec.RolePostgres) {
				hint := `remove the role, or set database.engine = "patroni" to render PostgreSQL under Patroni there`
				if s.Database.Engine == "postgres" {
					hint = `remove the role (engine postgres is an external database at database.external.host), or set database.engine = "patroni"`
				}
				c.errorf(nodePath(i, "roles"), hint, "node %q has the role postgres but database.engine is %s", n.Name, s.Database.Engine)
			}
		}
	}
	rgw := false
	for _, sc := range s.Scopes() {
		if len(sc.Nodes) == 0 {
			continue // an empty site is reported by sites; no nodes at all by the schema
		}
		scopeRoles(c, &sc)
		rgw = rgw || sc.Storage.RGW != nil
	}
	admins := s.NodesWithRole(spec.RoleCephAdmin)
	switch {
	case rgw && len(admins) == 0:
		c.errorf(c.first("storage.rgw", "storage"), `add "ceph-admin" to the roles of the node that can run radosgw-admin`,
			"[storage.rgw] asks for the radosgw user script but no node has the role ceph-admin")
	case !rgw && len(admins) > 0:
		for i, n := range s.Nodes {
			if n.HasRole(spec.RoleCephAdmin) {
				c.warnf(nodePath(i, "roles"), "add a [storage.rgw] table to render the radosgw user script, or remove the role",
					"node %q has the role ceph-admin but there is no [storage.rgw]: it gets nothing to do", n.Name)
			}
		}
	}
}

func scopeRoles(c *check, sc *spec.Scope) {
	label := where(sc)
	mode := sc.Redis.Mode
	if c.broken(sc.RedisPath + ".mode") {
		mode = "" // unknown: say nothing about the Redis roles
	} else if mode == "" {
		c.errorf(c.first(sc.Path, "redis"), "add a [redis] table with a mode, or a [site.redis] table to every site",
			"%sno Redis is configured", label)
	}
	if sc.Storage.Driver == "" {
		c.errorf(c.first(sc.Path, "storage"), "add a [storage] table with a driver, or a [site.storage] table to every site",
			"%sno registry storage is configured", label)
	}
	needRedis := mode == "standalone" || mode == "sentinel" || mode == "cluster"
	if needRedis && len(sc.WithRole(spec.RoleRedis)) == 0 {
		c.errorf(sc.RedisPath+".mode", `add "redis" to the roles of the nodes that run Redis`,
			"%sredis.mode is %s but no node%s has the role redis", label, mode, inSite(sc))
	}
	if mode == "sentinel" && len(sc.WithRole(spec.RoleSentinel)) == 0 {
		c.errorf(sc.RedisPath+".mode", `add "sentinel" to the roles of three nodes`,
			"%sredis.mode is sentinel but no node%s has the role sentinel", label, inSite(sc))
	}
	for k, n := range sc.Nodes {
		i := sc.NodeIndex[k]
		if n.HasRole(spec.RoleRedis) && !needRedis && mode != "" {
			c.warnf(nodePath(i, "roles"), "remove the role", "node %q has the role redis but redis.mode is %s: it runs nothing", n.Name, mode)
		}
		if n.HasRole(spec.RoleSentinel) && mode != "sentinel" && mode != "" {
			c.warnf(nodePath(i, "roles"), "remove the role", "node %q has the role sentinel but redis.mode is %s: it runs nothing", n.Name, mode)
		}
	}
	harbors, lbs := sc.WithRole(spec.RoleHarbor), sc.WithRole(spec.RoleLB)
	if len(harbors) >= 2 && len(lbs) == 0 {
		c.errorf(c.first(sc.Path, "node"), `add "lb" to the roles of the load balancer nodes`,
			"%s%d harbor nodes need a load balancer but no node%s has the role lb", label, len(harbors), inSite(sc))
	}
	if len(lbs) >= 2 && sc.VIP == "" {
		c.errorf(c.first(sc.VIPPath, sc.Path, "lb"), "set vip to a free address that keepalived moves between the load balancers",
			"%s%d load balancer nodes need a VIP", label, len(lbs))
	}
}

func inSite(sc *spec.Scope) string {
	if sc.Site == "" {
		return ""
	}
	return fmt.Sprintf(" in site %q", sc.Site)
}
